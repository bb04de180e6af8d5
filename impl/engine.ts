/**
 * The built-in filter-engine simulator: an optimized, table-driven implementation of the WFP
 * packet-injection API (injection handles, NBL pools, allocation and cloning, the inject
 * functions with their completion callbacks, stream cloning, pend/complete, the injection-state
 * query), with the Driver-Verifier-like caller checks of verifier.ts woven into each call.
 *
 * Objects live in integer-indexed tables (typed arrays, grown geometrically) with free lists.
 * An object's reference (`ref`) is `generation * SLOT_SPACE + slot`: a freed slot is reused with a
 * new generation, so an old ref is recognised as "freed" and a ref the engine never gave out as
 * "never introduced", without any per-object map. Every call is O(1) in the number of live objects
 * (a stream call is linear in its own chain; the query walks the NBL's own clone ancestry).
 *
 * Caller misuse with no documented status is answered as a real engine plausibly would: a call
 * that names an object the engine cannot use (dead handle, freed or unknown NBL, pool, stream data
 * or completion handle, an NBL still in flight) fails; other misuse (wrong IRQL, non-zero reserved
 * flags, a wrong handle type for a transport/forward/stream call, ...) proceeds.
 *
 * This file knows nothing of the port types; impl/port-adapter.ts translates.
 */
import { INJECT_FUNCTIONS, MEMORY_ALLOCATION_ALIGNMENT, PENDABLE_LAYERS, STREAM_FLAGS } from "../spec/vocabulary.ts";
import { CompletionBag, CompletionDeque, mulberry32 } from "./queue.ts";
import { CALLER_RULE as R, Verifier } from "./verifier.ts";

// ---------------------------------------------------------------------------------------------
// Codes of the direct API.
// ---------------------------------------------------------------------------------------------

/** IRQL codes, lowest first. */
export const IRQL = { PASSIVE_LEVEL: 0, APC_LEVEL: 1, DISPATCH_LEVEL: 2, DIRQL: 3 } as const;
export const IRQL_NAMES = ["PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL", "DIRQL"] as const;
export type IrqlCode = (typeof IRQL)[keyof typeof IRQL];

/** Where a call is made from. */
export const SITE = { thread: 0, classify: 1, completionFn: 2 } as const;
export type SiteCode = (typeof SITE)[keyof typeof SITE];

/** Address-family codes; names outside the three get codes from `addressFamilyCode`. */
export const AF = { AF_UNSPEC: 0, AF_INET: 4, AF_INET6: 6 } as const;

/** Injection-type bits of a handle. */
export const INJECTION_TYPE = { FORWARD: 1, NETWORK: 2, STREAM: 4, TRANSPORT: 8, L2: 16, VSWITCH_TRANSPORT: 32 } as const;
/** The types fwpsk.h defines beyond the four of the FwpsInjectionHandleCreate0 page: accepted with any address family. */
const HEADER_TYPES = INJECTION_TYPE.L2 | INJECTION_TYPE.VSWITCH_TRANSPORT;
const INJECTION_TYPE_BY_NAME: Readonly<Record<string, number>> = {
  FWPS_INJECTION_TYPE_FORWARD: INJECTION_TYPE.FORWARD,
  FWPS_INJECTION_TYPE_NETWORK: INJECTION_TYPE.NETWORK,
  FWPS_INJECTION_TYPE_STREAM: INJECTION_TYPE.STREAM,
  FWPS_INJECTION_TYPE_TRANSPORT: INJECTION_TYPE.TRANSPORT,
  FWPS_INJECTION_TYPE_L2: INJECTION_TYPE.L2,
  FWPS_INJECTION_TYPE_VSWITCH_TRANSPORT: INJECTION_TYPE.VSWITCH_TRANSPORT,
};

/** Stream flag bits: bit i is STREAM_FLAGS[i]. */
const streamBit = (name: (typeof STREAM_FLAGS)[number]): number => 1 << STREAM_FLAGS.indexOf(name);
export const STREAM_FLAG = {
  SEND: streamBit("FWPS_STREAM_FLAG_SEND"),
  SEND_DISCONNECT: streamBit("FWPS_STREAM_FLAG_SEND_DISCONNECT"),
  SEND_ABORT: streamBit("FWPS_STREAM_FLAG_SEND_ABORT"),
  RECEIVE: streamBit("FWPS_STREAM_FLAG_RECEIVE"),
  RECEIVE_DISCONNECT: streamBit("FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"),
} as const;

/** The stream-flag bitmask of a list of flag names (unknown names are ignored). */
export function streamFlagMask(names: readonly string[]): number {
  let mask = 0;
  for (const name of names) {
    const index = (STREAM_FLAGS as readonly string[]).indexOf(name);
    if (index >= 0) mask |= 1 << index;
  }
  return mask;
}

/** NTSTATUS codes of the direct API; a creating call returns a ref (> 0) or `-code`. */
export const STATUS_NAMES = [
  "STATUS_SUCCESS",
  "STATUS_FWP_TCPIP_NOT_READY",
  "STATUS_FWP_INJECT_HANDLE_CLOSING",
  "STATUS_FWP_INJECT_HANDLE_STALE",
  "STATUS_FWP_INVALID_PARAMETER",
  "STATUS_FWP_NULL_POINTER",
  "STATUS_FWP_CANNOT_PEND",
  "STATUS_INSUFFICIENT_RESOURCES",
  "STATUS_INVALID_PARAMETER",
  "STATUS_INVALID_HANDLE",
  "STATUS_UNSUCCESSFUL",
  "STATUS_PENDING",
] as const;
export const STATUS = {
  SUCCESS: 0,
  FWP_TCPIP_NOT_READY: 1,
  FWP_INJECT_HANDLE_CLOSING: 2,
  FWP_INJECT_HANDLE_STALE: 3,
  FWP_INVALID_PARAMETER: 4,
  FWP_NULL_POINTER: 5,
  FWP_CANNOT_PEND: 6,
  INSUFFICIENT_RESOURCES: 7,
  INVALID_PARAMETER: 8,
  INVALID_HANDLE: 9,
  UNSUCCESSFUL: 10,
  /** Not an answer: FwpsInjectionHandleDestroy0 blocked, its return comes later. */
  PENDING: 11,
} as const;

/** FWPS_PACKET_INJECTION_STATE codes, in the order of spec/vocabulary.ts INJECTION_STATES. */
export const INJECTION_STATE = { NOT_INJECTED: 0, INJECTED_BY_SELF: 1, INJECTED_BY_OTHER: 2, PREVIOUSLY_INJECTED_BY_SELF: 3 } as const;

/** The inject functions. */
export const INJECT_FN = { networkSend: 0, networkReceive: 1, transportSend: 2, transportReceive: 3, forward: 4, stream: 5 } as const;
export type InjectFnCode = (typeof INJECT_FN)[keyof typeof INJECT_FN];
/** Names of the inject functions, indexed by INJECT_FN code (the vocabulary lists them in that order). */
const INJECT_FN_NAMES = INJECT_FUNCTIONS;

/** Where an NBL came from. */
export const ORIGIN = { allocated: 1, clone: 2, streamClone: 3, indicated: 4 } as const;
const ORIGIN_NAMES = ["", "allocated by FwpsAllocateNetBufferAndNetBufferList0", "a clone from FwpsAllocateCloneNetBufferList0", "a FwpsCloneStreamData0 clone", "indicated by the stack"] as const;

/** When completions are delivered. */
export type CompletionPolicy = "immediate" | "fifo" | "lifo" | "random" | "batch";

/** What the engine tells its host: completion callbacks, returns of blocked calls, verifier findings. */
export interface EngineSink {
  completion(nblRef: number, completionContext: string | null, irql: IrqlCode, dispatchLevel: boolean, status: number): void;
  returned(callToken: string, status: number): void;
  finding(ruleId: string, message: string): void;
}

/** Engine bugs, for the mutants: each flag is one realistic defect. All false in the real engine. */
export interface EngineBugs {
  /** One completion per stream chain (for its head) instead of one per NBL. */
  completionPerChain: boolean;
  /** A failed inject call (documented failure) still completes its NBLs. */
  completionAfterFailedInject: boolean;
  /** Every completion is delivered twice. */
  duplicateCompletion: boolean;
  /** Completions carry the completionContext of the previous successful inject call. */
  previousContext: boolean;
  /** Destroy returns at once and drops the completions still owed through the handle. */
  destroyDropsPending: boolean;
  /** Destroy returns at once; the completions still come afterwards. */
  destroyNoWait: boolean;
  /** A blocked destroy returns at the first completion through its handle. */
  destroyReturnsOnFirstCompletion: boolean;
  /** A blocked destroy never returns. */
  destroyNeverReturns: boolean;
  /** A blocked destroy returns STATUS_UNSUCCESSFUL. */
  destroyReturnsFailure: boolean;
  /** Injections through a closing handle are accepted. */
  noClosingStatus: boolean;
  /** Network injections through a handle without the NETWORK type are accepted. */
  noStaleCheck: boolean;
  /** Flags = 0 taken as "every type", so a flags-0 handle passes the network type check. */
  flagsZeroIsAllTypes: boolean;
  /** Create and inject ignore the stack's readiness. */
  ignoreTcpipNotReady: boolean;
  /** Pend ignores the stack's readiness. */
  pendIgnoresTcpip: boolean;
  /** Create rejects AF_UNSPEC. */
  rejectAfUnspec: boolean;
  /** Transport injection requires the TRANSPORT type (flags-0 handles get STALE). */
  transportRequiresType: boolean;
  /** Forward injection requires the FORWARD type (flags-0 handles get STALE). */
  forwardRequiresType: boolean;
  /** Stream disconnect flags are not validated. */
  noDisconnectFlagCheck: boolean;
  /** A NULL completionFn is accepted by FwpsStreamInjectAsync0. */
  acceptNullCompletionFn: boolean;
  /** A NULL-NBL disconnect gets a completion (with a NULL NBL). */
  completeNullNblDisconnect: boolean;
  /** A NULL NBL without a disconnect flag is accepted. */
  acceptNullNblWithoutDisconnect: boolean;
  /** FwpsCloneStreamData0 leaves the last NBL out of a chain of two or more. */
  cloneStreamDropsLast: boolean;
  /** FwpsCloneStreamData0 reports the untrimmed length (rounded up to 1024). */
  cloneStreamUntrimmed: boolean;
  /** FwpsAllocateNetBufferAndNetBufferList0 ignores resource exhaustion. */
  allocateIgnoresExhaustion: boolean;
  /** A clone records one NET_BUFFER whatever its original holds. */
  cloneSingleNetBuffer: boolean;
  /** A clone gets the injection record of the engine's latest injection (a stale per-engine slot), whatever its original went through. */
  cloneInheritsInjectionState: boolean;
  /** A freed handle slot is reused with the same id. */
  handleIdsWithoutGeneration: boolean;
  /** A freed NBL slot is reused with the same id. */
  nblIdsWithoutGeneration: boolean;
  /** A reauthorization classify can be pended. */
  pendReauthorization: boolean;
  /** A NULL completion handle gets STATUS_INVALID_PARAMETER. */
  pendNullWrongStatus: boolean;
  /** FwpsCompleteOperation0 returns STATUS_UNSUCCESSFUL. */
  completeReturnsFailure: boolean;
  /** The query answers BY_OTHER where it should answer BY_SELF. */
  queryByOtherForSelf: boolean;
  /** The query never answers PREVIOUSLY_INJECTED_BY_SELF. */
  queryNoPreviously: boolean;
  /** The query's injectionContext is the completionContext. */
  queryReturnsCompletionContext: boolean;
  /** Failed inject calls count as injections for the query. */
  queryCountsFailedInjections: boolean;
  /** Completions run at DIRQL (with dispatchLevel FALSE). */
  completionAtDirql: boolean;
  /** dispatchLevel is the opposite of the IRQL completions run at. */
  dispatchLevelInverted: boolean;
  /** Completions are kept in a fixed ring of this many entries that overwrites the oldest (0: off). */
  ringOverwriteCapacity: number;
  /** The batch policy delivers the last completion of each batch again at the start of the next. */
  batchRedeliversLast: boolean;
}

