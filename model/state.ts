/**
 * The state of the reference model: what the documentation says exists at a point of a run, as
 * immutable records. Nothing here is optimised; every step builds a new state from the old one.
 */
import type { Platform } from "../spec/vocabulary.ts";

/** open → closing (a destroy waits) → destroyed (the destroy returned). */
export type HandleState = "open" | "closing" | "destroyed";

/** An injection handle. */
export interface InjectionHandle {
  readonly id: string;
  readonly addressFamily: string;
  /** The FWPS_INJECTION_TYPE_* names it was created with; empty for flags = 0. */
  readonly types: readonly string[];
  readonly state: HandleState;
}

/** Where an NBL came from; decides which free function takes it and what may inject it. */
export type NblOrigin = "allocated" | "clone" | "streamClone" | "indicated";

/** One successful injection of an NBL: through which handle, and with which injectionContext. */
export interface InjectionMark {
  readonly handle: string;
  readonly injectionContext: string | null;
}

/** A NET_BUFFER_LIST. */
export interface NetBufferList {
  readonly id: string;
  readonly origin: NblOrigin;
  readonly netBufferCount: number;
  /** The NBL this one was cloned from (FwpsAllocateCloneNetBufferList0), if any. */
  readonly parent: string | null;
  /** The FwpsCloneStreamData0 chain it belongs to, if any. */
  readonly chain: string | null;
  readonly freed: boolean;
  /** The injection waiting for this NBL's completion, if it is in flight. */
  readonly inFlight: string | null;
  /** Every successful injection of this NBL, oldest first. */
  readonly injections: readonly InjectionMark[];
  /** Whether its most recent inject call failed (ownership stayed with the caller). */
  readonly lastInjectFailed: boolean;
  /** Whether a completion has come for one of its injections. */
  readonly completed: boolean;
  /** Whether it was passed to FwpsInjectForwardAsync0 or FwpsStreamInjectAsync0 successfully (F2, S9). */
  readonly forwardInjected: boolean;
  readonly streamInjected: boolean;
}

/** A successful inject call and the completions it still owes. */
export interface PendingInjection {
  readonly id: string;
  readonly fn: string;
  readonly handle: string;
  readonly completionContext: string | null;
  readonly nbls: readonly string[];
  /** NBLs whose completion has not come yet. */
  readonly owed: readonly string[];
  /** Whether a missing completion was already reported at engineIdle (reported once). */
  readonly reportedMissing: boolean;
}

/** Stream data indicated to the callout (FWPS_STREAM_DATA0). */
export interface StreamData {
  readonly id: string;
  readonly layerId: string;
  readonly flowId: string;
  readonly chain: readonly string[];
  readonly dataLength: number;
}

/** A chain returned by FwpsCloneStreamData0. */
export interface ClonedChain {
  readonly id: string;
  readonly streamData: string;
  readonly members: readonly string[];
  readonly discarded: boolean;
}

/** A completion handle from an ALE classify's metadata. */
export interface CompletionHandle {
  readonly id: string;
  readonly layerId: string;
  readonly reauthorization: boolean;
  /** The packet indicated with the classify (the one a RECV_ACCEPT callout clones). */
  readonly netBufferList: string | null;
  readonly pended: boolean;
}

/** A successful FwpsPendOperation0. */
export interface Pend {
  readonly completionContext: string;
  readonly completionHandle: string;
  readonly completed: boolean;
}

/** A destroy call that has not returned. */
export interface BlockedDestroy {
  readonly callId: string;
  /** The handle it closes, or null when the destroy was misuse (its return changes nothing). */
  readonly handle: string | null;
  readonly reportedMissing: boolean;
}

/** Everything the model knows at one point of a run. */
export interface ModelState {
  readonly platform: Platform;
  readonly stackReady: boolean;
  readonly resourcesExhausted: boolean;
  readonly handles: ReadonlyMap<string, InjectionHandle>;
  readonly nbls: ReadonlyMap<string, NetBufferList>;
  readonly pools: ReadonlyMap<string, { readonly id: string; readonly live: boolean }>;
  readonly injections: ReadonlyMap<string, PendingInjection>;
  readonly streamData: ReadonlyMap<string, StreamData>;
  readonly chains: ReadonlyMap<string, ClonedChain>;
  readonly completionHandles: ReadonlyMap<string, CompletionHandle>;
  readonly pends: ReadonlyMap<string, Pend>;
  /** Per flowId: whether its most recent indication carried FWPS_STREAM_FLAG_SEND_ABORT. */
  readonly abortedFlows: ReadonlySet<string>;
  readonly blockedDestroys: ReadonlyMap<string, BlockedDestroy>;
  /** Call ids whose blocked call has returned (a second return is a violation). */
  readonly returnedCalls: ReadonlySet<string>;
  /** Counter for injection ids. */
  readonly injectionCount: number;
  readonly unloaded: boolean;
}

