/**
 * The reference model's step: from a state and one observable event, the next state and the verdict.
 * One case per documented function or event, in the order of spec/semantics.md; each premise is a
 * named check tagged with its rule id. Written for clarity, not speed.
 */
import type { CallEvent, TraceEvent } from "../spec/events.ts";
import type { RuleId } from "../spec/rules.ts";
import type { DecisionId } from "../spec/decisions.ts";
import {
  HEADER_INJECTION_TYPES,
  INJECTION_TYPES,
  MEMORY_ALLOCATION_ALIGNMENT,
  PARAMETER_ERROR_STATUSES,
  PENDABLE_LAYERS,
  RESOURCE_FAILURE_STATUSES,
  STATUS,
  STREAM_LAYERS,
} from "../spec/vocabulary.ts";
import { Judge, describeAllowed, statusAllowed, type Expectation, type InjectionStateAnswer, type PortabilityNote, type StatusExpectation, type Violation } from "./judge.ts";
import {
  nblWith,
  newNbl,
  updated,
  withNbl,
  type InjectionHandle,
  type InjectionMark,
  type ClonedChain,
  type CompletionHandle,
  type ModelState,
  type NetBufferList,
  type PendingInjection,
} from "./state.ts";

/** What one step produced. */
export interface StepResult {
  readonly state: ModelState;
  readonly violations: readonly Violation[];
  /** Inputs the pages are silent on, where engines may differ (never failures). */
  readonly notes: readonly PortabilityNote[];
  /** Rule ids whose premise this event reached (engine rules) or whose misuse it committed (caller rules). */
  readonly exercised: readonly string[];
}

const NETWORK = "FWPS_INJECTION_TYPE_NETWORK";
const KNOWN_FAMILIES = ["AF_UNSPEC", "AF_INET", "AF_INET6"];
const IP_FAMILIES = ["AF_INET", "AF_INET6"];
const atMostDispatch = (irql: string): boolean => irql !== "DIRQL";

type Call<F extends CallEvent["fn"]> = Extract<CallEvent, { fn: F }>;

// -------------------------------------------------------------------------------------------------
// Small premises shared by several functions.
// -------------------------------------------------------------------------------------------------

/** An NBL argument as the model sees it. */
type NblArgument =
  | { readonly kind: "null" }
  | { readonly kind: "unknown"; readonly id: string }
  | { readonly kind: "freed"; readonly nbl: NetBufferList }
  | { readonly kind: "live"; readonly nbl: NetBufferList };

function nblArgument(state: ModelState, id: string | null): NblArgument {
  if (id === null) return { kind: "null" };
  const nbl = state.nbls.get(id);
  if (nbl === undefined) return { kind: "unknown", id };
  return nbl.freed ? { kind: "freed", nbl } : { kind: "live", nbl };
}

/** nbl/no-use-after-free for an NBL that a call uses (not frees). Returns the live NBL or undefined. */
function requireUsableNbl(judge: Judge, argument: NblArgument, role: string): NetBufferList | undefined {
  switch (argument.kind) {
    case "live":
      return argument.nbl;
    case "null":
      judge.require("nbl/no-use-after-free", true, `${role} is NULL`);
      return undefined;
    case "unknown":
      judge.require("nbl/no-use-after-free", true, `${role} ${argument.id} was never allocated, cloned or indicated`);
      return undefined;
    case "freed":
      judge.require("nbl/no-use-after-free", true, `${role} ${argument.nbl.id} was already freed`);
      return undefined;
  }
}

/** The live handle an id names, or undefined for a dead one. */
function liveHandle(state: ModelState, id: string | null): InjectionHandle | undefined {
  if (id === null) return undefined;
  const handle = state.handles.get(id);
  return handle === undefined || handle.state === "destroyed" ? undefined : handle;
}

/** How many completions are owed for injections through a handle (the owedThrough index). */
function owedThrough(state: ModelState, handleId: string): number {
  return state.owedThrough.get(handleId) ?? 0;
}

/** The injections through a handle that still owe completions, oldest first (a scan: for messages only). */
function injectionsThrough(state: ModelState, handleId: string): PendingInjection[] {
  return [...state.injections.values()].filter((injection) => injection.handle === handleId && !injection.unjudged && injection.owed.length > 0);
}

/** A documented failure that applies to a call. */
interface DocumentedFailure {
  readonly statuses: readonly string[];
  readonly ruleId: RuleId;
  /** The caller rule this failure is the documented reply to, when the failure answers a misuse (decision reply/documented-misuse-reply). */
  readonly answers?: RuleId;
}

/** An input the pages are silent on: success and a parameter error are both accepted, with a portability note. */
interface SilentInput {
  readonly decisionId: DecisionId;
  readonly message: string;
}

/** The situation a call is made in, from which the allowed results follow (semantics.md, "The engine's result"). */
interface Situation {
  readonly failures: readonly DocumentedFailure[];
  /** The call allocates: a resource failure is accepted, and required while resources are exhausted (decision reply/resource-failure). */
  readonly allocates?: boolean;
  /** The call queues work (an injection, a pend): a resource failure is accepted, never required. */
  readonly queues?: boolean;
  readonly silent?: readonly SilentInput[];
  readonly successRule: RuleId;
}

/** Any result at all: the call is misuse with no documented reply (decision reply/misuse-unconstrained). */
const unjudged = (ruleId: RuleId): StatusExpectation => ({ kind: "status", allowed: [STATUS.SUCCESS], otherFailureAllowed: true, ruleId, unjudged: true });

function expectationFor(state: ModelState, judge: Judge, situation: Situation): StatusExpectation {
  const answered = new Set(situation.failures.flatMap((failure) => (failure.answers === undefined ? [] : [failure.answers])));
  if (judge.brokenCallerRules.some((ruleId) => !answered.has(ruleId))) return unjudged(situation.successRule);
  const resources = situation.allocates === true || situation.queues === true ? RESOURCE_FAILURE_STATUSES : [];
  const exhausted = situation.allocates === true && state.resourcesExhausted;
  if (situation.failures.length > 0) {
    for (const failure of situation.failures) judge.exercise(failure.ruleId);
    if (exhausted) judge.exercise("resources/exhausted");
    return {
      kind: "status",
      allowed: [...new Set([...situation.failures.flatMap((failure) => failure.statuses), ...resources])],
      otherFailureAllowed: exhausted,
      ruleId: situation.failures[0]!.ruleId,
    };
  }
  if (exhausted) {
    judge.exercise("resources/exhausted");
    return { kind: "status", allowed: [], otherFailureAllowed: true, ruleId: "resources/exhausted" };
  }
  judge.exercise(situation.successRule);
  const silent = situation.silent ?? [];
  for (const input of silent) judge.note(input.decisionId, input.message);
  return {
    kind: "status",
    allowed: [STATUS.SUCCESS, ...resources, ...(silent.length > 0 ? PARAMETER_ERROR_STATUSES : [])],
    otherFailureAllowed: false,
    ruleId: situation.successRule,
  };
}

/** Judges the status a call returned; returns it (undefined when the call returned nothing). */
function judgeStatus(judge: Judge, fn: string, expectation: StatusExpectation, ret: { readonly status?: string | undefined } | undefined): string | undefined {
  const status = ret?.status;
  if (status === undefined) {
    judge.require(expectation.ruleId, true, `${fn} returned no status; allowed: ${describeAllowed(expectation)}`);
    return undefined;
  }
  judge.require(expectation.ruleId, !statusAllowed(expectation, status), () => `${fn} returned ${status}; allowed: ${describeAllowed(expectation)}`);
  return status;
}

// -------------------------------------------------------------------------------------------------
// FwpsInjectionHandleCreate0 and FwpsInjectionHandleDestroy0.
// -------------------------------------------------------------------------------------------------

function situationOfCreate(state: ModelState, call: Call<"FwpsInjectionHandleCreate0">, judge: Judge): Situation {
  const { addressFamily, flags } = call.args;
  judge.require("handle-create/irql", call.irql !== "PASSIVE_LEVEL", `FwpsInjectionHandleCreate0 called at ${call.irql}`);
  // Types fwpsk.h defines beyond the page's four are accepted with any family (decision create/header-injection-types).
  const headerTypes = flags.some((flag) => (HEADER_INJECTION_TYPES as readonly string[]).includes(flag));
  judge.require("handle-create/address-family", !headerTypes && !KNOWN_FAMILIES.includes(addressFamily), `addressFamily ${addressFamily} is not AF_UNSPEC, AF_INET or AF_INET6`);
  const unknownFlags = flags.filter((flag) => !(INJECTION_TYPES as readonly string[]).includes(flag) && !(HEADER_INJECTION_TYPES as readonly string[]).includes(flag));
  judge.require("handle-create/flags", unknownFlags.length > 0, () => `flags ${unknownFlags.join(" | ")} is not an FWPS_INJECTION_TYPE_* value`);
  judge.require(
    "handle-create/network-handle-per-family",
    flags.includes(NETWORK) && !IP_FAMILIES.includes(addressFamily),
    `a FWPS_INJECTION_TYPE_NETWORK handle needs AF_INET or AF_INET6, not ${addressFamily}`,
  );
  return {
    failures: state.stackReady ? [] : [{ statuses: [STATUS.FWP_TCPIP_NOT_READY], ruleId: "handle-create/tcpip-not-ready" }],
    allocates: true,
    successRule: addressFamily === "AF_UNSPEC" && !flags.includes(NETWORK) ? "handle-create/af-unspec-optional" : "handle-create/success",
  };
}