/** Verifier bugs, for the mutants. */
export interface VerifierBugs {
  /** Rule ids the verifier never reports. */
  suppressed: readonly string[];
  /** handle-create/network-handle-per-family is reported for every AF_UNSPEC handle. */
  flagAfUnspecAnyHandle: boolean;
  /** MEMORY_ALLOCATION_ALIGNMENT taken as this instead of the platform's (0: the platform's). */
  alignmentOverride: number;
  /** At unload, an NBL whose last injection failed is reported by its origin. */
  failedInjectReportedByOrigin: boolean;
  /** transport-inject/address-family is reported when the handle (not the call) is AF_UNSPEC. */
  transportFamilyFromHandle: boolean;
}

const NO_ENGINE_BUGS: EngineBugs = {
  completionPerChain: false,
  completionAfterFailedInject: false,
  duplicateCompletion: false,
  previousContext: false,
  destroyDropsPending: false,
  destroyNoWait: false,
  destroyReturnsOnFirstCompletion: false,
  destroyNeverReturns: false,
  destroyReturnsFailure: false,
  noClosingStatus: false,
  noStaleCheck: false,
  flagsZeroIsAllTypes: false,
  ignoreTcpipNotReady: false,
  pendIgnoresTcpip: false,
  rejectAfUnspec: false,
  transportRequiresType: false,
  forwardRequiresType: false,
  noDisconnectFlagCheck: false,
  acceptNullCompletionFn: false,
  completeNullNblDisconnect: false,
  acceptNullNblWithoutDisconnect: false,
  cloneStreamDropsLast: false,
  cloneStreamUntrimmed: false,
  allocateIgnoresExhaustion: false,
  cloneSingleNetBuffer: false,
  cloneInheritsInjectionState: false,
  handleIdsWithoutGeneration: false,
  nblIdsWithoutGeneration: false,
  pendReauthorization: false,
  pendNullWrongStatus: false,
  completeReturnsFailure: false,
  queryByOtherForSelf: false,
  queryNoPreviously: false,
  queryReturnsCompletionContext: false,
  queryCountsFailedInjections: false,
  completionAtDirql: false,
  dispatchLevelInverted: false,
  ringOverwriteCapacity: 0,
  batchRedeliversLast: false,
};

const NO_VERIFIER_BUGS: VerifierBugs = {
  suppressed: [],
  flagAfUnspecAnyHandle: false,
  alignmentOverride: 0,
  failedInjectReportedByOrigin: false,
  transportFamilyFromHandle: false,
};

/** Construction settings of an engine. */
export interface EngineConfig {
  readonly policy: CompletionPolicy;
  readonly completionIrql: IrqlCode;
  readonly seed: number;
  readonly batchSize: number;
  readonly platform: keyof typeof MEMORY_ALLOCATION_ALIGNMENT;
  /** Run the caller checks (default true). */
  readonly verifier?: boolean;
  readonly sink: EngineSink;
  readonly bugs?: Partial<EngineBugs> | undefined;
  readonly verifierBugs?: Partial<VerifierBugs> | undefined;
}

// ---------------------------------------------------------------------------------------------
// Table layout.
// ---------------------------------------------------------------------------------------------

/** Slots per generation: refs are `generation * SLOT_SPACE + slot`; slot 0 is never used (NULL). */
export const SLOT_SPACE = 1 << 24;

// NBL flag bits.
const LIVE = 1;
const IN_FLIGHT = 2;
const EVER_INJECTED = 4;
const COMPLETED = 8;
const LAST_INJECT_FAILED = 16;
const QUEUED = 32;

// The per-NBL record: its fields, in doubles. The fields every call reads come first.
const NBL_STRIDE = 16;
const N_REF = 0;
const N_FLAGS = 1;
const N_ORIGIN = 2;
const N_PARENT = 3;
const N_OWED_TOKEN = 4;
const N_OWED_HANDLE = 5;
const N_LAST_HANDLE = 6;
const N_RETAINED = 7;
const N_NET_BUFFERS = 8;
const N_LIVE_CHILDREN = 9;
const N_HISTORY = 10;
const N_CHAIN = 11;
// The per-NBL contexts.
const C_OWED = 0;
const C_LAST = 1;

// Handle states.
const HANDLE_DEAD = 0;
const HANDLE_OPEN = 1;
const HANDLE_CLOSING = 2;

// Pend states of a completion handle.
const PEND_NONE = 0;
const PEND_PENDED = 1;
const PEND_COMPLETED = 2;

/** Ghost completions (mutants only) carry negative tokens. */
interface GhostCompletion {
  readonly nblRef: number;
  readonly context: string | null;
}

function growInt32(array: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}
function growFloat64(array: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(capacity);
  grown.set(array);
  return grown;
}
function growUint8(array: Uint8Array, capacity: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(capacity);
  grown.set(array);
  return grown;
}

const DISCONNECT = STREAM_FLAG.SEND_DISCONNECT | STREAM_FLAG.RECEIVE_DISCONNECT;

/** The filter-engine simulator, with a numeric direct API (refs, codes) for speed. */
export class InjectionEngine {
  private readonly bugs: EngineBugs;
  private readonly verifierBugs: VerifierBugs;
  readonly verifier: Verifier;
  private readonly sink: EngineSink;
  private readonly policy: CompletionPolicy;
  private readonly batchSize: number;
  private readonly alignment: number;
  /** The IRQL completions run at, and the dispatchLevel flag they carry. */
  private readonly completionIrql: IrqlCode;
  private readonly completionDispatch: boolean;

  // Environment.
  private tcpipReady = true;
  private resourcesExhausted = false;

  // Names of ids the host could not resolve (negative refs), for messages.
  private unknownNames: readonly string[] = [];

  // ---- handles
  private handleTop = 1;
  private handleRefs = new Float64Array(64);
  private handleState = new Uint8Array(64);
  private handleFamily = new Int32Array(64);
  private handleTypes = new Uint8Array(64);
  private handlePending = new Int32Array(64);
  private handleBlockedCall: (string | null)[] = [null];
  private handleFree = new Int32Array(64);
  private handleFreeCount = 0;

  // ---- pools
  private poolTop = 1;
  private poolRefs = new Float64Array(64);
  private poolLive = new Uint8Array(64);
  private poolFree = new Int32Array(64);
  private poolFreeCount = 0;

  // ---- NBLs
  private nblTop = 1;
  /** Tables start small (an engine is created per conformance run, thousands of times by explore) and double as needed. */
  private nblCapacity = 64;
  /** One record of NBL_STRIDE doubles per slot (fields N_*): a call on an NBL touches one or two adjacent cache lines. */
  private nbl = new Float64Array(64 * NBL_STRIDE);
  /** Two contexts per slot: the owed completion's completionContext (C_OWED), the last injection's injectionContext (C_LAST). */
  private nblContexts: (string | null)[] = [null, null];
  /** The last injection's completionContext, kept only for the variants that read it. */
  private nblLastCompletionContext: (string | null)[] = [null];
  private nblExternalName: (string | null)[] = [null];
  private nblFree = new Int32Array(64);
  private nblFreeCount = 0;
  private readonly externalNbls = new Map<string, number>();
  private liveNbls = 0;

  // ---- injection history nodes: (handle ref, injectionContext) per NBL, newest first
  private historyTop = 1;
  private historyHandle = new Float64Array(64);
  private historyNext = new Int32Array(64);
  private historyContext: (string | null)[] = [null];
  private historyFree = new Int32Array(64);
  private historyFreeCount = 0;

  // ---- completions
  private tokenCounter = 0;
  private queuedLive = 0;
  private readonly deque: CompletionDeque | null;
  private readonly bag: CompletionBag | null;
  private readonly ghosts = new Map<number, GhostCompletion>();
  private ghostCounter = 0;
  private previousCompletionContext: string | null = null;
  /** Whether the last injection's completionContext is kept per NBL (only variants read it). */
  private readonly keepCompletionContexts: boolean;

  // ---- clone chains (FwpsCloneStreamData0 results; their NBL slots are never recycled)
  private chainStart: number[] = [];
  private chainLength: number[] = [];
  private chainMembers: number[] = [];

  // ---- environment objects, named by the environment's ids
  private readonly streamDataSlots = new Map<string, number>();
  private streamDataName: string[] = [];
  private streamDataChainLength: number[] = [];
  private streamDataLength: number[] = [];
  private readonly flows = new Map<string, number>();
  private flowName: string[] = [];
  private flowAborted: boolean[] = [];
  private readonly completionHandles = new Map<string, number>();
  private completionHandleName: string[] = [""];
  private completionHandlePendable: boolean[] = [false];
  private completionHandleRecvAccept: boolean[] = [false];
  private completionHandleReauthorization: boolean[] = [false];
  private completionHandlePacket: number[] = [0];
  private completionHandlePendState: number[] = [PEND_NONE];
  /** cloneInheritsInjectionState only: the handle and injectionContext of the latest successful injection. */
  private latestInjectionHandle = 0;
  private latestInjectionContext: string | null = null;
  /** RECV_ACCEPT classifies: the first clone of the packet injected successfully (0: none). */
  private completionHandleReinjected: number[] = [0];
  /** RECV_ACCEPT classifies: the NBL the pend was completed with (-1: not completed, 0: NULL). */
  private completionHandleCompletedWith: number[] = [-1];
  /** The packet ref of a RECV_ACCEPT classify -> its completion handle ref (the latest). */
  private readonly recvAcceptByPacket = new Map<number, number>();
  private readonly otherFamilies = new Map<string, number>();
  private otherFamilyNames: string[] = [];

  /** Set by FwpsCloneStreamData0 on success: the chain's data length. */
  lastCloneDataLength = 0;
  /** Set by the query: the injectionContext out parameter, and whether it was written. */
  lastQueryContext: string | null = null;
  lastQueryHasContext = false;

  constructor(config: EngineConfig) {
    this.bugs = { ...NO_ENGINE_BUGS, ...config.bugs };
    this.verifierBugs = { ...NO_VERIFIER_BUGS, ...config.verifierBugs };
    this.sink = config.sink;
    this.policy = config.policy;
    this.batchSize = Math.max(1, Math.floor(config.batchSize));
    this.alignment = this.verifierBugs.alignmentOverride || MEMORY_ALLOCATION_ALIGNMENT[config.platform];
    this.completionIrql = this.bugs.completionAtDirql ? IRQL.DIRQL : config.completionIrql;
    this.completionDispatch = (this.completionIrql === IRQL.DISPATCH_LEVEL) !== this.bugs.dispatchLevelInverted;
    this.keepCompletionContexts = this.bugs.queryReturnsCompletionContext || this.bugs.batchRedeliversLast || this.bugs.cloneInheritsInjectionState;
    const sink = config.sink;
    this.verifier = new Verifier(config.verifier ?? true, (ruleId, message) => sink.finding(ruleId, message), this.verifierBugs.suppressed);
    if (config.policy === "random") {
      this.bag = new CompletionBag(mulberry32(config.seed));
      this.deque = null;
    } else {
      this.deque = new CompletionDeque(16);
      this.bag = null;
    }
  }

  // =============================================================================================
  // Names, for messages and for the host.
  // =============================================================================================

  /** Names of the ids the host could not resolve for the current call: ref -1 is names[0], and so on. */
  setUnknownNames(names: readonly string[]): void {
    this.unknownNames = names;
  }

  private unknownName(ref: number, what: string): string {
    return this.unknownNames[-ref - 1] ?? `an unknown ${what}`;
  }

  /** The id of an NBL: its environment id, or "nbl<ref>". */
  nblName(ref: number): string {
    if (ref === 0) return "NULL";
    if (ref < 0) return this.unknownName(ref, "NBL");
    const slot = ref % SLOT_SPACE;
    if (slot < this.nblTop && this.nblRefAt(slot) === ref) {
      const external = this.nblExternalName[slot];
      if (external !== null && external !== undefined) return external;
    }
    return `nbl${ref}`;
  }

  /** The id of a handle. */
  handleName(ref: number): string {
    return ref === 0 ? "NULL" : ref < 0 ? this.unknownName(ref, "handle") : `h${ref}`;
  }

  /** The id of a pool. */
  poolName(ref: number): string {
    return ref === 0 ? "NULL" : ref < 0 ? this.unknownName(ref, "pool") : `pool${ref}`;
  }

  /** The id of a pend's completion context. */
  pendName(ref: number): string {
    return ref === 0 ? "NULL" : ref < 0 ? this.unknownName(ref, "completion context") : `pc${ref}`;
  }

