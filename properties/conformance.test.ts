/**
 * The conformance suite against the built-in simulator: generated runs under every completion
 * delivery policy and both completion IRQLs, sequential and scheduled, and the rule coverage they
 * reach. Seeds are pinned so that CI is deterministic; a failure prints the shrunk run as WFP calls,
 * its seed and path, and the command that replays it.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { RULES } from "../spec/rules.ts";
import { DELIVERY_POLICIES } from "../spec/port.ts";
import { formatCounterexample } from "./format.ts";
import { runConformance, type ConformanceOutcome } from "./runner.ts";

const SEED = Number(process.env["WFP_SEED"] ?? 20261122);
const RUNS = Number(process.env["WFP_RUNS"] ?? 150);
const coverage = new Map<string, number>();

function explain(outcome: ConformanceOutcome, policy: string, completionIrql: string, scheduled: boolean): string {
  if (outcome.counterexample === null) return "";
  return formatCounterexample(outcome.counterexample, { impl: "builtin", policy, completionIrql, scheduled });
}

describe("the built-in simulator conforms to the model", () => {
  for (const policy of DELIVERY_POLICIES) {
    for (const completionIrql of ["DISPATCH_LEVEL", "PASSIVE_LEVEL"] as const) {
      it(`sequential runs, ${policy} delivery at ${completionIrql}`, async () => {
        const outcome = await runConformance({ factory: createPort, port: { policy, completionIrql }, seed: SEED, numRuns: RUNS, maxCommands: 80, coverage });
        expect(outcome.ok, explain(outcome, policy, completionIrql, false)).toBe(true);
      });
    }
    if (policy !== "immediate") {
      it(`scheduled runs (a scheduler interleaves deliveries with calls), ${policy} delivery`, async () => {
        const outcome = await runConformance({ factory: createPort, port: { policy }, seed: SEED + 1, numRuns: RUNS, maxCommands: 80, scheduled: true, coverage });
        expect(outcome.ok, explain(outcome, policy, "DISPATCH_LEVEL", true)).toBe(true);
      });
    }
  }

  it("the runs above exercise every modelled rule of the catalogue", () => {
    // A bug check ends a trace; the port has no way for an implementation to report one, so only
    // traces exercise this rule (examples/traces/bad-bug-check--caused-by-misuse.jsonl).
    const traceOnly = ["bug-check/caused-by-misuse"];
    const modelled = RULES.filter((rule) => rule.modelled && !traceOnly.includes(rule.id)).map((rule) => rule.id);
    const missing = modelled.filter((id) => (coverage.get(id) ?? 0) === 0);
    const table = [...coverage.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, count]) => `${id.padEnd(48)} ${count}`).join("\n");
    console.log(`rule coverage of the default conformance runs (${coverage.size} rules):\n${table}`);
    expect(missing, `modelled rules no generated run exercised:\n  ${missing.join("\n  ")}`).toEqual([]);
  });

});
