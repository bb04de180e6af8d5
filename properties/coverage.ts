/**
 * Coverage of the state dimensions in which engine bugs hide (issue 13, item 8): every valid IRQL of
 * each call, NULL / shared / distinct completion contexts, many live handles of every type and
 * address family, many injections outstanding at once, long stream chains completed NBL by NBL,
 * data-less disconnects and aborts, every answer of the injection-state query (also of clones and
 * after completions), clones of clones, reused ids, long runs.
 *
 * `DimensionCoverage.record` reads the trace of one finished run, steps the reference model over it
 * again (so that what counts is what the model says, e.g. which answer a query was owed, not what
 * the implementation answered) and keeps, per item, a count or the largest value reached. A run's
 * features depend only on its trace, so the figures are deterministic under the seed.
 */
import { expectedResult, initialState, step, type ModelState } from "../model/index.ts";
import type { CallEvent, TraceEvent } from "../spec/events.ts";
import type { Platform } from "../spec/vocabulary.ts";
import { DIMENSIONS, QUERY_ANSWERS, type DimensionId } from "./dimensions.ts";

export { DIMENSIONS, type DimensionId } from "./dimensions.ts";

/** One item of a dimension as reported: what was reached against the goal. */
export interface DimensionItemReport {
  readonly item: string;
  /** A count of occurrences, or the largest value reached (`measure`). */
  readonly reached: number;
  readonly goal: number;
  readonly measure: "count" | "max";
  readonly met: boolean;
}

/** One dimension as reported. */
export interface DimensionReport {
  readonly id: DimensionId;
  readonly title: string;
  readonly met: number;
  readonly items: DimensionItemReport[];
}

const INJECT_FNS = new Set(["FwpsInjectNetworkSendAsync0", "FwpsInjectNetworkReceiveAsync0", "FwpsInjectTransportSendAsync0", "FwpsInjectTransportReceiveAsync0", "FwpsInjectForwardAsync0", "FwpsStreamInjectAsync0"]);
const NETWORK = "FWPS_INJECTION_TYPE_NETWORK";
const SUCCESS = "STATUS_SUCCESS";

/** Whether a handle of `types` may be used for injections of `type` (flags 0: every type but network). */
function fits(types: readonly string[], type: string): boolean {
  return types.length === 0 ? type !== NETWORK : types.includes(type);
}

/** Completions still owed in `state`. */
function owedCompletions(state: ModelState): number {
  let owed = 0;
  for (const injection of state.injections.values()) owed += injection.owed.length;
  return owed;
}

/** How many clone generations separate `id` from an NBL that is not a clone. */
function cloneDepth(state: ModelState, id: string): number {
  let depth = 0;
  for (let nbl = state.nbls.get(id); nbl?.parent != null && depth < 64; nbl = state.nbls.get(nbl.parent)) depth += 1;
  return depth;
}

/** Per-item figures accumulated over the runs of a conformance run (one map per dimension item). */
export class DimensionCoverage {
  private readonly values = new Map<string, number>();

