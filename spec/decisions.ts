/**
 * The model's decisions where the pages are silent, ambiguous or contradict each other, as data:
 * what the model does, why, and the sentence it rests on (or null: the pages are silent). Each
 * decision names the rules it concerns. docs/decisions.md is generated from this list, so the prose
 * cannot drift from it; the model's code cites a decision by its id.
 *
 * `source` names where the quote is from: one of the five seed pages, a label of the digest of the
 * related pages (`related-rules.md [S3]`), or a Microsoft Learn page by its title.
 */
import { z } from "zod";

export const DecisionSchema = z.strictObject({
  /** Stable, readable id: `<topic>/<what>`. */
  id: z.string().regex(/^[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/),
  /** The catalogue rules the decision concerns (may be empty for a decision about the trace format). */
  ruleIds: z.array(z.string().min(3)),
  /** What the model does, in one or two sentences. */
  decision: z.string().min(10),
  /** Why. */
  reason: z.string().min(10),
  /** The sentence of a page the decision rests on, or null when the pages are silent. */
  quote: z.string().min(3).nullable(),
  /** Where the quote is from (or what the pages that are silent are). */
  source: z.string().min(3),
});
export type Decision = z.infer<typeof DecisionSchema>;

const LEARN_TRANSPORT_RECEIVE = "FwpsInjectTransportReceiveAsync0 (Microsoft Learn, Remarks)";

const ENTRIES: readonly Decision[] = [
  // ------------------------------------------------------------------ replies to misuse (issue 12, item 1)
  {
    id: "reply/misuse-unconstrained",
    ruleIds: ["inject/success", "handle-create/success", "allocate-nbl/success", "clone-nbl/success", "clone-stream/success", "pend/success", "handle/no-use-after-destroy"],
    decision:
      "When a call breaks a caller rule for which no page documents the engine's reply (wrong IRQL, a NULL [in] pointer, a dead or wrong-type handle, undefined flags, ...), the caller violation is reported and the engine's reply is not judged: any status, success included. This holds even when a documented failure of the state (stack not ready, handle closing) also applies.",
    reason: "A page documents what the engine returns for a valid call; for misuse it documents nothing, and a real engine may succeed, fail or bug-check. Judging the reply would report the engine for the caller's fault.",
    quote: null,
    source: "pages are silent",
  },
  {
    id: "reply/documented-misuse-reply",
    ruleIds: ["stream-inject/null-completion-fn", "inject/completion-fn-not-null"],
    decision:
      "Where a page documents the reply to a misuse (a NULL completionFn at FwpsStreamInjectAsync0: STATUS_FWP_NULL_POINTER), the caller is flagged and the reply is judged: it must be the documented status, or any other documented failure that applies to the call. If the same call also commits a misuse with no documented reply, the reply is not judged.",
    reason: "The digest documents this one reply; with a second, undocumented misuse in the same call the engine may stop at that one first.",
    quote: "a NULL completion function returns STATUS_FWP_NULL_POINTER.",
    source: "related-rules.md [S3]",
  },
  {
    id: "reply/no-precedence",
    ruleIds: ["handle-destroy/closing", "network-inject/handle-type", "inject/tcpip-not-ready", "stream-inject/disconnect-flags", "stream-inject/null-completion-fn", "stream-inject/null-nbl-disconnect", "pend/null-pointer", "pend/reauthorization", "pend/tcpip-not-ready"],
    decision: "When several documented failures apply to one call, any of their statuses is accepted; no order of checks is required.",
    reason: "No page states an order in which an engine checks its arguments and its state.",
    quote: null,
    source: "pages are silent",
  },
  {
    id: "reply/null-completion-fn-misuse",
    ruleIds: ["inject/completion-fn-not-null"],
    decision:
      "A NULL completionFn is caller misuse at every inject function (network, transport, forward, stream). For the five functions other than FwpsStreamInjectAsync0 no reply is documented, so the engine's reply is not judged.",
    reason: "The syntax of every inject function marks completionFn [in] (not [in, optional]) and no page says NULL is allowed; the engine is documented to call it.",
    quote: "The filter engine calls a callout's completionFn callout function whenever packet data, described by the netBufferList parameter in one of the packet injection functions, has been injected into the network stack.",
    source: "FWPS_INJECT_COMPLETE0",
  },
  // ------------------------------------------------------------------ failures the pages leave open (item 3)
  {
    id: "reply/resource-failure",
    ruleIds: ["resources/exhausted", "handle-create/success", "inject/success", "allocate-nbl/success", "clone-nbl/success", "clone-stream/success", "pend/success"],
    decision:
      "A call that allocates or queues (FwpsInjectionHandleCreate0, the six inject functions, NdisAllocateNetBufferListPool, FwpsAllocateNetBufferAndNetBufferList0, FwpsAllocateCloneNetBufferList0, FwpsCloneStreamData0, FwpsPendOperation0) may fail with a resource status (spec/vocabulary.ts RESOURCE_FAILURE_STATUSES) at any time, even when the trace records no resources event, besides any documented failure that applies. While the trace says resources are exhausted, a call that allocates (not one that only queues: an inject or a pend) must fail (any failure status).",
    reason: "Every one of these pages lists 'Other status codes: An error occurred.'; an allocation can fail at any time in a kernel. A parameter error for a valid call in a normal state is not a resource failure and stays an engine violation.",
    quote: "Other status codes An error occurred.",
    source: "FwpsAllocateNetBufferAndNetBufferList0",
  },
  // ------------------------------------------------------------------ silent inputs (item 4)
  {
    id: "silent/zero-length-stream-data",
    ruleIds: ["inject/success"],
    decision: "FwpsStreamInjectAsync0 with dataLength 0 and a non-NULL chain may succeed or fail with a parameter error; either way a portability note is reported.",
    reason: "No page says whether zero bytes of stream data may be injected.",
    quote: null,
    source: "pages are silent",
  },
  {
    id: "silent/per-call-family-differs",
    ruleIds: ["transport-inject/address-family", "forward-inject/address-family"],
    decision:
      "A transport or forward injection whose per-call addressFamily (AF_INET or AF_INET6) differs from the handle's own family (AF_INET or AF_INET6, not AF_UNSPEC) may succeed or fail with a parameter error; either way a portability note is reported.",
    reason: "The pages say the handle may be AF_UNSPEC for these injections and that the family is given per call; they do not say what a handle of the other family does.",
    quote: "For transport, stream, and forward injections, this parameter is optional and can be set to AF_UNSPEC, which indicates an unspecified address family.",
    source: "FwpsInjectionHandleCreate0",
  },
  {
    id: "silent/zero-length-allocation",
    ruleIds: ["allocate-nbl/success"],
    decision: "FwpsAllocateNetBufferAndNetBufferList0 with a non-NULL mdlChain and dataLength 0 may succeed or fail with a parameter error; either way a portability note is reported.",
    reason: "The page makes mdlChain optional but does not say whether an empty used-data space with an MDL is valid.",
    quote: null,
    source: "pages are silent",
  },
  // ------------------------------------------------------------------ the injection-state query (item 5)
  {
    id: "query/after-completion",
    ruleIds: ["query/state", "query/injection-context"],
    decision:
      "For an NBL whose last successful injection has completed, FwpsQueryPacketInjectionState0 may answer the state of that injection (as while it was in flight) or FWPS_PACKET_NOT_INJECTED. While an injection is in flight the state of Q1 is required.",
    reason: "The pages define the states by who injected the packet but do not say how long the mark lasts once the completion function has returned the NBL to its owner.",
    quote: null,
    source: "pages are silent",
  },
  {
    id: "query/clone-of-injected",
    ruleIds: ["query/state"],
    decision:
      "For an NBL never injected itself whose ancestor (the original it was cloned from, ...) was injected, the query may answer FWPS_PACKET_NOT_INJECTED, the state its nearest injected ancestor would answer, or FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF when an ancestor was injected through the queried handle. An NBL with no injected ancestry must answer FWPS_PACKET_NOT_INJECTED.",
    reason: "A clone shares the original's data; the pages do not say whether the injection mark travels with the data or with the NBL until the clone is reinjected.",
    quote: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF when injected through this handle and later cloned and reinjected by someone else.",
    source: "related-rules.md [Q1]",
  },
  // ------------------------------------------------------------------ ALE_AUTH_RECV_ACCEPT (item 6)
  {
    id: "recv-accept/either-order",
    ruleIds: ["pend/recv-accept-reinject", "transport-inject/recv-accept-nbl"],
    decision:
      "A connection pended at ALE_AUTH_RECV_ACCEPT may be completed with the clone of its packet and the clone injected afterwards (the order FwpsInjectTransportReceiveAsync0's remarks give), or the clone injected first and then passed to FwpsCompleteOperation0 (the order of the seed's sentence). A non-NULL netBufferList passed to the completion must be a clone of that classify's packet.",
    reason: "The seed page says 'reinject ... and call' without an order; the transport receive page orders it 'after ... has completed'. Both readings conform.",
    quote: "Otherwise, this function should be called from the following Application Layer Enforcement (ALE) layers after a pended ALE operation was initiated with a call to FwpsPendOperation0 and has completed with a call to FwpsCompleteOperation0",
    source: LEARN_TRANSPORT_RECEIVE,
  },
  {
    id: "recv-accept/null-nbl",
    ruleIds: ["complete/recv-accept-clone"],
    decision:
      "Completing a RECV_ACCEPT pend with a NULL netBufferList conforms at the call (it is how a rejected connection, whose packet is not reinjected, is completed). It breaks complete/recv-accept-clone only when a clone of that classify's packet is injected: before the completion (judged at the completion) or after it (judged at the inject call).",
    reason: "The pages require the reinjected NBL to be the one passed to the completion; they say nothing about a connection that is not reinjected.",
    quote: "A net buffer list to be injected must be passed to the FwpsCompleteOperation0 function as the netBufferList argument.",
    source: LEARN_TRANSPORT_RECEIVE,
  },
  // ------------------------------------------------------------------ header-defined injection types (item 7)
  {
    id: "create/header-injection-types",
    ruleIds: ["handle-create/flags", "handle-create/address-family"],
    decision:
      "FWPS_INJECTION_TYPE_L2 and FWPS_INJECTION_TYPE_VSWITCH_TRANSPORT (defined in fwpsk.h after the seed page) are accepted at create, with any address family; only their use is judged (a handle of these types alone is not a transport, stream, forward or network handle).",
    reason: "The seed page lists the four types it knew; the header defines more, and their own pages (FwpsInjectMacReceiveAsync0, ...) are outside the five source pages.",
    quote: "This flag can have one or more of the following values:",
    source: "FwpsInjectionHandleCreate0",
  },
  // ------------------------------------------------------------------ leaks (item 8)
  {
    id: "leak/one-per-object",
    ruleIds: ["handle-create/destroy-when-done", "inject/caller-owns-after-failure", "allocate-nbl/free-after-injection", "clone-nbl/not-held", "clone-stream/free-each-clone", "clone-stream/discard-if-not-injected", "pend/completed-by-unload"],
    decision: "At driverUnload each leaked object (injection handle, NBL, clone, cloned chain, pended operation) is one violation naming that object.",
    reason: "A leak is a fact about one object; a driver author fixes them one by one.",
    quote: null,
    source: "pages are silent",
  },
  // ------------------------------------------------------------------ reused ids (item 9)
  {
    id: "ids/reused-after-free",
    ruleIds: ["handle/no-use-after-destroy", "nbl/no-use-after-free"],
    decision:
      "An id (a kernel pointer) that an allocating call returns after its object was destroyed or freed names a new object: the old one's history (injections, clones, owed completions, pends) does not carry over. An id that an indication names while no live object has it is a new packet from the stack.",
    reason: "Kernel pointers are reused after a free; a trace records the pointer values.",
    quote: null,
    source: "pages are silent",
  },
  // ------------------------------------------------------------------ the trace format (issue 12, sequences 1-5)
  {
    id: "trace/bug-check",
    ruleIds: ["bug-check/caused-by-misuse", "network-inject/single-net-buffer-inbound"],
    decision:
      "A call may end the trace with `bugCheck: {code, parameter1?}` instead of `ret`. The model makes the call's caller checks; the bug check is explained when the call broke any caller rule (a documented fatal one, or misuse with no documented outcome), and is the engine's fault (bug-check/caused-by-misuse) otherwise. Any later event is an error of the trace; no leak is judged after a bug check.",
    reason: "Only misuse can bring a machine down in a documented way; IRQL and pointer misuse may bug-check with codes the pages do not list.",
    quote: "(N4, C, fatal) injecting an NBL that holds more than one NET_BUFFER in the receive (inbound) direction is a bug check (0x1D3 WFP_INVALID_OPERATION, parameter 1 = 1)",
    source: "related-rules.md [N4]",
  },
  {
    id: "trace/deferred-return",
    ruleIds: ["handle-destroy/returns", "handle-create/destroy-waits"],
    decision:
      "Only FwpsInjectionHandleDestroy0 may be recorded without `ret` (with a `callId`) and return later in a `return` event; every other non-VOID call without `ret` (or `bugCheck`) is a malformed trace, rejected with the line and the field.",
    reason: "The destroy page is the only one that says a function waits; the inject functions are asynchronous through their completion function, not through a late return.",
    quote: "If pending injections have not yet completed, this function will wait for their completion before returning.",
    source: "FwpsInjectionHandleCreate0",
  },
  {
    id: "trace/caller-contexts",
    ruleIds: ["handle-create/irql", "handle-destroy/irql", "inject/irql"],
    decision:
      "A call's `from` may name DriverEntry, the unload routine, a work item (each at PASSIVE_LEVEL), a DPC (DISPATCH_LEVEL) or a timer callback (PASSIVE_LEVEL or DISPATCH_LEVEL); a call whose `irql` is not one its context runs at is a malformed trace. The IRQL rules are then judged on the call's `irql` as before.",
    reason: "The context fixes the IRQL in the kernel; a trace that says otherwise was recorded wrongly.",
    quote: null,
    source: "pages are silent",
  },
  {
    id: "trace/data-less-stream",
    ruleIds: ["stream-inject/not-after-abort"],
    decision: "A streamIndicated event may carry an empty chain (an abort, a disconnect or a FIN with dataLength 0), so that an injection into an aborted flow can be judged.",
    reason: "FWPS_STREAM_DATA0 indications without data are ordinary (the flags carry the event).",
    quote: null,
    source: "pages are silent",
  },
  {
    id: "trace/recorded-arguments",
    ruleIds: ["network-inject/single-net-buffer-inbound", "query/injection-context"],
    decision:
      "Arguments a recorder sees are written down: the NET_BUFFER count of a network-injected NBL (it overrides the model's count), the IP version and direction of a classify, a transport send's FWPS_TRANSPORT_SEND_PARAMS0 (remote address, scope id, control data), a NULL injectionContext out pointer of the query (then no context is judged), and symbolic names for endpoint handles and callout ids.",
    reason: "A real driver's sequence carries them; without them a trace cannot be written down or the rule that needs them cannot be judged.",
    quote: null,
    source: "pages are silent",
  },
];

/** Every decision, validated; throws naming the entry when one is malformed or an id repeats. */
export const DECISIONS: readonly Decision[] = ((): readonly Decision[] => {
  const seen = new Set<string>();
  return ENTRIES.map((entry, index) => {
    const parsed = DecisionSchema.safeParse(entry);
    if (!parsed.success) throw new Error(`decision ${index} (${entry.id}): ${parsed.error.issues[0]!.message}`);
    if (seen.has(entry.id)) throw new Error(`decision ${index}: duplicate id ${entry.id}`);
    seen.add(entry.id);
    return parsed.data;
  });
})();

export type DecisionId = (typeof ENTRIES)[number]["id"];

/** The coverage key under which the runs count a portability note of decision `id` (beside the rule ids). */
export const NOTE_COVERAGE_PREFIX = "note:";

/** The decision with this id (undefined for an unknown id). */
export function decisionById(id: string): Decision | undefined {
  return DECISIONS.find((decision) => decision.id === id);
}
