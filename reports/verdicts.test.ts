/**
 * The verdict of each rule: an expected failure that is met is an expected failure, one that is
 * exercised and never broken is an unexpected pass, and one never exercised is "not exercised" (it
 * says nothing either way); shard reports merge into one counterexample per rule, runs summed.
 */
import { describe, expect, it } from "vitest";
import { assembleReport, failureCounterexample, mergeReports, type CounterexampleReport, type ReportParts } from "./report.ts";

const settings = { seed: 1, runs: 1, maxCommands: 1, policy: "fifo", completionIrql: "DISPATCH_LEVEL", scheduled: false, shard: null, timeLimitSeconds: null, callTimeoutMs: 5000 };
const parts = (overrides: Partial<ReportParts>): ReportParts => ({
  implementation: "test",
  families: ["handles", "network", "transport", "forward", "stream", "nbl", "pend", "query"],
  verifier: false,
  settings,
  expectedFailures: [],
  coverage: new Map(),
  counterexamples: [],
  runs: 1,
  interrupted: false,
  startedAt: "2026-01-01T00:00:00.000Z",
  seconds: 1,
  ...overrides,
});
const broken = (ruleId: string, hits: number): CounterexampleReport => ({ ...failureCounterexample("x", "y", "replay"), ruleIds: [ruleId], kind: "engine-violation", hits });

describe("rule verdicts", () => {
  it("an expected rule: expected failure when broken, unexpected pass when exercised, not exercised otherwise", () => {
    const expectedFailures = ["completion/context", "completion/irql", "pend/recv-accept-reinject"];
    const report = assembleReport(parts({ expectedFailures, coverage: new Map([["completion/irql", 3], ["completion/context", 2]]), counterexamples: [broken("completion/context", 2)] }));
    const verdict = (id: string) => report.rules.find((rule) => rule.id === id)!.verdict;
    expect(verdict("completion/context")).toBe("expected-failure");
    expect(verdict("completion/irql")).toBe("unexpected-pass");
    expect(verdict("pend/recv-accept-reinject")).toBe("not-exercised");
    expect(report.conformant).toBe(false);
  });

  it("an expected rule never exercised does not make the run fail", () => {
    const report = assembleReport(parts({ expectedFailures: ["pend/recv-accept-reinject"] }));
    expect(report.conformant).toBe(true);
  });

  it("merged shards list each failing rule once, with the runs of every shard that hit it", () => {
    const one = assembleReport(parts({ counterexamples: [broken("completion/context", 2)] }));
    const two = assembleReport(parts({ counterexamples: [broken("completion/context", 5), broken("completion/irql", 1)] }));
    const merged = mergeReports([one, two]);
    expect(merged.counterexamples.map((counterexample) => [counterexample.ruleIds, counterexample.hits])).toEqual([
      [["completion/context"], 7],
      [["completion/irql"], 1],
    ]);
  });
});