  private count(dimension: DimensionId, item: string, by = 1): void {
    const key = `${dimension}\u0000${item}`;
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  private max(dimension: DimensionId, item: string, value: number): void {
    const key = `${dimension}\u0000${item}`;
    if (value > (this.values.get(key) ?? 0)) this.values.set(key, value);
  }

  /** The figure of one item so far. */
  value(dimension: DimensionId, item: string): number {
    return this.values.get(`${dimension}\u0000${item}`) ?? 0;
  }

  /** Adds the figures of another accumulator (shards, parallel workers). */
  merge(other: DimensionCoverage): void {
    for (const dimension of DIMENSIONS) {
      for (const item of dimension.items) {
        const value = other.value(dimension.id, item.item);
        if (item.measure === "count") this.count(dimension.id, item.item, value);
        else this.max(dimension.id, item.item, value);
      }
    }
  }

  /** Reads one finished run: its trace and the number of generated operations it applied. */
  record(trace: readonly TraceEvent[], operations: number, platform: Platform = "x64"): void {
    this.max("run-length", "operations in one run", operations);
    if (operations >= 200) this.count("run-length", "runs of 200 operations or more");
    let state = initialState({ platform });
    const seenFlows = new Set<string>();
    // Stream injections of a chain that succeeded: the NBLs whose completion is still awaited.
    const chains: { readonly length: number; readonly waiting: Set<string> }[] = [];
    // Completion contexts of the injections still owed, with how many injections use each.
    const liveContexts = new Map<string, number>();
    const contextOf = new Map<string, string>();
    trace.forEach((event, position) => {
      const before = state;
      if (event.kind === "call" && event.fn === "FwpsQueryPacketInjectionState0") this.recordQuery(before, event);
      const result = step(before, event, position + 1);
      state = result.state;
      if (event.kind === "call") {
        const misusedIrql = result.violations.some((violation) => violation.party === "caller" && violation.ruleId.endsWith("/irql"));
        if (!misusedIrql && event.irql !== "DIRQL") this.count("irql", `${event.fn} at ${event.irql}`);
        this.recordCall(before, state, event, { chains, liveContexts, contextOf });
      } else if (event.kind === "completion") {
        this.count("irql", `completionFn at ${event.irql}`);
        if (event.netBufferList !== null) {
          for (const chain of chains) {
            if (chain.waiting.delete(event.netBufferList) && chain.waiting.size === 0) {
              this.max("chains", "longest chain completed NBL by NBL", chain.length);
              if (chain.length >= 2) this.count("chains", "chains of 2 or more completed NBL by NBL");
            }
          }
          const context = contextOf.get(event.netBufferList);
          if (context !== undefined) {
            if ((liveContexts.get(context) ?? 0) > 1) this.count("contexts", "completion while its context is shared");
            const left = (liveContexts.get(context) ?? 1) - 1;
            if (left <= 0) liveContexts.delete(context);
            else liveContexts.set(context, left);
            contextOf.delete(event.netBufferList);
          }
        }
        this.max("outstanding", "completions owed at once", owedCompletions(before));
      } else if (event.kind === "streamIndicated") {
        if (event.streamFlags.some((flag) => flag.endsWith("_ABORT"))) this.count("stream-ends", "abort indicated");
        if (seenFlows.has(event.flowId)) this.count("reused-ids", "flow id indicated again");
        seenFlows.add(event.flowId);
      } else if (event.kind === "packetIndicated") {
        if (before.nbls.get(event.netBufferList)?.freed === true) this.count("reused-ids", "packet indicated at a freed NBL's id");
      }
    });
  }

  private recordQuery(state: ModelState, event: Extract<CallEvent, { fn: "FwpsQueryPacketInjectionState0" }>): void {
    const expectation = expectedResult(state, event);
    if (expectation.kind !== "injectionState" || expectation.injectionState === null) return;
    const answer = expectation.injectionState.replace(/^FWPS_PACKET_/, "");
    const nbl = event.args.netBufferList === null ? undefined : state.nbls.get(event.args.netBufferList);
    if (nbl === undefined || nbl.freed) return;
    this.count("query", answer);
    const depth = cloneDepth(state, nbl.id);
    if (depth >= 1) this.count("query", `${answer} of a clone`);
    if (depth >= 2) this.count("query", `${answer} of a clone of a clone`);
    // After a completion: the queried NBL, or an NBL it was cloned from, has had an injection completed.
    let completed = false;
    for (let current: typeof nbl | undefined = nbl, hops = 0; current !== undefined && hops < 64; current = current.parent === null ? undefined : state.nbls.get(current.parent), hops++) completed ||= current.completed;
    if (completed) this.count("query", `${answer} after a completion`);
  }

  private recordCall(
    before: ModelState,
    after: ModelState,
    event: CallEvent,
    runState: { chains: { length: number; waiting: Set<string> }[]; liveContexts: Map<string, number>; contextOf: Map<string, string> },
  ): void {
    const ret = event.ret as Record<string, unknown> | undefined;
    const status = ret?.["status"];
    if (event.fn === "FwpsInjectionHandleCreate0" && status === SUCCESS) {
      const open = [...after.handles.values()].filter((handle) => handle.state === "open");
      for (const type of ["FWPS_INJECTION_TYPE_NETWORK", "FWPS_INJECTION_TYPE_TRANSPORT", "FWPS_INJECTION_TYPE_STREAM", "FWPS_INJECTION_TYPE_FORWARD"]) {
        this.max("live-handles", type.replace("FWPS_INJECTION_TYPE_", ""), open.filter((handle) => fits(handle.types, type)).length);
      }
      for (const family of ["AF_INET", "AF_INET6", "AF_UNSPEC"]) this.max("live-handles", family, open.filter((handle) => handle.addressFamily === family).length);
    }
    if (event.fn === "FwpsAllocateCloneNetBufferList0" && status === SUCCESS) {
      const id = ret?.["netBufferList"];
      if (typeof id === "string") this.max("clones", "clone generations (a clone of a clone is 2)", cloneDepth(after, id));
    }
    if (INJECT_FNS.has(event.fn)) {
      const args = event.args as { readonly completionContext?: string | null; readonly netBufferList?: string | readonly string[] | null; readonly streamFlags?: readonly string[] };
      if (status === SUCCESS) {
        const nbls = args.netBufferList === null || args.netBufferList === undefined ? [] : typeof args.netBufferList === "string" ? [args.netBufferList] : [...args.netBufferList];
        const context = args.completionContext ?? null;
        if (context === null) this.count("contexts", "NULL completionContext");
        else if ((runState.liveContexts.get(context) ?? 0) > 0) this.count("contexts", "completionContext shared with an owed injection");
        else this.count("contexts", "distinct completionContext");
        if (context !== null && nbls.length > 0) {
          runState.liveContexts.set(context, (runState.liveContexts.get(context) ?? 0) + nbls.length);
          for (const id of nbls) runState.contextOf.set(id, context);
        }
        if (event.fn === "FwpsStreamInjectAsync0" && nbls.length === 0) {
          const flags = args.streamFlags ?? [];
          if (flags.includes("FWPS_STREAM_FLAG_SEND_DISCONNECT")) this.count("stream-ends", "send disconnect without data");
          if (flags.includes("FWPS_STREAM_FLAG_RECEIVE_DISCONNECT")) this.count("stream-ends", "receive disconnect without data");
        }
        if (event.fn === "FwpsStreamInjectAsync0" && nbls.length > 0) runState.chains.push({ length: nbls.length, waiting: new Set(nbls) });
        this.max("outstanding", "completions owed at once", owedCompletions(after));
      }
    }
    // A driver call naming a handle or NBL that no longer exists: a stale id used again.
    const args = event.args as Record<string, unknown>;
    const handle = args["injectionHandle"];
    if (typeof handle === "string" && before.handles.get(handle)?.state === "destroyed") this.count("reused-ids", "destroyed handle id used");
    const nbl = args["netBufferList"];
    if (typeof nbl === "string" && before.nbls.get(nbl)?.freed === true) this.count("reused-ids", "freed NBL id used");
  }

  /** Every dimension with its items' figures against their goals. */
  summary(): DimensionReport[] {
    return DIMENSIONS.map((dimension) => {
      const items = dimension.items.map((item) => {
        const reached = this.value(dimension.id, item.item);
        return { item: item.item, reached, goal: item.goal, measure: item.measure, met: reached >= item.goal };
      });
      return { id: dimension.id, title: dimension.title, met: items.filter((item) => item.met).length, items };
    });
  }
}

export { QUERY_ANSWERS };