/** Settings of a model run. */
export interface ModelOptions {
  readonly platform?: Platform;
}

/** The state at the start of a run: the stack ready, resources available, nothing created. */
export function initialState(options: ModelOptions = {}): ModelState {
  return {
    platform: options.platform ?? "x64",
    stackReady: true,
    resourcesExhausted: false,
    handles: new Map(),
    nbls: new Map(),
    pools: new Map(),
    injections: new Map(),
    streamData: new Map(),
    chains: new Map(),
    completionHandles: new Map(),
    pends: new Map(),
    abortedFlows: new Set(),
    blockedDestroys: new Map(),
    returnedCalls: new Set(),
    injectionCount: 0,
    unloaded: false,
  };
}

/** A copy of `map` with `key` set to `value`. */
export function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.set(key, value);
  return next;
}

/** A copy of `map` without `key`. */
export function withoutEntry<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.delete(key);
  return next;
}

/** A fresh NBL record. */
export function newNbl(id: string, origin: NblOrigin, netBufferCount: number, parent: string | null = null, chain: string | null = null): NetBufferList {
  return {
    id,
    origin,
    netBufferCount,
    parent,
    chain,
    freed: false,
    inFlight: null,
    injections: [],
    lastInjectFailed: false,
    completed: false,
    forwardInjected: false,
    streamInjected: false,
  };
}

// -------------------------------------------------------------------------------------------------
// The view: what exists now, as plain lists, for harnesses that pick operands among live objects.
// -------------------------------------------------------------------------------------------------

/** What a harness needs to know about the objects of a run. */
export interface ModelView {
  readonly stackReady: boolean;
  readonly resourcesExhausted: boolean;
  readonly handles: readonly { readonly id: string; readonly state: HandleState; readonly types: readonly string[]; readonly addressFamily: string }[];
  readonly nbls: readonly {
    readonly id: string;
    /** owned by the driver, inFlight (owned by the engine until its completion), stack (indicated), or freed. */
    readonly status: "owned" | "inFlight" | "stack" | "freed";
    readonly origin: NblOrigin;
    readonly completed: boolean;
    readonly netBufferCount: number;
    /** The NBL it was cloned from, if any. */
    readonly parent: string | null;
    /** The handles of its successful injections, oldest first. */
    readonly injectedThrough: readonly string[];
  }[];
  readonly pools: readonly { readonly id: string; readonly live: boolean }[];
  readonly chains: readonly { readonly id: string; readonly members: readonly string[]; readonly discarded: boolean; readonly streamData: string }[];
  readonly streamData: readonly { readonly id: string; readonly dataLength: number; readonly flowId: string }[];
  readonly completionHandles: readonly { readonly id: string; readonly pended: boolean; readonly netBufferList: string | null; readonly layerId: string; readonly reauthorization: boolean }[];
  readonly pends: readonly { readonly completionContext: string; readonly completionHandle: string; readonly completed: boolean }[];
}

/** The objects of a state, as lists in creation order. */
export function describe(state: ModelState): ModelView {
  return {
    stackReady: state.stackReady,
    resourcesExhausted: state.resourcesExhausted,
    handles: [...state.handles.values()].map(({ id, state: handleState, types, addressFamily }) => ({ id, state: handleState, types, addressFamily })),
    nbls: [...state.nbls.values()].map((nbl) => ({
      id: nbl.id,
      status: nbl.freed ? "freed" : nbl.inFlight !== null ? "inFlight" : nbl.origin === "indicated" ? "stack" : "owned",
      origin: nbl.origin,
      completed: nbl.completed,
      netBufferCount: nbl.netBufferCount,
      parent: nbl.parent,
      injectedThrough: nbl.injections.map((mark) => mark.handle),
    })),
    pools: [...state.pools.values()],
    chains: [...state.chains.values()].map(({ id, members, discarded, streamData }) => ({ id, members, discarded, streamData })),
    streamData: [...state.streamData.values()].map(({ id, dataLength, flowId }) => ({ id, dataLength, flowId })),
    completionHandles: [...state.completionHandles.values()].map(({ id, pended, netBufferList, layerId, reauthorization }) => ({ id, pended, netBufferList, layerId, reauthorization })),
    pends: [...state.pends.values()],
  };
}
