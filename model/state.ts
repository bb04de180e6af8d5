/**
 * The state of the reference model: what the documentation says exists at a point of a run, as
 * immutable records. Every step builds a new state from the old one; the tables are persistent maps
 * (model/persistent-map.ts), so that building it shares what did not change and costs O(log n)
 * rather than a copy of every table.
 */
import type { Platform } from "../spec/vocabulary.ts";
import { PersistentMap } from "./persistent-map.ts";

export { PersistentMap };
/** A set of strings, as a persistent map to `true`. */
export type PersistentSet = PersistentMap<true>;

/** open → closing (a destroy waits) → destroyed (the destroy returned). */
export type HandleState = "open" | "closing" | "destroyed";

/** An injection handle. */
export interface InjectionHandle {
  readonly id: string;
  /** The id and the creation it came from (`h1#3`): an id reused after a destroy names a new handle (decision ids/reused-after-free). */
  readonly key: string;
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
  /** The key of the handle (InjectionHandle.key): tells a reused handle id from the handle injected through. */
  readonly handleKey: string;
  readonly injectionContext: string | null;
}

/** The successful injections of an NBL, newest first (a list that shares its tail with the NBL's earlier records). */
export interface InjectionHistory {
  readonly mark: InjectionMark;
  readonly previous: InjectionHistory | null;
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
  /** Every successful injection of this NBL, newest first; null if it was never injected successfully. */
  readonly injections: InjectionHistory | null;
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
  /** The key of the handle (InjectionHandle.key). */
  readonly handleKey: string;
  /** Accepted through a dead handle (misuse with no documented reply): its completions are accepted but never owed. */
  readonly unjudged: boolean;
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
  /** RECV_ACCEPT only: the clone of the packet the driver injected successfully, if any. */
  readonly reinjectedClone: string | null;
  /** RECV_ACCEPT only: whether the pend was completed, and with which NBL (null for NULL). */
  readonly completedWith: { readonly netBufferList: string | null } | null;
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
  readonly handles: PersistentMap<InjectionHandle>;
  /** Every NBL introduced, freed ones included (a freed id is remembered to tell "freed" from "never introduced"). */
  readonly nbls: PersistentMap<NetBufferList>;
  readonly pools: PersistentMap<{ readonly id: string; readonly live: boolean }>;
  readonly injections: PersistentMap<PendingInjection>;
  readonly streamData: PersistentMap<StreamData>;
  readonly chains: PersistentMap<ClonedChain>;
  readonly completionHandles: PersistentMap<CompletionHandle>;
  readonly pends: PersistentMap<Pend>;
  /** Per flowId: whether its most recent indication carried FWPS_STREAM_FLAG_SEND_ABORT. */
  readonly abortedFlows: PersistentSet;
  readonly blockedDestroys: PersistentMap<BlockedDestroy>;
  /** Call ids whose blocked call has returned (a second return is a violation). */
  readonly returnedCalls: PersistentSet;
  /** Counter for injection ids. */
  readonly injectionCount: number;
  /** The position of the call that bug-checked the machine (the run ended there), or null. */
  readonly bugCheckedAt: number | null;
  /** Counter of successful handle creations (the serial in InjectionHandle.key). */
  readonly handleCount: number;
  readonly unloaded: boolean;
  // Indexes: what a scan of the tables above would find, kept up to date by every step (see step.ts).
  /** NBL id -> the pending injections that owe its completion, oldest first. */
  readonly owedBy: PersistentMap<readonly string[]>;
  /** Handle id -> completions owed for injections through it. */
  readonly owedThrough: PersistentMap<number>;
  /** NBL id -> how many live (not freed) NBLs name it as their parent. */
  readonly liveClones: PersistentMap<number>;
  /** Members of a cloned chain (JSON of the id list) -> the newest chain with exactly those members. */
  readonly chainByMembers: PersistentMap<string>;
  /** Packet NBL id of a RECV_ACCEPT classify -> its completion handle (to pair the reinjected clone with the completion). */
  readonly recvAcceptByPacket: PersistentMap<string>;
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
    handles: PersistentMap.empty(),
    nbls: PersistentMap.empty(),
    pools: PersistentMap.empty(),
    injections: PersistentMap.empty(),
    streamData: PersistentMap.empty(),
    chains: PersistentMap.empty(),
    completionHandles: PersistentMap.empty(),
    pends: PersistentMap.empty(),
    abortedFlows: PersistentMap.empty(),
    blockedDestroys: PersistentMap.empty(),
    returnedCalls: PersistentMap.empty(),
    injectionCount: 0,
    bugCheckedAt: null,
    handleCount: 0,
    unloaded: false,
    owedBy: PersistentMap.empty(),
    owedThrough: PersistentMap.empty(),
    liveClones: PersistentMap.empty(),
    chainByMembers: PersistentMap.empty(),
    recvAcceptByPacket: PersistentMap.empty(),
  };
}