function handleCreate(state: ModelState, call: Call<"FwpsInjectionHandleCreate0">, judge: Judge): ModelState {
  const expectation = expectationFor(state, judge, situationOfCreate(state, call, judge));
  const status = judgeStatus(judge, call.fn, expectation, call.ret);
  if (status !== STATUS.SUCCESS) return state;
  const id = call.ret?.injectionHandle;
  if (id === undefined) {
    judge.require(expectation.ruleId, true, "FwpsInjectionHandleCreate0 returned STATUS_SUCCESS without a handle");
    return state;
  }
  judge.require(expectation.ruleId, liveHandle(state, id) !== undefined, `FwpsInjectionHandleCreate0 returned ${id}, which is already a live handle`);
  // A reused id (the old handle destroyed) is a new handle (decision ids/reused-after-free).
  const handle: InjectionHandle = { id, key: `${id}#${state.handleCount + 1}`, addressFamily: call.args.addressFamily, types: [...new Set(call.args.flags)], state: "open" };
  return updated(state, { handles: state.handles.set(id, handle), handleCount: state.handleCount + 1 });
}

function handleDestroy(state: ModelState, call: Call<"FwpsInjectionHandleDestroy0">, judge: Judge, callId: string | undefined): ModelState {
  judge.require("handle-destroy/irql", call.irql !== "PASSIVE_LEVEL", `FwpsInjectionHandleDestroy0 called at ${call.irql}`);
  judge.require("handle-destroy/not-from-completion", call.from.kind === "completionFn", "FwpsInjectionHandleDestroy0 called from a completion function");
  const id = call.args.injectionHandle;
  const handle = id === null ? undefined : state.handles.get(id);
  const valid = handle !== undefined && handle.state === "open";
  judge.require("handle-destroy/once", !valid, () =>
    id === null ? "injectionHandle is NULL" : handle === undefined ? `${id} was never created` : `${id} is already ${handle.state === "closing" ? "being destroyed" : "destroyed"}`,
  );
  const blockedKey = callId ?? `destroy@${judge.position}`;
  if (!valid || handle === undefined) {
    // Misuse: whatever the engine does is not judged; a blocked misuse still owes its return.
    if (call.ret !== undefined) return state;
    return updated(state, { blockedDestroys: state.blockedDestroys.set(blockedKey, { callId: blockedKey, handle: null, reportedMissing: false }) });
  }
  const closing = updated(state, { handles: state.handles.set(handle.id, { ...handle, state: "closing" as const }) });
  if (call.ret === undefined) {
    return updated(closing, { blockedDestroys: state.blockedDestroys.set(blockedKey, { callId: blockedKey, handle: handle.id, reportedMissing: false }) });
  }
  return destroyReturned(closing, handle.id, call.ret, judge);
}

/** A destroy of an open handle returns: it must not while injections through the handle are in flight. */
function destroyReturned(state: ModelState, handleId: string, ret: Record<string, unknown>, judge: Judge): ModelState {
  const inFlight = owedThrough(state, handleId) > 0;
  if (inFlight) judge.exercise("handle-create/destroy-waits");
  judge.require("handle-create/destroy-waits", inFlight, () => {
    const owed = injectionsThrough(state, handleId).flatMap((injection) => injection.owed);
    return `FwpsInjectionHandleDestroy0(${handleId}) returned while ${owed.length} completion(s) were still owed (${owed.join(", ")})`;
  });
  judge.require("handle-destroy/returns", ret["status"] !== STATUS.SUCCESS, `FwpsInjectionHandleDestroy0(${handleId}) returned ${String(ret["status"] ?? "no status")}, not STATUS_SUCCESS`);
  judge.exercise("handle-destroy/no-completion-after-return");
  const handle = state.handles.get(handleId)!;
  return updated(state, { handles: state.handles.set(handleId, { ...handle, state: "destroyed" as const }) });
}

function returnEvent(state: ModelState, event: Extract<TraceEvent, { kind: "return" }>, judge: Judge): ModelState {
  const blocked = state.blockedDestroys.get(event.callId);
  if (blocked === undefined) {
    judge.require(
      "handle-destroy/returns",
      true,
      state.returnedCalls.has(event.callId) ? `call ${event.callId} returned a second time` : `return of call ${event.callId}, which is not a blocked call`,
    );
    return state;
  }
  const unblocked = updated(state, {
    blockedDestroys: state.blockedDestroys.delete(event.callId),
    returnedCalls: state.returnedCalls.set(event.callId, true),
  });
  return blocked.handle === null ? unblocked : destroyReturned(unblocked, blocked.handle, event.ret, judge);
}

// -------------------------------------------------------------------------------------------------
// The inject functions.
// -------------------------------------------------------------------------------------------------

type InjectCall = Call<
  | "FwpsInjectNetworkSendAsync0"
  | "FwpsInjectNetworkReceiveAsync0"
  | "FwpsInjectTransportSendAsync0"
  | "FwpsInjectTransportReceiveAsync0"
  | "FwpsInjectForwardAsync0"
  | "FwpsStreamInjectAsync0"
>;

type InjectFamily = "network" | "transport" | "forward" | "stream";

function familyOfInject(fn: InjectCall["fn"]): InjectFamily {
  if (fn === "FwpsStreamInjectAsync0") return "stream";
  if (fn === "FwpsInjectForwardAsync0") return "forward";
  return fn.startsWith("FwpsInjectNetwork") ? "network" : "transport";
}

const hasType = (handle: InjectionHandle, type: string): boolean => handle.types.includes(type);
const typeAllowsOrZero = (handle: InjectionHandle, type: string): boolean => handle.types.length === 0 || hasType(handle, type);

function hasDisconnect(flags: readonly string[]): boolean {
  return flags.includes("FWPS_STREAM_FLAG_SEND_DISCONNECT") || flags.includes("FWPS_STREAM_FLAG_RECEIVE_DISCONNECT");
}

function badDisconnectFlags(flags: readonly string[]): boolean {
  return (
    (flags.includes("FWPS_STREAM_FLAG_RECEIVE_DISCONNECT") && !flags.includes("FWPS_STREAM_FLAG_RECEIVE")) ||
    (flags.includes("FWPS_STREAM_FLAG_SEND_DISCONNECT") && !flags.includes("FWPS_STREAM_FLAG_SEND"))
  );
}

/** The NBL ids an inject call names (a stream chain, or one NBL); null entries are NULL pointers. */
function injectedIds(call: InjectCall): (string | null)[] {
  if (call.fn === "FwpsStreamInjectAsync0") return call.args.netBufferList === null ? [] : [...call.args.netBufferList];
  return [call.args.netBufferList];
}

