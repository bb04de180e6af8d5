/**
 * Deliberately wrong variants of the built-in simulator: each is the real engine with one
 * realistic defect switched on (an engine bug flag, or a verifier that misses or invents a
 * finding). The conformance suite must tell every one of them from the real engine; `rules` names
 * the catalogue rules whose violation should give each away.
 */
import { createVariantPort, type EngineVariant, type PortFactory } from "../port-adapter.ts";
import type { EngineBugs, VerifierBugs } from "../engine.ts";
import { CALLER_RULE as R } from "../verifier.ts";

/** One deliberately wrong variant. */
export interface Mutant {
  readonly description: string;
  /** The API family the defect sits in, or "verifier" for a defect of the caller checks. */
  readonly family: string;
  /** Rule ids the defect breaks (what a conformance run should report). */
  readonly rules: readonly string[];
  readonly createPort: PortFactory;
  /** The same factory, under the name the CLI's target loader reads. */
  readonly factory: PortFactory;
}

interface Defect {
  readonly description: string;
  readonly family: string;
  readonly rules: readonly string[];
  readonly bugs?: Partial<EngineBugs>;
  readonly verifierBugs?: Partial<VerifierBugs>;
  /** Options the defect forces (a defect of one delivery policy runs under that policy). */
  readonly forcePolicy?: "batch";
}

const missing = (...rules: string[]): Partial<VerifierBugs> => ({ suppressed: rules });