  /** The ref of an NBL the environment named, or 0 when it named none. */
  externalNblRef(id: string): number {
    const slot = this.externalNbls.get(id);
    return slot === undefined ? 0 : this.nblRefAt(slot);
  }

  /** Whether an NBL ref names an environment-named NBL (which the host must resolve by its environment id). */
  isExternalNbl(ref: number): boolean {
    const slot = ref % SLOT_SPACE;
    return ref > 0 && slot < this.nblTop && this.nblExternalName[slot] !== null && this.nblExternalName[slot] !== undefined;
  }

  /** The ref of an indicated stream data, or 0. */
  streamDataRef(id: string): number {
    return (this.streamDataSlots.get(id) ?? -1) + 1;
  }

  /** The ref of a completion handle from an ALE classify, or 0. */
  completionHandleRef(id: string): number {
    return this.completionHandles.get(id) ?? 0;
  }

  /** The index of a flow id, created on first use. */
  flowIndex(id: string): number {
    let index = this.flows.get(id);
    if (index === undefined) {
      index = this.flowName.length;
      this.flows.set(id, index);
      this.flowName.push(id);
      this.flowAborted.push(false);
    }
    return index;
  }

  /** The code of an address-family name (AF.* for the three the API knows; 100+ for others). */
  addressFamilyCode(name: string): number {
    if (name === "AF_UNSPEC") return AF.AF_UNSPEC;
    if (name === "AF_INET") return AF.AF_INET;
    if (name === "AF_INET6") return AF.AF_INET6;
    let code = this.otherFamilies.get(name);
    if (code === undefined) {
      code = 100 + this.otherFamilyNames.length;
      this.otherFamilies.set(name, code);
      this.otherFamilyNames.push(name);
    }
    return code;
  }

  private familyName(code: number): string {
    if (code === AF.AF_UNSPEC) return "AF_UNSPEC";
    if (code === AF.AF_INET) return "AF_INET";
    if (code === AF.AF_INET6) return "AF_INET6";
    return this.otherFamilyNames[code - 100] ?? `address family ${code}`;
  }

  /** The injection-type bits of a list of flag names, and the names that are not injection types. */
  static injectionTypes(names: readonly string[]): { readonly types: number; readonly unknown: readonly string[] } {
    let types = 0;
    const unknown: string[] = [];
    for (const name of names) {
      const bit = INJECTION_TYPE_BY_NAME[name];
      if (bit === undefined) unknown.push(name);
      else types |= bit;
    }
    return { types, unknown };
  }

  // =============================================================================================
  // Environment.
  // =============================================================================================

  /** The TCP/IP stack becomes ready or stops being ready. */
  setTcpipReady(ready: boolean): void {
    this.verifier.beginEvent();
    this.tcpipReady = ready;
  }

  /** Allocations start or stop failing. */
  setResourcesExhausted(exhausted: boolean): void {
    this.verifier.beginEvent();
    this.resourcesExhausted = exhausted;
  }

  /** A packet is indicated: introduces its NBL (origin indicated); an id already known names the same NBL. */
  indicatePacket(id: string, netBufferCount: number): number {
    this.verifier.beginEvent();
    return this.introduceIndicated(id, netBufferCount);
  }

  /** Stream data is indicated at a stream layer with its chain of (indicated) NBLs. */
  indicateStream(streamDataId: string, flowId: string, chainIds: readonly string[], dataLength: number, streamFlags: number): void {
    this.verifier.beginEvent();
    for (const id of chainIds) this.introduceIndicated(id, 1);
    let slot = this.streamDataSlots.get(streamDataId);
    if (slot === undefined) {
      slot = this.streamDataName.length;
      this.streamDataSlots.set(streamDataId, slot);
      this.streamDataName.push(streamDataId);
      this.streamDataChainLength.push(0);
      this.streamDataLength.push(0);
    }
    this.streamDataChainLength[slot] = chainIds.length;
    this.streamDataLength[slot] = dataLength;
    this.flowAborted[this.flowIndex(flowId)] = (streamFlags & STREAM_FLAG.SEND_ABORT) !== 0;
  }

  /** An ALE classify arrives with a completion handle (and, optionally, the packet it classifies). */
  aleClassify(completionHandleId: string, layerId: string, reauthorization: boolean, packetId: string | null): void {
    this.verifier.beginEvent();
    const packet = packetId === null ? 0 : this.introduceIndicated(packetId, 1);
    // Always a fresh record (a reused id is a new classify): its ref names its pend, so a pend
    // context id is never given out twice.
    const ref = this.completionHandleName.length;
    this.completionHandles.set(completionHandleId, ref);
    this.completionHandleName.push(completionHandleId);
    this.completionHandlePendable.push(PENDABLE_LAYERS.includes(layerId));
    this.completionHandleRecvAccept.push(layerId.startsWith("FWPS_LAYER_ALE_AUTH_RECV_ACCEPT"));
    this.completionHandleReauthorization.push(reauthorization);
    this.completionHandlePacket.push(packet);
    this.completionHandlePendState.push(PEND_NONE);
    this.completionHandleReinjected.push(0);
    this.completionHandleCompletedWith.push(-1);
    if (packet !== 0 && layerId.startsWith("FWPS_LAYER_ALE_AUTH_RECV_ACCEPT")) this.recvAcceptByPacket.set(packet, ref);
  }

  /** The pended RECV_ACCEPT classify whose packet the live NBL in `slot` is a clone of (0: none). */
  private recvAcceptClassifyOf(slot: number): number {
    if (this.nbl[slot * NBL_STRIDE + N_ORIGIN] !== ORIGIN.clone) return 0;
    const parent = this.nbl[slot * NBL_STRIDE + N_PARENT]!;
    if (parent === 0) return 0;
    const ref = this.recvAcceptByPacket.get(this.nblRefAt(parent)) ?? 0;
    return ref !== 0 && this.completionHandlePendState[ref] !== PEND_NONE ? ref : 0;
  }

  /** complete/recv-accept-clone on an injected clone of a RECV_ACCEPT packet whose pend was completed with another NBL (or NULL). */
  private checkRecvAcceptInjection(fn: InjectFnCode, nblRef: number): void {
    const slot = this.liveNblSlot(nblRef);
    const classify = slot < 0 ? 0 : this.recvAcceptClassifyOf(slot);
    const completedWith = classify === 0 ? -1 : this.completionHandleCompletedWith[classify]!;
    // A completion that named an NBL other than a clone of the packet was reported then (pend/recv-accept-reinject).
    const namedSlot = completedWith > 0 ? this.liveNblSlot(completedWith) : -1;
    const namedClone = completedWith === 0 || (namedSlot >= 0 && this.recvAcceptClassifyOf(namedSlot) === classify);
    if (completedWith >= 0 && namedClone && completedWith !== nblRef) {
      this.verifier.report(
        R.completeRecvAcceptClone,
        `${INJECT_FN_NAMES[fn]} of ${this.nblName(nblRef)}, a clone of the packet pended at ALE_AUTH_RECV_ACCEPT, whose FwpsCompleteOperation0 was passed ${completedWith === 0 ? "NULL" : this.nblName(completedWith)}, not this clone`,
      );
    }
  }

  /** A successful injection of the live NBL in `slot`: the first reinjected clone of a pended RECV_ACCEPT packet is remembered. */
  private noteRecvAcceptReinjection(slot: number, nblRef: number): void {
    const classify = this.recvAcceptClassifyOf(slot);
    if (classify !== 0 && this.completionHandleReinjected[classify] === 0) this.completionHandleReinjected[classify] = nblRef;
  }

  private introduceIndicated(id: string, netBufferCount: number): number {
    const existing = this.externalNbls.get(id);
    if (existing !== undefined) {
      // The same NBL indicated again; a freed one (freed by misuse) comes back as the stack's, a
      // fresh packet with no injection record.
      if ((this.nbl[existing * NBL_STRIDE + N_FLAGS]! & LIVE) === 0) {
        this.forgetInjections(existing);
        this.nbl[existing * NBL_STRIDE + N_FLAGS] = LIVE;
        this.nbl[existing * NBL_STRIDE + N_ORIGIN] = ORIGIN.indicated;
        this.nbl[existing * NBL_STRIDE + N_NET_BUFFERS] = netBufferCount;
        this.liveNbls++;
      }
      return this.nblRefAt(existing);
    }
    const slot = this.newNblSlot(true);
    this.nbl[slot * NBL_STRIDE + N_ORIGIN] = ORIGIN.indicated;
    this.nbl[slot * NBL_STRIDE + N_NET_BUFFERS] = netBufferCount;
    this.nblExternalName[slot] = id;
    this.externalNbls.set(id, slot);
    return this.nblRefAt(slot);
  }

  /** Drops the injection record of the NBL in `slot` (its last injection and its history list). */
  private forgetInjections(slot: number): void {
    for (let node = this.nbl[slot * NBL_STRIDE + N_HISTORY]!; node !== 0; ) {
      const next = this.historyNext[node]!;
      this.historyContext[node] = null;
      this.historyFree[this.historyFreeCount++] = node;
      node = next;
    }
    this.nbl[slot * NBL_STRIDE + N_HISTORY] = 0;
    this.nbl[slot * NBL_STRIDE + N_LAST_HANDLE] = 0;
    this.nblContexts[slot * 2 + C_LAST] = null;
    this.nblLastCompletionContext[slot] = null;
  }

  // =============================================================================================
  // Handles.
  // =============================================================================================

  /** The slot of a live (open or closing) handle, or -1. */
  private liveHandleSlot(ref: number): number {
    if (ref <= 0) return -1;
    const slot = ref % SLOT_SPACE;
    if (slot >= this.handleTop || this.handleRefs[slot] !== ref || this.handleState[slot] === HANDLE_DEAD) return -1;
    return slot;
  }

  /** FwpsInjectionHandleCreate0: a new handle's ref, or -status. */
  createHandle(irql: IrqlCode, addressFamily: number, types: number, unknownFlags: readonly string[] = []): number {
    const v = this.verifier;
    v.beginEvent();
    if (irql !== IRQL.PASSIVE_LEVEL) v.report(R.createIrql, `FwpsInjectionHandleCreate0 called at ${IRQL_NAMES[irql]}; it may only be called at PASSIVE_LEVEL`);
    const knownFamily = addressFamily === AF.AF_UNSPEC || addressFamily === AF.AF_INET || addressFamily === AF.AF_INET6 || (types & HEADER_TYPES) !== 0;
    if (!knownFamily) v.report(R.createAddressFamily, `FwpsInjectionHandleCreate0 with addressFamily ${this.familyName(addressFamily)}; only AF_UNSPEC, AF_INET and AF_INET6 are allowed`);
    if (unknownFlags.length > 0) v.report(R.createFlags, `FwpsInjectionHandleCreate0 with flags ${unknownFlags.join(" | ")}, which are not FWPS_INJECTION_TYPE_FORWARD, _NETWORK, _STREAM or _TRANSPORT`);
    const network = (types & INJECTION_TYPE.NETWORK) !== 0;
    if (network && addressFamily !== AF.AF_INET && addressFamily !== AF.AF_INET6) {
      v.report(R.networkHandlePerFamily, `FwpsInjectionHandleCreate0 with FWPS_INJECTION_TYPE_NETWORK and ${this.familyName(addressFamily)}: a network injection handle is per address family; create one with AF_INET and one with AF_INET6`);
    } else if (this.verifierBugs.flagAfUnspecAnyHandle && addressFamily === AF.AF_UNSPEC) {
      v.report(R.networkHandlePerFamily, `FwpsInjectionHandleCreate0 with AF_UNSPEC: injection handles are per address family`);
    }

    if (!this.tcpipReady && !this.bugs.ignoreTcpipNotReady) return -STATUS.FWP_TCPIP_NOT_READY;
    if (!knownFamily || unknownFlags.length > 0) return -STATUS.INVALID_PARAMETER;
    if (this.bugs.rejectAfUnspec && addressFamily === AF.AF_UNSPEC) return -STATUS.INVALID_PARAMETER;
    if (this.resourcesExhausted) return -STATUS.INSUFFICIENT_RESOURCES;

    let slot: number;
    if (this.handleFreeCount > 0) {
      slot = this.handleFree[--this.handleFreeCount]!;
      if (!this.bugs.handleIdsWithoutGeneration) this.handleRefs[slot] = this.handleRefs[slot]! + SLOT_SPACE;
    } else {
      slot = this.handleTop++;
      if (slot >= this.handleRefs.length) this.growHandles();
      this.handleRefs[slot] = slot;
      this.handleBlockedCall.push(null);
    }
    this.handleState[slot] = HANDLE_OPEN;
    this.handleFamily[slot] = addressFamily;
    this.handleTypes[slot] = types;
    this.handlePending[slot] = 0;
    this.handleBlockedCall[slot] = null;
    return this.handleRefs[slot]!;
  }

