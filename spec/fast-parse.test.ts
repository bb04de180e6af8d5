/**
 * The fast path of trace parsing (spec/fast-parse.ts) against the zod schemas it is compiled from:
 * on generated valid events and on mutated ones (a field removed, added, or replaced by any JSON
 * value or an edge value), a compiled parser accepts exactly what zod accepts, with an equal output;
 * and parseTraceEvent (fast path, zod on rejection) answers exactly what zod alone answers, errors
 * included. The line splitter of the streaming reader is checked against node:readline.
 */
import fc from "fast-check";
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { CALLS, CallSite } from "./events.ts";
import { compileFastParser, NOT_FAST } from "./fast-parse.ts";
import { isSkippedTraceLine, LineSplitter, NON_CALL_SCHEMAS, parseTraceEvent, parseTraceEventWithZod, readTraceFile } from "./trace.ts";

type Def = {
  type: string;
  checks?: { _zod: { def: { check: string; minimum?: number; maximum?: number; pattern?: RegExp } } }[];
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
  entries?: Record<string, unknown>;
};
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Values a schema accepts, generated from its definition (the same constructs the compiler knows). */
function valid(schema: z.ZodType): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  const check = (name: string) => def.checks?.map((c) => c._zod.def).find((c) => c.check === name);
  switch (def.type) {
    case "string": {
      const minLength = check("min_length")?.minimum ?? 0;
      const maxLength = check("max_length")?.maximum ?? 1000;
      const pattern = check("string_format")?.pattern;
      const base = pattern !== undefined ? fc.stringMatching(pattern) : fc.string({ minLength, maxLength: Math.min(maxLength, 12) });
      const edges = pattern !== undefined ? [] : [fc.constant("x".repeat(Math.max(minLength, 1))), fc.constant("y".repeat(Math.min(maxLength, 1000)))];
      return fc.oneof(base, ...edges).filter((text) => text.length >= minLength && text.length <= maxLength);
    }
    case "number":
      return fc.oneof(fc.nat(), fc.constantFrom(0, 16, Number.MAX_SAFE_INTEGER));
    case "boolean":
      return fc.boolean();
    case "literal":
      return fc.constantFrom(...def.values!);
    case "enum":
      return fc.constantFrom(...Object.values(def.entries!));
    case "nullable":
      return fc.option(valid(def.innerType!), { nil: null, freq: 4 });
    case "optional":
    case "default":
      return valid(def.innerType!);
    case "object": {
      const shape = def.shape!;
      const requiredKeys = Object.keys(shape).filter((key) => !["optional", "default"].includes(defOf(shape[key]!).type));
      return fc.record(Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, valid(field)])), { requiredKeys });
    }
    case "array":
      return fc.array(valid(def.element!), { minLength: check("min_length")?.minimum ?? 0, maxLength: 4 });
    case "union":
      return fc.oneof(...def.options!.map(valid));
    case "record":
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
    case "unknown":
      return fc.jsonValue({ maxDepth: 2 });
    default:
      throw new Error(`no generator for zod type ${def.type}`);
  }
}