const DEFECTS: Readonly<Record<string, Defect>> = {
  // ------------------------------------------------------------------ handles
  "destroy-returns-with-injections-pending": {
    description: "FwpsInjectionHandleDestroy0 returns at once although injections through the handle are in flight, and their completions are dropped",
    family: "handles",
    rules: ["handle-create/destroy-waits", "completion/after-injection", "stream-inject/completion-per-nbl", "clone-stream/completion-per-clone"],
    bugs: { destroyDropsPending: true },
  },
  "completion-after-destroy-returned": {
    description: "FwpsInjectionHandleDestroy0 does not wait: it returns at once and the pending completions still arrive afterwards",
    family: "handles",
    rules: ["handle-create/destroy-waits", "handle-destroy/no-completion-after-return"],
    bugs: { destroyNoWait: true },
  },
  "destroy-returns-on-first-completion": {
    description: "a blocked destroy returns when the first completion through its handle arrives (it tests 'a completion arrived' instead of 'the pending count reached zero')",
    family: "handles",
    rules: ["handle-create/destroy-waits", "handle-destroy/no-completion-after-return"],
    bugs: { destroyReturnsOnFirstCompletion: true },
  },
  "destroy-never-returns": {
    description: "a blocked destroy is never woken up: its return never comes",
    family: "handles",
    rules: ["handle-destroy/returns"],
    bugs: { destroyNeverReturns: true },
  },
  "destroy-returns-failure": {
    description: "a destroy that waited returns STATUS_UNSUCCESSFUL instead of STATUS_SUCCESS",
    family: "handles",
    rules: ["handle-destroy/returns"],
    bugs: { destroyReturnsFailure: true },
  },
  "no-closing-status": {
    description: "while a destroy waits, new injections through the handle succeed and are injected instead of failing with STATUS_FWP_INJECT_HANDLE_CLOSING",
    family: "handles",
    rules: ["handle-destroy/closing"],
    bugs: { noClosingStatus: true },
  },
  "create-rejects-af-unspec": {
    description: "FwpsInjectionHandleCreate0 rejects AF_UNSPEC even for transport, stream and forward handles",
    family: "handles",
    rules: ["handle-create/af-unspec-optional"],
    bugs: { rejectAfUnspec: true },
  },
  "tcpip-not-ready-never-returned": {
    description: "the stack's readiness is never checked: create and inject succeed while the TCP/IP stack is not ready",
    family: "handles",
    rules: ["handle-create/tcpip-not-ready", "inject/tcpip-not-ready"],
    bugs: { ignoreTcpipNotReady: true },
  },
  "handle-id-reused-without-generation": {
    description: "a destroyed handle's table slot is reused under the same id, so a stale handle id reaches the new handle",
    family: "handles",
    rules: ["handle/no-use-after-destroy", "handle-destroy/once"],
    bugs: { handleIdsWithoutGeneration: true },
  },
  // ------------------------------------------------------------------ network
  "network-accepts-non-network-handle": {
    description: "network injection does not check the handle's type: a handle without FWPS_INJECTION_TYPE_NETWORK is accepted instead of STATUS_FWP_INJECT_HANDLE_STALE",
    family: "network",
    rules: ["network-inject/handle-type"],
    bugs: { noStaleCheck: true },
  },
  "network-accepts-flags-zero-handle": {
    description: "a handle created with flags = 0 is taken as 'every type', so network injection through it succeeds instead of STATUS_FWP_INJECT_HANDLE_STALE",
    family: "network",
    rules: ["network-inject/handle-type"],
    bugs: { flagsZeroIsAllTypes: true },
  },
  "clone-forgets-net-buffer-count": {
    description: "FwpsAllocateCloneNetBufferList0 records one NET_BUFFER for every clone, so a multi-NET_BUFFER receive injection of a clone goes unnoticed",
    family: "nbl",
    rules: ["network-inject/single-net-buffer-inbound"],
    bugs: { cloneSingleNetBuffer: true },
  },
  // ------------------------------------------------------------------ completions (every inject function)
  "completion-per-chain": {
    description: "a stream injection of a chain is completed once, for its head NBL, instead of once per NBL",
    family: "stream",
    rules: ["stream-inject/completion-per-nbl", "clone-stream/completion-per-clone"],
    bugs: { completionPerChain: true },
  },
  "completion-after-failed-inject": {
    description: "an inject call that fails with a documented status still queues the completion of its NBL",
    family: "network",
    rules: ["inject/completion-only-on-success"],
    bugs: { completionAfterFailedInject: true },
  },
  "duplicate-completion": {
    description: "every injected NBL is completed twice (the completion entry is not removed from the queue when it is delivered)",
    family: "transport",
    rules: ["completion/once-per-nbl"],
    bugs: { duplicateCompletion: true },
  },
  "batch-redelivers-last": {
    description: "under batch delivery (forced), the last completion of each batch is delivered again at the start of the next batch (an off-by-one in the batch cursor)",
    family: "forward",
    rules: ["completion/once-per-nbl"],
    bugs: { batchRedeliversLast: true },
    forcePolicy: "batch",
  },
  "completion-at-dirql": {
    description: "completion functions are called from the interrupt path, at DIRQL",
    family: "network",
    rules: ["completion/irql"],
    bugs: { completionAtDirql: true },
  },
  "dispatch-level-inverted": {
    description: "the completion function's dispatchLevel argument is the opposite of the IRQL it runs at",
    family: "transport",
    rules: ["completion/dispatch-level-flag"],
    bugs: { dispatchLevelInverted: true },
  },
  "completion-context-of-previous-injection": {
    description: "completions carry the completionContext of the previous successful inject call (the context is latched one call late)",
    family: "forward",
    rules: ["completion/context", "completion/once-per-nbl"],
    bugs: { previousContext: true },
  },
  "completion-ring-overwrites": {
    description: "pending completions are kept in a fixed ring of 3 entries that overwrites the oldest when full, so completions are lost under load",
    family: "network",
    rules: ["completion/after-injection", "stream-inject/completion-per-nbl", "clone-stream/completion-per-clone", "handle-destroy/returns"],
    bugs: { ringOverwriteCapacity: 3 },
  },
  // ------------------------------------------------------------------ transport and forward
  "transport-rejects-flags-zero-handle": {
    description: "transport injection requires FWPS_INJECTION_TYPE_TRANSPORT: a handle created with flags = 0 gets STATUS_FWP_INJECT_HANDLE_STALE",
    family: "transport",
    rules: ["handle-create/flags-zero-types"],
    bugs: { transportRequiresType: true },
  },
  "forward-rejects-flags-zero-handle": {
    description: "forward injection requires FWPS_INJECTION_TYPE_FORWARD: a handle created with flags = 0 gets STATUS_FWP_INJECT_HANDLE_STALE",
    family: "forward",
    rules: ["handle-create/flags-zero-types"],
    bugs: { forwardRequiresType: true },
  },
  // ------------------------------------------------------------------ stream
  "stream-disconnect-flags-unchecked": {
    description: "FwpsStreamInjectAsync0 does not check that a *_DISCONNECT flag comes with its direction flag",
    family: "stream",
    rules: ["stream-inject/disconnect-flags"],
    bugs: { noDisconnectFlagCheck: true },
  },
  "stream-null-completion-fn-accepted": {
    description: "FwpsStreamInjectAsync0 accepts a NULL completionFn instead of returning STATUS_FWP_NULL_POINTER",
    family: "stream",
    rules: ["stream-inject/null-completion-fn"],
    bugs: { acceptNullCompletionFn: true },
  },
  "stream-null-nbl-disconnect-completed": {
    description: "a disconnect with a NULL netBufferList gets a completion call (with a NULL NBL)",
    family: "stream",
    rules: ["stream-inject/null-nbl-disconnect"],
    bugs: { completeNullNblDisconnect: true },
  },
  "stream-null-nbl-without-disconnect-accepted": {
    description: "a NULL netBufferList without a disconnect flag is accepted with STATUS_SUCCESS",
    family: "stream",
    rules: ["stream-inject/null-nbl-disconnect"],
    bugs: { acceptNullNblWithoutDisconnect: true },
  },
  "clone-stream-drops-last-nbl": {
    description: "FwpsCloneStreamData0 stops one NBL short: the last NBL of a chain of two or more is not cloned",
    family: "stream",
    rules: ["clone-stream/entire-chain"],
    bugs: { cloneStreamDropsLast: true },
  },
  "clone-stream-not-trimmed": {
    description: "FwpsCloneStreamData0 reports the untrimmed buffer length (rounded up to 1024 bytes) instead of the indicated data length",
    family: "stream",
    rules: ["clone-stream/trimmed"],
    bugs: { cloneStreamUntrimmed: true },
  },
  // ------------------------------------------------------------------ NBLs
  "allocate-ignores-exhaustion": {
    description: "FwpsAllocateNetBufferAndNetBufferList0 succeeds while resources are exhausted",
    family: "nbl",
    rules: ["resources/exhausted"],
    bugs: { allocateIgnoresExhaustion: true },
  },
  "nbl-id-reused-without-generation": {
    description: "a freed NBL's table slot is reused under the same id, so a freed NBL id reaches the new NBL and the verifier misses the use after free",
    family: "nbl",
    rules: ["nbl/no-use-after-free", "nbl/free-once"],
    bugs: { nblIdsWithoutGeneration: true },
  },
  // ------------------------------------------------------------------ pend and complete
  "pend-reauthorization-succeeds": {
    description: "FwpsPendOperation0 pends a reauthorization classify instead of returning STATUS_FWP_CANNOT_PEND",
    family: "pend",
    rules: ["pend/reauthorization"],
    bugs: { pendReauthorization: true },
  },
  "pend-null-handle-wrong-status": {
    description: "FwpsPendOperation0 with a NULL completion handle returns STATUS_INVALID_PARAMETER instead of STATUS_FWP_NULL_POINTER",
    family: "pend",
    rules: ["pend/null-pointer"],
    bugs: { pendNullWrongStatus: true },
  },
  "pend-ignores-tcpip-not-ready": {
    description: "FwpsPendOperation0 succeeds while the TCP/IP stack is not ready",
    family: "pend",
    rules: ["pend/tcpip-not-ready"],
    bugs: { pendIgnoresTcpip: true },
  },
  "complete-returns-failure": {
    description: "FwpsCompleteOperation0 reports STATUS_UNSUCCESSFUL for a valid completion",
    family: "pend",
    rules: ["complete/status"],
    bugs: { completeReturnsFailure: true },
  },
  // ------------------------------------------------------------------ query
  "query-by-other-for-self": {
    description: "FwpsQueryPacketInjectionState0 answers FWPS_PACKET_INJECTED_BY_OTHER for a packet injected through the queried handle",
    family: "query",
    rules: ["query/state"],
    bugs: { queryByOtherForSelf: true },
  },
  "query-no-previously-by-self": {
    description: "FwpsQueryPacketInjectionState0 never looks at a clone's ancestors: FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF is never answered",
    family: "query",
    rules: ["query/state"],
    bugs: { queryNoPreviously: true },
  },
  "query-returns-completion-context": {
    description: "FwpsQueryPacketInjectionState0 returns the injection's completionContext instead of its injectionContext",
    family: "query",
    rules: ["query/injection-context"],
    bugs: { queryReturnsCompletionContext: true },
  },
  "query-counts-failed-injections": {
    description: "the injection state is recorded before the inject call's checks, so an NBL whose injection failed reads as injected",
    family: "query",
    rules: ["query/state"],
    bugs: { queryCountsFailedInjections: true },
  },
  "clone-inherits-injection-state": {
    description: "FwpsAllocateCloneNetBufferList0 gives the clone the injection record of the engine's latest injection, so a clone of a packet never injected reads as injected",
    family: "query",
    rules: ["query/state"],
    bugs: { cloneInheritsInjectionState: true },
  },
  // ------------------------------------------------------------------ the verifier
  "verifier-misses-af-unspec-network-handle": {
    description: "the verifier accepts a FWPS_INJECTION_TYPE_NETWORK handle created with AF_UNSPEC",
    family: "verifier",
    rules: [R.networkHandlePerFamily],
    verifierBugs: missing(R.networkHandlePerFamily),
  },
  "verifier-flags-af-unspec-transport-handle": {
    description: "false positive: the verifier flags every AF_UNSPEC handle as a per-family violation, transport, stream and forward handles included",
    family: "verifier",
    rules: [R.networkHandlePerFamily],
    verifierBugs: { flagAfUnspecAnyHandle: true },
  },
  "verifier-flags-transport-through-af-unspec-handle": {
    description: "false positive: the verifier takes the address family of a transport injection from the handle and flags injections through an AF_UNSPEC handle",
    family: "verifier",
    rules: [R.transportAddressFamily],
    verifierBugs: { transportFamilyFromHandle: true },
  },
  "verifier-misses-ip-version-mismatch": {
    description: "the verifier does not compare the injected packet's IP version with the network handle's address family",
    family: "verifier",
    rules: [R.ipVersionMatchesHandle],
    verifierBugs: missing(R.ipVersionMatchesHandle),
  },
  "verifier-misses-multi-net-buffer-receive": {
    description: "the verifier does not flag a receive-direction network injection of an NBL with several NET_BUFFERs",
    family: "verifier",
    rules: [R.singleNetBufferInbound],
    verifierBugs: missing(R.singleNetBufferInbound),
  },
  "verifier-misses-alignment": {
    description: "the verifier does not check contextSize and contextBackFill against MEMORY_ALLOCATION_ALIGNMENT",
    family: "verifier",
    rules: [R.contextSizeAligned, R.backfillAligned],
    verifierBugs: missing(R.contextSizeAligned, R.backfillAligned),
  },
  "verifier-alignment-hardcoded-8": {
    description: "the verifier hard-codes MEMORY_ALLOCATION_ALIGNMENT as 8 (the x86 value) on every platform",
    family: "verifier",
    rules: [R.contextSizeAligned, R.backfillAligned],
    verifierBugs: { alignmentOverride: 8 },
  },
  "verifier-misses-double-free": {
    description: "the verifier does not flag an NBL freed twice",
    family: "verifier",
    rules: [R.nblFreeOnce],
    verifierBugs: missing(R.nblFreeOnce),
  },
  "verifier-misses-free-in-flight": {
    description: "the verifier does not flag an NBL freed while its injection is pending",
    family: "verifier",
    rules: [R.nblNotFreedInFlight],
    verifierBugs: missing(R.nblNotFreedInFlight),
  },
  "verifier-misses-reinject-in-flight": {
    description: "the verifier does not flag an NBL injected again while its earlier injection is pending",
    family: "verifier",
    rules: [R.nblNotInFlight],
    verifierBugs: missing(R.nblNotInFlight),
  },
  "verifier-misses-wrong-free-function": {
    description: "the verifier does not check that the free function matches the NBL's origin",
    family: "verifier",
    rules: [R.freeOnlyAllocated, R.freeOnlyClones, R.freeStreamClone],
    verifierBugs: missing(R.freeOnlyAllocated, R.freeOnlyClones, R.freeStreamClone),
  },
  "verifier-misses-original-outlives-clone": {
    description: "the verifier does not flag an original freed while a clone of it lives",
    family: "verifier",
    rules: [R.originalOutlivesClone],
    verifierBugs: missing(R.originalOutlivesClone),
  },
  "verifier-misses-partial-discard": {
    description: "the verifier does not check that FwpsDiscardClonedStreamData0 gets a whole, uninjected clone chain",
    family: "verifier",
    rules: [R.discardWholeChain],
    verifierBugs: missing(R.discardWholeChain),
  },
  "verifier-misses-nbl-leaks": {
    description: "the verifier reports no leaked NBL at driver unload",
    family: "verifier",
    rules: [R.freeAfterInjection, R.cloneNotHeld, R.freeEachClone, R.discardIfNotInjected, R.callerOwnsAfterFailure],
    verifierBugs: missing(R.freeAfterInjection, R.cloneNotHeld, R.freeEachClone, R.discardIfNotInjected, R.callerOwnsAfterFailure),
  },
  "verifier-misses-handle-leak": {
    description: "the verifier reports no injection handle left open at driver unload",
    family: "verifier",
    rules: [R.destroyWhenDone],
    verifierBugs: missing(R.destroyWhenDone),
  },
  "verifier-failed-injection-leak-by-origin": {
    description: "at unload the verifier reports an NBL whose injection failed by its origin instead of as an NBL the caller owned after the failure",
    family: "verifier",
    rules: [R.callerOwnsAfterFailure],
    verifierBugs: { failedInjectReportedByOrigin: true },
  },
  "verifier-misses-destroy-context": {
    description: "the verifier does not check where FwpsInjectionHandleDestroy0 is called from: neither a completion function nor an IRQL above PASSIVE_LEVEL is flagged",
    family: "verifier",
    rules: [R.destroyNotFromCompletion, R.destroyIrql],
    verifierBugs: missing(R.destroyNotFromCompletion, R.destroyIrql),
  },
  "verifier-misses-inject-irql": {
    description: "the verifier does not check the IRQL of inject calls",
    family: "verifier",
    rules: [R.injectIrql],
    verifierBugs: missing(R.injectIrql),
  },
  "verifier-misses-tcp-in-classify": {
    description: "the verifier does not flag TCP data injected from inside a classifyFn",
    family: "verifier",
    rules: [R.tcpOutOfBand],
    verifierBugs: missing(R.tcpOutOfBand),
  },
  "verifier-misses-stream-after-abort": {
    description: "the verifier does not flag stream injection into a flow indicated with FWPS_STREAM_FLAG_SEND_ABORT",
    family: "verifier",
    rules: [R.streamNotAfterAbort],
    verifierBugs: missing(R.streamNotAfterAbort),
  },
  "verifier-misses-double-complete": {
    description: "the verifier does not flag a pend completed twice",
    family: "verifier",
    rules: [R.pendCompleteOnce],
    verifierBugs: missing(R.pendCompleteOnce),
  },
  "verifier-misses-recv-accept-reinject": {
    description: "the verifier does not check how a pend at ALE_AUTH_RECV_ACCEPT is completed (NULL NBL, or an NBL that is not the reinjected clone)",
    family: "verifier",
    rules: [R.recvAcceptReinject, R.completeRecvAcceptClone],
    verifierBugs: missing(R.recvAcceptReinject, R.completeRecvAcceptClone),
  },
};

function build(name: string, defect: Defect): Mutant {
  const variant: EngineVariant = {
    name: `builtin:mutant/${name}`,
    ...(defect.bugs === undefined ? {} : { bugs: defect.bugs }),
    ...(defect.verifierBugs === undefined ? {} : { verifierBugs: defect.verifierBugs }),
  };
  const factory: PortFactory = (options) => createVariantPort(defect.forcePolicy === undefined ? options : { ...options, policy: defect.forcePolicy }, variant);
  return { description: defect.description, family: defect.family, rules: defect.rules, createPort: factory, factory };
}

/** Every mutant, by name. */
export const MUTANTS: Readonly<Record<string, Mutant>> = Object.fromEntries(Object.entries(DEFECTS).map(([name, defect]) => [name, build(name, defect)]));
