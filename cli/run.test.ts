/**
 * `wfp-conform run` end to end: the built-in simulator, a mutant, the Python example and its buggy
 * copy over the external-process protocol, and hostile implementations that must each give a
 * specific finding, a finished report and exit 1 or 2, never a hang or a crash.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ReportSchema, type Report } from "../reports/report.ts";
import { memoryIo } from "./io.ts";
import { main } from "./main.ts";

const root = join(import.meta.dirname, "..");
const hostile = join(import.meta.dirname, "fixtures", "hostile.ts");
const broken = join(import.meta.dirname, "fixtures", "broken-process.mjs");
const finding = (report: Report | null) => report!.counterexamples.map((counterexample) => `${counterexample.summary} ${counterexample.implementation}`).join("\n");

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string; dir: string; report: Report | null }> {
  const dir = mkdtempSync(join(tmpdir(), "wfp-run-"));
  const io = memoryIo();
  const code = await main(["run", "--out", join(dir, "out"), "--force", ...argv], io);
  const file = join(dir, "out", "report.json");
  const report = existsSync(file) ? ReportSchema.parse(JSON.parse(readFileSync(file, "utf8"))) : null;
  return { code, out: io.stdout, err: io.stderr, dir: join(dir, "out"), report };
}

afterEach(() => {
  delete process.env["WFP_HOSTILE"];
});

describe("wfp-conform run", () => {
  it("passes the built-in simulator (exit 0) and writes the four reports", async () => {
    const result = await run("--impl", "builtin", "--seed", "1", "--runs", "60");
    expect(result.code, result.out + result.err).toBe(0);
    for (const file of ["report.json", "report.md", "report.xml", "report.html"]) expect(existsSync(join(result.dir, file)), file).toBe(true);
    expect(result.report!.conformant).toBe(true);
    expect(result.report!.counts.failed).toBe(0);
  });

  it("gives the same verdicts for the same seed", async () => {
    const a = await run("--impl", "builtin", "--seed", "7", "--runs", "20", "--policy", "fifo");
    const b = await run("--impl", "builtin", "--seed", "7", "--runs", "20", "--policy", "fifo");
    expect(a.report!.rules).toEqual(b.report!.rules);
  });

  it("fails a mutant (exit 1) with its counterexample as WFP calls and a replay file that replays it", async () => {
    const result = await run("--impl", "builtin:mutant/dispatch-level-inverted", "--runs", "40");
    expect(result.code).toBe(1);
    const counterexample = result.report!.counterexamples[0]!;
    expect(counterexample.ruleIds).toContain("completion/dispatch-level-flag");
    expect(counterexample.calls.join("\n")).toMatch(/FwpsInject\w+Async0\(/);
    const replay = await run("--impl", "builtin:mutant/dispatch-level-inverted", "--replay", join(result.dir, counterexample.replayFile!));
    expect(replay.code).toBe(1);
    expect(replay.report!.counterexamples[0]!.calls).toEqual(counterexample.calls);
  });

  it("reports an expected failure without failing the run, and an expected failure that passes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-expect-"));
    const expectFile = join(dir, "expected.txt");
    (await import("node:fs")).writeFileSync(expectFile, "# known bug\ncompletion/dispatch-level-flag\n");
    const mutant = await run("--impl", "builtin:mutant/dispatch-level-inverted", "--runs", "40", "--policy", "fifo", "--expect", expectFile);
    expect(mutant.code).toBe(0);
    expect(mutant.report!.rules.find((rule) => rule.id === "completion/dispatch-level-flag")!.verdict).toBe("expected-failure");
    const fixed = await run("--impl", "builtin", "--runs", "20", "--policy", "fifo", "--expect", expectFile);
    expect(fixed.code).toBe(1);
    expect(fixed.report!.rules.find((rule) => rule.id === "completion/dispatch-level-flag")!.verdict).toBe("unexpected-pass");
  });

  it("an expected failure does not stop the run: it is judged and listed, and the other bug is still reported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-expect-"));
    const expectFile = join(dir, "expected.txt");
    (await import("node:fs")).writeFileSync(expectFile, "completion/dispatch-level-flag\n");
    const result = await run("--impl", join(import.meta.dirname, "fixtures", "two-bugs.ts"), "--runs", "40", "--policy", "fifo", "--no-scheduled", "--expect", expectFile);
    expect(result.code).toBe(1);
    const verdict = (id: string) => result.report!.rules.find((rule) => rule.id === id)!.verdict;
    expect(verdict("completion/dispatch-level-flag")).toBe("expected-failure");
    expect(verdict("resources/exhausted")).toBe("failed");
    expect(result.report!.counterexamples.map((counterexample) => counterexample.ruleIds[0])).toEqual(["completion/dispatch-level-flag", "resources/exhausted"]);
    expect(result.out).toMatch(/runs? hit it/);
  });

  it("rejects an expectations file naming an unknown rule, with file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-expect-"));
    const expectFile = join(dir, "expected.txt");
    (await import("node:fs")).writeFileSync(expectFile, "inject/irql\nno-such/rule\n");
    const result = await run("--expect", expectFile);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${expectFile}:2: "no-such/rule" is not a rule id`);
  });

  it("splits runs into shards that merge back into one report", async () => {
    const one = await run("--impl", "builtin", "--runs", "36", "--shard", "1/2");
    const two = await run("--impl", "builtin", "--runs", "36", "--shard", "2/2");
    const io = memoryIo();
    const merged = mkdtempSync(join(tmpdir(), "wfp-merged-"));
    expect(await main(["report", "merge", "--out", merged, one.dir, two.dir], io)).toBe(0);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(merged, "report.json"), "utf8")));
    expect(report.counts.runs).toBe(one.report!.counts.runs + two.report!.counts.runs);
  });

  it("never overwrites an existing report unless asked", async () => {
    const first = await run("--impl", "builtin", "--runs", "5", "--policy", "fifo");
    const io = memoryIo();
    expect(await main(["run", "--out", first.dir, "--runs", "5"], io)).toBe(2);
    expect(io.stderr).toMatch(/exists; pass --force/);
  });

  it("stops cleanly at the time limit and reports what was covered", async () => {
    const result = await run("--impl", "builtin", "--runs", "100000", "--time-limit", "2");
    expect([0, 1], result.err + JSON.stringify(result.report?.counterexamples.map((counterexample) => [counterexample.summary, counterexample.implementation.slice(0, 400)]))).toContain(result.code);
    expect(result.report!.interrupted).toBe(true);
    expect(result.report!.timings.seconds).toBeLessThan(20);
  });
});

describe("the Python example over the external-process protocol", () => {
  it("passes the suite", async () => {
    const result = await run("--impl-cmd", `python3 ${join(root, "examples/python/wfp_impl.py")}`, "--runs", "40", "--seed", "1");
    expect(result.code, result.out + result.err).toBe(0);
  });

  it("fails its buggy copy with a clear counterexample", async () => {
    const result = await run("--impl-cmd", `python3 ${join(root, "examples/python/wfp_impl_buggy.py")}`, "--runs", "60", "--seed", "1");
    expect(result.code).toBe(1);
    expect(result.report!.counterexamples.flatMap((counterexample) => counterexample.ruleIds)).toContain("handle-create/destroy-waits");
  });
});

describe("runs that survive a failing implementation", () => {
  it("a failed scheduled configuration leaves nothing behind for the next: exit 1 and a complete report", async () => {
    const result = await run("--impl-cmd", `python3 ${join(root, "examples/python/wfp_impl_buggy.py")}`, "--scheduled-only", "--seed", "1");
    expect(result.code, finding(result.report)).toBe(1);
    expect(result.report!.adapterError).toBe(false);
    expect(result.report!.counterexamples.map((counterexample) => counterexample.kind)).not.toContain("error");
    expect(result.report!.counterexamples.flatMap((counterexample) => counterexample.ruleIds)).toContain("handle-create/destroy-waits");
  });

  it("a handshake with a wrong field: exit 2, the field and the stderr tail on stderr and in the report", async () => {
    const result = await run("--impl-cmd", `node ${broken} bad-hello`, "--runs", "2");
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/field `families.1`.*its stderr ended with: .*no such family 'sockets'/);
    expect(result.report!.adapterError).toBe(true);
    expect(finding(result.report)).toMatch(/field `families.1`/);
  });
});

describe("hostile implementations", () => {
  const inProcess = async (mode: string, ...extra: string[]) => {
    process.env["WFP_HOSTILE"] = mode;
    return run("--impl", hostile, "--runs", "20", "--policy", "fifo", "--irql", "DISPATCH_LEVEL", "--no-scheduled", ...extra);
  };
  const external = (mode: string) => run("--impl-cmd", `node ${broken} ${mode}`, "--runs", "5", "--policy", "fifo", "--irql", "DISPATCH_LEVEL", "--no-scheduled", "--call-timeout", "1000");

  it("a call that throws: exit 2, naming the call", async () => {
    const result = await inProcess("throws");
    expect(result.code).toBe(2);
    expect(finding(result.report)).toMatch(/FwpsAllocateNetBufferAndNetBufferList0 threw: simulated crash/);
  });

  it("a call that never returns: exit 2 after the per-call timeout", async () => {
    const result = await inProcess("hangs", "--call-timeout", "300");
    expect(result.code).toBe(2);
    expect(finding(result.report)).toMatch(/did not return within 300 ms/);
  });

  it("a result of the wrong shape: exit 2, naming the field", async () => {
    const result = await inProcess("wrong-shape");
    expect(result.code).toBe(2);
    expect(finding(result.report)).toMatch(/FwpsInjectionHandleCreate0 threw: returned a result of the wrong shape: field `ret.status`/);
  });

  it("a completion for an NBL never injected: exit 1 under inject/completion-only-on-success", async () => {
    const result = await inProcess("completion-never-injected");
    expect(result.code).toBe(1);
    expect(result.report!.counterexamples[0]!.ruleIds).toContain("inject/completion-only-on-success");
  });

  it("a completion delivered twice: exit 1 under completion/once-per-nbl", async () => {
    const result = await inProcess("completion-twice");
    expect(result.code).toBe(1);
    expect(result.report!.counterexamples[0]!.ruleIds).toContain("completion/once-per-nbl");
  });

  it("a completion after destroy returned: exit 1", async () => {
    const result = await run("--impl", "builtin:mutant/completion-after-destroy-returned", "--runs", "150", "--policy", "fifo", "--no-scheduled");
    expect(result.code).toBe(1);
    expect(result.report!.counterexamples.flatMap((counterexample) => counterexample.ruleIds).some((id) => id === "handle-destroy/no-completion-after-return" || id === "handle-create/destroy-waits")).toBe(true);
  });

  it("a completion storm: exit 2", async () => {
    const result = await inProcess("storm");
    expect(result.code).toBe(2);
    expect(finding(result.report)).toMatch(/completion storm/);
  });

  for (const [mode, pattern] of [
    ["exits", /exited \(code 3\)/],
    ["not-json", /not JSON/],
    ["wrong-id", /answered request \d+, but request \d+/],
    ["silent", /did not answer \w+ \(request \d+\) within 1000 ms/],
    ["bad-step", /the result has the wrong shape: field `(events|count)`/],
  ] as const) {
    it(`an external process that ${mode}: exit 2 with a finished report`, async () => {
      const result = await external(mode);
      expect(result.code, result.err).toBe(2);
      expect(finding(result.report)).toMatch(pattern);
    });
  }

  it("a command that cannot start: exit 2", async () => {
    const result = await run("--impl-cmd", "/nonexistent/engine --serve", "--runs", "2");
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/could not be started/);
  });
});
