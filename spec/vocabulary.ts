/**
 * The words of the WFP packet-injection API, as the headers and pages spell them.
 * Everything else in the project (trace format, model, simulator, reports) uses these names,
 * so a driver author reads the same identifiers they write in C.
 */

/** Interrupt request levels that matter to this API, lowest first. */
export const IRQLS = ["PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL", "DIRQL"] as const;
export type Irql = (typeof IRQLS)[number];

/** Numeric rank of an IRQL (PASSIVE_LEVEL = 0 ... DIRQL = 3), for "<= DISPATCH_LEVEL" checks. */
export function irqlRank(irql: Irql): number {
  return IRQLS.indexOf(irql);
}

/** Address families of FwpsInjectionHandleCreate0 (Ws2def.h). */
export const ADDRESS_FAMILIES = ["AF_UNSPEC", "AF_INET", "AF_INET6"] as const;
export type AddressFamily = (typeof ADDRESS_FAMILIES)[number];

/** The injection type bits of FwpsInjectionHandleCreate0's flags parameter. */
export const INJECTION_TYPES = [
  "FWPS_INJECTION_TYPE_FORWARD",
  "FWPS_INJECTION_TYPE_NETWORK",
  "FWPS_INJECTION_TYPE_STREAM",
  "FWPS_INJECTION_TYPE_TRANSPORT",
] as const;
export type InjectionType = (typeof INJECTION_TYPES)[number];

/**
 * Injection types fwpsk.h defines beyond the four of the FwpsInjectionHandleCreate0 page
 * (decision create/header-injection-types): accepted at create, judged only by their use.
 */
export const HEADER_INJECTION_TYPES = ["FWPS_INJECTION_TYPE_L2", "FWPS_INJECTION_TYPE_VSWITCH_TRANSPORT"] as const;

/** Stream flags of FWPS_STREAM_DATA0 and FwpsStreamInjectAsync0. */
export const STREAM_FLAGS = [
  "FWPS_STREAM_FLAG_SEND",
  "FWPS_STREAM_FLAG_SEND_EXPEDITED",
  "FWPS_STREAM_FLAG_SEND_NODELAY",
  "FWPS_STREAM_FLAG_SEND_DISCONNECT",
  "FWPS_STREAM_FLAG_SEND_ABORT",
  "FWPS_STREAM_FLAG_RECEIVE",
  "FWPS_STREAM_FLAG_RECEIVE_EXPEDITED",
  "FWPS_STREAM_FLAG_RECEIVE_DISCONNECT",
  "FWPS_STREAM_FLAG_RECEIVE_ABORT",
  "FWPS_STREAM_FLAG_RECEIVE_PUSH",
] as const;
export type StreamFlag = (typeof STREAM_FLAGS)[number];

/** Run-time layer identifiers the model distinguishes; any other FWPS_LAYER_* name is accepted too. */
export const LAYERS = {
  STREAM_V4: "FWPS_LAYER_STREAM_V4",
  STREAM_V6: "FWPS_LAYER_STREAM_V6",
  ALE_RESOURCE_ASSIGNMENT_V4: "FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V4",
  ALE_RESOURCE_ASSIGNMENT_V6: "FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V6",
  ALE_AUTH_LISTEN_V4: "FWPS_LAYER_ALE_AUTH_LISTEN_V4",
  ALE_AUTH_LISTEN_V6: "FWPS_LAYER_ALE_AUTH_LISTEN_V6",
  ALE_AUTH_CONNECT_V4: "FWPS_LAYER_ALE_AUTH_CONNECT_V4",
  ALE_AUTH_CONNECT_V6: "FWPS_LAYER_ALE_AUTH_CONNECT_V6",
  ALE_AUTH_RECV_ACCEPT_V4: "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4",
  ALE_AUTH_RECV_ACCEPT_V6: "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V6",
  INBOUND_IPPACKET_V4: "FWPS_LAYER_INBOUND_IPPACKET_V4",
  INBOUND_IPPACKET_V6: "FWPS_LAYER_INBOUND_IPPACKET_V6",
  OUTBOUND_IPPACKET_V4: "FWPS_LAYER_OUTBOUND_IPPACKET_V4",
  OUTBOUND_IPPACKET_V6: "FWPS_LAYER_OUTBOUND_IPPACKET_V6",
  INBOUND_TRANSPORT_V4: "FWPS_LAYER_INBOUND_TRANSPORT_V4",
  INBOUND_TRANSPORT_V6: "FWPS_LAYER_INBOUND_TRANSPORT_V6",
  OUTBOUND_TRANSPORT_V4: "FWPS_LAYER_OUTBOUND_TRANSPORT_V4",
  OUTBOUND_TRANSPORT_V6: "FWPS_LAYER_OUTBOUND_TRANSPORT_V6",
  IPFORWARD_V4: "FWPS_LAYER_IPFORWARD_V4",
  IPFORWARD_V6: "FWPS_LAYER_IPFORWARD_V6",
} as const;

