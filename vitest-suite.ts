/**
 * `import { conformanceSuite } from "wfp-conformance/vitest"`: the conformance suite inside a user's
 * own vitest run. Given a port factory, it declares one test per delivery policy and completion IRQL
 * (sequential and scheduled), failing with the shrunk counterexample as WFP calls, its seed and the
 * command that replays it.
 */
import { describe, expect, it } from "vitest";
import { DELIVERY_POLICIES, type DeliveryPolicy, type PortFactory } from "./spec/port.ts";
import { formatCounterexample } from "./properties/format.ts";
import { runConformance } from "./properties/runner.ts";

/** Settings of `conformanceSuite`. */
export interface SuiteOptions {
  /** Name shown in the test titles. */
  readonly name?: string;
  readonly seed?: number;
  /** Generated runs per configuration (default 100). */
  readonly runs?: number;
  readonly maxCommands?: number;
  readonly policies?: readonly DeliveryPolicy[];
  readonly scheduled?: boolean;
  /** vitest timeout per configuration, in ms (default 120000). */
  readonly timeoutMs?: number;
}

/** Declares the conformance suite for the implementation `factory` creates. */
export function conformanceSuite(factory: PortFactory, options: SuiteOptions = {}): void {
  const name = options.name ?? "implementation";
  const seed = options.seed ?? 1;
  describe(`WFP packet-injection conformance: ${name}`, () => {
    for (const policy of options.policies ?? DELIVERY_POLICIES) {
      for (const completionIrql of ["DISPATCH_LEVEL", "PASSIVE_LEVEL"] as const) {
        for (const scheduled of options.scheduled === false || policy === "immediate" ? [false] : [false, true]) {
          it(`${policy} delivery at ${completionIrql}${scheduled ? ", scheduled" : ""}`, async () => {
            const outcome = await runConformance({ factory, port: { policy, completionIrql }, scheduled, seed, numRuns: options.runs ?? 100, maxCommands: options.maxCommands ?? 80 });
            const message = outcome.counterexample === null ? "" : formatCounterexample(outcome.counterexample, { impl: "<your --impl>", policy, completionIrql, scheduled });
            expect(outcome.ok, message).toBe(true);
          }, options.timeoutMs ?? 120_000);
        }
      }
    }
  });
}
