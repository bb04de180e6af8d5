/**
 * Every deliberately wrong implementation of the mutant catalogue is detected by the default suite,
 * for five different seeds. For each mutant the test records the median number of generated runs to
 * the first failure and the median length of the shrunk counterexample, and prints the table.
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MUTANTS } from "../impl/mutants/index.ts";
import { DELIVERY_POLICIES } from "../spec/port.ts";
import { runConformance, type ConformanceOutcome } from "./runner.ts";

const SEEDS = [1, 2, 3, 4, 5];
const RUNS = 150;

/** The default suite's configurations, in the order it runs them. */
const CONFIGURATIONS = DELIVERY_POLICIES.flatMap((policy) =>
  (["DISPATCH_LEVEL", "PASSIVE_LEVEL"] as const).flatMap((completionIrql) => [
    { policy, completionIrql, scheduled: false },
    ...(policy === "immediate" ? [] : [{ policy, completionIrql, scheduled: true }]),
  ]),
);

/** Runs the default suite against a factory until the first failure; the runs it took and the failure. */
async function firstFailure(factory: Parameters<typeof runConformance>[0]["factory"], seed: number): Promise<{ runs: number; outcome: ConformanceOutcome | null }> {
  let runs = 0;
  for (const [index, configuration] of CONFIGURATIONS.entries()) {
    const outcome = await runConformance({ factory, port: { policy: configuration.policy, completionIrql: configuration.completionIrql }, scheduled: configuration.scheduled, seed: seed * 1000 + index, numRuns: RUNS, maxCommands: 80, firstFailureOnly: true });
    if (!outcome.ok) return { runs: runs + (outcome.counterexample?.runsToFailure ?? outcome.runs), outcome };
    runs += outcome.runs;
  }
  return { runs, outcome: null };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const table: string[] = [];

describe("the mutant catalogue", () => {
  it("has at least 30 mutants, each with a description and the rules it breaks", () => {
    expect(Object.keys(MUTANTS).length).toBeGreaterThanOrEqual(30);
    for (const [name, mutant] of Object.entries(MUTANTS)) {
      expect(mutant.description.length, name).toBeGreaterThan(10);
      expect(mutant.rules.length, name).toBeGreaterThan(0);
    }
  });

  for (const [name, mutant] of Object.entries(MUTANTS)) {
    it(`detects ${name} for 5 seeds`, async () => {
      const runsToFailure: number[] = [];
      const lengths: number[] = [];
      const caughtBy = new Set<string>();
      for (const seed of SEEDS) {
        const { runs, outcome } = await firstFailure(mutant.createPort, seed);
        expect(outcome, `${name} was not detected with seed ${seed} after ${runs} runs`).not.toBeNull();
        runsToFailure.push(runs);
        lengths.push(outcome!.counterexample!.trace.length);
        for (const id of outcome!.counterexample!.divergence?.ruleIds ?? []) caughtBy.add(id);
      }
      table.push(`| ${name} | ${median(runsToFailure)} | ${median(lengths)} | ${[...caughtBy].sort().join(", ")} |`);
    });
  }

  it("prints the detection table", () => {
    const text = ["| mutant | median runs to first failure | median shrunk length (events) | rules in the counterexamples |", "|---|---:|---:|---|", ...table.sort()].join("\n");
    console.log(text);
    if (process.env["WFP_MUTANT_TABLE"] !== undefined) writeFileSync(process.env["WFP_MUTANT_TABLE"], text + "\n");
    expect(table.length).toBe(Object.keys(MUTANTS).length);
  });
});
