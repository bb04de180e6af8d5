/**
 * The sources the rules cite, as data shipped with the package: the Microsoft Learn pages (each with
 * its URL), and every item of the digest of related pages (its label, the pages it restates, and its
 * text). The five seed pages are the primary sources; rules quote their sentences directly. The
 * digest restates, in the project's own words, rules of related pages the seed pages reference;
 * where a digest item and a seed page disagree, the seed page wins.
 *
 * Nothing here is read from outside the package at run time: the digest text below is the digest's,
 * copied as data, so that `wfp-conform rules <id>` can print what a rule rests on.
 */
import { INJECT_FUNCTIONS } from "./vocabulary.ts";

/** Microsoft Learn, English, Windows driver reference. */
const DDI = "https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi";

/** A page of Microsoft Learn a rule or a digest item rests on. */
export interface LearnPage {
  /** The page's name as the rules and the digest spell it (a function, callback, structure, or a topic title). */
  readonly name: string;
  /** What the page documents. */
  readonly kind: "function" | "callback" | "structure" | "enumeration" | "topic" | "bug check";
  /** The page on Microsoft Learn. */
  readonly url: string;
  /** For a seed page taken from an older edition of the documentation: that edition's page. */
  readonly seedUrl?: string;
}

const fwpsk = (name: string, prefix: "nf" | "nc" | "ns" | "ne", slug = name.toLowerCase()): string => `${DDI}/fwpsk/${prefix}-fwpsk-${slug}`;

/** The five pages the project was created from: rules quote their sentences. */
export const SOURCE_PAGES = [
  "FwpsInjectionHandleCreate0",
  "FWPS_INJECT_COMPLETE0",
  "FwpsAllocateNetBufferAndNetBufferList0",
  "FwpsCloneStreamData0",
  "FwpsCompleteOperation0",
] as const;
export type SourcePage = (typeof SOURCE_PAGES)[number];

/** The digest of the related pages: rules cite its items by label. */
export const DIGEST_PAGE = "related-rules.md";

/** Every page a rule, a digest item or a function of the trace format names, by name. */
export const LEARN_PAGES: readonly LearnPage[] = [
  { name: "FwpsInjectionHandleCreate0", kind: "function", url: fwpsk("FwpsInjectionHandleCreate0", "nf") },
  { name: "FWPS_INJECT_COMPLETE0", kind: "callback", url: fwpsk("FWPS_INJECT_COMPLETE0", "nc") },
  { name: "FwpsAllocateNetBufferAndNetBufferList0", kind: "function", url: fwpsk("FwpsAllocateNetBufferAndNetBufferList0", "nf") },
  { name: "FwpsCloneStreamData0", kind: "function", url: fwpsk("FwpsCloneStreamData0", "nf") },
  {
    name: "FwpsCompleteOperation0",
    kind: "function",
    url: fwpsk("FwpsCompleteOperation0", "nf"),
    seedUrl: "https://learn.microsoft.com/en-us/previous-versions/windows/embedded/gg157276(v=winembedded.80)",
  },
  { name: "FwpsInjectionHandleDestroy0", kind: "function", url: fwpsk("FwpsInjectionHandleDestroy0", "nf") },
  { name: "FwpsInjectNetworkSendAsync0", kind: "function", url: fwpsk("FwpsInjectNetworkSendAsync0", "nf") },
  { name: "FwpsInjectNetworkReceiveAsync0", kind: "function", url: fwpsk("FwpsInjectNetworkReceiveAsync0", "nf") },
  { name: "FwpsInjectTransportSendAsync0", kind: "function", url: fwpsk("FwpsInjectTransportSendAsync0", "nf") },
  { name: "FwpsInjectTransportReceiveAsync0", kind: "function", url: fwpsk("FwpsInjectTransportReceiveAsync0", "nf") },
  { name: "FwpsInjectForwardAsync0", kind: "function", url: fwpsk("FwpsInjectForwardAsync0", "nf") },
  { name: "FwpsStreamInjectAsync0", kind: "function", url: fwpsk("FwpsStreamInjectAsync0", "nf") },
  { name: "FwpsAllocateCloneNetBufferList0", kind: "function", url: fwpsk("FwpsAllocateCloneNetBufferList0", "nf") },
  { name: "FwpsFreeCloneNetBufferList0", kind: "function", url: fwpsk("FwpsFreeCloneNetBufferList0", "nf") },
  { name: "FwpsFreeNetBufferList0", kind: "function", url: fwpsk("FwpsFreeNetBufferList0", "nf") },
  { name: "FwpsDiscardClonedStreamData0", kind: "function", url: fwpsk("FwpsDiscardClonedStreamData0", "nf") },
  { name: "FwpsPendOperation0", kind: "function", url: fwpsk("FwpsPendOperation0", "nf") },
  { name: "FwpsQueryPacketInjectionState0", kind: "function", url: fwpsk("FwpsQueryPacketInjectionState0", "nf") },
  { name: "FWPS_PACKET_INJECTION_STATE", kind: "enumeration", url: fwpsk("FWPS_PACKET_INJECTION_STATE", "ne", "fwps_packet_injection_state_") },
  { name: "FWPS_STREAM_DATA0", kind: "structure", url: fwpsk("FWPS_STREAM_DATA0", "ns", "fwps_stream_data0_") },
  { name: "NdisAllocateNetBufferListPool", kind: "function", url: `${DDI}/ndis/nf-ndis-ndisallocatenetbufferlistpool` },
  { name: "NdisFreeNetBufferListPool", kind: "function", url: `${DDI}/ndis/nf-ndis-ndisfreenetbufferlistpool` },
  { name: "Unloading a Callout Driver", kind: "topic", url: "https://learn.microsoft.com/en-us/windows-hardware/drivers/network/unloading-a-callout-driver" },
  {
    name: "Processing Classify Callouts Asynchronously",
    kind: "topic",
    url: "https://learn.microsoft.com/en-us/windows-hardware/drivers/network/processing-classify-callouts-asynchronously",
  },
  { name: "Bug Check 0x1D3", kind: "bug check", url: "https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/bug-check-0x1d3--wfp-invalid-operation" },
];

