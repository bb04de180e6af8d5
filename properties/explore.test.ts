/**
 * Bounded exhaustive exploration: the state key is invariant under renaming and tells different
 * states apart, the search is deterministic, its counterexamples are shortest (none one level
 * shallower) and replay, and it reports an implementation that answers differently on replay.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { MUTANTS } from "../impl/mutants/index.ts";
import { checkTrace } from "../model/index.ts";
import type { TraceEvent } from "../spec/events.ts";
import type { EnginePort, PortOptions } from "../spec/port.ts";
import { DEFAULT_SCOPE } from "./alphabet.ts";
import { explore, replayActions, stateKey, type ReachedState } from "./explore.ts";

/** The trace with every id's number replaced through `renumber` (a bijection per id prefix). */
function renamed(trace: readonly TraceEvent[], renumber: (prefix: string, n: number) => number): TraceEvent[] {
  const text = JSON.stringify(trace).replace(/"(h|nbl|pool|pc|pkt|accepted|sd|ch|ictx|ctx|c)(\d+)(\.nbl\d+)?"/g, (_, prefix: string, n: string, rest: string | undefined) => `"${prefix}${renumber(prefix, Number(n))}${rest ?? ""}"`);
  return JSON.parse(text) as TraceEvent[];
}

async function reachedStates(depth: number): Promise<ReachedState[]> {
  const reached: ReachedState[] = [];
  await explore({ factory: createPort, port: { policy: "fifo" }, depth, onNewState: (state) => reached.push(state) });
  return reached;
}