  private growHandles(): void {
    const capacity = this.handleRefs.length * 2;
    if (capacity > SLOT_SPACE) throw new RangeError("the engine's handle table is full");
    this.handleRefs = growFloat64(this.handleRefs, capacity);
    this.handleState = growUint8(this.handleState, capacity);
    this.handleFamily = growInt32(this.handleFamily, capacity);
    this.handleTypes = growUint8(this.handleTypes, capacity);
    this.handlePending = growInt32(this.handlePending, capacity);
    this.handleFree = growInt32(this.handleFree, capacity);
  }

  /**
   * FwpsInjectionHandleDestroy0: STATUS.SUCCESS when it returns at once, STATUS.PENDING when it
   * blocks (its return is reported to the sink with `callToken` when the last injection through
   * the handle completes), or a failure for a handle that cannot be destroyed.
   */
  destroyHandle(irql: IrqlCode, site: SiteCode, ref: number, callToken: string): number {
    const v = this.verifier;
    v.beginEvent();
    if (irql !== IRQL.PASSIVE_LEVEL) v.report(R.destroyIrql, `FwpsInjectionHandleDestroy0 called at ${IRQL_NAMES[irql]}; it may only be called at PASSIVE_LEVEL`);
    if (site === SITE.completionFn) v.report(R.destroyNotFromCompletion, `FwpsInjectionHandleDestroy0 of ${this.handleName(ref)} called from a completion function: it waits for pending injections and would wait on itself`);
    const slot = this.liveHandleSlot(ref);
    if (slot < 0 || this.handleState[slot] !== HANDLE_OPEN) {
      const why = ref === 0 ? "a NULL handle" : slot < 0 ? (this.handleWasCreated(ref) ? "a handle already destroyed" : "a handle FwpsInjectionHandleCreate0 never returned") : "a handle whose destroy is already waiting";
      v.report(R.destroyOnce, `FwpsInjectionHandleDestroy0 of ${this.handleName(ref)}: ${why}; each handle is destroyed exactly once`);
      return STATUS.INVALID_HANDLE;
    }
    if (this.handlePending[slot] === 0) {
      this.retireHandle(slot);
      return STATUS.SUCCESS;
    }
    if (this.bugs.destroyDropsPending) {
      this.handleState[slot] = HANDLE_CLOSING;
      this.dropCompletionsOf(ref);
      this.retireHandle(slot);
      return STATUS.SUCCESS;
    }
    if (this.bugs.destroyNoWait) {
      this.retireHandle(slot);
      return STATUS.SUCCESS;
    }
    this.handleState[slot] = HANDLE_CLOSING;
    this.handleBlockedCall[slot] = callToken;
    return STATUS.PENDING;
  }

  private handleWasCreated(ref: number): boolean {
    const slot = ref % SLOT_SPACE;
    return ref > 0 && slot > 0 && slot < this.handleTop && ref <= this.handleRefs[slot]!;
  }

  private retireHandle(slot: number): void {
    this.handleState[slot] = HANDLE_DEAD;
    this.handleBlockedCall[slot] = null;
    this.handleFree[this.handleFreeCount++] = slot;
  }

  /** The last completion through a closing handle arrived: its destroy returns. */
  private finishDestroy(slot: number): void {
    if (this.bugs.destroyNeverReturns) return;
    const callToken = this.handleBlockedCall[slot] ?? "";
    this.retireHandle(slot);
    this.sink.returned(callToken, this.bugs.destroyReturnsFailure ? STATUS.UNSUCCESSFUL : STATUS.SUCCESS);
  }

  /** An owed completion through handle `handleRef` arrived. */
  private injectionSettled(handleRef: number): void {
    const slot = this.liveHandleSlot(handleRef);
    if (slot < 0) return;
    const pending = --this.handlePending[slot]!;
    if (this.handleState[slot] === HANDLE_CLOSING && (pending === 0 || this.bugs.destroyReturnsOnFirstCompletion)) this.finishDestroy(slot);
  }

  // =============================================================================================
  // Pools.
  // =============================================================================================

  /** NdisAllocateNetBufferListPool: a pool ref, or -status. */
  allocatePool(): number {
    this.verifier.beginEvent();
    if (this.resourcesExhausted) return -STATUS.INSUFFICIENT_RESOURCES;
    let slot: number;
    if (this.poolFreeCount > 0) {
      slot = this.poolFree[--this.poolFreeCount]!;
      this.poolRefs[slot] = this.poolRefs[slot]! + SLOT_SPACE;
    } else {
      slot = this.poolTop++;
      if (slot >= this.poolRefs.length) {
        const capacity = this.poolRefs.length * 2;
        if (capacity > SLOT_SPACE) throw new RangeError("the engine's pool table is full");
        this.poolRefs = growFloat64(this.poolRefs, capacity);
        this.poolLive = growUint8(this.poolLive, capacity);
        this.poolFree = growInt32(this.poolFree, capacity);
      }
      this.poolRefs[slot] = slot;
    }
    this.poolLive[slot] = 1;
    return this.poolRefs[slot]!;
  }

  private livePoolSlot(ref: number): number {
    if (ref <= 0) return -1;
    const slot = ref % SLOT_SPACE;
    if (slot >= this.poolTop || this.poolRefs[slot] !== ref || this.poolLive[slot] === 0) return -1;
    return slot;
  }

  /** NdisFreeNetBufferListPool: no rule; a live pool stops being live. */
  freePool(ref: number): void {
    this.verifier.beginEvent();
    const slot = this.livePoolSlot(ref);
    if (slot < 0) return;
    this.poolLive[slot] = 0;
    this.poolFree[this.poolFreeCount++] = slot;
  }

  // =============================================================================================
  // NBL table.
  // =============================================================================================

  /**
   * A slot for a new NBL: a recycled one (not for `permanent` NBLs, which are never recycled) or a
   * fresh one. A recycled slot already has parent, retained, live children, owed token and history
   * cleared (recycleNbl only takes slots in that state) and chain -1.
   */
  private newNblSlot(permanent: boolean): number {
    const nbl = this.nbl;
    let slot: number;
    if (!permanent && this.nblFreeCount > 0) {
      slot = this.nblFree[--this.nblFreeCount]!;
      const at = slot * NBL_STRIDE;
      if (!this.bugs.nblIdsWithoutGeneration) nbl[at + N_REF] = nbl[at + N_REF]! + SLOT_SPACE;
      nbl[at + N_FLAGS] = LIVE;
      nbl[at + N_LAST_HANDLE] = 0;
    } else {
      slot = this.nblTop++;
      if (slot >= this.nblCapacity) this.growNbls();
      const at = slot * NBL_STRIDE;
      const fresh = this.nbl;
      fresh[at + N_REF] = slot;
      fresh[at + N_FLAGS] = LIVE;
      fresh[at + N_CHAIN] = -1;
      this.nblContexts.push(null, null);
      this.nblLastCompletionContext.push(null);
      this.nblExternalName.push(null);
    }
    this.liveNbls++;
    return slot;
  }

  private growNbls(): void {
    const capacity = this.nblCapacity * 2;
    if (capacity > SLOT_SPACE) throw new RangeError("the engine's NBL table is full");
    this.nblCapacity = capacity;
    this.nbl = growFloat64(this.nbl, capacity * NBL_STRIDE);
    this.nblFree = growInt32(this.nblFree, capacity);
  }

  /** The ref of the NBL (live or not) in `slot`: the id the engine gave out for its current generation. */
  private nblRefAt(slot: number): number {
    return this.nbl[slot * NBL_STRIDE + N_REF]!;
  }

  /** The slot of a live NBL, or -1. */
  private liveNblSlot(ref: number): number {
    if (ref <= 0) return -1;
    const slot = ref % SLOT_SPACE;
    if (slot >= this.nblTop || this.nblRefAt(slot) !== ref || (this.nbl[slot * NBL_STRIDE + N_FLAGS]! & LIVE) === 0) return -1;
    return slot;
  }

  /** The slot whose current ref is `ref` (live or freed but not recycled), or -1. */
  private currentNblSlot(ref: number): number {
    if (ref <= 0) return -1;
    const slot = ref % SLOT_SPACE;
    return slot < this.nblTop && this.nblRefAt(slot) === ref ? slot : -1;
  }

  /** Whether the engine ever gave out this NBL ref (it may since have been freed). */
  private nblWasIntroduced(ref: number): boolean {
    if (ref <= 0) return false;
    const slot = ref % SLOT_SPACE;
    return slot > 0 && slot < this.nblTop && ref <= this.nblRefAt(slot);
  }

  /**
   * Frees a live NBL. A completion still owed for it stays owed (the engine does not know the driver
   * freed it), so its slot is recycled only after that completion, once nothing refers to it.
   */
  private releaseNbl(slot: number): void {
    this.nbl[slot * NBL_STRIDE + N_FLAGS] = this.nbl[slot * NBL_STRIDE + N_FLAGS]! & ~LIVE;
    this.liveNbls--;
    const parent = this.nbl[slot * NBL_STRIDE + N_PARENT]!;
    if (parent !== 0) this.nbl[parent * NBL_STRIDE + N_LIVE_CHILDREN] = this.nbl[parent * NBL_STRIDE + N_LIVE_CHILDREN]! - 1;
    this.recycleNbl(slot);
  }

  /** Puts freed, unreferenced slots of driver-owned NBLs (allocated, clone) back on the free list, walking up to freed ancestors. */
  private recycleNbl(start: number): void {
    let slot = start;
    while (slot !== 0) {
      const origin = this.nbl[slot * NBL_STRIDE + N_ORIGIN]!;
      if ((this.nbl[slot * NBL_STRIDE + N_FLAGS]! & (LIVE | IN_FLIGHT)) !== 0 || this.nbl[slot * NBL_STRIDE + N_RETAINED] !== 0 || (origin !== ORIGIN.allocated && origin !== ORIGIN.clone)) return;
      // (Its last-handle field too; newNblSlot clears it again when the slot is reused.)
      this.forgetInjections(slot);
      this.nblFree[this.nblFreeCount++] = slot;
      const parent = this.nbl[slot * NBL_STRIDE + N_PARENT]!;
      this.nbl[slot * NBL_STRIDE + N_PARENT] = 0;
      if (parent === 0) return;
      this.nbl[parent * NBL_STRIDE + N_RETAINED] = this.nbl[parent * NBL_STRIDE + N_RETAINED]! - 1;
      slot = parent;
    }
  }

  /**
   * Records a successful injection of an NBL through a handle, for the injection-state query: the
   * last injection is kept on the NBL; an injection through another handle before it moves to the
   * NBL's history list (one node per other handle, with its latest injectionContext). An NBL only
   * ever injected through one handle needs no node.
   */
  private recordInjection(slot: number, handleRef: number, injectionContext: string | null, completionContext: string | null): void {
    const last = this.nbl[slot * NBL_STRIDE + N_LAST_HANDLE]!;
    if (last !== 0 && last !== handleRef) this.rememberInjection(slot, last, this.nblContexts[slot * 2 + C_LAST] ?? null);
    this.nbl[slot * NBL_STRIDE + N_LAST_HANDLE] = handleRef;
    this.nblContexts[slot * 2 + C_LAST] = injectionContext;
    if (this.keepCompletionContexts) this.nblLastCompletionContext[slot] = completionContext;
    if (this.bugs.cloneInheritsInjectionState) {
      this.latestInjectionHandle = handleRef;
      this.latestInjectionContext = injectionContext;
    }
  }

