/**
 * The throughput workload: it does what it says (one completion per cycle, no verifier finding for
 * a well-behaved driver), and its cost per operation does not grow with the number of live objects.
 */
import { describe, expect, it } from "vitest";
import { runMixedWorkload } from "./bench-workload.ts";
import { DELIVERY_POLICIES } from "../spec/port.ts";

describe("the mixed workload", () => {
  it("runs whole cycles of allocate, inject, deliver, query, free without findings", () => {
    const result = runMixedWorkload(50_003, 1_000);
    expect(result.operations).toBe(50_000);
    expect(result.completions).toBe(10_000);
    expect(result.findings).toBe(0);
    expect(result.liveObjects).toBe(1_000);
    expect(result.elapsedNs).toBeGreaterThan(0);
  });

  it("runs under every delivery policy", () => {
    for (const policy of DELIVERY_POLICIES) {
      const result = runMixedWorkload(5_000, 100, { policy });
      expect(result.completions, policy).toBe(1_000);
      expect(result.findings, policy).toBe(0);
    }
  });

  it("costs about the same per operation with 1,000 and 200,000 live objects", () => {
    const best = (live: number) => Math.min(...[0, 1, 2].map(() => runMixedWorkload(500_000, live).elapsedNs));
    runMixedWorkload(500_000, 1_000); // warm-up
    const small = best(1_000);
    const large = best(200_000);
    // Generous: cache effects may cost something, an O(n) step would cost orders of magnitude.
    expect(large / small).toBeLessThan(4);
  });
});