const PAGE_BY_NAME: ReadonlyMap<string, LearnPage> = new Map(LEARN_PAGES.map((page) => [page.name, page]));

/** The Learn page of that name, if the package knows it. */
export function learnPage(name: string): LearnPage | undefined {
  return PAGE_BY_NAME.get(name);
}

/** The inject functions "FwpsInject*Async0" stands for in an `api` field: every one but the stream function. */
const PACKET_INJECT_FUNCTIONS = INJECT_FUNCTIONS.filter((fn) => fn !== "FwpsStreamInjectAsync0");

/** The Learn pages of the functions an `api` field names ("A, B", "FwpsInject*Async0" for the five inject functions); unknown names are skipped. */
export function pagesOfApi(api: string): LearnPage[] {
  const names = api.split(",").map((name) => name.trim()).flatMap((name) => (name === "FwpsInject*Async0" ? PACKET_INJECT_FUNCTIONS : [name]));
  return names.map((name) => PAGE_BY_NAME.get(name)).filter((page): page is LearnPage => page !== undefined);
}

/** One item of the digest of related pages. */
export interface DigestItem {
  readonly label: DigestLabel;
  /** Who the digest says is obliged: E the filter engine, C the callout driver; absent for facts and tables. */
  readonly obliged?: "E" | "C";
  /** The digest's section heading. */
  readonly section: string;
  /** The pages the item restates (names of LEARN_PAGES); empty when the item covers every function (the cross-cutting table). */
  readonly pages: readonly string[];
  /** The digest's text of the item, as written there. */
  readonly text: string;
}

/** Every label of the digest; each must be the source of at least one rule. */
export const DIGEST_LABELS = [
  "cross-cutting",
  "A1", "A2", "A3", "A4",
  "D1", "D2", "D3", "D4", "D5",
  "N1", "N2", "N3", "N4",
  "T1", "T2", "T3", "T4",
  "F1", "F2", "F3",
  "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9",
  "FR1", "FR2", "FR3", "FR4",
  "CL1", "CL2",
  "P1", "P2", "P3", "P4", "P5", "P6",
  "Q1", "Q2", "Q3",
  "platform",
] as const;
export type DigestLabel = (typeof DIGEST_LABELS)[number];