  /** Sets the history node of (NBL, handle) to `injectionContext`, adding it if needed. */
  private rememberInjection(slot: number, handleRef: number, injectionContext: string | null): void {
    for (let node = this.nbl[slot * NBL_STRIDE + N_HISTORY]!; node !== 0; node = this.historyNext[node]!) {
      if (this.historyHandle[node] === handleRef) {
        this.historyContext[node] = injectionContext;
        return;
      }
    }
    let node: number;
    if (this.historyFreeCount > 0) node = this.historyFree[--this.historyFreeCount]!;
    else {
      node = this.historyTop++;
      if (node >= this.historyHandle.length) {
        const capacity = this.historyHandle.length * 2;
        this.historyHandle = growFloat64(this.historyHandle, capacity);
        this.historyNext = growInt32(this.historyNext, capacity);
        this.historyFree = growInt32(this.historyFree, capacity);
      }
      this.historyContext.push(null);
    }
    this.historyHandle[node] = handleRef;
    this.historyContext[node] = injectionContext;
    this.historyNext[node] = this.nbl[slot * NBL_STRIDE + N_HISTORY]!;
    this.nbl[slot * NBL_STRIDE + N_HISTORY] = node;
  }

  /** Whether an NBL was successfully injected through a handle; its latest injectionContext through it goes to lastQueryContext. */
  private injectedThrough(slot: number, handleRef: number): boolean {
    if (this.nbl[slot * NBL_STRIDE + N_LAST_HANDLE] === handleRef) {
      this.lastQueryContext = this.nblContexts[slot * 2 + C_LAST] ?? null;
      return true;
    }
    for (let node = this.nbl[slot * NBL_STRIDE + N_HISTORY]!; node !== 0; node = this.historyNext[node]!) {
      if (this.historyHandle[node] === handleRef) {
        this.lastQueryContext = this.historyContext[node] ?? null;
        return true;
      }
    }
    return false;
  }

  // =============================================================================================
  // Allocation and cloning.
  // =============================================================================================

