/**
 * A fast path for validating trace events: each zod schema of `events.ts` is compiled once into a
 * plain function that accepts exactly the values the schema accepts, and returns the same output
 * (defaults filled in, fresh objects and arrays). The zod schemas stay authoritative:
 *
 * - the compiler knows only the zod constructs the trace schemas use (strict objects, strings with
 *   length and regex checks, safe non-negative integers, literals, enums, booleans, nullable,
 *   optional, default, arrays, discriminated unions of objects, unions of literals,
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

/** Thrown inside the compiler for a construct it does not know; the schema is then left to zod. */
class Unsupported extends Error {}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** A plain object as JSON.parse makes it: not null, not an array, with the ordinary prototype (or none). */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function stringParser(def: Def): FastParser {
  let minimum = 0;
  let maximum = Infinity;
  const patterns: RegExp[] = [];
  for (const { _zod } of def.checks ?? []) {
    const check = _zod.def;
    requireUnconditional(check);
    if (check.check === "min_length") minimum = Math.max(minimum, check.minimum!);
    else if (check.check === "max_length") maximum = Math.min(maximum, check.maximum!);
    else if (check.check === "string_format" && check.format === "regex" && check.pattern instanceof RegExp) patterns.push(check.pattern);
    else throw new Unsupported(`string check ${check.check}`);
  }
  return (value) => {
    if (typeof value !== "string" || value.length < minimum || value.length > maximum) return NOT_FAST;
    for (const pattern of patterns) {
      pattern.lastIndex = 0;
      if (!pattern.test(value)) return NOT_FAST;
    }
    return value;
  };
}

function numberParser(def: Def): FastParser {
  let safeInteger = false;
  let lower = -Infinity;
  let lowerInclusive = true;
  for (const { _zod } of def.checks ?? []) {
    const check = _zod.def;
    requireUnconditional(check);
    if (check.check === "number_format" && check.format === "safeint") safeInteger = true;
    else if (check.check === "greater_than" && typeof check.value === "number" && check.value >= lower) {
      lower = check.value;
      lowerInclusive = check.inclusive === true;
    } else throw new Unsupported(`number check ${check.check}`);
  }
  return (value) => {
    if (typeof value !== "number" || !Number.isFinite(value)) return NOT_FAST;
    if (safeInteger && !Number.isSafeInteger(value)) return NOT_FAST;
    if (lowerInclusive ? value < lower : value <= lower) return NOT_FAST;
    return value;
  };
}

/** How a field of an object treats an absent key. */
interface Field {
  readonly key: string;
  readonly absent: "reject" | "omit" | "default";
  readonly parse: FastParser;
  readonly defaultOf?: () => unknown;
}

function fieldOf(key: string, schema: z.ZodType): Field {
  const def = defOf(schema);
  if (def.type === "optional") return { key, absent: "omit", parse: compile(def.innerType!) };
  if (def.type === "default") return { key, absent: "default", parse: compile(def.innerType!), defaultOf: () => def.defaultValue };
  return { key, absent: "reject", parse: compile(schema) };
}

function objectParser(def: Def): FastParser {
  if (def.catchall === undefined || defOf(def.catchall).type !== "never") throw new Unsupported("an object that is not strict");
  const shape = def.shape ?? {};
  const keys = new Set(Object.keys(shape));
  if (keys.has("__proto__")) throw new Unsupported("a __proto__ key");
  const fields = Object.keys(shape).map((key) => fieldOf(key, shape[key]!));
  return (value) => {
    if (!isPlainRecord(value)) return NOT_FAST;
    for (const key in value) if (!keys.has(key)) return NOT_FAST;
    const output: Record<string, unknown> = {};
    for (const field of fields) {
      const item = value[field.key];
      if (item === undefined) {
        // As zod: a default fills an absent (or undefined) key; an optional key is kept only if present.
        if (field.absent === "reject") return NOT_FAST;
        if (field.absent === "default") output[field.key] = field.defaultOf!();
        else if (field.key in value) output[field.key] = undefined;
        continue;
      }
      const parsed = field.parse(item);
      if (parsed === NOT_FAST) return NOT_FAST;
      output[field.key] = parsed;
    }
    return output;
  };
}