describe("the state key", () => {
  it("is the same for a state and the same state with its ids renamed", async () => {
    const reached = await reachedStates(3);
    expect(reached.length).toBeGreaterThan(100);
    fc.assert(
      fc.property(fc.constantFrom(...reached), fc.integer({ min: 1, max: 50 }), (state, offset) => {
        // A different number for every id (n -> n + offset, a bijection), so no id keeps its name.
        const original = checkTrace(state.trace).state;
        const other = checkTrace(renamed(state.trace, (_, n) => n + offset)).state;
        expect(stateKey(other)).toBe(stateKey(original));
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it("differs between the distinct states the explorer reached (no two were merged)", async () => {
    const reached = await reachedStates(3);
    const keys = new Set(reached.map((state) => stateKey(checkTrace(state.trace).state)));
    // Each reached state was new when found, so its key was new: as many keys as states.
    expect(keys.size).toBe(reached.length);
    // And a key sees a change as small as one more freed NBL or a stack that is not ready.
    const [first] = reached.filter((state) => state.actions.length === 3);
    const base = checkTrace(first!.trace).state;
    const notReady = checkTrace([...first!.trace, { kind: "tcpipStack", ready: !base.stackReady }]).state;
    expect(stateKey(notReady)).not.toBe(stateKey(base));
  });

  it("includes ids the implementation reused (two canonical ids naming one implementation id)", () => {
    const state = checkTrace([]).state;
    expect(stateKey(state, [["nbl1", "nbl2"]])).not.toBe(stateKey(state));
    expect(stateKey(state, [["nbl1", "nbl2"]])).toBe(stateKey(state, [["nbl5", "nbl9"]]));
  });
});

describe("explore", () => {
  it("passes the built-in simulator and gives the same figures twice", async () => {
    const runs = await Promise.all([0, 1].map(() => explore({ factory: createPort, port: { policy: "immediate" }, depth: 3 })));
    for (const outcome of runs) {
      expect(outcome.ok, outcome.counterexample?.divergence?.model ?? outcome.counterexample?.error ?? "").toBe(true);
      expect(outcome.depthCompleted).toBe(3);
      expect(outcome.sequences).toBeGreaterThan(500);
      expect(outcome.distinctStates).toBeLessThanOrEqual(outcome.states);
    }
    const figures = runs.map(({ states, distinctStates, sequences, levels }) => ({ states, distinctStates, sequences, levels: levels.map(({ sequences: s, newStates }) => [s, newStates]) }));
    expect(figures[1]).toEqual(figures[0]);
  });

  it("finds a mutant at the smallest depth that shows it, with a shortest sequence that replays", async () => {
    const mutant = MUTANTS["verifier-misses-double-free"]!;
    const shallow = await explore({ factory: mutant.createPort, port: { policy: "immediate" }, depth: 3 });
    expect(shallow.ok).toBe(true);
    const deep = await explore({ factory: mutant.createPort, port: { policy: "immediate" }, depth: 4 });
    expect(deep.ok).toBe(false);
    const found = deep.counterexample!;
    expect(found.depth).toBe(4);
    expect(found.actions).toHaveLength(4);
    expect(found.divergence?.ruleIds).toEqual(["nbl/free-once"]);
    const again = await replayActions({ factory: mutant.createPort, port: { policy: "immediate" }, actions: found.actions });
    expect(again.counterexample?.divergence?.ruleIds).toEqual(["nbl/free-once"]);
    const onBuiltin = await replayActions({ factory: createPort, port: { policy: "immediate" }, actions: found.actions });
    expect(onBuiltin.ok).toBe(true);
  });

  it("finds the engine mutants a shallow search can show", async () => {
    for (const [name, depth] of [["create-rejects-af-unspec", 1], ["clone-stream-drops-last-nbl", 2], ["complete-returns-failure", 3], ["duplicate-completion", 4]] as const) {
      const outcome = await explore({ factory: MUTANTS[name]!.createPort, port: { policy: "immediate" }, depth });
      expect(outcome.ok, name).toBe(false);
      expect(outcome.counterexample!.depth, name).toBe(depth);
      expect(outcome.counterexample!.divergence?.kind, name).toBe("engine-violation");
    }
  });

  it("probes every state with the injection-state queries, so hidden injection state is not merged away", async () => {
    // A clone made after an injection, or before it: the same model state, and the mutant answers a
    // query on the clone wrongly only in the first case. Without probing the revisit, the first path
    // is merged into the second and the defect escapes at this depth.
    const outcome = await explore({ factory: MUTANTS["clone-inherits-injection-state"]!.createPort, port: { policy: "immediate" }, depth: 5 });
    expect(outcome.ok).toBe(false);
    const found = outcome.counterexample!;
    expect(found.depth).toBe(6);
    expect(found.divergence?.ruleIds).toEqual(["query/state"]);
    expect(found.actions.at(-1)).toMatchObject({ kind: "call", call: { fn: "FwpsQueryPacketInjectionState0" } });
  });

  it("reports an implementation that answers differently when the same calls are replayed", async () => {
    let instances = 0;
    // Legal either way for the model, but not deterministic: completions come at once on every other instance.
    const flaky = (options: PortOptions): EnginePort => createPort({ ...options, policy: instances++ % 2 === 0 ? "immediate" : "fifo" });
    const outcome = await explore({ factory: flaky, port: { policy: "fifo" }, depth: 5 });
    expect(outcome.ok).toBe(false);
    expect(outcome.counterexample?.divergence?.kind).toBe("port-error");
    expect(outcome.counterexample?.divergence?.implementation).toMatch(/not deterministic/);
  });

  it("sends only calls of the families the implementation implements", async () => {
    const sent = new Set<string>();
    const recording = (options: PortOptions): EnginePort => {
      const port = createPort(options);
      return { ...port, families: ["handles", "nbl"], call: (callId, call) => (sent.add(call.fn), port.call(callId, call)), environment: (event) => port.environment(event), deliver: (max) => port.deliver(max), pendingWork: () => port.pendingWork() };
    };
    const outcome = await explore({ factory: recording, port: { policy: "immediate" }, depth: 3 });
    expect(outcome.ok).toBe(true);
    expect([...sent].sort()).toEqual(
      ["FwpsAllocateCloneNetBufferList0", "FwpsAllocateNetBufferAndNetBufferList0", "FwpsFreeCloneNetBufferList0", "FwpsFreeNetBufferList0", "FwpsInjectionHandleCreate0", "FwpsInjectionHandleDestroy0", "NdisAllocateNetBufferListPool"].filter((fn) => sent.has(fn)),
    );
    expect([...sent].some((fn) => fn.startsWith("FwpsInject") && fn.endsWith("Async0"))).toBe(false);
  });

  it("stops at the time limit and says so", async () => {
    const outcome = await explore({ factory: createPort, depth: 8, timeLimitMs: 200, scope: DEFAULT_SCOPE });
    expect(outcome.interrupted).toBe(true);
    expect(outcome.ok).toBe(true);
    expect(outcome.depthCompleted).toBeLessThan(8);
  });
});
