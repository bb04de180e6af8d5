/**
 * Properties of the reference model itself, over generated event sequences, valid and not.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../spec/events.ts";
import { RULES } from "../spec/rules.ts";
import { traceArbitrary, unrelatedBlock } from "./arbitraries.ts";
import { checkTrace, initialState, obligations, step, type ModelState } from "./index.ts";

const SEED = Number(process.env["WFP_SEED"] ?? 20261123);
const traces = traceArbitrary(40);

/** Runs `visit` on each step of `events` with the state before it. */
function walk(events: readonly TraceEvent[], visit: (before: ModelState, event: TraceEvent, result: ReturnType<typeof step>) => void): void {
  let state = initialState();
  events.forEach((event, index) => {
    const result = step(state, event, index + 1);
    visit(state, event, result);
    state = result.state;
  });
}

describe("the reference model", () => {
  it("never throws and never reports an error of its own, whatever the events", () => {
    fc.assert(
      fc.property(traces, (events) => {
        const result = checkTrace(events);
        expect(result.violations.filter((violation) => violation.party === "model")).toEqual([]);
        for (const violation of result.violations) expect(RULES.some((rule) => rule.id === violation.ruleId)).toBe(true);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("does not mutate the state it is given", () => {
    fc.assert(
      fc.property(traces, (events) => {
        walk(events, (before, event) => {
          const snapshot = JSON.stringify([...before.nbls.entries(), ...before.injections.entries(), ...before.handles.entries()]);
          step(before, event, 1);
          expect(JSON.stringify([...before.nbls.entries(), ...before.injections.entries(), ...before.handles.entries()])).toBe(snapshot);
        });
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("never lets a destroy return while an injection through that handle is pending", () => {
    let reached = 0;
    fc.assert(
      fc.property(traces, (events) => {
        walk(events, (before, event, result) => {
          const owed = obligations(before).completions;
          let returningHandle: string | null = null;
          if (event.kind === "call" && event.fn === "FwpsInjectionHandleDestroy0" && event.ret !== undefined && event.args.injectionHandle !== null) {
            if (before.handles.get(event.args.injectionHandle)?.state === "open") returningHandle = event.args.injectionHandle;
          }
          if (event.kind === "return") returningHandle = before.blockedDestroys.get(event.callId)?.handle ?? null;
          if (returningHandle !== null && owed.some((completion) => completion.injectionHandle === returningHandle)) {
            reached += 1;
            expect(result.violations.map((violation) => violation.ruleId)).toContain("handle-create/destroy-waits");
          }
        });
      }),
      { seed: SEED, numRuns: 1000 },
    );
    // The property is only worth something if generated runs reach the premise.
    expect(reached).toBeGreaterThan(10);
  });

  it("never accepts a completion that is not owed (two completions of one NBL included)", () => {
    let secondCompletions = 0;
    fc.assert(
      fc.property(traces, (events) => {
        walk(events, (before, event, result) => {
          if (event.kind !== "completion") return;
          // Owed, or accepted from an injection through a dead handle (misuse: nothing owed, a completion accepted).
          const owed =
            obligations(before).completions.some((completion) => completion.netBufferList === event.netBufferList) ||
            [...before.injections.values()].some((injection) => injection.unjudged && event.netBufferList !== null && injection.owed.includes(event.netBufferList));
          const engineViolations = result.violations.filter((violation) => violation.party === "engine");
          if (!owed) expect(engineViolations.length).toBeGreaterThan(0);
          if (!owed && event.netBufferList !== null && before.nbls.get(event.netBufferList)?.completed === true) secondCompletions += 1;
        });
      }),
      { seed: SEED, numRuns: 1000 },
    );
    expect(secondCompletions).toBeGreaterThan(10);
  });

  it("rejects the second completion of an injected NBL in a conforming trace", () => {
    const block = unrelatedBlock("1");
    const completion = block[4]!;
    const twice = [...block.slice(0, 5), completion, ...block.slice(5)];
    const ids = checkTrace(twice).violations.map((violation) => `${violation.position}:${violation.ruleId}`);
    expect(checkTrace(block).violations).toEqual([]);
    expect(ids).toEqual(["6:completion/once-per-nbl"]);
  });

  it("gives the same verdicts when unrelated, conforming events are interleaved", () => {
    fc.assert(
      fc.property(traces, fc.array(fc.nat(), { maxLength: 4 }), (events, insertAt) => {
        const alone = checkTrace(events).violations.map((violation) => `${violation.position}:${violation.ruleId}`);
        // Insert self-contained blocks at the chosen points, remembering where each original event went.
        const merged: TraceEvent[] = [];
        const positionOf: number[] = [];
        const cuts = insertAt.map((n) => n % (events.length + 1));
        events.forEach((event, index) => {
          cuts.forEach((cut, block) => {
            if (cut === index) merged.push(...unrelatedBlock(String(block)));
          });
          merged.push(event);
          positionOf.push(merged.length);
        });
        cuts.forEach((cut, block) => {
          if (cut === events.length) merged.push(...unrelatedBlock(String(block)));
        });
        const original = new Map(positionOf.map((position, index) => [position, index + 1]));
        const together = checkTrace(merged)
          .violations.filter((violation) => original.has(violation.position))
          .map((violation) => `${original.get(violation.position)}:${violation.ruleId}`);
        expect(together).toEqual(alone);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("names every modelled rule of the catalogue in its code, and only rules of the catalogue", () => {
    const source = ["step.ts", "judge.ts"].map((file) => readFileSync(new URL(file, import.meta.url), "utf8")).join("\n");
    const named = new Set([...source.matchAll(/"([a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*)"/g)].map((match) => match[1]!));
    const modelled = RULES.filter((rule) => rule.modelled).map((rule) => rule.id);
    expect(modelled.filter((id) => !named.has(id)), "modelled rules the model never checks").toEqual([]);
    const unmodelled = RULES.filter((rule) => !rule.modelled).map((rule) => rule.id);
    expect(unmodelled.filter((id) => named.has(id)), "rules marked not modelled that the model checks").toEqual([]);
  });
});
