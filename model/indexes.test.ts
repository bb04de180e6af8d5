/**
 * The model's indexes (model/state.ts: owedBy, owedThrough, liveClones, chainByMembers) against the
 * scans of the tables they replace, after every step of generated traces: a step costs O(log n)
 * instead of a scan, and answers the same.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { traceArbitrary } from "./arbitraries.ts";
import { initialState, step, type ModelState } from "./index.ts";

const SEED = Number(process.env["WFP_SEED"] ?? 20261123);

/** What each index must hold, computed by scanning the tables. */
function scanned(state: ModelState) {
  const injections = [...state.injections.values()];
  const owedBy = new Map<string, string[]>();
  for (const injection of injections) for (const id of new Set(injection.owed)) owedBy.set(id, [...(owedBy.get(id) ?? []), injection.id]);
  const owedThrough = new Map<string, number>();
  for (const injection of injections) if (injection.owed.length > 0 && !injection.unjudged) owedThrough.set(injection.handle, (owedThrough.get(injection.handle) ?? 0) + injection.owed.length);
  const liveClones = new Map<string, number>();
  for (const nbl of state.nbls.values()) if (!nbl.freed && nbl.parent !== null) liveClones.set(nbl.parent, (liveClones.get(nbl.parent) ?? 0) + 1);
  const chainByMembers = new Map<string, string>();
  for (const chain of state.chains.values()) if (!chainByMembers.has(JSON.stringify(chain.members))) chainByMembers.set(JSON.stringify(chain.members), chain.id);
  return { owedBy, owedThrough, liveClones, chainByMembers };
}

const sorted = <V>(entries: Iterable<[string, V]>) => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe("the model's indexes", () => {
  it("equal the scans they replace, after every step", () => {
    let steps = 0;
    const nonEmpty = { owedBy: 0, liveClones: 0, chainByMembers: 0 };
    fc.assert(
      fc.property(traceArbitrary(60), (events) => {
        let state = initialState();
        events.forEach((event, index) => {
          state = step(state, event, index + 1).state;
          const expected = scanned(state);
          expect(sorted(state.owedBy.entries())).toEqual(sorted(expected.owedBy.entries()));
          expect(sorted(state.owedThrough.entries())).toEqual(sorted(expected.owedThrough.entries()));
          expect(sorted(state.liveClones.entries())).toEqual(sorted(expected.liveClones.entries()));
          expect(sorted(state.chainByMembers.entries())).toEqual(sorted(expected.chainByMembers.entries()));
          steps += 1;
          if (state.owedBy.size > 0) nonEmpty.owedBy += 1;
          if (state.liveClones.size > 0) nonEmpty.liveClones += 1;
          if (state.chainByMembers.size > 0) nonEmpty.chainByMembers += 1;
        });
      }),
      { seed: SEED, numRuns: 500 },
    );
    // The generated traces reach states where every index holds something.
    expect(steps).toBeGreaterThan(1000);
    expect(nonEmpty.owedBy).toBeGreaterThan(0);
    expect(nonEmpty.liveClones).toBeGreaterThan(0);
    expect(nonEmpty.chainByMembers).toBeGreaterThan(0);
  });
});