  /** FwpsAllocateNetBufferAndNetBufferList0 (`mdlByteCount` < 0 for a NULL MDL chain): a new NBL ref, or -status. */
  allocateNbl(irql: IrqlCode, poolRef: number, contextSize: number, contextBackFill: number, mdlByteCount: number, dataOffset: number, dataLength: number): number {
    const v = this.verifier;
    v.beginEvent();
    if (irql === IRQL.DIRQL) v.report(R.allocateIrql, `FwpsAllocateNetBufferAndNetBufferList0 called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    const pool = this.livePoolSlot(poolRef);
    if (pool < 0) v.report(R.allocatePoolHandle, `FwpsAllocateNetBufferAndNetBufferList0 with poolHandle ${this.poolName(poolRef)}, which is not a live pool from NdisAllocateNetBufferListPool`);
    if (contextSize % this.alignment !== 0) v.report(R.contextSizeAligned, `FwpsAllocateNetBufferAndNetBufferList0 with contextSize ${contextSize}, not a multiple of MEMORY_ALLOCATION_ALIGNMENT (${this.alignment})`);
    if (contextBackFill % this.alignment !== 0) v.report(R.backfillAligned, `FwpsAllocateNetBufferAndNetBufferList0 with contextBackFill ${contextBackFill}, not a multiple of MEMORY_ALLOCATION_ALIGNMENT (${this.alignment})`);
    if (mdlByteCount < 0 ? dataOffset !== 0 || dataLength !== 0 : dataOffset + dataLength > mdlByteCount) {
      v.report(
        R.dataWithinMdl,
        mdlByteCount < 0
          ? `FwpsAllocateNetBufferAndNetBufferList0 with a NULL mdlChain but dataOffset ${dataOffset} and dataLength ${dataLength}; both must be 0`
          : `FwpsAllocateNetBufferAndNetBufferList0: dataOffset ${dataOffset} + dataLength ${dataLength} lies beyond the ${mdlByteCount}-byte MDL chain`,
      );
    }
    if (pool < 0) return -STATUS.INVALID_PARAMETER;
    if (this.resourcesExhausted && !this.bugs.allocateIgnoresExhaustion) return -STATUS.INSUFFICIENT_RESOURCES;
    const slot = this.newNblSlot(false);
    this.nbl[slot * NBL_STRIDE + N_ORIGIN] = ORIGIN.allocated;
    this.nbl[slot * NBL_STRIDE + N_NET_BUFFERS] = 1;
    return this.nblRefAt(slot);
  }

  /** FwpsAllocateCloneNetBufferList0: a new clone's ref, or -status. */
  cloneNbl(irql: IrqlCode, originalRef: number, allocateCloneFlags: number): number {
    const v = this.verifier;
    v.beginEvent();
    if (irql === IRQL.DIRQL) v.report(R.cloneIrql, `FwpsAllocateCloneNetBufferList0 called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    if (allocateCloneFlags !== 0) v.report(R.cloneFlagsZero, `FwpsAllocateCloneNetBufferList0 with allocateCloneFlags ${allocateCloneFlags}; it must be zero`);
    const original = this.liveNblSlot(originalRef);
    if (original < 0) v.report(R.nblNoUseAfterFree, `FwpsAllocateCloneNetBufferList0 of ${this.nblName(originalRef)}, ${this.whyNotLive(originalRef)}`);
    if (original < 0) return -STATUS.INVALID_PARAMETER;
    if (this.resourcesExhausted) return -STATUS.INSUFFICIENT_RESOURCES;
    const slot = this.newNblSlot(false);
    this.nbl[slot * NBL_STRIDE + N_ORIGIN] = ORIGIN.clone;
    this.nbl[slot * NBL_STRIDE + N_NET_BUFFERS] = this.bugs.cloneSingleNetBuffer ? 1 : this.nbl[original * NBL_STRIDE + N_NET_BUFFERS]!;
    this.nbl[slot * NBL_STRIDE + N_PARENT] = original;
    this.nbl[original * NBL_STRIDE + N_LIVE_CHILDREN] = this.nbl[original * NBL_STRIDE + N_LIVE_CHILDREN]! + 1;
    this.nbl[original * NBL_STRIDE + N_RETAINED] = this.nbl[original * NBL_STRIDE + N_RETAINED]! + 1;
    if (this.bugs.cloneInheritsInjectionState && this.latestInjectionHandle !== 0) {
      this.recordInjection(slot, this.latestInjectionHandle, this.latestInjectionContext, null);
    }
    return this.nblRefAt(slot);
  }

  /**
   * FwpsCloneStreamData0: STATUS.SUCCESS with the clone chain's refs pushed onto `chainOut` (and its
   * data length in `lastCloneDataLength`), or a failure status.
   */
  cloneStream(irql: IrqlCode, streamDataRef: number, allocateCloneFlags: number, chainOut: number[]): number {
    const v = this.verifier;
    v.beginEvent();
    if (irql === IRQL.DIRQL) v.report(R.cloneStreamIrql, `FwpsCloneStreamData0 called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    if (allocateCloneFlags !== 0) v.report(R.cloneStreamFlagsZero, `FwpsCloneStreamData0 with allocateCloneFlags ${allocateCloneFlags}; it must be zero`);
    const data = streamDataRef - 1;
    const known = streamDataRef > 0 && data < this.streamDataName.length;
    if (!known) {
      const name = streamDataRef === 0 ? "NULL" : streamDataRef < 0 ? this.unknownName(streamDataRef, "stream data") : `stream data ${streamDataRef}`;
      v.report(R.cloneStreamData, `FwpsCloneStreamData0 of ${name}, which is not stream data indicated to the callout`);
      return STATUS.INVALID_PARAMETER;
    }
    if (this.resourcesExhausted) return STATUS.INSUFFICIENT_RESOURCES;
    let length = this.streamDataChainLength[data]!;
    if (this.bugs.cloneStreamDropsLast && length > 1) length--;
    const chain = this.chainStart.length;
    this.chainStart.push(this.chainMembers.length);
    this.chainLength.push(length);
    for (let i = 0; i < length; i++) {
      const slot = this.newNblSlot(true);
      this.nbl[slot * NBL_STRIDE + N_ORIGIN] = ORIGIN.streamClone;
      this.nbl[slot * NBL_STRIDE + N_NET_BUFFERS] = 1;
      this.nbl[slot * NBL_STRIDE + N_CHAIN] = chain;
      const ref = this.nblRefAt(slot);
      this.chainMembers.push(ref);
      chainOut.push(ref);
    }
    const dataLength = this.streamDataLength[data]!;
    this.lastCloneDataLength = this.bugs.cloneStreamUntrimmed ? Math.ceil((dataLength + 1) / 1024) * 1024 : dataLength;
    return STATUS.SUCCESS;
  }

  private whyNotLive(ref: number): string {
    if (ref === 0) return "a NULL NET_BUFFER_LIST";
    return this.nblWasIntroduced(ref) ? "which was already freed" : "which the driver never got from the API or an indication";
  }

  // =============================================================================================
  // Freeing.
  // =============================================================================================

  /** The NBL checks every free function makes on one NBL argument; returns the live slot or -1. */
  private checkFreedNbl(fn: string, ref: number): number {
    const v = this.verifier;
    const slot = this.liveNblSlot(ref);
    if (slot < 0) {
      if (this.nblWasIntroduced(ref)) v.report(R.nblFreeOnce, `${fn} of ${this.nblName(ref)}, which was already freed; an NBL is freed exactly once`);
      else v.report(R.nblNoUseAfterFree, `${fn} of ${this.nblName(ref)}, ${this.whyNotLive(ref)}`);
      return -1;
    }
    if ((this.nbl[slot * NBL_STRIDE + N_FLAGS]! & IN_FLIGHT) !== 0) v.report(R.nblNotFreedInFlight, `${fn} of ${this.nblName(ref)} while its injection is pending (before its completion function ran)`);
    return slot;
  }

  private checkOriginalOutlivesClone(fn: string, slot: number): void {
    if (this.nbl[slot * NBL_STRIDE + N_LIVE_CHILDREN] !== 0) this.verifier.report(R.originalOutlivesClone, `${fn} of ${this.nblName(this.nblRefAt(slot))} while ${this.nbl[slot * NBL_STRIDE + N_LIVE_CHILDREN]} clone(s) of it are still live; free the clones first`);
  }

  /** FwpsFreeCloneNetBufferList0. */
  freeClone(irql: IrqlCode, ref: number, freeCloneFlags: number): void {
    const v = this.verifier;
    v.beginEvent();
    const fn = "FwpsFreeCloneNetBufferList0";
    if (irql === IRQL.DIRQL) v.report(R.freeIrql, `${fn} called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    if (freeCloneFlags !== 0) v.report(R.freeCloneFlagsZero, `${fn} with freeCloneFlags ${freeCloneFlags}; it must be zero`);
    const slot = this.checkFreedNbl(fn, ref);
    if (slot < 0) return;
    const origin = this.nbl[slot * NBL_STRIDE + N_ORIGIN]!;
    if (origin === ORIGIN.allocated || origin === ORIGIN.indicated) {
      v.report(R.freeOnlyClones, `${fn} of ${this.nblName(ref)}, which is ${ORIGIN_NAMES[origin]}, not a clone`);
    } else if (origin === ORIGIN.streamClone && (this.nbl[slot * NBL_STRIDE + N_FLAGS]! & COMPLETED) === 0) {
      v.report(R.freeOnlyClones, `${fn} of ${this.nblName(ref)}, a FwpsCloneStreamData0 clone whose injection has not completed; discard a chain that is not injected with FwpsDiscardClonedStreamData0`);
    }
    this.checkOriginalOutlivesClone(fn, slot);
    this.releaseNbl(slot);
  }

  /** FwpsFreeNetBufferList0. */
  freeNbl(irql: IrqlCode, ref: number): void {
    const v = this.verifier;
    v.beginEvent();
    const fn = "FwpsFreeNetBufferList0";
    if (irql === IRQL.DIRQL) v.report(R.freeIrql, `${fn} called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    const slot = this.checkFreedNbl(fn, ref);
    if (slot < 0) return;
    const origin = this.nbl[slot * NBL_STRIDE + N_ORIGIN]!;
    if (origin === ORIGIN.streamClone && (this.nbl[slot * NBL_STRIDE + N_FLAGS]! & COMPLETED) !== 0) {
      v.report(R.freeStreamClone, `${fn} of ${this.nblName(ref)}, a completed FwpsCloneStreamData0 clone; free it with FwpsFreeCloneNetBufferList0`);
    } else if (origin !== ORIGIN.allocated) {
      v.report(R.freeOnlyAllocated, `${fn} of ${this.nblName(ref)}, which is ${ORIGIN_NAMES[origin]}; FwpsFreeNetBufferList0 frees only NBLs from FwpsAllocateNetBufferAndNetBufferList0`);
    }
    this.checkOriginalOutlivesClone(fn, slot);
    this.releaseNbl(slot);
  }

  /** FwpsDiscardClonedStreamData0 (`chain` null for a NULL pointer). */
  discardClonedStream(irql: IrqlCode, chain: readonly number[] | null, allocateCloneFlags: number, dispatchLevel: boolean): void {
    const v = this.verifier;
    v.beginEvent();
    const fn = "FwpsDiscardClonedStreamData0";
    if (irql === IRQL.DIRQL) v.report(R.freeIrql, `${fn} called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    if (allocateCloneFlags !== 0) v.report(R.discardFlagsZero, `${fn} with allocateCloneFlags ${allocateCloneFlags}; it must be zero`);
    if (dispatchLevel !== (irql === IRQL.DISPATCH_LEVEL)) v.report(R.discardDispatchLevelArg, `${fn} with dispatchLevel ${dispatchLevel ? "TRUE" : "FALSE"} called at ${IRQL_NAMES[irql]}; pass TRUE exactly at DISPATCH_LEVEL`);
    const wholeChain = this.wholeUninjectedChain(chain);
    if (wholeChain !== null) v.report(R.discardWholeChain, `${fn} of ${chain === null ? "NULL" : `[${chain.map((ref) => this.nblName(ref)).join(", ")}]`}: ${wholeChain}`);
    if (chain === null) {
      this.checkFreedNbl(fn, 0);
      return;
    }
    for (const ref of chain) {
      const slot = this.checkFreedNbl(fn, ref);
      if (slot < 0) continue;
      this.checkOriginalOutlivesClone(fn, slot);
      this.releaseNbl(slot);
    }
  }

  /** Why a discarded list is not exactly one uninjected FwpsCloneStreamData0 chain, or null when it is. */
  private wholeUninjectedChain(list: readonly number[] | null): string | null {
    // NULL is judged as a NULL NBL (nbl/no-use-after-free), as the model judges it, not as a wrong chain.
    if (list === null) return null;
    if (list.length === 0) return "it takes the chain FwpsCloneStreamData0 returned";
    const head = this.currentNblSlot(list[0]!);
    const chain = head < 0 ? -1 : this.nbl[head * NBL_STRIDE + N_CHAIN]!;
    if (chain < 0) return "the list is not a chain FwpsCloneStreamData0 returned";
    const start = this.chainStart[chain]!;
    const length = this.chainLength[chain]!;
    if (list.length !== length) return `the chain FwpsCloneStreamData0 returned has ${length} NBL(s), the list ${list.length}; discard the whole chain`;
    for (let i = 0; i < length; i++) {
      if (list[i] !== this.chainMembers[start + i]) return "the list is not, in order, the chain FwpsCloneStreamData0 returned";
    }
    for (let i = 0; i < length; i++) {
      const slot = this.currentNblSlot(this.chainMembers[start + i]!);
      if (slot >= 0 && (this.nbl[slot * NBL_STRIDE + N_FLAGS]! & EVER_INJECTED) !== 0) return `${this.nblName(this.nblRefAt(slot))} of the chain was injected; a chain is discarded only when none of it is injected`;
    }
    return null;
  }

  // =============================================================================================
  // Injection.
  // =============================================================================================

  /** FwpsInjectNetworkSendAsync0 / FwpsInjectNetworkReceiveAsync0 (`ipVersion` 0 when not recorded). */
  injectNetwork(receive: boolean, irql: IrqlCode, handleRef: number, nblRef: number, ipVersion: number, flags: number, injectionContext: string | null, completionContext: string | null, nullCompletionFn = false): number {
    return this.injectSingle(receive ? INJECT_FN.networkReceive : INJECT_FN.networkSend, irql, SITE.thread, handleRef, nblRef, 0, ipVersion, false, flags, injectionContext, completionContext, nullCompletionFn);
  }

  /** FwpsInjectTransportSendAsync0 / FwpsInjectTransportReceiveAsync0. */
  injectTransport(
    receive: boolean,
    irql: IrqlCode,
    site: SiteCode,
    handleRef: number,
    nblRef: number,
    addressFamily: number,
    tcp: boolean,
    flags: number,
    injectionContext: string | null,
    completionContext: string | null,
    nullCompletionFn = false,
  ): number {
    return this.injectSingle(receive ? INJECT_FN.transportReceive : INJECT_FN.transportSend, irql, site, handleRef, nblRef, addressFamily, 0, tcp, flags, injectionContext, completionContext, nullCompletionFn);
  }

  /** FwpsInjectForwardAsync0. */
  injectForward(irql: IrqlCode, handleRef: number, nblRef: number, addressFamily: number, flags: number, injectionContext: string | null, completionContext: string | null, nullCompletionFn = false): number {
    return this.injectSingle(INJECT_FN.forward, irql, SITE.thread, handleRef, nblRef, addressFamily, 0, false, flags, injectionContext, completionContext, nullCompletionFn);
  }

  /** The caller checks every inject function makes on its IRQL, reserved flags and handle; returns the live handle slot or -1. */
  private checkInjectCommon(fn: InjectFnCode, irql: IrqlCode, handleRef: number, flags: number, nullCompletionFn: boolean): number {
    const v = this.verifier;
    if (irql === IRQL.DIRQL) v.report(R.injectIrql, `${INJECT_FN_NAMES[fn]} called at DIRQL; inject functions run at IRQL <= DISPATCH_LEVEL`);
    if (flags !== 0) v.report(R.injectFlagsZero, `${INJECT_FN_NAMES[fn]} with flags ${flags}; the parameter is reserved and must be zero`);
    if (nullCompletionFn) v.report(R.completionFnNotNull, `${INJECT_FN_NAMES[fn]} with a NULL completionFn; the engine calls it when the injection completes`);
    const slot = this.liveHandleSlot(handleRef);
    if (slot < 0) {
      const why = handleRef === 0 ? "a NULL handle" : this.handleWasCreated(handleRef) ? "a handle whose FwpsInjectionHandleDestroy0 has returned" : "a handle FwpsInjectionHandleCreate0 never returned";
      v.report(R.noUseAfterDestroy, `${INJECT_FN_NAMES[fn]} through ${this.handleName(handleRef)}, ${why}`);
    }
    return slot;
  }

  /** The NBL checks of an inject call on one NBL argument: 1 valid and idle, 2 valid and in flight, 0 invalid. */
  private checkInjectedNbl(fn: InjectFnCode, ref: number): number {
    const slot = this.liveNblSlot(ref);
    if (slot < 0) {
      this.verifier.report(R.nblNoUseAfterFree, `${INJECT_FN_NAMES[fn]} of ${this.nblName(ref)}, ${this.whyNotLive(ref)}`);
      return 0;
    }
    if ((this.nbl[slot * NBL_STRIDE + N_FLAGS]! & IN_FLIGHT) !== 0) {
      this.verifier.report(R.nblNotInFlight, `${INJECT_FN_NAMES[fn]} of ${this.nblName(ref)}, whose earlier injection has not completed yet`);
      return 2;
    }
    return 1;
  }

  /** The documented failures shared by every inject function, in the documented order (0: none). */
  private documentedInjectFailure(fn: InjectFnCode, handleSlot: number): number {
    if (handleSlot >= 0) {
      if (this.handleState[handleSlot] === HANDLE_CLOSING && !this.bugs.noClosingStatus) return STATUS.FWP_INJECT_HANDLE_CLOSING;
      if (fn <= INJECT_FN.networkReceive && !this.bugs.noStaleCheck) {
        const types = this.handleTypes[handleSlot]!;
        if ((types & INJECTION_TYPE.NETWORK) === 0 && !(types === 0 && this.bugs.flagsZeroIsAllTypes)) return STATUS.FWP_INJECT_HANDLE_STALE;
      }
    }
    if (!this.tcpipReady && !this.bugs.ignoreTcpipNotReady) return STATUS.FWP_TCPIP_NOT_READY;
    if (handleSlot >= 0 && this.handleTypes[handleSlot] === 0) {
      if ((fn === INJECT_FN.transportSend || fn === INJECT_FN.transportReceive) && this.bugs.transportRequiresType) return STATUS.FWP_INJECT_HANDLE_STALE;
      if (fn === INJECT_FN.forward && this.bugs.forwardRequiresType) return STATUS.FWP_INJECT_HANDLE_STALE;
    }
    return 0;
  }

  private injectSingle(
    fn: InjectFnCode,
    irql: IrqlCode,
    site: SiteCode,
    handleRef: number,
    nblRef: number,
    addressFamily: number,
    ipVersion: number,
    tcp: boolean,
    flags: number,
    injectionContext: string | null,
    completionContext: string | null,
    nullCompletionFn: boolean,
  ): number {
    const v = this.verifier;
    v.beginEvent();
    const handle = this.checkInjectCommon(fn, irql, handleRef, flags, nullCompletionFn);
    const nblState = this.checkInjectedNbl(fn, nblRef);
    if (nblState !== 0) this.checkRecvAcceptInjection(fn, nblRef);
    // Family checks: made on a live handle (open or closing); those about the NBL on a valid NBL only.
    const slot = nblState === 0 ? -1 : nblRef % SLOT_SPACE;
    const types = handle < 0 ? 0 : this.handleTypes[handle]!;
    const name = INJECT_FN_NAMES[fn];
    switch (handle < 0 ? -1 : fn) {
      case INJECT_FN.networkSend:
      case INJECT_FN.networkReceive: {
        if (slot >= 0) {
          const origin = this.nbl[slot * NBL_STRIDE + N_ORIGIN]!;
          if (origin !== ORIGIN.allocated && origin !== ORIGIN.clone) v.report(R.networkNblOrigin, `${name} of ${this.nblName(nblRef)}, which is ${ORIGIN_NAMES[origin]}; network injection takes an NBL from FwpsAllocateNetBufferAndNetBufferList0 or FwpsAllocateCloneNetBufferList0`);
          if (fn === INJECT_FN.networkReceive && this.nbl[slot * NBL_STRIDE + N_NET_BUFFERS]! > 1) {
            v.report(R.singleNetBufferInbound, `${name} of ${this.nblName(nblRef)}, which holds ${this.nbl[slot * NBL_STRIDE + N_NET_BUFFERS]} NET_BUFFERs; a receive injection takes exactly one (bug check 0x1D3)`);
          }
        }
        if (handle >= 0 && ipVersion !== 0 && (types & INJECTION_TYPE.NETWORK) !== 0) {
          const family = this.handleFamily[handle]!;
          if (!((family === AF.AF_INET && ipVersion === 4) || (family === AF.AF_INET6 && ipVersion === 6))) {
            v.report(R.ipVersionMatchesHandle, `${name} of an IPv${ipVersion} packet through ${this.handleName(handleRef)}, a network handle created for ${this.familyName(family)}`);
          }
        }
        break;
      }
      case INJECT_FN.transportSend:
      case INJECT_FN.transportReceive: {
        if (handle >= 0 && types !== 0 && (types & INJECTION_TYPE.TRANSPORT) === 0) v.report(R.transportHandleType, `${name} through ${this.handleName(handleRef)}, created without FWPS_INJECTION_TYPE_TRANSPORT (and not with flags = 0)`);
        if (addressFamily !== AF.AF_INET && addressFamily !== AF.AF_INET6) {
          v.report(R.transportAddressFamily, `${name} with addressFamily ${this.familyName(addressFamily)}; each transport injection names AF_INET or AF_INET6`);
        } else if (this.verifierBugs.transportFamilyFromHandle && handle >= 0 && this.handleFamily[handle] === AF.AF_UNSPEC) {
          v.report(R.transportAddressFamily, `${name} through ${this.handleName(handleRef)}, an AF_UNSPEC handle`);
        }
        if (tcp && site === SITE.classify) v.report(R.tcpOutOfBand, `${name} of TCP data from inside a classifyFn; TCP data is injected out of band (from a DPC or worker)`);
        break;
      }
      case INJECT_FN.forward: {
        if (handle >= 0 && types !== 0 && (types & INJECTION_TYPE.FORWARD) === 0) v.report(R.forwardHandleType, `${name} through ${this.handleName(handleRef)}, created without FWPS_INJECTION_TYPE_FORWARD (and not with flags = 0)`);
        if (addressFamily !== AF.AF_INET && addressFamily !== AF.AF_INET6) v.report(R.forwardAddressFamily, `${name} with addressFamily ${this.familyName(addressFamily)}; each forward injection names AF_INET or AF_INET6`);
        break;
      }
      default:
        break;
    }

    let status = this.documentedInjectFailure(fn, handle);
    if (status === 0) {
      if (handle < 0) status = STATUS.INVALID_HANDLE;
      else if (nblState !== 1) status = STATUS.INVALID_PARAMETER;
    }
    if (status === 0) {
      this.noteRecvAcceptReinjection(nblRef % SLOT_SPACE, nblRef);
      this.owe(handleRef, nblRef % SLOT_SPACE, injectionContext, this.completionContextFor(completionContext), true);
      this.handlePending[handle] = this.handlePending[handle]! + 1;
    } else {
      this.injectFailed(nblRef, handleRef, injectionContext, completionContext);
    }
    if (this.policy === "immediate") this.deliverUpTo(Number.POSITIVE_INFINITY);
    return status;
  }

  /** FwpsStreamInjectAsync0 (`chain` null for a NULL NBL). */
  injectStream(
    irql: IrqlCode,
    handleRef: number,
    chain: readonly number[] | null,
    layerIsStream: boolean,
    flow: number,
    streamFlags: number,
    nullCompletionFn: boolean,
    flags: number,
    injectionContext: string | null,
    completionContext: string | null,
  ): number {
    const v = this.verifier;
    v.beginEvent();
    const fn = INJECT_FN.stream;
    const name = INJECT_FN_NAMES[fn];
    const handle = this.checkInjectCommon(fn, irql, handleRef, flags, nullCompletionFn);
    const disconnect = (streamFlags & DISCONNECT) !== 0;
    let allValid = true;
    let anyInFlight = false;
    // A NULL chain holds no NBL to check: without a disconnect flag it gets a documented status instead.
    if (chain !== null) {
      for (const ref of chain) {
        const state = this.checkInjectedNbl(fn, ref);
        if (state === 0) allValid = false;
        else if (state === 2) anyInFlight = true;
        if (state !== 0) this.checkRecvAcceptInjection(fn, ref);
      }
    }
    // Family checks: made on a live handle (open or closing); those about the NBLs on valid NBLs only.
    if (handle >= 0) {
      const types = this.handleTypes[handle]!;
      if (types !== 0 && (types & INJECTION_TYPE.STREAM) === 0) v.report(R.streamHandleType, `${name} through ${this.handleName(handleRef)}, created without FWPS_INJECTION_TYPE_STREAM (and not with flags = 0)`);
      if (!layerIsStream) v.report(R.streamLayer, `${name} with a layerId other than FWPS_LAYER_STREAM_V4 / FWPS_LAYER_STREAM_V6`);
      if (chain !== null) {
        for (const ref of chain) {
          const slot = this.liveNblSlot(ref);
          if (slot >= 0 && this.nbl[slot * NBL_STRIDE + N_ORIGIN] === ORIGIN.indicated) {
            v.report(R.streamDataOrigin, `${name} of ${this.nblName(ref)}, an NBL the stack indicated; inject a clone (FwpsCloneStreamData0) or an allocated NBL instead`);
            break;
          }
        }
      }
      if (this.flowAborted[flow] === true) v.report(R.streamNotAfterAbort, `${name} into flow ${this.flowName[flow]}, whose stream data was indicated with FWPS_STREAM_FLAG_SEND_ABORT`);
    }

    let status = this.documentedInjectFailure(fn, handle);
    if (status === 0 && !this.bugs.noDisconnectFlagCheck) {
      if (((streamFlags & STREAM_FLAG.RECEIVE_DISCONNECT) !== 0 && (streamFlags & STREAM_FLAG.RECEIVE) === 0) || ((streamFlags & STREAM_FLAG.SEND_DISCONNECT) !== 0 && (streamFlags & STREAM_FLAG.SEND) === 0)) {
        status = STATUS.FWP_INVALID_PARAMETER;
      }
    }
    if (status === 0 && nullCompletionFn && !this.bugs.acceptNullCompletionFn) status = STATUS.FWP_NULL_POINTER;
    if (status === 0 && chain === null && !disconnect && !this.bugs.acceptNullNblWithoutDisconnect) status = STATUS.FWP_NULL_POINTER;
    if (status === 0) {
      if (handle < 0) status = STATUS.INVALID_HANDLE;
      else if (!allValid || anyInFlight) status = STATUS.INVALID_PARAMETER;
    }
    if (status === 0) {
      const context = this.completionContextFor(completionContext);
      if (chain !== null) {
        let owed = 0;
        for (let i = 0; i < chain.length; i++) {
          const slot = chain[i]! % SLOT_SPACE;
          if ((this.nbl[slot * NBL_STRIDE + N_FLAGS]! & IN_FLIGHT) !== 0) continue; // the same NBL twice in the chain: one completion
          this.noteRecvAcceptReinjection(slot, chain[i]!);
          this.owe(handleRef, slot, injectionContext, context, i === 0 || !this.bugs.completionPerChain);
          owed++;
        }
        this.handlePending[handle] = this.handlePending[handle]! + owed;
      } else if (this.bugs.completeNullNblDisconnect) {
        this.queueGhost(0, context);
      }
    } else if (chain !== null) {
      for (const ref of chain) this.injectFailed(ref, handleRef, injectionContext, completionContext);
    }
    if (this.policy === "immediate") this.deliverUpTo(Number.POSITIVE_INFINITY);
    return status;
  }

  /** The completionContext a successful inject call's completions will carry. */
  private completionContextFor(completionContext: string | null): string | null {
    if (!this.bugs.previousContext) return completionContext;
    const previous = this.previousCompletionContext;
    this.previousCompletionContext = completionContext;
    return previous;
  }

  /** A successful injection of the NBL in `slot`: it is in flight and a completion is owed (queued unless `queue` is false). */
  private owe(handleRef: number, slot: number, injectionContext: string | null, completionContext: string | null, queue: boolean): void {
    const token = ++this.tokenCounter;
    const flags = this.nbl[slot * NBL_STRIDE + N_FLAGS]!;
    this.nbl[slot * NBL_STRIDE + N_FLAGS] = ((flags | IN_FLIGHT | EVER_INJECTED) & ~LAST_INJECT_FAILED) | (queue ? QUEUED : 0);
    this.nbl[slot * NBL_STRIDE + N_OWED_TOKEN] = token;
    this.nbl[slot * NBL_STRIDE + N_OWED_HANDLE] = handleRef;
    this.nblContexts[slot * 2 + C_OWED] = completionContext;
    this.recordInjection(slot, handleRef, injectionContext, completionContext);
    if (queue) this.enqueue(slot, token);
  }

  /**
   * A failed inject call: the caller keeps its NBLs. An NBL still in flight from an earlier
   * injection is not the caller's, so the failure is not recorded against it.
   */
  private injectFailed(nblRef: number, handleRef: number, injectionContext: string | null, completionContext: string | null): void {
    const slot = this.liveNblSlot(nblRef);
    if (slot < 0 || (this.nbl[slot * NBL_STRIDE + N_FLAGS]! & IN_FLIGHT) !== 0) return;
    this.nbl[slot * NBL_STRIDE + N_FLAGS] = this.nbl[slot * NBL_STRIDE + N_FLAGS]! | LAST_INJECT_FAILED;
    if (this.bugs.queryCountsFailedInjections) this.recordInjection(slot, handleRef, injectionContext, completionContext);
    if (this.bugs.completionAfterFailedInject) this.queueGhost(nblRef, completionContext);
  }

  // =============================================================================================
  // Completion delivery.
  // =============================================================================================

  private enqueue(slot: number, token: number): void {
    this.queuedLive++;
    if (this.bag !== null) {
      this.bag.push(slot, token);
      return;
    }
    const deque = this.deque!;
    if (this.bugs.ringOverwriteCapacity) {
      // A fixed ring that overwrites its oldest entry: the overwritten completion is lost.
      while (deque.length >= this.bugs.ringOverwriteCapacity && deque.takeFront()) {
        if (this.entryIsLive(deque.takenSlot, deque.takenToken)) this.queuedLive--;
      }
    }
    deque.pushBack(slot, token);
  }

  private entryIsLive(slot: number, token: number): boolean {
    return token < 0 ? this.ghosts.has(token) : this.nbl[slot * NBL_STRIDE + N_OWED_TOKEN] === token;
  }

  /** Queues a completion no injection owes (mutants only). */
  private queueGhost(nblRef: number, context: string | null): void {
    const token = -++this.ghostCounter;
    this.ghosts.set(token, { nblRef, context });
    this.queuedLive++;
    if (this.bag !== null) this.bag.push(0, token);
    else this.deque!.pushBack(0, token);
  }

  /** Drops every owed completion through a handle (mutant destroyDropsPending; linear, mutants only). */
  private dropCompletionsOf(handleRef: number): void {
    for (let slot = 1; slot < this.nblTop; slot++) {
      const flags = this.nbl[slot * NBL_STRIDE + N_FLAGS]!;
      if ((flags & IN_FLIGHT) !== 0 && this.nbl[slot * NBL_STRIDE + N_OWED_HANDLE] === handleRef) {
        if ((flags & QUEUED) !== 0) this.queuedLive--;
        this.nbl[slot * NBL_STRIDE + N_OWED_TOKEN] = 0;
        this.nbl[slot * NBL_STRIDE + N_FLAGS] = flags & ~(IN_FLIGHT | QUEUED);
      }
    }
  }

  /** Completions that can be delivered now. */
  pendingWork(): number {
    return this.queuedLive;
  }

  /** Delivers up to `max` completions per the policy (the batch policy at most `batchSize`); returns how many. */
  deliver(max: number): number {
    this.verifier.beginEvent();
    return this.deliverUpTo(this.policy === "batch" ? Math.min(max, this.batchSize) : max);
  }

  private deliverUpTo(limit: number): number {
    let delivered = 0;
    let lastSlot = -1;
    while (delivered < limit && this.queuedLive > 0) {
      let slot: number;
      let token: number;
      if (this.bag !== null) {
        if (!this.bag.take()) break;
        slot = this.bag.takenSlot;
        token = this.bag.takenToken;
      } else {
        const deque = this.deque!;
        if (!(this.policy === "lifo" ? deque.takeBack() : deque.takeFront())) break;
        slot = deque.takenSlot;
        token = deque.takenToken;
      }
      if (token < 0) {
        const ghost = this.ghosts.get(token);
        if (ghost === undefined) continue;
        this.ghosts.delete(token);
        this.queuedLive--;
        delivered++;
        this.sink.completion(ghost.nblRef, ghost.context, this.completionIrql, this.completionDispatch, STATUS.SUCCESS);
        continue;
      }
      if (this.nbl[slot * NBL_STRIDE + N_OWED_TOKEN] !== token) continue; // dropped meanwhile (mutants: a destroy that drops, a ring that overwrites)
      this.queuedLive--;
      delivered++;
      lastSlot = slot;
      this.completeOwed(slot);
    }
    if (this.queuedLive === 0) {
      // Only stale entries remain, if any: forget them.
      if (this.bag !== null) this.bag.clear();
      else this.deque!.clear();
    }
    if (this.bugs.batchRedeliversLast && this.policy === "batch" && lastSlot >= 0 && this.queuedLive > 0) {
      const token = -++this.ghostCounter;
      this.ghosts.set(token, { nblRef: this.nblRefAt(lastSlot), context: this.nblLastCompletionContext[lastSlot] ?? null });
      this.queuedLive++;
      this.deque!.pushFront(0, token);
    }
    return delivered;
  }

  /** Calls the completion function for the NBL in `slot`: it leaves flight, and its handle's destroy may return. */
  private completeOwed(slot: number): void {
    const context = this.nblContexts[slot * 2 + C_OWED] ?? null;
    const handleRef = this.nbl[slot * NBL_STRIDE + N_OWED_HANDLE]!;
    this.nbl[slot * NBL_STRIDE + N_FLAGS] = (this.nbl[slot * NBL_STRIDE + N_FLAGS]! & ~(IN_FLIGHT | QUEUED)) | COMPLETED;
    this.nbl[slot * NBL_STRIDE + N_OWED_TOKEN] = 0;
    this.nblContexts[slot * 2 + C_OWED] = null;
    const ref = this.nblRefAt(slot);
    this.sink.completion(ref, context, this.completionIrql, this.completionDispatch, STATUS.SUCCESS);
    if (this.bugs.duplicateCompletion) this.queueGhost(ref, context);
    this.injectionSettled(handleRef);
    // An NBL the driver freed while in flight: its slot can go now.
    if ((this.nbl[slot * NBL_STRIDE + N_FLAGS]! & LIVE) === 0) this.recycleNbl(slot);
  }

  // =============================================================================================
  // Pend and complete.
  // =============================================================================================

  /** FwpsPendOperation0: the pend's completion-context ref, or -status. */
  pend(irql: IrqlCode, completionHandleRef: number): number {
    const v = this.verifier;
    v.beginEvent();
    if (irql === IRQL.DIRQL) v.report(R.pendIrql, `FwpsPendOperation0 called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    const ref = completionHandleRef;
    const known = ref > 0 && ref < this.completionHandleName.length;
    const name = ref < 0 ? this.unknownName(ref, "completion handle") : known ? this.completionHandleName[ref]! : `completion handle ${ref}`;
    if (ref !== 0) {
      if (!known) v.report(R.pendLayer, `FwpsPendOperation0 of ${name}, which no ALE classify provided`);
      else if (this.completionHandlePendState[ref] !== PEND_NONE) v.report(R.pendLayer, `FwpsPendOperation0 of ${name}, which was already pended`);
      else if (!this.completionHandlePendable[ref]) v.report(R.pendLayer, `FwpsPendOperation0 of ${name}, from a classify at a layer that cannot be pended (only ALE resource-assignment, auth-listen, auth-connect and auth-recv-accept)`);
    }
    if (ref === 0) return this.bugs.pendNullWrongStatus ? -STATUS.INVALID_PARAMETER : -STATUS.FWP_NULL_POINTER;
    if (known && this.completionHandleReauthorization[ref] && !this.bugs.pendReauthorization) return -STATUS.FWP_CANNOT_PEND;
    if (!this.tcpipReady && !this.bugs.pendIgnoresTcpip) return -STATUS.FWP_TCPIP_NOT_READY;
    if (!known || this.completionHandlePendState[ref] !== PEND_NONE || !this.completionHandlePendable[ref]) return -STATUS.INVALID_PARAMETER;
    this.completionHandlePendState[ref] = PEND_PENDED;
    return ref;
  }

  /** FwpsCompleteOperation0 (`nblRef` 0 for NULL). */
  completeOperation(irql: IrqlCode, pendRef: number, nblRef: number): number {
    const v = this.verifier;
    v.beginEvent();
    const fn = "FwpsCompleteOperation0";
    if (irql === IRQL.DIRQL) v.report(R.completeIrql, `${fn} called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    const pended = pendRef > 0 && pendRef < this.completionHandleName.length && this.completionHandlePendState[pendRef] !== PEND_NONE;
    if (!pended) v.report(R.completeContextFromPend, `${fn} with completionContext ${this.pendName(pendRef)}, which FwpsPendOperation0 never returned`);
    else if (this.completionHandlePendState[pendRef] === PEND_COMPLETED) v.report(R.pendCompleteOnce, `${fn} of ${this.pendName(pendRef)}, a pend already completed; each pend is completed exactly once`);
    const nblSlot = nblRef === 0 ? -1 : this.liveNblSlot(nblRef);
    if (pended && this.completionHandleRecvAccept[pendRef]) {
      // NULL conforms unless the packet's clone was reinjected; the clone may be injected before or after.
      const reinjected = this.completionHandleReinjected[pendRef]!;
      if (reinjected !== 0 && reinjected !== nblRef) {
        v.report(R.completeRecvAcceptClone, `${fn} of ${this.pendName(pendRef)}, pended at ALE_AUTH_RECV_ACCEPT, with ${nblRef === 0 ? "a NULL netBufferList" : this.nblName(nblRef)}; the connection was reinjected with ${this.nblName(reinjected)}, which is the NBL to pass`);
      }
      if (nblSlot >= 0) {
        const packet = this.completionHandlePacket[pendRef]!;
        const parent = this.nbl[nblSlot * NBL_STRIDE + N_PARENT]!;
        const isCloneOfPacket = this.nbl[nblSlot * NBL_STRIDE + N_ORIGIN] === ORIGIN.clone && parent !== 0 && packet !== 0 && this.nblRefAt(parent) === packet;
        if (!isCloneOfPacket) v.report(R.recvAcceptReinject, `${fn} of ${this.pendName(pendRef)}, pended at ALE_AUTH_RECV_ACCEPT, with ${this.nblName(nblRef)}, which is not a clone of the classified packet`);
      }
    }
    if (nblRef !== 0 && nblSlot < 0) v.report(R.nblNoUseAfterFree, `${fn} with netBufferList ${this.nblName(nblRef)}, ${this.whyNotLive(nblRef)}`);
    if (!pended || this.completionHandlePendState[pendRef] !== PEND_PENDED) return STATUS.INVALID_PARAMETER;
    this.completionHandlePendState[pendRef] = PEND_COMPLETED;
    if (this.completionHandleRecvAccept[pendRef]) this.completionHandleCompletedWith[pendRef] = nblRef;
    return this.bugs.completeReturnsFailure ? STATUS.UNSUCCESSFUL : STATUS.SUCCESS;
  }

  // =============================================================================================
  // Query.
  // =============================================================================================

  /** FwpsQueryPacketInjectionState0: an INJECTION_STATE code; the context goes to lastQueryContext. */
  queryInjectionState(irql: IrqlCode, handleRef: number, nblRef: number): number {
    const v = this.verifier;
    v.beginEvent();
    const fn = "FwpsQueryPacketInjectionState0";
    this.lastQueryHasContext = false;
    this.lastQueryContext = null;
    if (irql === IRQL.DIRQL) v.report(R.queryIrql, `${fn} called at DIRQL; it runs at IRQL <= DISPATCH_LEVEL`);
    const handle = this.liveHandleSlot(handleRef);
    if (handle < 0) {
      const why = handleRef === 0 ? "a NULL handle" : this.handleWasCreated(handleRef) ? "a handle whose FwpsInjectionHandleDestroy0 has returned" : "a handle FwpsInjectionHandleCreate0 never returned";
      v.report(R.noUseAfterDestroy, `${fn} through ${this.handleName(handleRef)}, ${why}`);
    }
    const slot = this.liveNblSlot(nblRef);
    if (slot < 0) v.report(R.nblNoUseAfterFree, `${fn} of ${this.nblName(nblRef)}, ${this.whyNotLive(nblRef)}`);
    if (handle < 0 || slot < 0) return INJECTION_STATE.NOT_INJECTED;
    // The query's own record: set by the first successful injection (EVER_INJECTED goes with it).
    const lastHandle = this.nbl[slot * NBL_STRIDE + N_LAST_HANDLE]!;
    if (lastHandle === 0) return INJECTION_STATE.NOT_INJECTED;
    if (lastHandle === handleRef) {
      if (this.bugs.queryByOtherForSelf) return INJECTION_STATE.INJECTED_BY_OTHER;
      this.lastQueryHasContext = true;
      this.lastQueryContext = (this.bugs.queryReturnsCompletionContext ? this.nblLastCompletionContext[slot] : this.nblContexts[slot * 2 + C_LAST]) ?? null;
      return INJECTION_STATE.INJECTED_BY_SELF;
    }
    if (!this.bugs.queryNoPreviously) {
      for (let ancestor = this.nbl[slot * NBL_STRIDE + N_PARENT]!; ancestor !== 0; ancestor = this.nbl[ancestor * NBL_STRIDE + N_PARENT]!) {
        if (this.injectedThrough(ancestor, handleRef)) {
          this.lastQueryHasContext = true;
          return INJECTION_STATE.PREVIOUSLY_INJECTED_BY_SELF;
        }
      }
      this.lastQueryContext = null;
    }
    return INJECTION_STATE.INJECTED_BY_OTHER;
  }

  // =============================================================================================
  // Unload.
  // =============================================================================================

  /** The driver's unload routine returned: every leaked object is reported (one finding per rule, naming the objects). */
  unload(): void {
    const v = this.verifier;
    v.beginEvent();
    const handles: string[] = [];
    for (let slot = 1; slot < this.handleTop; slot++) {
      if (this.handleState[slot] !== HANDLE_DEAD) handles.push(this.handleName(this.handleRefs[slot]!));
    }
    v.reportLeaks(R.destroyWhenDone, "injection handle never destroyed (FwpsInjectionHandleDestroy0)", handles);

    const failed: string[] = [];
    const allocated: string[] = [];
    const clones: string[] = [];
    const completedStreamClones: string[] = [];
    const undiscardedChains: string[] = [];
    const chainsSeen = new Set<number>();
    for (let slot = 1; slot < this.nblTop; slot++) {
      const flags = this.nbl[slot * NBL_STRIDE + N_FLAGS]!;
      if ((flags & LIVE) === 0 || (flags & IN_FLIGHT) !== 0) continue;
      const origin = this.nbl[slot * NBL_STRIDE + N_ORIGIN]!;
      if (origin === ORIGIN.indicated) continue;
      const name = this.nblName(this.nblRefAt(slot));
      if ((flags & LAST_INJECT_FAILED) !== 0 && !this.verifierBugs.failedInjectReportedByOrigin) failed.push(name);
      else if (origin === ORIGIN.allocated) allocated.push(name);
      else if (origin === ORIGIN.clone) clones.push(name);
      else if ((flags & COMPLETED) !== 0) completedStreamClones.push(name);
      else if ((flags & EVER_INJECTED) === 0) {
        const chain = this.nbl[slot * NBL_STRIDE + N_CHAIN]!;
        if (!chainsSeen.has(chain)) {
          chainsSeen.add(chain);
          const start = this.chainStart[chain]!;
          const members = this.chainMembers.slice(start, start + this.chainLength[chain]!).map((ref) => this.nblName(ref));
          undiscardedChains.push(`[${members.join(", ")}]`);
        }
      }
    }
    v.reportLeaks(R.callerOwnsAfterFailure, "NBL whose injection failed and that the driver never freed", failed);
    v.reportLeaks(R.freeAfterInjection, "NBL from FwpsAllocateNetBufferAndNetBufferList0 never freed (FwpsFreeNetBufferList0)", allocated);
    v.reportLeaks(R.cloneNotHeld, "clone from FwpsAllocateCloneNetBufferList0 never freed (FwpsFreeCloneNetBufferList0)", clones);
    v.reportLeaks(R.freeEachClone, "completed FwpsCloneStreamData0 clone never freed (FwpsFreeCloneNetBufferList0)", completedStreamClones);
    v.reportLeaks(R.discardIfNotInjected, "cloned stream chain neither injected nor discarded (FwpsDiscardClonedStreamData0)", undiscardedChains);

    const pends: string[] = [];
    for (let ref = 1; ref < this.completionHandleName.length; ref++) {
      if (this.completionHandlePendState[ref] === PEND_PENDED) pends.push(`${this.pendName(ref)} (completion handle ${this.completionHandleName[ref]})`);
    }
    v.reportLeaks(R.pendCompletedByUnload, "pended operation never completed (FwpsCompleteOperation0)", pends);
  }

  // =============================================================================================
  // Introspection, for tests and benchmarks.
  // =============================================================================================

  /** Counts of live objects. */
  stats(): { readonly liveNbls: number; readonly queued: number; readonly nblSlots: number } {
    return { liveNbls: this.liveNbls, queued: this.queuedLive, nblSlots: this.nblTop - 1 };
  }

  /** "open", "closing" or "dead" for a handle ref. */
  handleStateOf(ref: number): "open" | "closing" | "dead" {
    const slot = this.liveHandleSlot(ref);
    return slot < 0 ? "dead" : this.handleState[slot] === HANDLE_OPEN ? "open" : "closing";
  }

  /** Whether an NBL is live and whether it is in flight. */
  nblStateOf(ref: number): { readonly live: boolean; readonly inFlight: boolean } {
    const slot = this.liveNblSlot(ref);
    return { live: slot >= 0, inFlight: slot >= 0 && (this.nbl[slot * NBL_STRIDE + N_FLAGS]! & IN_FLIGHT) !== 0 };
  }
}