/** Every path to a value inside `value` (object keys and array indexes), the root excluded. */
function paths(value: unknown, prefix: readonly (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  return entries.flatMap(([key, item]) => [[...prefix, key], ...paths(item, [...prefix, key])]);
}

const EDGE_VALUES: unknown[] = [null, -1, -0, 1.5, 2 ** 53, 1e308, "", "x".repeat(201), "lowercase", "STATUS_", [], {}, true, "PASSIVE_LEVEL", 4, 5, undefined];

type Mutation = { readonly kind: "delete" | "replace" | "addKey"; readonly at: number; readonly replacement: unknown; readonly key: string };

/** `value` with one mutation applied at one of its paths (or at the root). */
function mutate(value: unknown, mutation: Mutation): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  const all = paths(copy);
  if (all.length === 0) return mutation.replacement;
  const path = all[mutation.at % all.length]!;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (mutation.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (mutation.kind === "replace") {
    parent[last] = mutation.replacement;
  } else {
    // An own property, as JSON.parse makes it (even for "__proto__").
    const target = parent[last];
    const owner = typeof target === "object" && target !== null && !Array.isArray(target) ? target : parent;
    Object.defineProperty(owner, mutation.key, { value: mutation.replacement, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** The value as a trace line carries it: through JSON text and back. */
const viaJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("delete", "replace", "addKey"),
  at: fc.nat(),
  replacement: fc.oneof(fc.constantFrom(...EDGE_VALUES), fc.jsonValue({ maxDepth: 2 })),
  key: fc.constantFrom("extra", "status", "kind", "__proto__", "ret", "flags"),
});

/** Valid values of a schema, and mutated ones (mostly invalid, sometimes still valid), as JavaScript values (undefined, -0, null prototypes, ...). */
function rawCandidates(schema: z.ZodType): fc.Arbitrary<unknown> {
  return fc.oneof(valid(schema), fc.tuple(valid(schema), mutationArbitrary).map(([value, mutation]) => mutate(value, mutation)));
}

/** The same, as JSON.parse returns them from a trace line. */
function candidates(schema: z.ZodType): fc.Arbitrary<unknown> {
  return rawCandidates(schema).map(viaJson);
}

const SCHEMAS: [string, z.ZodType][] = [...Object.entries(CALLS), ...Object.entries(NON_CALL_SCHEMAS), ["CallSite", CallSite]];

describe("the fast path of trace parsing accepts exactly what the zod schemas accept", () => {
  it("compiles every event schema (none is left to zod alone)", () => {
    for (const [name, schema] of SCHEMAS) expect(compileFastParser(schema), name).toBeTypeOf("function");
  });

  for (const [name, schema] of SCHEMAS) {
    it(`${name}: fast accept/reject == zod accept/reject, with equal outputs`, () => {
      const fast = compileFastParser(schema)!;
      let accepted = 0;
      let rejected = 0;
      fc.assert(
        fc.property(candidates(schema), (value) => {
          const zod = schema.safeParse(value);
          const output = fast(value);
          expect(output !== NOT_FAST).toBe(zod.success);
          if (zod.success) {
            accepted += 1;
            expect(output).toStrictEqual(zod.data);
          } else rejected += 1;
        }),
        { numRuns: 400, seed: 7 },
      );
      expect(accepted).toBeGreaterThan(0);
      expect(rejected).toBeGreaterThan(0);
    });
  }

  for (const [name, schema] of SCHEMAS) {
    it(`${name}: on any JavaScript value, what the fast path accepts zod accepts, with an equal output`, () => {
      const fast = compileFastParser(schema)!;
      fc.assert(
        fc.property(rawCandidates(schema), (value) => {
          const output = fast(value);
          if (output === NOT_FAST) return;
          const zod = schema.safeParse(value);
          expect(zod.success).toBe(true);
          expect(output).toStrictEqual(zod.data);
        }),
        { numRuns: 200, seed: 9 },
      );
    });
  }

  it("parseTraceEvent answers exactly what zod alone answers (events and error messages)", () => {
    const anyEvent = fc.oneof(...SCHEMAS.slice(0, -1).flatMap(([, schema]) => [candidates(schema), rawCandidates(schema)]));
    fc.assert(
      fc.property(anyEvent, (value) => {
        expect(parseTraceEvent(value, "t.jsonl", 3)).toStrictEqual(parseTraceEventWithZod(value, "t.jsonl", 3));
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it("on every line of the shipped example traces, and on their mutations", () => {
    const dir = new URL("../examples/traces/", import.meta.url);
    const values = readdirSync(dir)
      .filter((file) => file.endsWith(".jsonl"))
      .flatMap((file) => readFileSync(new URL(file, dir), "utf8").split("\n").filter((line) => !isSkippedTraceLine(line)))
      .map((line) => JSON.parse(line) as unknown);
    expect(values.length).toBeGreaterThan(100);
    for (const value of values) expect(parseTraceEvent(value)).toStrictEqual(parseTraceEventWithZod(value));
    fc.assert(
      fc.property(fc.constantFrom(...values), mutationArbitrary, (value, mutation) => {
        const mutated = viaJson(mutate(value, mutation));
        expect(parseTraceEvent(mutated)).toStrictEqual(parseTraceEventWithZod(mutated));
      }),
      { numRuns: 3000, seed: 13 },
    );
  });
});

describe("the streaming reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "wfp-reader-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function readlineLines(path: string): Promise<string[]> {
    const lines: string[] = [];
    for await (const line of createInterface({ input: createReadStream(path, { encoding: "utf8", highWaterMark: 7 }), crlfDelay: Infinity })) lines.push(line);
    return lines;
  }

  it("splits lines exactly as node:readline does, whatever the chunk boundaries", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom("a", "b", "\r", "\n", "\r\n", " ", "é", "{}"), { maxLength: 40 }), fc.integer({ min: 1, max: 9 }), async (parts, chunkSize) => {
        const text = parts.join("");
        const path = join(dir, "split.txt");
        writeFileSync(path, text);
        const splitter = new LineSplitter();
        const ours: string[] = [];
        for (let start = 0; start < text.length; start += chunkSize) ours.push(...splitter.push(text.slice(start, start + chunkSize)));
        ours.push(...splitter.end());
        expect(ours).toEqual(await readlineLines(path));
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it("numbers lines as readline does and skips blank ones", async () => {
    const path = join(dir, "trace.jsonl");
    writeFileSync(path, '\n{"kind":"engineIdle"}\r\n  \r{"kind":"driverUnload"}\n{"kind":"nope"}');
    const lines = [];
    for await (const line of readTraceFile(path)) lines.push(line);
    expect(lines.map((line) => line.line)).toEqual([2, 4, 5]);
    expect(lines.map((line) => line.parsed.ok)).toEqual([true, true, false]);
  });
});
