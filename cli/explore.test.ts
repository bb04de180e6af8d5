/**
 * `wfp-conform explore` end to end: the figures it prints with --json, the four reports, a mutant's
 * shortest counterexample saved as a replay file that `--replay` runs again, and bad input that
 * gets exit 2 with a message naming what was wrong.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReportSchema } from "../reports/report.ts";
import { memoryIo } from "./io.ts";
import { main } from "./main.ts";

async function explore(...argv: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "wfp-explore-"));
  const out = join(dir, "out");
  const io = memoryIo();
  const code = await main(["explore", "--out", out, ...argv], io);
  return { code, out, stdout: io.stdout, stderr: io.stderr, dir };
}

describe("wfp-conform explore", () => {
  it("prints the figures as one JSON object and writes the four reports", async () => {
    const result = await explore("--impl", "builtin", "--depth", "3", "--policy", "immediate,fifo", "--json");
    expect(result.code, result.stderr).toBe(0);
    const figures = JSON.parse(result.stdout) as Record<string, unknown>;
    for (const key of ["states", "distinctStates", "sequences", "statesPerSec", "seconds"]) expect(typeof figures[key], key).toBe("number");
    expect(figures["sequences"]).toBeGreaterThan(1000);
    expect(figures["conformant"]).toBe(true);
    for (const file of ["report.json", "report.md", "report.xml", "report.html"]) expect(existsSync(join(result.out, file)), file).toBe(true);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(result.out, "report.json"), "utf8")));
    expect(report.exploration?.depth).toBe(3);
    expect(report.exploration?.configurations.map((entry) => entry.configuration.policy)).toEqual(["immediate", "fifo"]);
    expect(report.exploration?.sequences).toBe(figures["sequences"]);
  });

  it("saves a mutant's shortest counterexample, which --replay runs again (and passes on the real engine)", async () => {
    const found = await explore("--impl", "builtin:mutant/verifier-misses-partial-discard", "--depth", "4", "--policy", "fifo");
    expect(found.code, found.stderr).toBe(1);
    expect(found.stdout).toContain("discard/whole-chain");
    expect(found.stdout).toMatch(/Found by bounded exhaustive exploration/);
    const saved = readdirSync(join(found.out, "counterexamples"));
    expect(saved).toHaveLength(1);
    const file = join(found.out, "counterexamples", saved[0]!);
    const replay = JSON.parse(readFileSync(file, "utf8")) as { actions: unknown[]; calls: string[] };
    expect(replay.actions).toHaveLength(3);
    const again = await explore("--impl", "builtin:mutant/verifier-misses-partial-discard", "--replay", file);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toContain("discard/whole-chain");
    const real = await explore("--impl", "builtin", "--replay", file);
    expect(real.code, real.stdout + real.stderr).toBe(0);
  });

  it("gives the same figures and the same shortest counterexample with worker threads as without", async () => {
    const figures = async (...argv: string[]) => {
      const result = await explore("--depth", "3", "--policy", "fifo", "--json", "--force", ...argv);
      const parsed = JSON.parse(result.stdout) as { states: number; distinctStates: number; sequences: number; counterexamples: { ruleIds: string[] }[]; configurations: { divergenceAtDepth: number | null }[] };
      return { code: result.code, states: parsed.states, distinctStates: parsed.distinctStates, sequences: parsed.sequences, rules: parsed.counterexamples.map((counterexample) => counterexample.ruleIds), depth: parsed.configurations[0]!.divergenceAtDepth };
    };
    const sequential = await figures("--workers", "1");
    const parallel = await figures("--workers", "2");
    expect(sequential.code).toBe(0);
    expect(parallel).toEqual(sequential);
    const mutant = ["--impl", "builtin:mutant/verifier-misses-partial-discard"];
    const mutantSequential = await figures(...mutant, "--workers", "1");
    const mutantParallel = await figures(...mutant, "--workers", "2");
    expect(mutantSequential.code).toBe(1);
    expect(mutantParallel.rules).toEqual(mutantSequential.rules);
    expect(mutantParallel.depth).toBe(mutantSequential.depth);
  });

  it("refuses bad options and bad replay files with exit 2 and a message naming the problem", async () => {
    const depth = await explore("--depth", "six");
    expect(depth.code).toBe(2);
    expect(depth.stderr).toMatch(/--depth must be a non-negative integer, not "six"/);
    const policy = await explore("--policy", "fifo,sometimes");
    expect(policy.code).toBe(2);
    expect(policy.stderr).toMatch(/--policy .* not "sometimes"/);

    const dir = mkdtempSync(join(tmpdir(), "wfp-explore-bad-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ tool: "wfp-conformance-explore-replay", version: 2, toolVersion: "0.1.0", implementation: "x", configuration: { policy: "fifo", completionIrql: "DISPATCH_LEVEL" }, ruleIds: [], actions: [{ kind: "call", call: { fn: "FwpsInjectionHandleCreate0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { addressFamily: 4 } } }], calls: [] }));
    const replay = await explore("--replay", bad);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain(bad);
    expect(replay.stderr).toMatch(/actions\.0\.call\.args/);
    writeFileSync(bad, "{ not json");
    const unreadable = await explore("--replay", bad);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/not a readable JSON replay file/);
  });

  it("keeps an existing report unless --force", async () => {
    const first = await explore("--depth", "1");
    expect(first.code).toBe(0);
    const io = memoryIo();
    const code = await main(["explore", "--out", first.out, "--depth", "1"], io);
    expect(code).toBe(2);
    expect(io.stderr).toMatch(/exists; pass --force/);
  });

  it("an explore worker that exits: exit 2, a report, and a finding that says which worker exited", async () => {
    const hostile = join(import.meta.dirname, "fixtures", "hostile.ts");
    process.env["WFP_HOSTILE"] = "worker-exits";
    try {
      const result = await explore("--impl", hostile, "--depth", "3", "--policy", "fifo", "--irql", "DISPATCH_LEVEL", "--workers", "2");
      expect(result.code, result.stderr).toBe(2);
      const report = ReportSchema.parse(JSON.parse(readFileSync(join(result.out, "report.json"), "utf8")));
      expect(report.adapterError).toBe(true);
      expect(report.counterexamples[0]!.implementation).toMatch(/explore worker [12] exited \(code 7\)/);
    } finally {
      delete process.env["WFP_HOSTILE"];
    }
  });
});
