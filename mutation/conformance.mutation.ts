/**
 * The mutation-testing suite: the conformance properties (properties/runner.ts, the built-in
 * simulator checked event by event against the reference model) over every delivery policy, both
 * completion IRQLs, sequential and scheduled, with fewer runs than properties/conformance.test.ts
 * and pinned seeds, so that StrykerJS can afford to run it against every mutant of impl/.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { DELIVERY_POLICIES } from "../spec/port.ts";
import { formatCounterexample } from "../properties/format.ts";
import { runConformance } from "../properties/runner.ts";

const SEED = 20261122;
const RUNS = Number(process.env["WFP_MUTATION_RUNS"] ?? 10);
const MAX_COMMANDS = 80;

/** Every configuration, each with its own seed so that they explore different sequences. */
const CONFIGURATIONS = DELIVERY_POLICIES.flatMap((policy) =>
  (["DISPATCH_LEVEL", "PASSIVE_LEVEL"] as const).flatMap((completionIrql) => (policy === "immediate" ? [false] : [false, true]).map((scheduled) => ({ policy, completionIrql, scheduled }))),
);

describe("conformance properties (mutation suite)", () => {
  for (const [index, { policy, completionIrql, scheduled }] of CONFIGURATIONS.entries()) {
    {
      {
        it(`${policy} delivery at ${completionIrql}${scheduled ? ", scheduled" : ""}`, async () => {
          const outcome = await runConformance({ factory: createPort, port: { policy, completionIrql }, scheduled, seed: SEED + index, numRuns: RUNS, maxCommands: MAX_COMMANDS, firstFailureOnly: true });
          const message = outcome.counterexample === null ? "" : formatCounterexample(outcome.counterexample, { impl: "builtin", policy, completionIrql, scheduled });
          expect(outcome.ok, message).toBe(true);
        });
      }
    }
  }
});
