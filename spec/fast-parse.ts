/**
 * A fast path for validating trace events: each zod schema of `events.ts` is compiled once into a
 * plain function that accepts exactly the values the schema accepts, and returns the same output
 * (defaults filled in, fresh objects and arrays). The function is generated as JavaScript source
 * from the schema's definition (one straight-line check per field, as zod's own JIT does for
 * objects), about ten times faster than zod's parse. The zod schemas stay authoritative:
 *
 * - the compiler knows only the zod constructs the trace schemas use (strict objects, strings with
 *   length and regex checks, safe non-negative integers, literals, enums, booleans, nullable,
 *   optional, default, arrays, discriminated unions of objects, unions of literals, unions of a
 *   string and a number schema (chosen by typeof),
 *   `record(string, unknown)`); a schema using anything else is not compiled, and always goes to zod;
 * - a compiled function never reports an error: for a value it does not accept, or is not sure
 *   about (an object whose prototype is not Object.prototype or null, which JSON.parse never
 *   makes), it answers `NOT_FAST` and the caller parses the value with zod, so that the error
 *   message (field, text) is zod's, exactly as without the fast path.
 *
 * `spec/fast-parse.test.ts` checks, on generated valid and mutated events, that a compiled function
 * accepts exactly the JSON values its schema accepts, with an equal output, and that on any value
 * what it accepts zod accepts too.
 */
import type { z } from "zod";

/** The answer of a fast parser for a value it does not accept (or is unsure of): ask zod. */
export const NOT_FAST: unique symbol = Symbol("not-fast");

/** A compiled schema: the parsed value, or NOT_FAST. */
export type FastParser = (value: unknown) => unknown;

/** The part of zod's internal definition the compiler reads. */
interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, unknown>;
  readonly keyType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly defaultValue?: unknown;
  readonly coerce?: boolean;
  readonly mode?: string;
}

interface CheckDef {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: string;
  readonly pattern?: RegExp;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly when?: { readonly name?: string };
}

/** A check's condition: zod gives length checks one that holds for every string and array; any other is left to zod. */
function requireUnconditional(check: CheckDef): void {
  if (check.when !== undefined && check.when.name !== "_whenHasLength") throw new Unsupported("a conditional check");
}

/** Thrown inside the compiler for a construct it does not know (or where code generation is not allowed); the schema is then left to zod. */
class Unsupported extends Error {}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** What the generated code refers to: constants it cannot spell as literals (sets, regexes, default values). */
class Constants {
  readonly values: unknown[] = [];

  /** A JavaScript expression naming `value`. */
  name(value: unknown): string {
    this.values.push(value);
    return `c[${this.values.length - 1}]`;
  }
}

/** A literal value as JavaScript source, for the values a literal schema can hold here. */
function literalSource(value: unknown): string {
  if (value === null || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value) && !Object.is(value, -0)) || typeof value === "string") return JSON.stringify(value);
  throw new Unsupported(`a literal ${String(value)}`);
}

/** Emits JavaScript source: statements that check the value in variable `input` and set variable `output`, or `return NOT`. */
class Generator {
  private next = 0;
  readonly constants = new Constants();

  /** A fresh variable name. */
  variable(prefix: string): string {
    this.next += 1;
    return `${prefix}${this.next}`;
  }

  /** Statements checking `input` against `schema` and assigning the parsed value to `output` (declared by the caller). */
  emit(schema: z.ZodType, input: string, output: string): string {
    const def = defOf(schema);
    if (def.coerce === true) throw new Unsupported("coercion");
    if (def.checks !== undefined && def.checks.length > 0 && !["string", "number", "array"].includes(def.type)) throw new Unsupported(`checks on ${def.type}`);
    switch (def.type) {
      case "string":
        return this.string(def, input, output);
      case "number":
        return this.number(def, input, output);
      case "boolean":
        return `if (typeof ${input} !== "boolean") return NOT; ${output} = ${input};`;
      case "literal": {
        const values = def.values ?? [];
        if (values.length === 0) throw new Unsupported("an empty literal");
        return `if (${values.map((value) => `${input} !== ${literalSource(value)}`).join(" && ")}) return NOT; ${output} = ${input};`;
      }
      case "enum": {
        const allowed = Object.values(def.entries ?? {});
        if (!allowed.every((value) => typeof value === "string")) throw new Unsupported("an enum of non-strings");
        return `if (typeof ${input} !== "string" || !${this.constants.name(new Set(allowed))}.has(${input})) return NOT; ${output} = ${input};`;
      }
      case "nullable":
        return `if (${input} === null) ${output} = null; else { ${this.emit(def.innerType!, input, output)} }`;
      case "optional":
      case "default":
        // Outside an object field, an absent value is left to zod; a present one is the inner schema's.
        return `if (${input} === undefined) return NOT; ${this.emit(def.innerType!, input, output)}`;
      case "object":
        return this.object(def, input, output);
      case "array":
        return this.array(def, input, output);
      case "union":
        return this.union(def, input, output);
      case "record":
        return this.record(def, input, output);
      case "unknown":
        return `${output} = ${input};`;
      default:
        throw new Unsupported(`zod type ${def.type}`);
    }
  }

