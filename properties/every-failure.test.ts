/**
 * One run reports every rule an implementation breaks, each once with its own shrunk counterexample
 * and the number of runs that hit it; a shrunk counterexample breaks the rule it is about and
 * commits no caller misuse the run it was shrunk from did not; the same seed gives the same result.
 */
import { describe, expect, it } from "vitest";
import { createVariantPort } from "../impl/port-adapter.ts";
import { step, initialState } from "../model/index.ts";
import { ruleById } from "../spec/rules.ts";
import type { TraceEvent } from "../spec/events.ts";
import type { PortFactory } from "../spec/port.ts";
import { runConformance } from "./runner.ts";

/** Two independent engine bugs: the completion's dispatchLevel flag is inverted, and allocation ignores exhausted resources. */
const twoBugs: PortFactory = (options) => createVariantPort(options, { name: "two-bugs", bugs: { dispatchLevelInverted: true, allocateIgnoresExhaustion: true } });

/** The rules the model says `trace` breaks, and the caller misuse in it. */
function judge(trace: readonly TraceEvent[]): { engine: Set<string>; misuse: Set<string> } {
  let state = initialState({ platform: "x64" });
  const engine = new Set<string>();
  const misuse = new Set<string>();
  trace.forEach((event, position) => {
    const result = step(state, event, position);
    state = result.state;
    for (const violation of result.violations) {
      if (violation.party !== "caller") engine.add(violation.ruleId);
      else if (["misuse", "fatal"].includes(ruleById(violation.ruleId)?.outcome ?? "")) misuse.add(violation.ruleId);
    }
  });
  return { engine, misuse };
}

describe("every deviation in one run", () => {
  const run = () => runConformance({ factory: twoBugs, port: { policy: "fifo" }, seed: 3, numRuns: 40, maxCommands: 60 });

  it("reports both bugs of an implementation with two, each once, with how many runs hit it", async () => {
    const outcome = await run();
    const failures = outcome.counterexamples.map((counterexample) => counterexample.failure);
    expect(failures).toContain("completion/dispatch-level-flag");
    expect(failures).toContain("resources/exhausted");
    expect(new Set(failures).size).toBe(failures.length);
    for (const counterexample of outcome.counterexamples) {
      expect(counterexample.hits, counterexample.failure).toBe(outcome.hits.get(counterexample.failure));
      expect(counterexample.hits).toBeGreaterThanOrEqual(1);
      expect(counterexample.hits).toBeLessThanOrEqual(outcome.runs);
    }
    expect(outcome.runs).toBe(40);
  });

  it("shrinks each to a run that breaks that same rule, without caller misuse the original did not have", async () => {
    const outcome = await run();
    for (const counterexample of outcome.counterexamples) {
      const { engine, misuse } = judge(counterexample.trace);
      expect(engine.has(counterexample.failure), `${counterexample.failure}: ${[...engine].join(", ")}`).toBe(true);
      expect(counterexample.divergence?.ruleIds).toContain(counterexample.failure);
      // Neither rule is about misuse, and a run without misuse hits each of them: the counterexamples have none.
      expect([...misuse], counterexample.failure).toEqual([]);
      expect(counterexample.trace.length).toBeLessThan(25);
    }
  });

  it("gives the same counterexamples and counts for the same seed", async () => {
    const [a, b] = [await run(), await run()];
    expect(a.counterexamples.map((counterexample) => [counterexample.failure, counterexample.path, counterexample.hits, counterexample.trace])).toEqual(b.counterexamples.map((counterexample) => [counterexample.failure, counterexample.path, counterexample.hits, counterexample.trace]));
  });

  it("with firstFailureOnly, stops at the first failing run", async () => {
    const outcome = await runConformance({ factory: twoBugs, port: { policy: "fifo" }, seed: 3, numRuns: 40, maxCommands: 60, firstFailureOnly: true });
    expect(outcome.ok).toBe(false);
    expect(outcome.runs).toBeLessThan(40);
  });
});