function callerChecksOfInject(state: ModelState, call: InjectCall, judge: Judge, handle: InjectionHandle | undefined, nbls: readonly NetBufferList[]): void {
  const family = familyOfInject(call.fn);
  judge.require("inject/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  judge.require("inject/flags-zero", call.args.flags !== 0, `${call.fn} flags is ${call.args.flags}; the parameter is reserved and must be zero`);
  judge.require("inject/completion-fn-not-null", call.args.completionFn === null, `${call.fn} completionFn is NULL; the engine calls it when the injection completes`);
  for (const id of injectedIds(call)) {
    const nbl = requireUsableNbl(judge, nblArgument(state, id), "netBufferList");
    if (nbl !== undefined) judge.require("inject/nbl-not-in-flight", nbl.inFlight !== null, `${nbl.id} is still in flight from an earlier injection`);
    const classify = nbl === undefined ? undefined : recvAcceptClassifyOf(state, nbl);
    if (nbl !== undefined && classify?.completedWith != null) {
      const completedWith = classify.completedWith.netBufferList;
      // A completion that named an NBL other than a clone of the packet was reported then (pend/recv-accept-reinject).
      const named = completedWith === null ? undefined : state.nbls.get(completedWith);
      const namedClone = completedWith === null || (named !== undefined && !named.freed && named.origin === "clone" && named.parent === classify.netBufferList);
      judge.require("complete/recv-accept-clone", namedClone && completedWith !== nbl.id, `${nbl.id}, a clone of the packet pended at ${classify.layerId}, is injected, but FwpsCompleteOperation0 was passed ${completedWith ?? "NULL"}, not this clone`);
    }
  }
  if (handle === undefined) return;
  switch (family) {
    case "network": {
      for (const nbl of nbls) {
        judge.require("network-inject/nbl-origin", nbl.origin !== "allocated" && nbl.origin !== "clone", `${nbl.id} is a${nbl.origin === "indicated" ? "n indicated" : " stream-clone"} NBL; network injection takes an allocated or cloned NBL`);
      }
      const ipVersion = "ipVersion" in call.args ? call.args.ipVersion : undefined;
      if (hasType(handle, NETWORK) && ipVersion !== undefined) {
        const matches = (handle.addressFamily === "AF_INET" && ipVersion === 4) || (handle.addressFamily === "AF_INET6" && ipVersion === 6);
        judge.require("network-inject/ip-version-matches-handle", !matches, `an IPv${ipVersion} packet injected through ${handle.id}, a ${handle.addressFamily} network handle`);
      }
      if (call.fn === "FwpsInjectNetworkReceiveAsync0") {
        for (const nbl of nbls) {
          // The count recorded at the call, when the trace has it (a driver may have chained NET_BUFFERs itself).
          const count = call.args.netBufferCount ?? nbl.netBufferCount;
          judge.require("network-inject/single-net-buffer-inbound", count > 1, `${nbl.id} holds ${count} NET_BUFFERs; receive injection of more than one is bug check 0x1D3`);
        }
      }
      break;
    }
    case "transport": {
      const args = call.args as Call<"FwpsInjectTransportSendAsync0">["args"];
      judge.require("transport-inject/handle-type", !typeAllowsOrZero(handle, "FWPS_INJECTION_TYPE_TRANSPORT"), `${handle.id} was created without FWPS_INJECTION_TYPE_TRANSPORT (${handle.types.join(" | ")})`);
      judge.require("transport-inject/address-family", !IP_FAMILIES.includes(args.addressFamily), `addressFamily ${args.addressFamily} is not AF_INET or AF_INET6`);
      judge.require("transport-inject/tcp-out-of-band", args.ipProtocol === "TCP" && call.from.kind === "classify", "TCP data injected from inside the classify function that indicated it");
      break;
    }
    case "forward": {
      const args = call.args as Call<"FwpsInjectForwardAsync0">["args"];
      judge.require("forward-inject/handle-type", !typeAllowsOrZero(handle, "FWPS_INJECTION_TYPE_FORWARD"), `${handle.id} was created without FWPS_INJECTION_TYPE_FORWARD (${handle.types.join(" | ")})`);
      judge.require("forward-inject/address-family", !IP_FAMILIES.includes(args.addressFamily), `addressFamily ${args.addressFamily} is not AF_INET or AF_INET6`);
      break;
    }
    case "stream": {
      const args = call.args as Call<"FwpsStreamInjectAsync0">["args"];
      judge.require("stream-inject/handle-type", !typeAllowsOrZero(handle, "FWPS_INJECTION_TYPE_STREAM"), `${handle.id} was created without FWPS_INJECTION_TYPE_STREAM (${handle.types.join(" | ")})`);
      judge.require("stream-inject/layer", !STREAM_LAYERS.includes(args.layerId), `layerId ${args.layerId} is not FWPS_LAYER_STREAM_V4 or FWPS_LAYER_STREAM_V6`);
      for (const nbl of nbls) judge.require("stream-inject/data-origin", nbl.origin === "indicated", `${nbl.id} is the indicated stream data itself, not a clone or an allocated NBL`);
      judge.require("stream-inject/not-after-abort", state.abortedFlows.has(args.flowId), `flow ${args.flowId} was indicated with FWPS_STREAM_FLAG_SEND_ABORT`);
      break;
    }
  }
}

/** The pended RECV_ACCEPT classify whose packet `nbl` is a clone of, if any (decision recv-accept/null-nbl). */
function recvAcceptClassifyOf(state: ModelState, nbl: NetBufferList): CompletionHandle | undefined {
  if (nbl.origin !== "clone" || nbl.parent === null) return undefined;
  const id = state.recvAcceptByPacket.get(nbl.parent);
  const classify = id === undefined ? undefined : state.completionHandles.get(id);
  return classify?.pended === true && classify.netBufferList === nbl.parent ? classify : undefined;
}

/** A successful injection of clones of a pended RECV_ACCEPT packet: remembers the first reinjected clone. */
function recvAcceptReinjection(state: ModelState, nbls: readonly NetBufferList[]): ModelState {
  let next = state;
  for (const nbl of nbls) {
    const classify = recvAcceptClassifyOf(next, nbl);
    if (classify === undefined || classify.reinjectedClone !== null) continue;
    next = updated(next, { completionHandles: next.completionHandles.set(classify.id, { ...classify, reinjectedClone: nbl.id }) });
  }
  return next;
}

function documentedFailuresOfInject(state: ModelState, call: InjectCall, handle: InjectionHandle | undefined): DocumentedFailure[] {
  const family = familyOfInject(call.fn);
  const failures: DocumentedFailure[] = [];
  if (handle?.state === "closing") failures.push({ statuses: [STATUS.FWP_INJECT_HANDLE_CLOSING], ruleId: "handle-destroy/closing" });
  if (family === "network" && handle !== undefined && !hasType(handle, NETWORK)) {
    failures.push({ statuses: [STATUS.FWP_INJECT_HANDLE_STALE], ruleId: "network-inject/handle-type" });
  }
  if (!state.stackReady) failures.push({ statuses: [STATUS.FWP_TCPIP_NOT_READY], ruleId: "inject/tcpip-not-ready" });
  if (call.fn === "FwpsStreamInjectAsync0") {
    const { streamFlags, completionFn, netBufferList } = call.args;
    if (badDisconnectFlags(streamFlags)) failures.push({ statuses: [STATUS.FWP_INVALID_PARAMETER], ruleId: "stream-inject/disconnect-flags" });
    if (completionFn === null) failures.push({ statuses: [STATUS.FWP_NULL_POINTER], ruleId: "stream-inject/null-completion-fn", answers: "inject/completion-fn-not-null" });
    if (netBufferList === null && !hasDisconnect(streamFlags)) {
      failures.push({ statuses: [STATUS.FWP_NULL_POINTER, STATUS.FWP_INVALID_PARAMETER], ruleId: "stream-inject/null-nbl-disconnect" });
    }
  }
  return failures;
}

/** Inputs of an inject call the pages are silent on (decisions silent/*). */
function silentInputsOfInject(call: InjectCall, handle: InjectionHandle | undefined): SilentInput[] {
  const silent: SilentInput[] = [];
  if (call.fn === "FwpsStreamInjectAsync0" && call.args.netBufferList !== null && call.args.dataLength === 0) {
    silent.push({ decisionId: "silent/zero-length-stream-data", message: `${call.fn} of 0 bytes of data: the pages do not say whether engines accept it` });
  }
  if ((call.fn === "FwpsInjectTransportSendAsync0" || call.fn === "FwpsInjectTransportReceiveAsync0" || call.fn === "FwpsInjectForwardAsync0") && handle !== undefined) {
    const family = call.args.addressFamily;
    if (IP_FAMILIES.includes(handle.addressFamily) && IP_FAMILIES.includes(family) && family !== handle.addressFamily) {
      silent.push({ decisionId: "silent/per-call-family-differs", message: `${call.fn} with ${family} through ${handle.id}, an ${handle.addressFamily} handle: the pages do not say what engines do` });
    }
  }
  return silent;
}

/** The caller checks of an inject call and the situation its result is judged in. */
function situationOfInject(state: ModelState, call: InjectCall, judge: Judge): Situation & { readonly handle: InjectionHandle | undefined; readonly liveNbls: readonly NetBufferList[] } {
  const handleId = call.args.injectionHandle;
  const handle = liveHandle(state, handleId);
  judge.require("handle/no-use-after-destroy", handle === undefined, () =>
    state.handles.has(handleId) ? `${handleId} was destroyed` : `${handleId} was never created`,
  );
  const liveNbls = injectedIds(call).flatMap((id) => {
    const argument = nblArgument(state, id);
    return argument.kind === "live" ? [argument.nbl] : [];
  });
  callerChecksOfInject(state, call, judge, handle, liveNbls);
  if (call.fn === "FwpsStreamInjectAsync0" && call.args.netBufferList === null && hasDisconnect(call.args.streamFlags)) judge.exercise("stream-inject/null-nbl-disconnect");
  const zeroFlagsHandle = familyOfInject(call.fn) !== "network" && handle !== undefined && handle.types.length === 0;
  return {
    failures: documentedFailuresOfInject(state, call, handle),
    queues: true,
    silent: silentInputsOfInject(call, handle),
    successRule: zeroFlagsHandle ? "handle-create/flags-zero-types" : "inject/success",
    handle,
    liveNbls,
  };
}

function inject(state: ModelState, call: InjectCall, judge: Judge): ModelState {
  const family = familyOfInject(call.fn);
  const handleId = call.args.injectionHandle;
  const situation = situationOfInject(state, call, judge);
  const liveNbls = situation.liveNbls;
  const ids = injectedIds(call);
  const expectation = expectationFor(state, judge, situation);
  const status = judgeStatus(judge, call.fn, expectation, call.ret);

  const nonNull = ids.filter((id): id is string => id !== null);
  if (status !== STATUS.SUCCESS) {
    // The caller keeps the NBLs (A2): remember that their last injection failed.
    let next = state;
    for (const nbl of liveNbls) if (nbl.inFlight === null) next = withNbl(next, nblWith(nbl, { lastInjectFailed: true }));
    return next;
  }
  if (nonNull.length === 0) return state; // a NULL-NBL disconnect owes no completion (S4)
  const injectionId = `inj${state.injectionCount + 1}`;
  const handle = situation.handle;
  const handleKey = handle === undefined ? `dead:${handleId}` : handle.key;
  const injection: PendingInjection = {
    id: injectionId,
    fn: call.fn,
    handle: handleId ?? "NULL",
    handleKey,
    // Accepted through a dead handle: misuse with no documented reply, so nothing is owed (decision reply/misuse-unconstrained).
    unjudged: handle === undefined,
    completionContext: call.args.completionContext,
    nbls: nonNull,
    owed: nonNull,
    reportedMissing: false,
  };
  const mark: InjectionMark = { handle: handleId ?? "NULL", handleKey, injectionContext: call.args.injectionContext };
  let next = recvAcceptReinjection(state, liveNbls);
  for (const nbl of liveNbls) {
    const injected = nblWith(nbl, {
      inFlight: injectionId,
      injections: { mark, previous: nbl.injections },
      lastInjectFailed: false,
      forwardInjected: nbl.forwardInjected || family === "forward",
      streamInjected: nbl.streamInjected || family === "stream",
    });
    next = withNbl(next, injected);
  }
  // The indexes: each NBL owed is owed by this injection too, and the handle owes its completions.
  let owedBy = next.owedBy;
  for (const id of new Set(nonNull)) owedBy = owedBy.set(id, [...(owedBy.get(id) ?? []), injectionId]);
  const owedThroughHandle = owedThrough(next, injection.handle) + nonNull.length;
  return updated(next, {
    injections: next.injections.set(injectionId, injection),
    injectionCount: state.injectionCount + 1,
    owedBy,
    owedThrough: injection.unjudged ? next.owedThrough : next.owedThrough.set(injection.handle, owedThroughHandle),
  });
}

// -------------------------------------------------------------------------------------------------
// Completions (FWPS_INJECT_COMPLETE0) and what the engine owes.
// -------------------------------------------------------------------------------------------------

function isStreamCloneInjection(state: ModelState, injection: PendingInjection): boolean {
  return injection.nbls.some((id) => state.nbls.get(id)?.origin === "streamClone");
}

/** The rule under which a missing completion of this injection is reported. */
function missingCompletionRule(state: ModelState, injection: PendingInjection): RuleId {
  if (injection.fn !== "FwpsStreamInjectAsync0") return "completion/after-injection";
  return isStreamCloneInjection(state, injection) ? "clone-stream/completion-per-clone" : "stream-inject/completion-per-nbl";
}

function completion(state: ModelState, event: Extract<TraceEvent, { kind: "completion" }>, judge: Judge): ModelState {
  judge.require("completion/irql", event.irql === "DIRQL", `completionFn called at ${event.irql}, above DISPATCH_LEVEL`);
  judge.require(
    "completion/dispatch-level-flag",
    event.dispatchLevel !== (event.irql === "DISPATCH_LEVEL"),
    `dispatchLevel is ${event.dispatchLevel ? "TRUE" : "FALSE"} but the completionFn runs at ${event.irql}`,
  );
  const id = event.netBufferList;
  if (id === null) {
    judge.require("stream-inject/null-nbl-disconnect", true, "completionFn called with a NULL NBL (a NULL-NBL disconnect gets no completion)");
    return state;
  }
  // The oldest pending injection that owes a completion for this NBL.
  const owedById = state.owedBy.get(id);
  const injection = owedById === undefined ? undefined : state.injections.get(owedById[0]!);
  if (injection === undefined) {
    const nbl = state.nbls.get(id);
    if (nbl !== undefined && nbl.completed && !nbl.lastInjectFailed) {
      judge.require("completion/once-per-nbl", true, `a second completion for ${id}`);
    } else {
      const why = nbl === undefined ? "was never injected" : nbl.lastInjectFailed ? "was passed to an inject call that failed" : "was never injected successfully";
      judge.require("inject/completion-only-on-success", true, `completion for ${id}, which ${why}`);
    }
    return state;
  }
  judge.exercise("inject/completion-only-on-success");
  judge.exercise(missingCompletionRule(state, injection));
  const contextRule: RuleId = injection.fn === "FwpsStreamInjectAsync0" ? "completion/once-per-nbl" : "completion/context";
  judge.require(
    contextRule,
    event.completionContext !== injection.completionContext,
    `completion for ${id} with context ${String(event.completionContext)}; its ${injection.fn} passed ${String(injection.completionContext)}`,
  );
  const handle = state.handles.get(injection.handle);
  // The handle injected through is destroyed once its destroy returned, even if its id now names a new handle.
  const destroyed = handle === undefined || handle.key !== injection.handleKey || handle.state === "destroyed";
  if (!injection.unjudged) {
    judge.require("handle-destroy/no-completion-after-return", destroyed, `completion for ${id}, injected through ${injection.handle}, after FwpsInjectionHandleDestroy0(${injection.handle}) returned`);
  }
  const owed = injection.owed.filter((owedId) => owedId !== id);
  const injections = owed.length === 0 ? state.injections.delete(injection.id) : state.injections.set(injection.id, { ...injection, owed });
  const stillOwedBy = owedById!.filter((injectionId) => injectionId !== injection.id);
  const stillOwedThrough = owedThrough(state, injection.handle) - (injection.owed.length - owed.length);
  const indexed = updated(state, {
    injections,
    owedBy: stillOwedBy.length === 0 ? state.owedBy.delete(id) : state.owedBy.set(id, stillOwedBy),
    owedThrough: injection.unjudged
      ? state.owedThrough
      : stillOwedThrough === 0
        ? state.owedThrough.delete(injection.handle)
        : state.owedThrough.set(injection.handle, stillOwedThrough),
  });
  const nbl = state.nbls.get(id);
  return nbl === undefined ? indexed : withNbl(indexed, nblWith(nbl, { inFlight: nbl.inFlight === injection.id ? null : nbl.inFlight, completed: true }));
}

/** At engineIdle and driverUnload: completions still owed, and blocked destroys that should have returned. */
function judgeOwed(state: ModelState, judge: Judge): ModelState {
  let injections = state.injections;
  for (const injection of state.injections.values()) {
    if (injection.owed.length === 0 || injection.reportedMissing || injection.unjudged) continue;
    judge.require(missingCompletionRule(state, injection), true, `${injection.fn} through ${injection.handle} returned STATUS_SUCCESS but no completion came for ${injection.owed.join(", ")}`);
    injections = injections.set(injection.id, { ...injection, reportedMissing: true });
  }
  let blockedDestroys = state.blockedDestroys;
  for (const blocked of state.blockedDestroys.values()) {
    if (blocked.reportedMissing) continue;
    // A destroy still waiting for a missing completion owes nothing more: the missing completion is the violation.
    if (blocked.handle !== null && owedThrough(state, blocked.handle) > 0) continue;
    judge.require("handle-destroy/returns", true, `FwpsInjectionHandleDestroy0${blocked.handle === null ? "" : `(${blocked.handle})`} (call ${blocked.callId}) has nothing left to wait for but has not returned`);
    blockedDestroys = blockedDestroys.set(blocked.callId, { ...blocked, reportedMissing: true });
  }
  return updated(state, { injections, blockedDestroys });
}

/** At driverUnload: what the driver leaked, one violation per leaked object (decision leak/one-per-object). */
function judgeLeaks(state: ModelState, judge: Judge): void {
  for (const handle of state.handles.values()) {
    if (handle.state !== "destroyed") judge.leak("handle-create/destroy-when-done", handle.id, `injection handle ${handle.id} is still ${handle.state === "closing" ? "being destroyed" : "open"} at unload`);
  }
  const undiscardedChains = new Set<string>();
  for (const nbl of state.nbls.values()) {
    if (nbl.freed || nbl.inFlight !== null || nbl.origin === "indicated") continue;
    if (nbl.lastInjectFailed) judge.leak("inject/caller-owns-after-failure", nbl.id, `${nbl.id}, whose injection failed, is not freed at unload`);
    else if (nbl.origin === "allocated") judge.leak("allocate-nbl/free-after-injection", nbl.id, `allocated NBL ${nbl.id} is not freed at unload`);
    else if (nbl.origin === "clone") judge.leak("clone-nbl/not-held", nbl.id, `clone ${nbl.id} is not freed at unload`);
    else if (nbl.completed || nbl.injections !== null) judge.leak("clone-stream/free-each-clone", nbl.id, `stream clone ${nbl.id} is not freed at unload`);
    else if (nbl.chain !== null) undiscardedChains.add(nbl.chain);
  }
  for (const chain of undiscardedChains) {
    const members = state.chains.get(chain)?.members.join(" -> ") ?? chain;
    judge.leak("clone-stream/discard-if-not-injected", members, `cloned chain ${members} is neither injected nor discarded at unload`);
  }
  for (const pend of state.pends.values()) {
    if (!pend.completed) judge.leak("pend/completed-by-unload", pend.completionContext, `pend ${pend.completionContext} is never completed`);
  }
}

// -------------------------------------------------------------------------------------------------
// NBL allocation, cloning and freeing.
// -------------------------------------------------------------------------------------------------

/** NDIS's own page is out of scope: only the exhausted-resources rule is judged for a pool allocation. */
function poolExpectation(state: ModelState, judge: Judge): StatusExpectation {
  return state.resourcesExhausted
    ? expectationFor(state, judge, { failures: [], allocates: true, successRule: "resources/exhausted" })
    : { kind: "status", allowed: [STATUS.SUCCESS], otherFailureAllowed: true, ruleId: "resources/exhausted" };
}

function allocatePool(state: ModelState, call: Call<"NdisAllocateNetBufferListPool">, judge: Judge): ModelState {
  const expectation = poolExpectation(state, judge);
  const status = judgeStatus(judge, call.fn, expectation, call.ret);
  const id = call.ret?.poolHandle;
  if (status !== STATUS.SUCCESS || id === undefined) return state;
  return updated(state, { pools: state.pools.set(id, { id, live: true }) });
}

function freePool(state: ModelState, call: Call<"NdisFreeNetBufferListPool">): ModelState {
  const id = call.args.poolHandle;
  if (id === null || !state.pools.has(id)) return state;
  return updated(state, { pools: state.pools.set(id, { id, live: false }) });
}

/** Registers an NBL an allocating call returned, checking it names no live NBL. */
function addNewNbl(state: ModelState, judge: Judge, ruleId: RuleId, nbl: NetBufferList): ModelState {
  const existing = state.nbls.get(nbl.id);
  judge.require(ruleId, existing !== undefined && !existing.freed, `returned ${nbl.id}, which is already a live NBL`);
  return withNbl(state, nbl);
}

function situationOfAllocate(state: ModelState, call: Call<"FwpsAllocateNetBufferAndNetBufferList0">, judge: Judge): Situation {
  const { poolHandle, contextSize, contextBackFill, mdlChain, dataOffset, dataLength } = call.args;
  const alignment = MEMORY_ALLOCATION_ALIGNMENT[state.platform];
  judge.require("allocate-nbl/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  judge.require("allocate-nbl/pool-handle", poolHandle === null || state.pools.get(poolHandle)?.live !== true, () =>
    poolHandle === null ? "poolHandle is NULL" : state.pools.has(poolHandle) ? `pool ${poolHandle} was freed` : `pool ${poolHandle} was never allocated by NdisAllocateNetBufferListPool`,
  );
  judge.require("allocate-nbl/context-size-aligned", contextSize % alignment !== 0, `contextSize ${contextSize} is not a multiple of MEMORY_ALLOCATION_ALIGNMENT (${alignment} on ${state.platform})`);
  judge.require("allocate-nbl/backfill-aligned", contextBackFill % alignment !== 0, `contextBackFill ${contextBackFill} is not a multiple of MEMORY_ALLOCATION_ALIGNMENT (${alignment} on ${state.platform})`);
  judge.require(
    "allocate-nbl/data-within-mdl",
    mdlChain === null ? dataOffset !== 0 || dataLength !== 0 : dataOffset + dataLength > mdlChain.byteCount,
    () => (mdlChain === null ? `mdlChain is NULL but dataOffset ${dataOffset} / dataLength ${dataLength} are not zero` : `dataOffset ${dataOffset} + dataLength ${dataLength} exceeds the MDL chain's ${mdlChain.byteCount} bytes`),
  );
  const silent: SilentInput[] =
    mdlChain !== null && dataLength === 0 ? [{ decisionId: "silent/zero-length-allocation", message: `${call.fn} with an MDL chain and dataLength 0: the pages do not say whether engines accept it` }] : [];
  return { failures: [], allocates: true, silent, successRule: "allocate-nbl/success" };
}

function allocateNbl(state: ModelState, call: Call<"FwpsAllocateNetBufferAndNetBufferList0">, judge: Judge): ModelState {
  const expectation = expectationFor(state, judge, situationOfAllocate(state, call, judge));
  const status = judgeStatus(judge, call.fn, expectation, call.ret);
  if (status !== STATUS.SUCCESS) return state;
  const id = call.ret?.netBufferList;
  if (id === undefined) {
    judge.require(expectation.ruleId, true, `${call.fn} returned STATUS_SUCCESS without an NBL`);
    return state;
  }
  return addNewNbl(state, judge, expectation.ruleId, newNbl(id, "allocated", 1));
}

function situationOfClone(state: ModelState, call: Call<"FwpsAllocateCloneNetBufferList0">, judge: Judge): Situation & { readonly original: NetBufferList | undefined } {
  judge.require("clone-nbl/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  judge.require("clone-nbl/flags-zero", call.args.allocateCloneFlags !== 0, `allocateCloneFlags is ${call.args.allocateCloneFlags}, not zero`);
  const original = requireUsableNbl(judge, nblArgument(state, call.args.originalNetBufferList), "originalNetBufferList");
  return { failures: [], allocates: true, successRule: "clone-nbl/success", original };
}

function cloneNbl(state: ModelState, call: Call<"FwpsAllocateCloneNetBufferList0">, judge: Judge): ModelState {
  const situation = situationOfClone(state, call, judge);
  const original = situation.original;
  const expectation = expectationFor(state, judge, situation);
  const status = judgeStatus(judge, call.fn, expectation, call.ret);
  if (status !== STATUS.SUCCESS) return state;
  const id = call.ret?.netBufferList;
  if (id === undefined) {
    judge.require(expectation.ruleId, true, `${call.fn} returned STATUS_SUCCESS without an NBL`);
    return state;
  }
  return addNewNbl(state, judge, expectation.ruleId, newNbl(id, "clone", original?.netBufferCount ?? 1, original?.id ?? null));
}

function situationOfCloneStream(state: ModelState, call: Call<"FwpsCloneStreamData0">, judge: Judge): Situation {
  judge.require("clone-stream/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  judge.require("clone-stream/flags-zero", call.args.allocateCloneFlags !== 0, `allocateCloneFlags is ${call.args.allocateCloneFlags}, not zero`);
  const streamDataId = call.args.calloutStreamData;
  const streamData = streamDataId === null ? undefined : state.streamData.get(streamDataId);
  judge.require("clone-stream/stream-data", streamData === undefined, streamDataId === null ? "calloutStreamData is NULL" : `${streamDataId} is not stream data indicated to the callout`);
  return { failures: [], allocates: true, successRule: "clone-stream/success" };
}

function cloneStreamData(state: ModelState, call: Call<"FwpsCloneStreamData0">, judge: Judge): ModelState {
  const expectation = expectationFor(state, judge, situationOfCloneStream(state, call, judge));
  const streamDataId = call.args.calloutStreamData;
  const streamData = streamDataId === null ? undefined : state.streamData.get(streamDataId);
  const status = judgeStatus(judge, call.fn, expectation, call.ret);
  if (status !== STATUS.SUCCESS) return state;
  const members = call.ret?.netBufferListChain;
  if (members === undefined) {
    judge.require(expectation.ruleId, true, `${call.fn} returned STATUS_SUCCESS without a chain`);
    return state;
  }
  if (streamData !== undefined) {
    const reused = members.filter((id, index) => members.indexOf(id) !== index || (state.nbls.has(id) && !state.nbls.get(id)!.freed));
    judge.require("clone-stream/entire-chain", members.length !== streamData.chain.length || reused.length > 0, () =>
      reused.length > 0 ? `the cloned chain reuses live NBLs ${reused.join(", ")}` : `the indicated chain has ${streamData.chain.length} NBLs but the clone has ${members.length}`,
    );
    const clonedLength = call.ret?.dataLength;
    if (clonedLength !== undefined) {
      judge.require("clone-stream/trimmed", clonedLength !== streamData.dataLength, `the cloned chain describes ${clonedLength} bytes; the indicated stream data has ${streamData.dataLength}`);
    }
  }
  const chainId = `${streamDataId ?? "NULL"}@${judge.position}`;
  let next = state;
  for (const id of members) next = withNbl(next, newNbl(id, "streamClone", 1, null, chainId));
  const chain = { id: chainId, streamData: streamDataId ?? "NULL", members: [...members], discarded: false };
  return updated(next, withChain(next, chain));
}

/** The key of a chain's member list in the chainByMembers index. */
const membersKey = (members: readonly string[]): string => JSON.stringify(members);

/** The chains table and its index with `chain` added (or replacing the chain of the same id). */
function withChain(state: ModelState, chain: ClonedChain): Pick<ModelState, "chains" | "chainByMembers"> {
  const replaced = state.chains.get(chain.id);
  const chains = state.chains.set(chain.id, chain);
  const key = membersKey(chain.members);
  if (replaced === undefined) {
    return { chains, chainByMembers: state.chainByMembers.has(key) ? state.chainByMembers : state.chainByMembers.set(key, chain.id) };
  }
  // A chain id used twice (the same stream data cloned twice at one position): index its members afresh.
  const first = chains.find((candidate) => sameMembers(candidate.members, chain.members))!;
  return { chains, chainByMembers: state.chainByMembers.set(key, first.id) };
}

const sameMembers = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((id, index) => id === b[index]);

/** The first chain FwpsCloneStreamData0 returned with exactly these members, in order. */
function chainWithMembers(state: ModelState, list: readonly string[]): ClonedChain | undefined {
  const indexed = state.chainByMembers.get(membersKey(list));
  const chain = indexed === undefined ? undefined : state.chains.get(indexed);
  if (indexed === undefined || (chain !== undefined && sameMembers(chain.members, list))) return chain;
  return state.chains.find((candidate) => sameMembers(candidate.members, list)); // the index went stale (a chain id reused)
}

/** The checks every free function makes on one NBL; returns the live NBL, if it is one. */
function requireFreeable(state: ModelState, judge: Judge, id: string | null): NetBufferList | undefined {
  const argument = nblArgument(state, id);
  switch (argument.kind) {
    case "null":
      judge.require("nbl/no-use-after-free", true, "netBufferList is NULL");
      return undefined;
    case "unknown":
      judge.require("nbl/no-use-after-free", true, `${argument.id} was never allocated, cloned or indicated`);
      return undefined;
    case "freed":
      judge.require("nbl/free-once", true, `${argument.nbl.id} was already freed`);
      return undefined;
    case "live":
      judge.require("nbl/not-freed-in-flight", argument.nbl.inFlight !== null, `${argument.nbl.id} is in flight: its completion has not come`);
      judge.require("clone-nbl/original-outlives-clone", (state.liveClones.get(argument.nbl.id) ?? 0) > 0, `${argument.nbl.id} still has a live clone`);
      return argument.nbl;
  }
}

function markFreed(state: ModelState, nbls: readonly NetBufferList[]): ModelState {
  let next = state;
  for (const nbl of nbls) next = withNbl(next, nblWith(nbl, { freed: true, inFlight: null }));
  return next;
}

function freeClone(state: ModelState, call: Call<"FwpsFreeCloneNetBufferList0">, judge: Judge): ModelState {
  judge.require("free/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  judge.require("free-clone/flags-zero", call.args.freeCloneFlags !== 0, `freeCloneFlags is ${call.args.freeCloneFlags}, not zero`);
  const nbl = requireFreeable(state, judge, call.args.netBufferList);
  if (nbl === undefined) return state;
  judge.require(
    "free-clone/only-clones",
    nbl.origin === "allocated" || nbl.origin === "indicated" || (nbl.origin === "streamClone" && !nbl.completed),
    () => (nbl.origin === "streamClone" ? `${nbl.id} is a stream clone that was never completed: discard its chain with FwpsDiscardClonedStreamData0` : `${nbl.id} is ${nbl.origin === "allocated" ? "an allocated NBL (FwpsFreeNetBufferList0 frees it)" : "an NBL the stack indicated"}, not a clone`),
  );
  return markFreed(state, [nbl]);
}

function freeNbl(state: ModelState, call: Call<"FwpsFreeNetBufferList0">, judge: Judge): ModelState {
  judge.require("free/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  const nbl = requireFreeable(state, judge, call.args.netBufferList);
  if (nbl === undefined) return state;
  const completedStreamClone = nbl.origin === "streamClone" && nbl.completed;
  judge.require("completion/free-stream-clone", completedStreamClone, `${nbl.id} is a completed stream clone: free it with FwpsFreeCloneNetBufferList0`);
  judge.require("free-nbl/only-allocated", nbl.origin !== "allocated" && !completedStreamClone, `${nbl.id} is ${nbl.origin === "indicated" ? "an NBL the stack indicated" : `a ${nbl.origin === "clone" ? "clone" : "stream clone"}`}, not from FwpsAllocateNetBufferAndNetBufferList0`);
  return markFreed(state, [nbl]);
}

function discardClonedStreamData(state: ModelState, call: Call<"FwpsDiscardClonedStreamData0">, judge: Judge): ModelState {
  const { clonedNetBufferListChain: list, allocateCloneFlags, dispatchLevel } = call.args;
  judge.require("free/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  judge.require("discard/flags-zero", allocateCloneFlags !== 0, `allocateCloneFlags is ${allocateCloneFlags}, not zero`);
  judge.require("discard/dispatch-level-arg", dispatchLevel !== (call.irql === "DISPATCH_LEVEL"), `dispatchLevel is ${dispatchLevel ? "TRUE" : "FALSE"} but the caller runs at ${call.irql}`);
  if (list === null) {
    judge.require("nbl/no-use-after-free", true, "clonedNetBufferListChain is NULL");
    return state;
  }
  const live = list.flatMap((id) => {
    const nbl = requireFreeable(state, judge, id);
    return nbl === undefined ? [] : [nbl];
  });
  const chain = chainWithMembers(state, list);
  const injected = chain?.members.filter((id) => (state.nbls.get(id)?.injections ?? null) !== null) ?? [];
  judge.require("discard/whole-chain", chain === undefined || injected.length > 0, () =>
    chain === undefined ? `${list.join(" -> ")} is not a chain FwpsCloneStreamData0 returned (whole, in order)` : `the chain was injected (${injected.join(", ")}); its NBLs are freed one by one after their completions`,
  );
  const freed = markFreed(state, live);
  return chain === undefined ? freed : updated(freed, { chains: freed.chains.set(chain.id, { ...chain, discarded: true }) });
}

// -------------------------------------------------------------------------------------------------
// Pend and complete.
// -------------------------------------------------------------------------------------------------

function situationOfPend(state: ModelState, call: Call<"FwpsPendOperation0">, judge: Judge): Situation {
  judge.require("pend/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  const handleId = call.args.completionHandle;
  const handle = handleId === null ? undefined : state.completionHandles.get(handleId);
  if (handleId !== null) {
    judge.require("pend/layer", handle === undefined || handle.pended || !PENDABLE_LAYERS.includes(handle.layerId), () =>
      handle === undefined ? `${handleId} is not a completion handle from a classify` : handle.pended ? `${handleId} was already pended` : `${handle.layerId} is not a layer where classifies can be pended`,
    );
  }
  const failures: DocumentedFailure[] = [];
  if (handleId === null) failures.push({ statuses: [STATUS.FWP_NULL_POINTER], ruleId: "pend/null-pointer" });
  if (handle?.reauthorization === true) failures.push({ statuses: [STATUS.FWP_CANNOT_PEND], ruleId: "pend/reauthorization" });
  if (!state.stackReady) failures.push({ statuses: [STATUS.FWP_TCPIP_NOT_READY], ruleId: "pend/tcpip-not-ready" });
  return { failures, queues: true, successRule: "pend/success" };
}

function pendOperation(state: ModelState, call: Call<"FwpsPendOperation0">, judge: Judge): ModelState {
  const expectation = expectationFor(state, judge, situationOfPend(state, call, judge));
  const status = judgeStatus(judge, call.fn, expectation, call.ret);
  const handleId = call.args.completionHandle;
  const handle = handleId === null ? undefined : state.completionHandles.get(handleId);
  if (status !== STATUS.SUCCESS || handleId === null) return state;
  const context = call.ret?.completionContext;
  if (context === undefined) {
    judge.require(expectation.ruleId, true, `${call.fn} returned STATUS_SUCCESS without a completion context`);
    return state;
  }
  judge.require(expectation.ruleId, state.pends.get(context)?.completed === false, `${call.fn} returned ${context}, a completion context still pending`);
  const completionHandles = handle === undefined ? state.completionHandles : state.completionHandles.set(handleId, { ...handle, pended: true });
  return updated(state, { completionHandles, pends: state.pends.set(context, { completionContext: context, completionHandle: handleId, completed: false }) });
}

function completeOperation(state: ModelState, call: Call<"FwpsCompleteOperation0">, judge: Judge): ModelState {
  judge.require("complete/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  const contextId = call.args.completionContext;
  const pend = contextId === null ? undefined : state.pends.get(contextId);
  judge.require("complete/context-from-pend", pend === undefined, contextId === null ? "completionContext is NULL" : `${contextId} was not returned by FwpsPendOperation0`);
  if (pend !== undefined) judge.require("pend/complete-once", pend.completed, `${pend.completionContext} was already completed`);
  const nblId = call.args.netBufferList;
  const nbl = nblId === null ? undefined : requireUsableNbl(judge, nblArgument(state, nblId), "netBufferList");
  const classify = pend === undefined ? undefined : state.completionHandles.get(pend.completionHandle);
  const recvAccept = classify !== undefined && classify.layerId.includes("ALE_AUTH_RECV_ACCEPT") ? classify : undefined;
  if (recvAccept !== undefined) {
    // NULL conforms unless a clone of the packet was reinjected (decisions recv-accept/null-nbl, recv-accept/either-order).
    const reinjected = recvAccept.reinjectedClone;
    judge.require("complete/recv-accept-clone", reinjected !== null && reinjected !== nblId, `the connection pended at ${recvAccept.layerId} was reinjected with ${reinjected}, but FwpsCompleteOperation0 is passed ${nblId ?? "NULL"}`);
    if (nbl !== undefined) {
      judge.require("pend/recv-accept-reinject", nbl.origin !== "clone" || nbl.parent !== recvAccept.netBufferList, `${nbl.id} is not a clone of the packet ${recvAccept.netBufferList ?? "(none)"} classified at ${recvAccept.layerId}`);
    }
  }
  if (!judge.misuse) {
    judge.exercise("complete/status");
    const status = call.ret?.status;
    judge.require("complete/status", status !== undefined && status !== STATUS.SUCCESS, `${call.fn} returned ${String(status)} for a valid completion`);
  }
  if (pend === undefined || pend.completed) return state;
  const completionHandles =
    recvAccept === undefined || recvAccept.completedWith !== null ? state.completionHandles : state.completionHandles.set(recvAccept.id, { ...recvAccept, completedWith: { netBufferList: nblId } });
  return updated(state, { pends: state.pends.set(pend.completionContext, { ...pend, completed: true }), completionHandles });
}

// -------------------------------------------------------------------------------------------------
// FwpsQueryPacketInjectionState0.
// -------------------------------------------------------------------------------------------------

/** The most recent successful injection of `nbl` through the handle of key `handleKey`, if any. */
function lastInjectionThrough(nbl: NetBufferList, handleKey: string): InjectionMark | undefined {
  for (let entry = nbl.injections; entry !== null; entry = entry.previous) if (entry.mark.handleKey === handleKey) return entry.mark;
  return undefined;
}

/** The NBLs `nbl` was cloned from, nearest first (a cycle, impossible in a valid trace, ends the walk). */
function ancestorsOf(state: ModelState, nbl: NetBufferList): NetBufferList[] {
  const ancestors: NetBufferList[] = [];
  const seen = new Set<string>([nbl.id]);
  for (let ancestor = nbl.parent === null ? undefined : state.nbls.get(nbl.parent); ancestor !== undefined && !seen.has(ancestor.id); ancestor = ancestor.parent === null ? undefined : state.nbls.get(ancestor.parent)) {
    seen.add(ancestor.id);
    ancestors.push(ancestor);
  }
  return ancestors;
}

/** The state Q1 gives for an NBL whose own last successful injection is `last`, queried through `handle`. */
function injectedStateOf(state: ModelState, handle: InjectionHandle, nbl: NetBufferList, last: InjectionMark): InjectionStateAnswer {
  if (last.handleKey === handle.key) return { injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: last.injectionContext };
  for (const ancestor of ancestorsOf(state, nbl)) {
    const mark = lastInjectionThrough(ancestor, handle.key);
    if (mark !== undefined) return { injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext: mark.injectionContext };
  }
  return { injectionState: "FWPS_PACKET_INJECTED_BY_OTHER", injectionContext: null };
}

const NOT_INJECTED: InjectionStateAnswer = { injectionState: "FWPS_PACKET_NOT_INJECTED", injectionContext: null };

/**
 * The answers the documentation allows for `nbl` queried through `handle`, the digest's (Q1, Q2) first:
 * while its last injection is in flight only that one; after it completed, FWPS_PACKET_NOT_INJECTED too
 * (decision query/after-completion); for a clone never injected itself, NOT_INJECTED or its injected
 * ancestry's state (decision query/clone-of-injected).
 */
export function injectionStateAnswers(state: ModelState, handle: InjectionHandle, nbl: NetBufferList): InjectionStateAnswer[] {
  const last = nbl.injections?.mark;
  if (last !== undefined) {
    const answer = injectedStateOf(state, handle, nbl, last);
    return nbl.inFlight !== null ? [answer] : [answer, NOT_INJECTED];
  }
  const answers: InjectionStateAnswer[] = [NOT_INJECTED];
  const add = (answer: InjectionStateAnswer) => {
    if (!answers.some((known) => known.injectionState === answer.injectionState)) answers.push(answer);
  };
  const ancestors = ancestorsOf(state, nbl);
  const injected = ancestors.find((ancestor) => ancestor.injections !== null);
  if (injected !== undefined) add(injectedStateOf(state, handle, injected, injected.injections!.mark));
  for (const ancestor of ancestors) {
    const mark = lastInjectionThrough(ancestor, handle.key);
    if (mark !== undefined) {
      add({ injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext: mark.injectionContext });
      break;
    }
  }
  return answers;
}

/** The answer the digest (Q1, Q2) gives for `nbl` queried through the live handle `handleId` (the first of injectionStateAnswers). */
export function injectionStateOf(state: ModelState, handleId: string, nbl: NetBufferList): { injectionState: string; injectionContext: string | null } {
  const handle = liveHandle(state, handleId);
  if (handle === undefined) return NOT_INJECTED;
  return injectionStateAnswers(state, handle, nbl)[0]!;
}

function queryInjectionState(state: ModelState, call: Call<"FwpsQueryPacketInjectionState0">, judge: Judge): ModelState {
  judge.require("query/irql", !atMostDispatch(call.irql), `${call.fn} called at ${call.irql}`);
  const handleId = call.args.injectionHandle;
  const handle = liveHandle(state, handleId);
  judge.require("handle/no-use-after-destroy", handle === undefined, () => (handleId !== null && state.handles.has(handleId) ? `${handleId} was destroyed` : `${String(handleId)} was never created`));
  const nbl = requireUsableNbl(judge, nblArgument(state, call.args.netBufferList), "netBufferList");
  if (handle === undefined || nbl === undefined) return state;
  const answers = injectionStateAnswers(state, handle, nbl);
  const actual = call.ret?.injectionState;
  const answer = answers.find((candidate) => candidate.injectionState === actual);
  judge.require("query/state", answer === undefined, () => `${call.fn}(${handle.id}, ${nbl.id}) returned ${actual ?? "nothing"}; allowed: ${answers.map((candidate) => candidate.injectionState).join(" | ")}`);
  // A NULL injectionContext out pointer (args.injectionContext null) receives nothing to judge.
  if (answer !== undefined && answer.injectionState.endsWith("BY_SELF") && call.args.injectionContext !== null) {
    const context = call.ret?.injectionContext;
    judge.require(
      "query/injection-context",
      context !== undefined && context !== answer.injectionContext,
      `injectionContext is ${String(context)}; the inject call passed ${String(answer.injectionContext)}`,
    );
  }
  return state;
}

// -------------------------------------------------------------------------------------------------
// Environment events.
// -------------------------------------------------------------------------------------------------

/** Introduces an NBL the stack indicated (kept as is if the id names a live NBL already). */
function indicate(state: ModelState, id: string, netBufferCount: number): ModelState {
  const existing = state.nbls.get(id);
  if (existing !== undefined && !existing.freed) return state;
  return withNbl(state, newNbl(id, "indicated", netBufferCount));
}

function environment(state: ModelState, event: Exclude<TraceEvent, CallEvent | { kind: "completion" | "return" }>, judge: Judge): ModelState {
  switch (event.kind) {
    case "tcpipStack":
      return updated(state, { stackReady: event.ready });
    case "resources":
      return updated(state, { resourcesExhausted: event.exhausted });
    case "packetIndicated": {
      const injected = state.nbls.get(event.netBufferList);
      judge.require("forward-inject/not-reindicated", injected?.forwardInjected === true && !injected.freed, `${event.netBufferList}, forward-injected by the driver, was indicated again at ${event.layerId}`);
      return indicate(state, event.netBufferList, event.netBufferCount);
    }
    case "streamIndicated": {
      const reindicated = event.netBufferListChain.filter((id) => state.nbls.get(id)?.streamInjected === true && !state.nbls.get(id)!.freed);
      judge.require("stream-inject/not-reindicated", reindicated.length > 0, () => `stream data ${reindicated.join(", ")} injected by the callout was indicated to it again`);
      let next = state;
      for (const id of event.netBufferListChain) next = indicate(next, id, 1);
      const aborted = event.streamFlags.includes("FWPS_STREAM_FLAG_SEND_ABORT");
      const abortedFlows = aborted ? state.abortedFlows.set(event.flowId, true) : state.abortedFlows.delete(event.flowId);
      const streamData = { id: event.streamData, layerId: event.layerId, flowId: event.flowId, chain: [...event.netBufferListChain], dataLength: event.dataLength };
      return updated(next, { abortedFlows, streamData: state.streamData.set(event.streamData, streamData) });
    }
    case "aleClassify": {
      const next = event.netBufferList === undefined ? state : indicate(state, event.netBufferList, 1);
      const handle: CompletionHandle = {
        id: event.completionHandle,
        layerId: event.layerId,
        reauthorization: event.reauthorization,
        netBufferList: event.netBufferList ?? null,
        pended: false,
        reinjectedClone: null,
        completedWith: null,
      };
      const recvAccept = event.layerId.includes("ALE_AUTH_RECV_ACCEPT") && event.netBufferList !== undefined;
      return updated(next, {
        completionHandles: state.completionHandles.set(event.completionHandle, handle),
        recvAcceptByPacket: recvAccept ? state.recvAcceptByPacket.set(event.netBufferList!, event.completionHandle) : state.recvAcceptByPacket,
      });
    }
    case "engineIdle":
      return judgeOwed(state, judge);
    case "driverUnload": {
      const next = judgeOwed(state, judge);
      judgeLeaks(next, judge);
      return updated(next, { unloaded: true });
    }
  }
}

// -------------------------------------------------------------------------------------------------
// The step.
// -------------------------------------------------------------------------------------------------

function call(state: ModelState, event: CallEvent, judge: Judge): ModelState {
  switch (event.fn) {
    case "FwpsInjectionHandleCreate0":
      return handleCreate(state, event, judge);
    case "FwpsInjectionHandleDestroy0":
      return handleDestroy(state, event, judge, event.callId);
    case "FwpsInjectNetworkSendAsync0":
    case "FwpsInjectNetworkReceiveAsync0":
    case "FwpsInjectTransportSendAsync0":
    case "FwpsInjectTransportReceiveAsync0":
    case "FwpsInjectForwardAsync0":
    case "FwpsStreamInjectAsync0":
      return inject(state, event, judge);
    case "NdisAllocateNetBufferListPool":
      return allocatePool(state, event, judge);
    case "NdisFreeNetBufferListPool":
      return freePool(state, event);
    case "FwpsAllocateNetBufferAndNetBufferList0":
      return allocateNbl(state, event, judge);
    case "FwpsAllocateCloneNetBufferList0":
      return cloneNbl(state, event, judge);
    case "FwpsCloneStreamData0":
      return cloneStreamData(state, event, judge);
    case "FwpsFreeCloneNetBufferList0":
      return freeClone(state, event, judge);
    case "FwpsFreeNetBufferList0":
      return freeNbl(state, event, judge);
    case "FwpsDiscardClonedStreamData0":
      return discardClonedStreamData(state, event, judge);
    case "FwpsPendOperation0":
      return pendOperation(state, event, judge);
    case "FwpsCompleteOperation0":
      return completeOperation(state, event, judge);
    case "FwpsQueryPacketInjectionState0":
      return queryInjectionState(state, event, judge);
  }
}

/** The next state and the verdict for one event at `position` (a line number or an index). Never throws. */
export function step(state: ModelState, event: TraceEvent, position: number): StepResult {
  if (state.bugCheckedAt !== null) {
    const after = new Judge(position);
    after.modelError(`the trace goes on after the bug check at ${state.bugCheckedAt}: a bug check ends the run`);
    return { state, violations: after.violations, notes: after.notes, exercised: after.exercised };
  }
  if (event.kind === "call" && event.bugCheck !== undefined) return bugCheckedCall(state, event, position);
  const judge = new Judge(position);
  try {
    let next: ModelState;
    if (event.kind === "call") next = call(state, event, judge);
    else if (event.kind === "completion") next = completion(state, event, judge);
    else if (event.kind === "return") next = returnEvent(state, event, judge);
    else next = environment(state, event, judge);
    return { state: next, violations: judge.violations, notes: judge.notes, exercised: judge.exercised };
  } catch (error) {
    // A bug in the model, reported as such (never as a verdict on the engine or the caller).
    judge.modelError(`the model failed on this event: ${(error as Error)?.message ?? String(error)}`);
    return { state, violations: judge.violations, notes: judge.notes, exercised: judge.exercised };
  }
}

/**
 * A call that bug-checked the machine (decision trace/bug-check): its caller checks are made as
 * usual; the bug check is the caller's when the call broke a caller rule (a documented fatal one,
 * or misuse whose outcome no page fixes), and the engine's (`bug-check/caused-by-misuse`) otherwise.
 * The run ends: no later event is expected, and no leak is judged.
 */
function bugCheckedCall(state: ModelState, event: CallEvent, position: number): StepResult {
  const judge = new Judge(position, false);
  try {
    call(state, event, judge);
  } catch (error) {
    judge.modelError(`the model failed on this event: ${(error as Error)?.message ?? String(error)}`);
  }
  const engine = new Judge(position);
  const code = event.bugCheck!.code;
  engine.require("bug-check/caused-by-misuse", !judge.misuse, `${event.fn} bug-checked the machine (${code}), but the call broke no caller rule`);
  const crashed = updated(state, { bugCheckedAt: position });
  return { state: crashed, violations: [...judge.violations, ...engine.violations], notes: judge.notes, exercised: [...judge.exercised, ...engine.exercised] };
}

/** What the documentation allows a call to return in this state (a status set, an injection state, or nothing judged). */
export function expectedResult(state: ModelState, driverCall: Omit<CallEvent, "kind" | "callId" | "ret">): Expectation {
  const probe = new Judge(0);
  const event = { kind: "call", ...driverCall } as CallEvent;
  switch (event.fn) {
    case "FwpsInjectionHandleCreate0":
      return expectationFor(state, probe, situationOfCreate(state, event, probe));
    case "FwpsInjectionHandleDestroy0": {
      const handle = event.args.injectionHandle === null ? undefined : state.handles.get(event.args.injectionHandle);
      if (handle === undefined || handle.state !== "open") return { kind: "status", allowed: [STATUS.SUCCESS], otherFailureAllowed: true, ruleId: "handle-destroy/once" };
      return { kind: "status", allowed: [STATUS.SUCCESS], otherFailureAllowed: false, ruleId: "handle-destroy/returns", mustBlock: owedThrough(state, handle.id) > 0 };
    }
    case "FwpsInjectNetworkSendAsync0":
    case "FwpsInjectNetworkReceiveAsync0":
    case "FwpsInjectTransportSendAsync0":
    case "FwpsInjectTransportReceiveAsync0":
    case "FwpsInjectForwardAsync0":
    case "FwpsStreamInjectAsync0": {
      return expectationFor(state, probe, situationOfInject(state, event, probe));
    }
    case "FwpsQueryPacketInjectionState0": {
      const handle = liveHandle(state, event.args.injectionHandle);
      const argument = nblArgument(state, event.args.netBufferList);
      if (handle === undefined || argument.kind !== "live") return { kind: "void" };
      const answers = injectionStateAnswers(state, handle, argument.nbl);
      return { kind: "injectionState", ...answers[0]!, answers, ruleId: "query/state" };
    }
    case "NdisAllocateNetBufferListPool":
      return poolExpectation(state, probe);
    case "FwpsAllocateNetBufferAndNetBufferList0":
      return expectationFor(state, probe, situationOfAllocate(state, event, probe));
    case "FwpsAllocateCloneNetBufferList0":
      return expectationFor(state, probe, situationOfClone(state, event, probe));
    case "FwpsCloneStreamData0":
      return expectationFor(state, probe, situationOfCloneStream(state, event, probe));
    case "FwpsPendOperation0":
      return expectationFor(state, probe, situationOfPend(state, event, probe));
    case "FwpsCompleteOperation0":
      return { kind: "status", allowed: [STATUS.SUCCESS], otherFailureAllowed: true, ruleId: "complete/status" };
    case "NdisFreeNetBufferListPool":
    case "FwpsFreeCloneNetBufferList0":
    case "FwpsFreeNetBufferList0":
    case "FwpsDiscardClonedStreamData0":
      return { kind: "void" };
  }
}
