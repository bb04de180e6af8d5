/**
 * The simulator's Driver-Verifier-like checker of caller misuse: the catalogue's caller rule ids,
 * and the reporting machinery the engine's checks go through (one finding per rule per event,
 * rule suppression for the verifier's deliberately wrong variants, leak lists at unload).
 *
 * The checks themselves sit in engine.ts, next to the state they read, each marked with the rule
 * id it reports; this module decides what becomes a finding.
 */

/** Every caller rule the verifier reports, by a readable key. The ids are the catalogue's (spec/rules.ts). */
export const CALLER_RULE = {
  createIrql: "handle-create/irql",
  createAddressFamily: "handle-create/address-family",
  createFlags: "handle-create/flags",
  networkHandlePerFamily: "handle-create/network-handle-per-family",
  destroyWhenDone: "handle-create/destroy-when-done",
  destroyOnce: "handle-destroy/once",
  noUseAfterDestroy: "handle/no-use-after-destroy",
  destroyIrql: "handle-destroy/irql",
  destroyNotFromCompletion: "handle-destroy/not-from-completion",
  injectIrql: "inject/irql",
  callerOwnsAfterFailure: "inject/caller-owns-after-failure",
  injectFlagsZero: "inject/flags-zero",
  completionFnNotNull: "inject/completion-fn-not-null",
  nblNotInFlight: "inject/nbl-not-in-flight",
  freeStreamClone: "completion/free-stream-clone",
  ipVersionMatchesHandle: "network-inject/ip-version-matches-handle",
  networkNblOrigin: "network-inject/nbl-origin",
  singleNetBufferInbound: "network-inject/single-net-buffer-inbound",
  transportHandleType: "transport-inject/handle-type",
  transportAddressFamily: "transport-inject/address-family",
  tcpOutOfBand: "transport-inject/tcp-out-of-band",
  forwardHandleType: "forward-inject/handle-type",
  forwardAddressFamily: "forward-inject/address-family",
  streamLayer: "stream-inject/layer",
  streamHandleType: "stream-inject/handle-type",
  streamDataOrigin: "stream-inject/data-origin",
  streamNotAfterAbort: "stream-inject/not-after-abort",
  allocateIrql: "allocate-nbl/irql",
  allocatePoolHandle: "allocate-nbl/pool-handle",
  contextSizeAligned: "allocate-nbl/context-size-aligned",
  backfillAligned: "allocate-nbl/backfill-aligned",
  dataWithinMdl: "allocate-nbl/data-within-mdl",
  freeAfterInjection: "allocate-nbl/free-after-injection",
  cloneIrql: "clone-nbl/irql",
  cloneFlagsZero: "clone-nbl/flags-zero",
  originalOutlivesClone: "clone-nbl/original-outlives-clone",
  cloneNotHeld: "clone-nbl/not-held",
  cloneStreamIrql: "clone-stream/irql",
  cloneStreamData: "clone-stream/stream-data",
  cloneStreamFlagsZero: "clone-stream/flags-zero",
  freeEachClone: "clone-stream/free-each-clone",
  discardIfNotInjected: "clone-stream/discard-if-not-injected",
  freeIrql: "free/irql",
  freeOnlyClones: "free-clone/only-clones",
  freeCloneFlagsZero: "free-clone/flags-zero",
  freeOnlyAllocated: "free-nbl/only-allocated",
  discardWholeChain: "discard/whole-chain",
  discardFlagsZero: "discard/flags-zero",
  discardDispatchLevelArg: "discard/dispatch-level-arg",
  nblFreeOnce: "nbl/free-once",
  nblNotFreedInFlight: "nbl/not-freed-in-flight",
  nblNoUseAfterFree: "nbl/no-use-after-free",
  pendIrql: "pend/irql",
  pendLayer: "pend/layer",
  pendCompleteOnce: "pend/complete-once",
  pendCompletedByUnload: "pend/completed-by-unload",
  recvAcceptReinject: "pend/recv-accept-reinject",
  completeIrql: "complete/irql",
  completeContextFromPend: "complete/context-from-pend",
  completeRecvAcceptClone: "complete/recv-accept-clone",
  queryIrql: "query/irql",
} as const;
export type CallerRuleId = (typeof CALLER_RULE)[keyof typeof CALLER_RULE];

/** Where findings go. */
export type FindingListener = (ruleId: string, message: string) => void;

/**
 * Collects the findings of one event at a time: each rule id at most once per event, rules a
 * variant is built to miss dropped, nothing at all when the verifier is off.
 */
export class Verifier {
  private readonly seen: string[] = [];
  private readonly suppressed: ReadonlySet<string> | null;

  constructor(
    private readonly enabled: boolean,
    private readonly listener: FindingListener,
    suppressed: readonly string[] = [],
  ) {
    this.suppressed = suppressed.length === 0 ? null : new Set(suppressed);
  }

  /** Starts a new event: rule ids may be reported again. */
  beginEvent(): void {
    if (this.seen.length !== 0) this.seen.length = 0;
  }

  /** Reports one broken caller rule for the current event (later reports of the same id are dropped). */
  report(ruleId: CallerRuleId, message: string): void {
    if (!this.enabled) return;
    if (this.suppressed !== null && this.suppressed.has(ruleId)) return;
    if (this.seen.includes(ruleId)) return;
    this.seen.push(ruleId);
    this.listener(ruleId, message);
  }

  /** Reports leaked objects at unload: one finding per object, naming it. */
  reportLeaks(ruleId: CallerRuleId, what: string, names: readonly string[]): void {
    if (!this.enabled || names.length === 0) return;
    if (this.suppressed !== null && this.suppressed.has(ruleId)) return;
    for (const name of names) this.listener(ruleId, `${name}: ${what} at driver unload`);
  }
}