  private lengths(def: Def): { minimum: number; maximum: number } {
    let minimum = 0;
    let maximum = Infinity;
    for (const { _zod } of def.checks ?? []) {
      const check = _zod.def;
      requireUnconditional(check);
      if (check.check === "min_length") minimum = Math.max(minimum, check.minimum!);
      else if (check.check === "max_length") maximum = Math.min(maximum, check.maximum!);
    }
    return { minimum, maximum };
  }

  private string(def: Def, input: string, output: string): string {
    const { minimum, maximum } = this.lengths(def);
    const tests: string[] = [`typeof ${input} !== "string"`];
    if (minimum > 0) tests.push(`${input}.length < ${minimum}`);
    if (maximum !== Infinity) tests.push(`${input}.length > ${maximum}`);
    for (const { _zod } of def.checks ?? []) {
      const check = _zod.def;
      if (check.check === "min_length" || check.check === "max_length") continue;
      if (check.check !== "string_format" || check.format !== "regex" || !(check.pattern instanceof RegExp)) throw new Unsupported(`string check ${check.check}`);
      if (check.pattern.global || check.pattern.sticky) throw new Unsupported("a global or sticky regex");
      tests.push(`!${this.constants.name(check.pattern)}.test(${input})`);
    }
    return `if (${tests.join(" || ")}) return NOT; ${output} = ${input};`;
  }

  private number(def: Def, input: string, output: string): string {
    const tests: string[] = [`typeof ${input} !== "number"`, `!Number.isFinite(${input})`];
    for (const { _zod } of def.checks ?? []) {
      const check = _zod.def;
      requireUnconditional(check);
      if (check.check === "number_format" && check.format === "safeint") tests.push(`!Number.isSafeInteger(${input})`);
      else if (check.check === "greater_than" && typeof check.value === "number" && Number.isFinite(check.value)) tests.push(`${input} ${check.inclusive === true ? "<" : "<="} ${check.value}`);
      else throw new Unsupported(`number check ${check.check}`);
    }
    return `if (${tests.join(" || ")}) return NOT; ${output} = ${input};`;
  }

  /** The test that `input` is a plain object as JSON.parse makes it (not null, not an array, the ordinary prototype or none). */
  private static notPlainRecord(input: string): string {
    return `typeof ${input} !== "object" || ${input} === null || Array.isArray(${input}) || (Object.getPrototypeOf(${input}) !== Object.prototype && Object.getPrototypeOf(${input}) !== null)`;
  }

  private object(def: Def, input: string, output: string): string {
    if (def.catchall === undefined || defOf(def.catchall).type !== "never") throw new Unsupported("an object that is not strict");
    const shape = def.shape ?? {};
    const keys = Object.keys(shape);
    if (keys.includes("__proto__")) throw new Unsupported("a __proto__ key");
    const object = this.variable("o");
    const key = this.variable("k");
    const lines = [
      `if (${Generator.notPlainRecord(input)}) return NOT;`,
      // Every key must be one of the shape's (a strict object).
      keys.length === 0 ? `for (const ${key} in ${input}) return NOT;` : `for (const ${key} in ${input}) switch (${key}) { ${keys.map((name) => `case ${JSON.stringify(name)}:`).join(" ")} break; default: return NOT; }`,
      `const ${object} = {};`,
    ];
    for (const name of keys) {
      const field = shape[name]!;
      const fieldDef = defOf(field);
      const property = `${input}[${JSON.stringify(name)}]`;
      const item = this.variable("v");
      const parsed = this.variable("p");
      const target = `${object}[${JSON.stringify(name)}]`;
      // As zod: a default fills an absent (or undefined) key; an optional key is kept only if present; any other key is required.
      let absent: string;
      let inner: z.ZodType;
      if (fieldDef.type === "optional") {
        absent = `if (${JSON.stringify(name)} in ${input}) ${target} = undefined;`;
        inner = fieldDef.innerType!;
      } else if (fieldDef.type === "default") {
        absent = `${target} = ${this.constants.name(fieldDef)}.defaultValue;`;
        inner = fieldDef.innerType!;
      } else {
        absent = "return NOT;";
        inner = field;
      }
      lines.push(`const ${item} = ${property};`, `if (${item} === undefined) { ${absent} } else { let ${parsed}; ${this.emit(inner, item, parsed)} ${target} = ${parsed}; }`);
    }
    lines.push(`${output} = ${object};`);
    return lines.join("\n");
  }

