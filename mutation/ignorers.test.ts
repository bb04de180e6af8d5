/**
 * The ignore-plugins of the mutation run (mutation/ignorers.mjs) exclude mutants from the score, so
 * what they exclude is checked here: on snippets (what is ignored and, as important, what is not),
 * and on impl/ itself for the two claims the plugins rest on (every call of a variant-only method
 * is variant-only code; the left operand of `A && this.bugs.X` has no side effect).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@babel/parser";
import traverseModule, { type NodePath } from "@babel/traverse";
import { Instrumenter } from "@stryker-mutator/instrumenter";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM module of Stryker plugins, without type declarations.
import { INTROSPECTION_METHODS, MESSAGE_HELPERS, MESSAGE_LOCALS, VARIANT_ONLY_METHODS, strykerPlugins } from "./ignorers.mjs";

// @babel/traverse is CommonJS: depending on the loader's interop, its default export arrives as is or wrapped.
type Traverse = typeof traverseModule.default;
const traverse: Traverse = typeof traverseModule === "function" ? (traverseModule as unknown as Traverse) : traverseModule.default;

interface Ignorer {
  shouldIgnore(path: NodePath): string | undefined;
}
const plugins = strykerPlugins as readonly { readonly name: string; readonly value: Ignorer }[];
const ignorers = plugins.map((plugin) => plugin.value);

function ast(source: string) {
  return parse(source, { sourceType: "module", plugins: ["typescript"] });
}

/** The source text of every node some ignorer matches (itself, not its descendants). */
function ignoredTexts(source: string): string[] {
  const texts: string[] = [];
  traverse(ast(source), {
    enter(path) {
      if (ignorers.some((ignorer) => ignorer.shouldIgnore(path) !== undefined)) {
        texts.push(source.slice(path.node.start!, path.node.end!));
        path.skip();
      }
    },
  });
  return texts;
}

interface PlacedMutant {
  readonly line: number;
  readonly column: number;
  readonly text: string;
  readonly mutatorName: string;
  readonly ignored: boolean;
}

/**
 * The mutants Stryker's own instrumenter makes of `source` with the plugins, as a run makes them.
 * The plugins see the tree as the instrumenter leaves it: an `if`'s test is already wrapped in mutant
 * switches when the traversal enters the consequent, which a plain babel walk never shows.
 */
async function instrument(name: string, source: string): Promise<PlacedMutant[]> {
  const silent = () => undefined;
  const logger = { debug: silent, info: silent, warn: silent, error: silent, trace: silent, fatal: silent, isDebugEnabled: () => false, isTraceEnabled: () => false, isInfoEnabled: () => false, isWarnEnabled: () => false, isErrorEnabled: () => false, isFatalEnabled: () => false };
  const instrumenter = new Instrumenter(logger as never);
  const options = { plugins: null, excludedMutations: [], ignorers, noHeader: true };
  const { mutants } = await instrumenter.instrument([{ name, mutate: true, content: source }], options as never);
  const lines = source.split("\n");
  return mutants.map((mutant) => {
    const { start, end } = mutant.location;
    const text = start.line === end.line ? lines[start.line]!.slice(start.column, end.column) : `${lines[start.line]!.slice(start.column)}…`;
    return { line: start.line + 1, column: start.column + 1, text, mutatorName: mutant.mutatorName, ignored: mutant.status === "Ignored" };
  });
}

const IMPL = join(import.meta.dirname, "..", "impl");
const IMPL_FILES = readdirSync(IMPL)
  .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
  .map((name) => ({ name, source: readFileSync(join(IMPL, name), "utf8") }));

function isBugFlag(path: NodePath | null): boolean {
  const node = path?.node;
  return (
    node?.type === "MemberExpression" &&
    node.object.type === "MemberExpression" &&
    node.object.object.type === "ThisExpression" &&
    node.object.property.type === "Identifier" &&
    (node.object.property.name === "bugs" || node.object.property.name === "verifierBugs")
  );
}

/** Whether a condition can only be true when a bug flag is on (as in ignorers.mjs). */
function requiresBug(path: NodePath): boolean {
  if (isBugFlag(path)) return true;
  const node = path.node;
  if (node.type === "LogicalExpression" && node.operator === "&&") return requiresBug(path.get("left") as NodePath) || requiresBug(path.get("right") as NodePath);
  if (node.type === "ParenthesizedExpression") return requiresBug(path.get("expression") as NodePath);
  return false;
}

