/**
 * Test vectors: generation is deterministic, every line validates against the schema (zod and the
 * committed JSON Schema's generator), the built-in simulator passes every vector, deliberately
 * wrong variants fail some, and the Python runner passes wfp_impl.py and fails wfp_impl_buggy.py.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { MUTANTS } from "../impl/mutants/index.ts";
import { Vector } from "../spec/vectors.ts";
import { generateVectors, replayVector, vectorsFromExamples, EXAMPLES_DIR } from "./vectors.ts";

const root = join(import.meta.dirname, "..");
let lines: string[] = [];

async function generate(): Promise<string[]> {
  const out: string[] = [];
  await generateVectors({ depth: 2, policies: ["immediate", "fifo"], exploration: true, examples: true }, (vector) => out.push(JSON.stringify(vector)));
  return out;
}

beforeAll(async () => {
  lines = await generate();
}, 60_000);

describe("test vectors", () => {
  it("are generated deterministically (two runs give the same lines)", async () => {
    expect(lines.length).toBeGreaterThan(100);
    expect(await generate()).toEqual(lines);
  });

  it("validate against the vector schema, with unique ids", () => {
    const ids = new Set<string>();
    for (const line of lines) {
      const parsed = Vector.safeParse(JSON.parse(line));
      expect(parsed.success, `${line.slice(0, 200)}: ${parsed.success ? "" : JSON.stringify(parsed.error.issues[0])}`).toBe(true);
      ids.add(JSON.parse(line).id);
    }
    expect(ids.size).toBe(lines.length);
  });

  it("come from the examples in which the engine broke no rule, and skip the others", async () => {
    const { vectors, skipped } = await vectorsFromExamples(EXAMPLES_DIR);
    expect(vectors.map((vector) => vector.id)).toContain("example/ok-destroy-waits-for-pending");
    expect(vectors.some((vector) => vector.steps.some((step) => step.kind === "call" && step.expect.kind === "status" && step.expect.mustBlock === true))).toBe(true);
    expect(skipped.map((skip) => skip.file)).toContain("bad-completion--once-per-nbl.jsonl");
    for (const skip of skipped) expect(skip.file).toMatch(/^bad-/);
  });

  it("all pass against the built-in simulator", async () => {
    const verdicts: Record<string, number> = {};
    for (const line of lines) {
      const vector = Vector.parse(JSON.parse(line));
      const outcome = await replayVector(vector, createPort);
      verdicts[outcome.verdict] = (verdicts[outcome.verdict] ?? 0) + 1;
      expect(outcome.verdict === "pass" || outcome.verdict === "diverged", `${vector.id}: ${JSON.stringify(outcome)}`).toBe(true);
    }
    expect(verdicts["pass"]).toBeGreaterThan(lines.length * 0.95);
  });

  it("bite: deliberately wrong variants fail some vectors, with the rule they break", async () => {
    for (const [name, rule] of [
      ["duplicate-completion", "completion/once-per-nbl"],
      ["completion-after-failed-inject", "inject/completion-only-on-success"],
      ["destroy-returns-with-injections-pending", "handle-create/destroy-waits"],
    ] as const) {
      const failures: string[] = [];
      for (const line of lines) {
        const outcome = await replayVector(Vector.parse(JSON.parse(line)), MUTANTS[name]!.createPort);
        if (outcome.verdict === "fail") failures.push(outcome.ruleId);
      }
      expect(failures.length, name).toBeGreaterThan(0);
      expect(failures, name).toContain(rule);
    }
  });

  it("the Python runner passes wfp_impl.py and fails wfp_impl_buggy.py", (context) => {
    const probe = spawnSync("python3", ["--version"]);
    if (probe.error !== undefined) {
      console.warn("python3 is not installed: the Python runner is not tested");
      context.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), "wfp-vectors-"));
    const file = join(dir, "vectors.jsonl");
    writeFileSync(file, lines.join("\n") + "\n");
    const runner = join(root, "examples", "python", "run_vectors.py");
    const good = spawnSync("python3", [runner, file], { encoding: "utf8" });
    expect(good.status, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`^\\d+ vectors passed, 0 failed, \\d+ not applicable`, "m"));
    const buggy = spawnSync("python3", [runner, "--impl", join(root, "examples", "python", "wfp_impl_buggy.py"), file], { encoding: "utf8" });
    expect(buggy.status, buggy.stdout + buggy.stderr).toBe(1);
    expect(buggy.stdout).toMatch(/^FAIL example\/ok-destroy-waits-for-pending step \d+: handle-create\/destroy-waits: /m);
    expect(buggy.stdout).toMatch(/^\d+ vectors passed, [1-9]\d* failed, \d+ not applicable/m);
  });
});