  private array(def: Def, input: string, output: string): string {
    for (const { _zod } of def.checks ?? []) {
      if (_zod.def.check !== "min_length" && _zod.def.check !== "max_length") throw new Unsupported(`array check ${_zod.def.check}`);
    }
    const { minimum, maximum } = this.lengths(def);
    const array = this.variable("a");
    const index = this.variable("i");
    const element = this.variable("e");
    const parsed = this.variable("p");
    const tests = [`!Array.isArray(${input})`];
    if (minimum > 0) tests.push(`${input}.length < ${minimum}`);
    if (maximum !== Infinity) tests.push(`${input}.length > ${maximum}`);
    return [
      `if (${tests.join(" || ")}) return NOT;`,
      `const ${array} = new Array(${input}.length);`,
      `for (let ${index} = 0; ${index} < ${input}.length; ${index}++) { const ${element} = ${input}[${index}]; let ${parsed}; ${this.emit(def.element!, element, parsed)} ${array}[${index}] = ${parsed}; }`,
      `${output} = ${array};`,
    ].join("\n");
  }

  private union(def: Def, input: string, output: string): string {
    const options = def.options ?? [];
    // A union of literals: the value is kept as is when it is one of them.
    if (options.length > 0 && options.every((option) => defOf(option).type === "literal")) {
      const values = options.flatMap((option) => defOf(option).values ?? []);
      return `if (${values.map((value) => `${input} !== ${literalSource(value)}`).join(" && ")}) return NOT; ${output} = ${input};`;
    }
    // A union of primitive schemas of distinct JavaScript types (a number or a string): the option is chosen by typeof.
    const primitive: Readonly<Record<string, string>> = { string: "string", number: "number", boolean: "boolean" };
    const kinds = options.map((option) => primitive[defOf(option).type]);
    if (options.length > 0 && kinds.every((kind) => kind !== undefined) && new Set(kinds).size === kinds.length) {
      const branches = options.map((option, index) => `if (typeof ${input} === ${JSON.stringify(kinds[index])}) { ${this.emit(option, input, output)} }`);
      return `${branches.join(" else ")} else return NOT;`;
    }
    // A discriminated union of objects: the option is chosen by the discriminator's literal.
    const discriminator = def.discriminator;
    if (discriminator === undefined || options.length === 0) throw new Unsupported("a union that is not discriminated");
    const seen = new Set<string>();
    const cases = options.map((option) => {
      const optionDef = defOf(option);
      const tag = optionDef.type === "object" ? optionDef.shape?.[discriminator] : undefined;
      const tagDef = tag === undefined ? undefined : defOf(tag);
      if (tagDef?.type !== "literal" || tagDef.values?.length !== 1) throw new Unsupported("a discriminator that is not one literal per option");
      const value = literalSource(tagDef.values[0]);
      if (seen.has(value)) throw new Unsupported("two options with one discriminator value");
      seen.add(value);
      return `case ${value}: { ${this.emit(option, input, output)} break; }`;
    });
    return `if (${Generator.notPlainRecord(input)}) return NOT;\nswitch (${input}[${JSON.stringify(discriminator)}]) { ${cases.join("\n")} default: return NOT; }`;
  }

  private record(def: Def, input: string, output: string): string {
    const keyDef = defOf(def.keyType!);
    const valueDef = defOf(def.valueType!);
    if (keyDef.type !== "string" || (keyDef.checks?.length ?? 0) > 0 || valueDef.type !== "unknown" || (def.mode !== undefined && def.mode !== "strict")) {
      throw new Unsupported("a record other than record(string, unknown)");
    }
    const parsed = this.variable("r");
    return `const ${parsed} = ${this.constants.name(parseUnknownRecord)}(${input}); if (${parsed} === NOT) return NOT; ${output} = ${parsed};`;
  }
}

/** record(string, unknown), as zod parses it: a fresh object with the same keys, "__proto__" never copied. */
function parseUnknownRecord(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return NOT_FAST;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return NOT_FAST;
  const keys = Object.keys(value);
  if (Reflect.ownKeys(value).length !== keys.length) return NOT_FAST; // symbols or hidden keys: let zod decide
  const output: Record<string, unknown> = {};
  for (const key of keys) {
    if (key === "__proto__") continue; // it would set the output's prototype
    output[key] = (value as Record<string, unknown>)[key];
  }
  return output;
}

/** The JavaScript source of the fast parser of `schema` (for reading; compileFastParser evaluates it). */
export function fastParserSource(schema: z.ZodType): { source: string; constants: unknown[] } {
  const generator = new Generator();
  const body = generator.emit(schema, "input", "output");
  return { source: `return function parse(input) {\nlet output;\n${body}\nreturn output;\n};`, constants: generator.constants.values };
}

/** The fast parser of `schema`, or undefined when it uses a construct the compiler does not know (zod then parses every value). */
export function compileFastParser(schema: z.ZodType): FastParser | undefined {
  try {
    const { source, constants } = fastParserSource(schema);
    return new Function("NOT", "c", source)(NOT_FAST, constants) as FastParser;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    if (error instanceof EvalError) return undefined; // code generation from strings is disallowed here
    throw error;
  }
}