const INJECT = "Every asynchronous inject function (network, transport, forward, stream)";
const DESTROY = "FwpsInjectionHandleDestroy0";
const NETWORK = "Network injection";
const TRANSPORT = "Transport injection";
const FORWARD = "Forward injection";
const STREAM = "Stream injection";
const FREEING = "Freeing";
const CLONING = "Cloning a packet";
const PEND = "Pend and complete";
const QUERY = "Injection state";
const INJECT_PAGES: readonly string[] = INJECT_FUNCTIONS;
const NETWORK_PAGES = ["FwpsInjectNetworkSendAsync0", "FwpsInjectNetworkReceiveAsync0"];
const TRANSPORT_PAGES = ["FwpsInjectTransportSendAsync0", "FwpsInjectTransportReceiveAsync0"];
const FREE_PAGES = ["FwpsFreeCloneNetBufferList0", "FwpsFreeNetBufferList0", "FwpsDiscardClonedStreamData0"];
const PEND_PAGES = ["FwpsPendOperation0", "Processing Classify Callouts Asynchronously"];
const QUERY_PAGES = ["FwpsQueryPacketInjectionState0", "FWPS_PACKET_INJECTION_STATE"];

/** The digest, item by item, in its order. */
export const DIGEST: readonly DigestItem[] = [
  {
    label: "cross-cutting",
    section: "Cross-cutting",
    pages: [],
    text: [
      "| function | IRQL the caller must be at | documented return codes |",
      "| FwpsInjectionHandleCreate0 | PASSIVE | SUCCESS, FWP_TCPIP_NOT_READY, other |",
      "| FwpsInjectionHandleDestroy0 | PASSIVE | SUCCESS, other |",
      "| FwpsInjectNetworkSendAsync0 / ReceiveAsync0 | <= DISPATCH | SUCCESS, FWP_TCPIP_NOT_READY, FWP_INJECT_HANDLE_CLOSING, FWP_INJECT_HANDLE_STALE, other |",
      "| FwpsInjectTransportSendAsync0 / ReceiveAsync0 | <= DISPATCH | SUCCESS, FWP_TCPIP_NOT_READY, FWP_INJECT_HANDLE_CLOSING, other |",
      "| FwpsInjectForwardAsync0 | <= DISPATCH | SUCCESS, FWP_TCPIP_NOT_READY, FWP_INJECT_HANDLE_CLOSING, other |",
      "| FwpsStreamInjectAsync0 | <= DISPATCH | SUCCESS, FWP_TCPIP_NOT_READY, FWP_INJECT_HANDLE_CLOSING, FWP_INVALID_PARAMETER, FWP_NULL_POINTER, other |",
      "| FwpsAllocateCloneNetBufferList0 | <= DISPATCH | SUCCESS, other |",
      "| FwpsFreeCloneNetBufferList0, FwpsFreeNetBufferList0, FwpsDiscardClonedStreamData0 | <= DISPATCH | (void) |",
      "| FwpsPendOperation0 | <= DISPATCH | SUCCESS, FWP_CANNOT_PEND, FWP_NULL_POINTER, FWP_TCPIP_NOT_READY, other |",
      "| FwpsCompleteOperation0 | <= DISPATCH | (void in the current page; the Compact 2013 seed lists SUCCESS / other) |",
      "| FwpsQueryPacketInjectionState0 | <= DISPATCH | an injection-state value, not an NTSTATUS |",
      "All status names above carry the `STATUS_` prefix in the headers. \"Other\" means any failure status, e.g. STATUS_INSUFFICIENT_RESOURCES when an allocation fails.",
    ].join("\n"),
  },
  { label: "A1", obliged: "E", section: INJECT, pages: INJECT_PAGES, text: "the completion function is called only when the inject call returned STATUS_SUCCESS;" },
  {
    label: "A2",
    obliged: "C",
    section: INJECT,
    pages: INJECT_PAGES,
    text: "when the inject call returns anything else, the completion function is never called and the caller still owns the NET_BUFFER_LIST and must free it itself (FwpsFreeNetBufferList0 for an allocated one, FwpsFreeCloneNetBufferList0 for a clone, FwpsDiscardClonedStreamData0 for a chain from FwpsCloneStreamData0).",
  },
  {
    label: "A3",
    obliged: "E",
    section: INJECT,
    pages: [...INJECT_PAGES, "FWPS_INJECT_COMPLETE0"],
    text: "after a successful injection the completion function runs when the data has been injected or when an error happened later; the NBL's Status member carries the outcome.",
  },
  { label: "A4", obliged: "C", section: INJECT, pages: INJECT_PAGES, text: "the `flags` parameter of each inject function is reserved and must be zero." },
  { label: "D1", obliged: "C", section: DESTROY, pages: [DESTROY], text: "takes a handle created by FwpsInjectionHandleCreate0; each handle is destroyed once." },
  { label: "D2", obliged: "C", section: DESTROY, pages: [DESTROY], text: "PASSIVE_LEVEL only. Calling it from a completion function is therefore misuse (and would wait on itself)." },
  {
    label: "D3",
    obliged: "E",
    section: DESTROY,
    pages: [DESTROY],
    text: "it does not return until every injection pending on that handle has completed. Once it has returned, no completion for an injection made through that handle may follow.",
  },
  {
    label: "D4",
    obliged: "C",
    section: DESTROY,
    pages: [DESTROY, "Unloading a Callout Driver"],
    text: "a driver must destroy every injection handle before its unload routine returns [Unloading a Callout Driver]. A handle still open at the end of a trace is a leak.",
  },
  {
    label: "D5",
    obliged: "E",
    section: DESTROY,
    pages: [DESTROY],
    text: "while a destroy is waiting, new injections through the same handle fail with STATUS_FWP_INJECT_HANDLE_CLOSING and get no completion.",
  },
  {
    label: "N1",
    obliged: "E",
    section: NETWORK,
    pages: NETWORK_PAGES,
    text: "the handle must have been created with FWPS_INJECTION_TYPE_NETWORK; otherwise the call returns STATUS_FWP_INJECT_HANDLE_STALE (no completion).",
  },
  {
    label: "N2",
    obliged: "C",
    section: NETWORK,
    pages: [...NETWORK_PAGES, "FwpsInjectionHandleCreate0"],
    text: "network handles are per address family: AF_UNSPEC is allowed only for transport, stream and forward handles (seed). The packet's IP version must match the handle's family; a driver that injects both IPv4 and IPv6 at the network layer needs two handles.",
  },
  {
    label: "N3",
    obliged: "C",
    section: NETWORK,
    pages: NETWORK_PAGES,
    text: "the NBL must come from FwpsAllocateCloneNetBufferList0 or FwpsAllocateNetBufferAndNetBufferList0 and must start with an IP header.",
  },
  {
    label: "N4",
    obliged: "C",
    section: NETWORK,
    pages: ["FwpsInjectNetworkReceiveAsync0", "Bug Check 0x1D3"],
    text: "(fatal) injecting an NBL that holds more than one NET_BUFFER in the receive (inbound) direction is a bug check (0x1D3 WFP_INVALID_OPERATION, parameter 1 = 1) [Bug Check 0x1D3].",
  },
  {
    label: "T1",
    obliged: "C",
    section: TRANSPORT,
    pages: TRANSPORT_PAGES,
    text: "the call takes the address family (AF_INET or AF_INET6) per call; the handle may be AF_UNSPEC. The handle needs FWPS_INJECTION_TYPE_TRANSPORT (or was created with flags = 0).",
  },
  {
    label: "T2",
    obliged: "C",
    section: TRANSPORT,
    pages: TRANSPORT_PAGES,
    text: "TCP data can only be injected out of band: not from inside the classify function that indicated it, but later (e.g. from a DPC or worker).",
  },
  {
    label: "T3",
    obliged: "C",
    section: TRANSPORT,
    pages: ["FwpsInjectTransportSendAsync0"],
    text: "the remote-address buffer and deep-copied control data passed in the send parameters must stay valid until the completion function has been called.",
  },
  {
    label: "T4",
    obliged: "C",
    section: TRANSPORT,
    pages: ["FwpsInjectTransportReceiveAsync0", "FwpsCompleteOperation0"],
    text: "at ALE_AUTH_RECV_ACCEPT the NBL to be injected is the one passed to FwpsCompleteOperation0 (see P5).",
  },
  { label: "F1", obliged: "C", section: FORWARD, pages: ["FwpsInjectForwardAsync0"], text: "handle of type FORWARD (or flags = 0); may be AF_UNSPEC; per-call address family." },
  { label: "F2", obliged: "E", section: FORWARD, pages: ["FwpsInjectForwardAsync0"], text: "forward-injected packets are not indicated to any WFP layer again." },
  { label: "F3", obliged: "C", section: FORWARD, pages: ["FwpsInjectForwardAsync0"], text: "a fragment group must be reassembled into one NBL before it is injected." },
  { label: "S1", obliged: "C", section: STREAM, pages: ["FwpsStreamInjectAsync0"], text: "layerId must be FWPS_LAYER_STREAM_V4 or FWPS_LAYER_STREAM_V6." },
  {
    label: "S2",
    obliged: "E",
    section: STREAM,
    pages: ["FwpsStreamInjectAsync0"],
    text: "a RECEIVE_DISCONNECT without RECEIVE, or SEND_DISCONNECT without SEND, in streamFlags returns STATUS_FWP_INVALID_PARAMETER.",
  },
  { label: "S3", obliged: "E", section: STREAM, pages: ["FwpsStreamInjectAsync0"], text: "a NULL completion function returns STATUS_FWP_NULL_POINTER." },
  {
    label: "S4",
    obliged: "E",
    section: STREAM,
    pages: ["FwpsStreamInjectAsync0"],
    text: "netBufferList may be NULL only when the flags ask for a disconnect; then no completion function is called.",
  },
  {
    label: "S5",
    obliged: "E",
    section: STREAM,
    pages: ["FwpsStreamInjectAsync0", "FWPS_INJECT_COMPLETE0"],
    text: "netBufferList may be a chain; the completion function is called once per NBL of the chain, each time with the same completion context (seed FWPS_INJECT_COMPLETE0 too).",
  },
  { label: "S6", obliged: "C", section: STREAM, pages: ["FwpsStreamInjectAsync0"], text: "the handle needs FWPS_INJECTION_TYPE_STREAM (or was created with flags = 0)." },
  {
    label: "S7",
    obliged: "C",
    section: STREAM,
    pages: ["FwpsStreamInjectAsync0"],
    text: "the data may come from FwpsAllocateCloneNetBufferList0, FwpsAllocateNetBufferAndNetBufferList0 or FwpsCloneStreamData0.",
  },
  {
    label: "S8",
    obliged: "C",
    section: STREAM,
    pages: ["FwpsStreamInjectAsync0", "FWPS_STREAM_DATA0"],
    text: "data must not be injected into a stream whose indicated flags carry SEND_ABORT [FWPS_STREAM_DATA0].",
  },
  { label: "S9", obliged: "E", section: STREAM, pages: ["FwpsStreamInjectAsync0"], text: "injected stream data is not indicated again to the callout that injected it." },
  {
    label: "FR1",
    obliged: "C",
    section: FREEING,
    pages: ["FwpsFreeCloneNetBufferList0"],
    text: "FwpsFreeCloneNetBufferList0 frees only clones (from FwpsAllocateCloneNetBufferList0, and, inside a completion function, each NBL of a FwpsCloneStreamData0 chain); freeCloneFlags must be zero.",
  },
  {
    label: "FR2",
    obliged: "C",
    section: FREEING,
    pages: ["FwpsFreeNetBufferList0"],
    text: "FwpsFreeNetBufferList0 frees only NBLs from FwpsAllocateNetBufferAndNetBufferList0; the caller's MDL chain and data buffer are not freed by it.",
  },
  {
    label: "FR3",
    obliged: "C",
    section: FREEING,
    pages: ["FwpsDiscardClonedStreamData0"],
    text: "FwpsDiscardClonedStreamData0 takes the very chain that FwpsCloneStreamData0 returned, when it will not be injected; allocateCloneFlags must be zero; its `dispatchLevel` argument must be TRUE exactly when the caller runs at DISPATCH_LEVEL.",
  },
  {
    label: "FR4",
    obliged: "C",
    section: FREEING,
    pages: FREE_PAGES,
    text: "an NBL is freed exactly once, and never while an injection of it is pending (between a successful inject call and its completion). No NBL may be used after it is freed.",
  },
  {
    label: "CL1",
    section: CLONING,
    pages: ["FwpsAllocateCloneNetBufferList0"],
    text: "the clone shares the original's data; the original's ChildRefCount grows by one while the clone lives. allocateCloneFlags must be zero; pool handles are optional.",
  },
  { label: "CL2", obliged: "C", section: CLONING, pages: ["FwpsAllocateCloneNetBufferList0"], text: "clones must not be held indefinitely (e.g. while waiting for user input)." },
  {
    label: "P1",
    obliged: "C",
    section: PEND,
    pages: PEND_PAGES,
    text: "completionHandle comes from the classify's metadata; pending is allowed only at the ALE resource-assignment, auth-listen, auth-connect (and, per the seed, auth-recv-accept) layers.",
  },
  { label: "P2", obliged: "E", section: PEND, pages: PEND_PAGES, text: "a reauthorization classify cannot be pended: STATUS_FWP_CANNOT_PEND." },
  {
    label: "P3",
    obliged: "C",
    section: PEND,
    pages: [...PEND_PAGES, "FwpsCompleteOperation0"],
    text: "a successful pend must be completed exactly once with FwpsCompleteOperation0 and the completionContext it returned; completing twice, or with an unknown context, is misuse. A pend never completed at the end of a trace is a leak.",
  },
  { label: "P4", obliged: "E", section: PEND, pages: [...PEND_PAGES, "FwpsCompleteOperation0"], text: "completing an auth-connect pend triggers a reauthorization classify of that connection." },
  {
    label: "P5",
    obliged: "C",
    section: PEND,
    pages: ["FwpsCompleteOperation0", "FwpsInjectTransportReceiveAsync0"],
    text: "at ALE_AUTH_RECV_ACCEPT the callout must reinject the cloned packet and call FwpsCompleteOperation0 with that NBL (seed FwpsCompleteOperation0).",
  },
  {
    label: "P6",
    obliged: "E",
    section: PEND,
    pages: ["FwpsCompleteOperation0"],
    text: "pended packet data is flushed when the operation completes; the application has to retransmit unless the callout buffered and reinjects it (seed).",
  },
  {
    label: "Q1",
    obliged: "E",
    section: QUERY,
    pages: QUERY_PAGES,
    text: "returns FWPS_PACKET_NOT_INJECTED for stack-originated packets, FWPS_PACKET_INJECTED_BY_SELF when the packet was injected through this same handle, FWPS_PACKET_INJECTED_BY_OTHER when injected through any other handle (even one of the same driver), and FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF when injected through this handle and later cloned and reinjected by someone else.",
  },
  {
    label: "Q2",
    obliged: "E",
    section: QUERY,
    pages: ["FwpsQueryPacketInjectionState0"],
    text: "for the two \"self\" states, the optional out parameter receives the injectionContext that was passed to the inject call.",
  },
  {
    label: "Q3",
    obliged: "C",
    section: QUERY,
    pages: QUERY_PAGES,
    text: "a callout should permit (or continue) packets in the two \"self\" states and must not modify or pend them; otherwise it loops forever.",
  },
  {
    label: "platform",
    section: "Platform facts",
    pages: ["FwpsAllocateNetBufferAndNetBufferList0"],
    text: "MEMORY_ALLOCATION_ALIGNMENT is 16 on 64-bit Windows (x64, ARM64) and 8 on 32-bit x86. IRQL levels that matter here: PASSIVE_LEVEL (0) < APC_LEVEL (1) < DISPATCH_LEVEL (2).",
  },
];