/** Layers at which FwpsPendOperation0 may be called (digest P1, plus ALE_AUTH_RECV_ACCEPT per the FwpsCompleteOperation0 page). */
export const PENDABLE_LAYERS: readonly string[] = [
  LAYERS.ALE_RESOURCE_ASSIGNMENT_V4,
  LAYERS.ALE_RESOURCE_ASSIGNMENT_V6,
  LAYERS.ALE_AUTH_LISTEN_V4,
  LAYERS.ALE_AUTH_LISTEN_V6,
  LAYERS.ALE_AUTH_CONNECT_V4,
  LAYERS.ALE_AUTH_CONNECT_V6,
  LAYERS.ALE_AUTH_RECV_ACCEPT_V4,
  LAYERS.ALE_AUTH_RECV_ACCEPT_V6,
];

/** The two layers FwpsStreamInjectAsync0 accepts as layerId (digest S1). */
export const STREAM_LAYERS: readonly string[] = [LAYERS.STREAM_V4, LAYERS.STREAM_V6];

/** NTSTATUS values named by the pages. Any other STATUS_* name is an "other status code". */
export const STATUS = {
  SUCCESS: "STATUS_SUCCESS",
  FWP_TCPIP_NOT_READY: "STATUS_FWP_TCPIP_NOT_READY",
  FWP_INJECT_HANDLE_CLOSING: "STATUS_FWP_INJECT_HANDLE_CLOSING",
  FWP_INJECT_HANDLE_STALE: "STATUS_FWP_INJECT_HANDLE_STALE",
  FWP_INVALID_PARAMETER: "STATUS_FWP_INVALID_PARAMETER",
  FWP_NULL_POINTER: "STATUS_FWP_NULL_POINTER",
  FWP_CANNOT_PEND: "STATUS_FWP_CANNOT_PEND",
  INSUFFICIENT_RESOURCES: "STATUS_INSUFFICIENT_RESOURCES",
} as const;
export type NtStatus = string;

/**
 * Statuses a call that allocates or queues may fail with at any time (decision reply/resource-failure):
 * the pages' "Other status codes" for lack of memory or resources.
 */
export const RESOURCE_FAILURE_STATUSES: readonly string[] = ["STATUS_INSUFFICIENT_RESOURCES", "STATUS_NO_MEMORY"];

/** Parameter errors an engine may answer for an input the pages are silent on (decisions silent/*). */
export const PARAMETER_ERROR_STATUSES: readonly string[] = ["STATUS_INVALID_PARAMETER", "STATUS_FWP_INVALID_PARAMETER"];

/** Values of FWPS_PACKET_INJECTION_STATE returned by FwpsQueryPacketInjectionState0. */
export const INJECTION_STATES = [
  "FWPS_PACKET_NOT_INJECTED",
  "FWPS_PACKET_INJECTED_BY_SELF",
  "FWPS_PACKET_INJECTED_BY_OTHER",
  "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF",
] as const;
export type PacketInjectionState = (typeof INJECTION_STATES)[number];

/** MEMORY_ALLOCATION_ALIGNMENT per platform (digest, "Platform facts"). */
export const MEMORY_ALLOCATION_ALIGNMENT = { x64: 16, arm64: 16, x86: 8 } as const;
export type Platform = keyof typeof MEMORY_ALLOCATION_ALIGNMENT;

/** Every driver-callable function in the vocabulary, grouped by API family. */
export const API_FAMILIES = {
  handles: ["FwpsInjectionHandleCreate0", "FwpsInjectionHandleDestroy0"],
  network: ["FwpsInjectNetworkSendAsync0", "FwpsInjectNetworkReceiveAsync0"],
  transport: ["FwpsInjectTransportSendAsync0", "FwpsInjectTransportReceiveAsync0"],
  forward: ["FwpsInjectForwardAsync0"],
  stream: ["FwpsStreamInjectAsync0", "FwpsCloneStreamData0", "FwpsDiscardClonedStreamData0"],
  nbl: [
    "NdisAllocateNetBufferListPool",
    "NdisFreeNetBufferListPool",
    "FwpsAllocateNetBufferAndNetBufferList0",
    "FwpsAllocateCloneNetBufferList0",
    "FwpsFreeCloneNetBufferList0",
    "FwpsFreeNetBufferList0",
  ],
  pend: ["FwpsPendOperation0", "FwpsCompleteOperation0"],
  query: ["FwpsQueryPacketInjectionState0"],
} as const;
export type ApiFamily = keyof typeof API_FAMILIES;
export type ApiFunction = (typeof API_FAMILIES)[ApiFamily][number];

/** The asynchronous inject functions, which take a completion function (digest A1-A4). */
export const INJECT_FUNCTIONS = [
  "FwpsInjectNetworkSendAsync0",
  "FwpsInjectNetworkReceiveAsync0",
  "FwpsInjectTransportSendAsync0",
  "FwpsInjectTransportReceiveAsync0",
  "FwpsInjectForwardAsync0",
  "FwpsStreamInjectAsync0",
] as const;
export type InjectFunction = (typeof INJECT_FUNCTIONS)[number];

/** The family an API function belongs to. */
export function familyOf(fn: ApiFunction): ApiFamily {
  for (const [family, fns] of Object.entries(API_FAMILIES) as [ApiFamily, readonly string[]][]) {
    if (fns.includes(fn)) return family;
  }
  /* c8 ignore next */
  throw new Error(`unknown API function ${fn}`);
}