describe("mutation ignore-plugins", () => {
  it("ignore variant-only code and flag operands, and keep the rest of a condition", () => {
    const source = [
      "class E {",
      "  f(a, t) {",
      "    if (a === 1 && !this.bugs.noClosingStatus) return 1;",
      "    if ((t & 2) === 0 && !(t === 0 && this.bugs.flagsZeroIsAllTypes)) return 2;",
      "    if (this.bugs.duplicateCompletion) this.queueGhost(a);",
      "    if (this.verifierBugs.familyFromHandle && a >= 0 && t === 6) return 5;",
      "    return a > 0 ? 3 : 4;",
      "  }",
      "  queueGhost(a) { this.x = a; }",
      "  stats() { return { n: this.n }; }",
      "  grow() { if (capacity > SLOT_SPACE) throw new RangeError('full'); this.y = 1; }",
      "  leaks(v) { const names = []; const kept = []; for (const n of this.n) { if (n > 1) names.push(`${n}`); kept.push(n + 1); } v.reportLeaks('r', 'what', names); return kept; }",
      "}",
    ].join("\n");
    expect(ignoredTexts(source)).toEqual([
      "!this.bugs.noClosingStatus",
      "t === 0",
      "this.bugs.flagsZeroIsAllTypes",
      "this.queueGhost(a);",
      "this.verifierBugs.familyFromHandle",
      "a >= 0",
      "t === 6",
      "return 5;",
      "{ this.x = a; }",
      "{ return { n: this.n }; }",
      "if (capacity > SLOT_SPACE) throw new RangeError('full');",
      "`${n}`",
      "'what'",
    ]);
  });

  it("every call of a variant-only method in impl/ is itself variant-only code", () => {
    const calls: string[] = [];
    for (const { name, source } of IMPL_FILES) {
      traverse(ast(source), {
        CallExpression(path) {
          const callee = path.node.callee;
          const called = callee.type === "MemberExpression" && callee.property.type === "Identifier" ? callee.property.name : callee.type === "Identifier" ? callee.name : null;
          if (called === null || !VARIANT_ONLY_METHODS.has(called)) return;
          // Walk up until an ignorer claims an ancestor (or the call itself).
          let ignored = false;
          for (let at: NodePath | null = path; at !== null && !ignored; at = at.parentPath) ignored = ignorers.some((ignorer) => ignorer.shouldIgnore(at!) !== undefined);
          calls.push(`${name}:${path.node.loc!.start.line} ${called} ${ignored ? "variant-only" : "REACHABLE"}`);
        },
      });
    }
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((call) => call.endsWith("REACHABLE"))).toEqual([]);
  });

  it("no port-facing code of impl/ calls the introspection methods", () => {
    const calls: string[] = [];
    for (const { name, source } of IMPL_FILES) {
      traverse(ast(source), {
        CallExpression(path) {
          const callee = path.node.callee;
          if (callee.type === "MemberExpression" && callee.property.type === "Identifier" && INTROSPECTION_METHODS.has(callee.property.name)) calls.push(`${name}:${path.node.loc!.start.line}`);
        },
      });
    }
    expect(calls).toEqual([]);
  });

  it("message helpers and message locals of impl/ reach nothing but the text of verifier findings", () => {
    const isReportCall = (node: NodePath["node"] | undefined, names: readonly string[]) =>
      node?.type === "CallExpression" && node.callee.type === "MemberExpression" && node.callee.property.type === "Identifier" && names.includes(node.callee.property.name);
    /**
     * Whether `path` is inside message text: the second argument of `.report(...)` / `.reportLeaks(...)`,
     * the init of a message local, the body of a message helper, or an element pushed onto a list
     * that is only pushed to and passed as the names of `reportLeaks(ruleId, what, names)` (only the
     * list's length decides whether there is a finding; a pushed element is always one element).
     */
    const inMessage = (path: NodePath): boolean => {
      for (let at: NodePath | null = path; at !== null; at = at.parentPath) {
        const parent = at.parentPath?.node;
        if (parent?.type === "CallExpression" && at.listKey === "arguments" && at.key === 0 && parent.arguments.length === 1 && parent.callee.type === "MemberExpression" && parent.callee.property.type === "Identifier" && parent.callee.property.name === "push" && parent.callee.object.type === "Identifier") {
          const list = at.parentPath!.scope.getBinding(parent.callee.object.name);
          const uses = list?.referencePaths ?? [];
          const onlyLeakNames = uses.length > 0 && uses.every((use) => (use.parentPath?.node.type === "MemberExpression" && isReportCall(use.parentPath.parentPath?.node, ["push"])) || (use.listKey === "arguments" && use.key === 2 && isReportCall(use.parentPath?.node, ["reportLeaks"])));
          if (onlyLeakNames) return true;
        }
        if (parent?.type === "CallExpression" && at.listKey === "arguments" && at.key === 1 && parent.callee.type === "MemberExpression" && parent.callee.property.type === "Identifier" && ["report", "reportLeaks"].includes(parent.callee.property.name)) return true;
        if (at.node.type === "VariableDeclarator" && at.node.id.type === "Identifier" && MESSAGE_LOCALS.has(at.node.id.name) && at.node.init !== null) return true;
        if ((at.node.type === "ClassMethod" || at.node.type === "ClassPrivateMethod") && at.node.key.type === "Identifier" && MESSAGE_HELPERS.has(at.node.key.name)) return true;
      }
      return false;
    };
    const outside: string[] = [];
    let checked = 0;
    for (const { name, source } of IMPL_FILES) {
      traverse(ast(source), {
        VariableDeclarator(path) {
          const id = path.node.id;
          if (id.type !== "Identifier" || !MESSAGE_LOCALS.has(id.name) || path.node.init === null || path.node.init === undefined) return;
          for (const reference of path.scope.getBinding(id.name)?.referencePaths ?? []) {
            checked++;
            if (!inMessage(reference)) outside.push(`${name}:${reference.node.loc!.start.line} ${id.name}`);
          }
        },
        CallExpression(path) {
          const callee = path.node.callee;
          if (callee.type !== "MemberExpression" || callee.property.type !== "Identifier" || !MESSAGE_HELPERS.has(callee.property.name)) return;
          checked++;
          if (!inMessage(path)) outside.push(`${name}:${path.node.loc!.start.line} ${callee.property.name}()`);
        },
      });
    }
    expect(checked).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });

  it("the left operand of every `A && this.bugs.X` in impl/ has no side effect", () => {
    const conjunctions: string[] = [];
    for (const { name, source } of IMPL_FILES) {
      traverse(ast(source), {
        LogicalExpression(path) {
          if (path.node.operator !== "&&" || !requiresBug(path.get("right"))) return;
          let effects = false;
          path.get("left").traverse({
            CallExpression() {
              effects = true;
            },
            AssignmentExpression() {
              effects = true;
            },
            UpdateExpression() {
              effects = true;
            },
          });
          conjunctions.push(`${name}:${path.node.loc!.start.line} ${effects ? "SIDE EFFECT" : "pure"}`);
        },
      });
    }
    expect(conjunctions.length).toBeGreaterThan(0);
    expect(conjunctions.filter((line) => line.endsWith("SIDE EFFECT"))).toEqual([]);
  });

  it("on Stryker's instrumented code, the consequent of a bug-flag condition is ignored also when the condition has mutants", async () => {
    const source = [
      "class E {",
      "  f(a) {",
      "    if (this.bugs.duplicateCompletion) { this.y = a + 1; }",
      "    if (a > 0 && this.bugs.x && this.z === 2) { this.w = a - 1; }",
      "    if (a > 0) { this.v = a * 2; }",
      "    return this.bugs.y ? a + 3 : a - 3;",
      "  }",
      "}",
    ].join("\n");
    const mutants = await instrument("snippet.ts", source);
    const ignored = (text: string) => mutants.filter((mutant) => mutant.text === text).map((mutant) => mutant.ignored);
    // The conditions themselves keep their mutants (`if (true)` runs the variant's code: not equivalent).
    expect(ignored("this.bugs.duplicateCompletion")).toEqual([false, false]);
    expect(ignored("{ this.y = a + 1; }")).toEqual([true]);
    expect(ignored("a + 1")).toEqual([true]);
    expect(ignored("a - 1")).toEqual([true]);
    expect(ignored("a + 3")).toEqual([true]);
    // Code no flag guards keeps every mutant.
    expect(ignored("a > 0 && this.bugs.x && this.z === 2").every((flag) => flag)).toBe(false);
    expect(ignored("{ this.v = a * 2; }")).toEqual([false]);
    expect(ignored("a * 2")).toEqual([false]);
    expect(ignored("a - 3")).toEqual([false]);
  });

  it("on impl/, every mutant Stryker makes inside the consequent of a bug-flag condition is ignored", async () => {
    let consequents = 0;
    const missed: string[] = [];
    for (const { name, source } of IMPL_FILES) {
      const ranges: [number, number][] = [];
      const lineStarts = [0];
      for (let at = source.indexOf("\n"); at >= 0; at = source.indexOf("\n", at + 1)) lineStarts.push(at + 1);
      traverse(ast(source), {
        "IfStatement|ConditionalExpression"(path: NodePath) {
          const node = path.node as { consequent: { start?: number | null; end?: number | null } };
          if (!requiresBug(path.get("test") as NodePath)) return;
          ranges.push([node.consequent.start!, node.consequent.end!]);
        },
      });
      if (ranges.length === 0) continue;
      consequents += ranges.length;
      for (const mutant of await instrument(`impl/${name}`, source)) {
        const offset = lineStarts[mutant.line - 1]! + mutant.column - 1;
        if (!mutant.ignored && ranges.some(([from, to]) => offset >= from && offset < to)) missed.push(`${name}:${mutant.line}:${mutant.column} ${mutant.mutatorName} ${mutant.text}`);
      }
    }
    expect(consequents).toBeGreaterThan(20);
    expect(missed).toEqual([]);
  }, 60_000);
});