const ITEM_BY_LABEL: ReadonlyMap<string, DigestItem> = new Map(DIGEST.map((item) => [item.label, item]));

/** The digest item of a label. */
export function digestItem(label: DigestLabel): DigestItem {
  return ITEM_BY_LABEL.get(label)!;
}

/** Thrown when the sources are malformed (a digest label without its item, a page name without a URL). */
export class SourcesError extends Error {
  override readonly name = "SourcesError";
}

/** Checks the sources against themselves: one item per label, in order; every page an item names is known; every URL is Learn's. Throws naming the entry. */
export function validateSources(pages: readonly LearnPage[] = LEARN_PAGES, digest: readonly DigestItem[] = DIGEST): void {
  const names = new Set<string>();
  for (const page of pages) {
    if (names.has(page.name)) throw new SourcesError(`sources: page "${page.name}" listed twice`);
    names.add(page.name);
    for (const url of [page.url, page.seedUrl]) {
      if (url !== undefined && !url.startsWith("https://learn.microsoft.com/en-us/")) throw new SourcesError(`sources: page "${page.name}": url ${url} is not a Microsoft Learn page`);
    }
  }
  for (const page of SOURCE_PAGES) if (!names.has(page)) throw new SourcesError(`sources: seed page "${page}" has no Learn page`);
  const labels = digest.map((item) => item.label);
  if (labels.join(",") !== DIGEST_LABELS.join(",")) {
    const missing = DIGEST_LABELS.filter((label) => !labels.includes(label));
    throw new SourcesError(`sources: the digest items must be one per label, in order${missing.length > 0 ? `; missing ${missing.join(", ")}` : `; got ${labels.join(", ")}`}`);
  }
  for (const item of digest) {
    if (item.text.trim().length < 10) throw new SourcesError(`sources: digest item ${item.label} has no text`);
    for (const name of item.pages) if (!names.has(name)) throw new SourcesError(`sources: digest item ${item.label} names page "${name}", which has no Learn page`);
  }
}

validateSources();