/**
 * `state` with some fields replaced. Written out field by field: V8 copies an object spread
 * (`{ ...state, nbls }`) an order of magnitude more slowly, and a step builds several states.
 */
export function updated(state: ModelState, changes: Partial<ModelState>): ModelState {
  return {
    platform: changes.platform ?? state.platform,
    stackReady: changes.stackReady ?? state.stackReady,
    resourcesExhausted: changes.resourcesExhausted ?? state.resourcesExhausted,
    handles: changes.handles ?? state.handles,
    nbls: changes.nbls ?? state.nbls,
    pools: changes.pools ?? state.pools,
    injections: changes.injections ?? state.injections,
    streamData: changes.streamData ?? state.streamData,
    chains: changes.chains ?? state.chains,
    completionHandles: changes.completionHandles ?? state.completionHandles,
    pends: changes.pends ?? state.pends,
    abortedFlows: changes.abortedFlows ?? state.abortedFlows,
    blockedDestroys: changes.blockedDestroys ?? state.blockedDestroys,
    returnedCalls: changes.returnedCalls ?? state.returnedCalls,
    injectionCount: changes.injectionCount ?? state.injectionCount,
    bugCheckedAt: changes.bugCheckedAt !== undefined ? changes.bugCheckedAt : state.bugCheckedAt,
    handleCount: changes.handleCount ?? state.handleCount,
    unloaded: changes.unloaded ?? state.unloaded,
    owedBy: changes.owedBy ?? state.owedBy,
    owedThrough: changes.owedThrough ?? state.owedThrough,
    liveClones: changes.liveClones ?? state.liveClones,
    chainByMembers: changes.chainByMembers ?? state.chainByMembers,
    recvAcceptByPacket: changes.recvAcceptByPacket ?? state.recvAcceptByPacket,
  };
}

/** `nbl` with some fields replaced (field by field, as `updated`). */
export function nblWith(nbl: NetBufferList, changes: Partial<NetBufferList>): NetBufferList {
  return {
    id: nbl.id,
    origin: changes.origin ?? nbl.origin,
    netBufferCount: changes.netBufferCount ?? nbl.netBufferCount,
    parent: changes.parent !== undefined ? changes.parent : nbl.parent,
    chain: changes.chain !== undefined ? changes.chain : nbl.chain,
    freed: changes.freed ?? nbl.freed,
    inFlight: changes.inFlight !== undefined ? changes.inFlight : nbl.inFlight,
    injections: changes.injections !== undefined ? changes.injections : nbl.injections,
    lastInjectFailed: changes.lastInjectFailed ?? nbl.lastInjectFailed,
    completed: changes.completed ?? nbl.completed,
    forwardInjected: changes.forwardInjected ?? nbl.forwardInjected,
    streamInjected: changes.streamInjected ?? nbl.streamInjected,
  };
}

/** The state with the record of one NBL replaced (or added), and the live-clone counts it changes. */
export function withNbl(state: ModelState, nbl: NetBufferList): ModelState {
  const before = state.nbls.get(nbl.id);
  const wasLiveClone = before !== undefined && !before.freed && before.parent !== null;
  const isLiveClone = !nbl.freed && nbl.parent !== null;
  let liveClones = state.liveClones;
  if (wasLiveClone && !(isLiveClone && before.parent === nbl.parent)) liveClones = addCount(liveClones, before.parent!, -1);
  if (isLiveClone && !(wasLiveClone && before.parent === nbl.parent)) liveClones = addCount(liveClones, nbl.parent!, +1);
  return updated(state, { nbls: state.nbls.set(nbl.id, nbl), liveClones });
}

/** `counts` with `delta` added to the count of `key` (a count of zero is no entry). */
function addCount(counts: PersistentMap<number>, key: string, delta: number): PersistentMap<number> {
  const next = (counts.get(key) ?? 0) + delta;
  return next === 0 ? counts.delete(key) : counts.set(key, next);
}

/** The marks of an NBL's successful injections, oldest first. */
export function injectionMarks(nbl: NetBufferList): InjectionMark[] {
  const marks: InjectionMark[] = [];
  for (let entry = nbl.injections; entry !== null; entry = entry.previous) marks.push(entry.mark);
  return marks.reverse();
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
    injections: null,
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
      injectedThrough: injectionMarks(nbl).map((mark) => mark.handle),
    })),
    pools: [...state.pools.values()],
    chains: [...state.chains.values()].map(({ id, members, discarded, streamData }) => ({ id, members, discarded, streamData })),
    streamData: [...state.streamData.values()].map(({ id, dataLength, flowId }) => ({ id, dataLength, flowId })),
    completionHandles: [...state.completionHandles.values()].map(({ id, pended, netBufferList, layerId, reauthorization }) => ({ id, pended, netBufferList, layerId, reauthorization })),
    pends: [...state.pends.values()],
  };
}
