/**
 * The mutation-testing suite, exhaustive part: every sequence of up to 4 actions over the default
 * scope (properties/explore.ts), under a queuing and the immediate policy, against the built-in
 * simulator. Generated runs are long and random; this is short and complete, and reaches every
 * documented misuse and failure status in every small state (what most surviving mutants of the
 * inject-failure and query code need).
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { explore } from "../properties/explore.ts";

const DEPTH = Number(process.env["WFP_MUTATION_EXPLORE_DEPTH"] ?? 3);

describe("bounded exhaustive exploration (mutation suite)", () => {
  for (const [policy, completionIrql] of [["fifo", "DISPATCH_LEVEL"], ["immediate", "PASSIVE_LEVEL"]] as const) {
    it(`every sequence up to ${DEPTH} actions, ${policy} delivery at ${completionIrql}`, async () => {
      const outcome = await explore({ factory: createPort, port: { policy, completionIrql }, depth: DEPTH });
      const found = outcome.counterexample;
      expect(outcome.ok, found === null ? "" : `${found.divergence?.kind ?? "error"} ${found.divergence?.ruleIds.join(", ") ?? ""}: ${found.divergence?.model ?? found.error}`).toBe(true);
    });
  }

  it("the built-in simulator declares its verifier and every API family", () => {
    const port = createPort({ policy: "fifo", completionIrql: "DISPATCH_LEVEL", seed: 1, batchSize: 2, platform: "x64" });
    expect(port.verifier).toBe(true);
    expect([...port.families].sort()).toEqual(["forward", "handles", "nbl", "network", "pend", "query", "stream", "transport"]);
  });
});