function arrayParser(def: Def): FastParser {
  let minimum = 0;
  let maximum = Infinity;
  for (const { _zod } of def.checks ?? []) {
    const check = _zod.def;
    requireUnconditional(check);
    if (check.check === "min_length") minimum = Math.max(minimum, check.minimum!);
    else if (check.check === "max_length") maximum = Math.min(maximum, check.maximum!);
    else throw new Unsupported(`array check ${check.check}`);
  }
  const element = compile(def.element!);
  return (value) => {
    if (!Array.isArray(value) || value.length < minimum || value.length > maximum) return NOT_FAST;
    const output: unknown[] = new Array(value.length);
    for (let index = 0; index < value.length; index++) {
      const parsed = element(value[index]);
      if (parsed === NOT_FAST) return NOT_FAST;
      output[index] = parsed;
    }
    return output;
  };
}

function unionParser(def: Def): FastParser {
  const options = def.options ?? [];
  // A union of literals: the value is kept as is when it is one of them.
  if (options.every((option) => defOf(option).type === "literal")) {
    const allowed = new Set(options.flatMap((option) => defOf(option).values ?? []));
    return (value) => (allowed.has(value) ? value : NOT_FAST);
  }
  // A discriminated union of objects: the option is chosen by the discriminator's literal.
  const discriminator = def.discriminator;
  if (discriminator === undefined) throw new Unsupported("a union that is not discriminated");
  const byTag = new Map<unknown, FastParser>();
  for (const option of options) {
    const optionDef = defOf(option);
    const tag = optionDef.type === "object" ? optionDef.shape?.[discriminator] : undefined;
    const tagDef = tag === undefined ? undefined : defOf(tag);
    if (tagDef?.type !== "literal" || tagDef.values?.length !== 1 || byTag.has(tagDef.values[0])) throw new Unsupported("a discriminator that is not one literal per option");
    byTag.set(tagDef.values[0], compile(option));
  }
  return (value) => {
    if (!isPlainRecord(value)) return NOT_FAST;
    const parse = byTag.get(value[discriminator]);
    return parse === undefined ? NOT_FAST : parse(value);
  };
}

function recordParser(def: Def): FastParser {
  const keyDef = defOf(def.keyType!);
  const valueDef = defOf(def.valueType!);
  if (keyDef.type !== "string" || (keyDef.checks?.length ?? 0) > 0 || valueDef.type !== "unknown" || (def.mode !== undefined && def.mode !== "strict")) {
    throw new Unsupported("a record other than record(string, unknown)");
  }
  return (value) => {
    if (!isPlainRecord(value)) return NOT_FAST;
    const keys = Object.keys(value);
    if (Reflect.ownKeys(value).length !== keys.length) return NOT_FAST; // symbols or hidden keys: let zod decide
    const output: Record<string, unknown> = {};
    for (const key of keys) {
      if (key === "__proto__") continue; // as zod: never copied (it would set the output's prototype)
      output[key] = value[key];
    }
    return output;
  };
}

function compile(schema: z.ZodType): FastParser {
  const def = defOf(schema);
  if (def.coerce === true) throw new Unsupported("coercion");
  if (def.checks !== undefined && def.checks.length > 0 && !["string", "number", "array"].includes(def.type)) throw new Unsupported(`checks on ${def.type}`);
  switch (def.type) {
    case "string":
      return stringParser(def);
    case "number":
      return numberParser(def);
    case "boolean":
      return (value) => (typeof value === "boolean" ? value : NOT_FAST);
    case "literal": {
      const allowed = new Set(def.values ?? []);
      return (value) => (allowed.has(value) ? value : NOT_FAST);
    }
    case "enum": {
      const allowed = new Set(Object.values(def.entries ?? {}));
      return (value) => (typeof value === "string" && allowed.has(value) ? value : NOT_FAST);
    }
    case "nullable": {
      const inner = compile(def.innerType!);
      return (value) => (value === null ? null : inner(value));
    }
    case "optional":
    case "default": {
      // Outside an object field, an absent value is left to zod; a present one is the inner schema's.
      const inner = compile(def.innerType!);
      return (value) => (value === undefined ? NOT_FAST : inner(value));
    }
    case "object":
      return objectParser(def);
    case "array":
      return arrayParser(def);
    case "union":
      return unionParser(def);
    case "record":
      return recordParser(def);
    case "unknown":
      return (value) => value;
    default:
      throw new Unsupported(`zod type ${def.type}`);
  }
}

/** The fast parser of `schema`, or undefined when it uses a construct the compiler does not know (zod then parses every value). */
export function compileFastParser(schema: z.ZodType): FastParser | undefined {
  try {
    return compile(schema);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
