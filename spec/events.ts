/**
 * The trace format: every observable event of a run of a callout driver against the WFP
 * packet-injection API, as zod schemas. A trace is JSON Lines, one event per line.
 *
 * Objects are named by symbolic ids (strings): injection handles ("h1"), NET_BUFFER_LISTs ("nbl1"),
 * pools ("pool1"), completion contexts ("ctx1"), stream data ("sd1"), completion handles ("ch1").
 * A NULL pointer is JSON null.
 *
 * Values the documentation gives rules about (address family, flags, layer ids, IRQL) are accepted
 * here in a wider form than the rules allow (any AF_* name, any integer flags), so that a trace that
 * breaks the rule reaches the model and is reported with the rule's id instead of being rejected as
 * malformed.
 */
import { z } from "zod";
import { INJECTION_STATES, INJECTION_TYPES, IRQLS, STREAM_FLAGS } from "./vocabulary.ts";

/** A symbolic id of a handle, NBL, pool, context or stream. */
export const Id = z.string().min(1).max(200);
const NullableId = Id.nullable();
const Uint = z.number().int().nonnegative();
const StatusName = z.string().regex(/^STATUS_[A-Z0-9_]+$/, "an NTSTATUS name such as STATUS_SUCCESS");
const AddressFamilyName = z.string().regex(/^AF_[A-Z0-9_]+$/, "an address family such as AF_INET");
const LayerName = z.string().regex(/^FWPS_LAYER_[A-Z0-9_]+$/, "a run-time layer id such as FWPS_LAYER_STREAM_V4");
const IpVersion = z.union([z.literal(4), z.literal(6)]);
/** A direction of a classify (FWP_DIRECTION_INBOUND / FWP_DIRECTION_OUTBOUND). */
const Direction = z.enum(["inbound", "outbound"]);
/** A value a driver passes as a number, or by a symbolic name (an endpoint handle, a callout id). */
const NumberOrName = z.union([Uint, Id]);

export const IrqlSchema = z.enum(IRQLS);
export const InjectionTypeSchema = z.enum(INJECTION_TYPES);
export const StreamFlagSchema = z.enum(STREAM_FLAGS);
export const InjectionStateSchema = z.enum(INJECTION_STATES);

/**
 * Where a driver call is made from: a plain thread, inside a classifyFn of a layer (with the IP
 * version and direction of the classify, when known), inside a completionFn, or one of the driver's
 * own contexts: DriverEntry, the unload routine, a work item, a DPC, a timer callback. The IRQL a
 * context runs at is checked against the call's `irql` (CALL_SITE_IRQLS).
 */
export const CallSite = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("thread") }),
  z.strictObject({ kind: z.literal("classify"), layerId: LayerName, ipVersion: IpVersion.optional(), direction: Direction.optional() }),
  z.strictObject({ kind: z.literal("completionFn") }),
  z.strictObject({ kind: z.literal("driverEntry") }),
  z.strictObject({ kind: z.literal("unload") }),
  z.strictObject({ kind: z.literal("workItem") }),
  z.strictObject({ kind: z.literal("dpc") }),
  z.strictObject({ kind: z.literal("timer") }),
]);
export type CallSite = z.infer<typeof CallSite>;

/**
 * The IRQLs each driver context runs at (decision trace/caller-contexts): DriverEntry, the unload
 * routine and a work item at PASSIVE_LEVEL, a DPC at DISPATCH_LEVEL, a timer callback at either
 * (a KTIMER's DPC, or a passive-level WDF timer). A call recorded with another IRQL is malformed.
 */
export const CALL_SITE_IRQLS: Readonly<Partial<Record<CallSite["kind"], readonly string[]>>> = {
  driverEntry: ["PASSIVE_LEVEL"],
  unload: ["PASSIVE_LEVEL"],
  workItem: ["PASSIVE_LEVEL"],
  dpc: ["DISPATCH_LEVEL"],
  timer: ["PASSIVE_LEVEL", "DISPATCH_LEVEL"],
};

/** A bug check the call ended the run with (the trace's last event). */
export const BugCheck = z.strictObject({
  /** The bug-check code, as Windows prints it: 0x1D3 (WFP_INVALID_OPERATION), 0xD1, ... */
  code: z.string().regex(/^0x[0-9A-F]{1,8}$/, "a bug-check code such as 0x1D3"),
  /** Bug-check parameter 1, when recorded. */
  parameter1: Uint.optional(),
});
export type BugCheck = z.infer<typeof BugCheck>;

// ---------------------------------------------------------------------------------------------
// Arguments and results of each driver-callable function.
// ---------------------------------------------------------------------------------------------

const StatusOnly = z.strictObject({ status: StatusName });

/** Fields shared by every asynchronous inject function (digest A1-A4). */
const injectCommon = {
  injectionHandle: Id,
  injectionContext: NullableId.default(null),
  /** Reserved; the caller must pass zero (digest A4). */
  flags: Uint.default(0),
  /** Symbolic name of the completionFn, or null for a NULL pointer. */
  completionFn: NullableId.default("completionFn"),
  completionContext: NullableId.default(null),
};

function callSchema<F extends string, A extends z.ZodType, R extends z.ZodType>(fn: F, args: A, ret: R) {
  return z.strictObject({
    kind: z.literal("call"),
    /** Links a call to its later `return` event; required when `ret` is absent. */
    callId: Id.optional(),
    fn: z.literal(fn),
    irql: IrqlSchema,
    from: CallSite.default({ kind: "thread" }),
    args,
    /**
     * What the call returned. Absent only where the return may come later (a `return` event): for
     * FwpsInjectionHandleDestroy0, which waits, and for the VOID functions (trace.ts DEFERRED_RETURN).
     */
    ret: ret.optional(),
    /** The call bug-checked the machine instead of returning: the trace ends here. */
    bugCheck: BugCheck.optional(),
  });
}

export const CALLS = {
  FwpsInjectionHandleCreate0: callSchema(
    "FwpsInjectionHandleCreate0",
    z.strictObject({
      addressFamily: AddressFamilyName,
      /** The injection type bits OR-ed together; [] is a flags value of zero. */
      flags: z.array(z.string().regex(/^FWPS_INJECTION_TYPE_[A-Z0-9_]+$/)),
    }),
    z.strictObject({ status: StatusName, injectionHandle: Id.optional() }),
  ),
  FwpsInjectionHandleDestroy0: callSchema(
    "FwpsInjectionHandleDestroy0",
    z.strictObject({ injectionHandle: NullableId }),
    StatusOnly,
  ),
  FwpsInjectNetworkSendAsync0: callSchema(
    "FwpsInjectNetworkSendAsync0",
    z.strictObject({
      ...injectCommon,
      compartmentId: Uint.default(0),
      netBufferList: NullableId,
      /** Version field of the IP header the NBL starts with, as observed at the call (digest N2). */
      ipVersion: IpVersion.optional(),
      /** NET_BUFFERs the NBL holds at the call, when recorded (the model's own count otherwise). */
      netBufferCount: z.number().int().positive().optional(),
    }),
    StatusOnly,
  ),
  FwpsInjectNetworkReceiveAsync0: callSchema(
    "FwpsInjectNetworkReceiveAsync0",
    z.strictObject({
      ...injectCommon,
      compartmentId: Uint.default(0),
      interfaceIndex: Uint.default(0),
      subInterfaceIndex: Uint.default(0),
      netBufferList: NullableId,
      ipVersion: IpVersion.optional(),
      /** NET_BUFFERs the NBL holds at the call, when recorded; more than one is bug check 0x1D3 (digest N4). */
      netBufferCount: z.number().int().positive().optional(),
    }),
    StatusOnly,
  ),
  FwpsInjectTransportSendAsync0: callSchema(
    "FwpsInjectTransportSendAsync0",
    z.strictObject({
      ...injectCommon,
      /** A number, or a symbolic name for the endpoint handle the classify gave. */
      endpointHandle: NumberOrName.default(0),
      /** FWPS_TRANSPORT_SEND_PARAMS0, or null for a NULL sendArgs. */
      sendArgs: z
        .strictObject({
          /** The remote address, as written (an IP address or a symbolic name); null for NULL. */
          remoteAddress: z.string().min(1).max(200).nullable(),
          remoteScopeId: NumberOrName.default(0),
          /** The control data buffer by a symbolic name; null for NULL. */
          controlData: NullableId.default(null),
          controlDataLength: Uint.default(0),
        })
        .nullable()
        .default(null),
      addressFamily: AddressFamilyName,
      compartmentId: Uint.default(0),
      netBufferList: NullableId,
      /** Transport protocol of the data, when known (digest T2 concerns TCP). */
      ipProtocol: z.enum(["TCP", "UDP", "ICMP", "ICMPV6", "OTHER"]).optional(),
    }),
    StatusOnly,
  ),
  FwpsInjectTransportReceiveAsync0: callSchema(
    "FwpsInjectTransportReceiveAsync0",
    z.strictObject({
      ...injectCommon,
      addressFamily: AddressFamilyName,
      compartmentId: Uint.default(0),
      interfaceIndex: Uint.default(0),
      subInterfaceIndex: Uint.default(0),
      netBufferList: NullableId,
      ipProtocol: z.enum(["TCP", "UDP", "ICMP", "ICMPV6", "OTHER"]).optional(),
    }),
    StatusOnly,
  ),
  FwpsInjectForwardAsync0: callSchema(
    "FwpsInjectForwardAsync0",
    z.strictObject({
      ...injectCommon,
      addressFamily: AddressFamilyName,
      compartmentId: Uint.default(0),
      interfaceIndex: Uint.default(0),
      netBufferList: NullableId,
    }),
    StatusOnly,
  ),
  FwpsStreamInjectAsync0: callSchema(
    "FwpsStreamInjectAsync0",
    z.strictObject({
      ...injectCommon,
      flowId: Id,
      /** A number, or a symbolic name for the callout id. */
      calloutId: NumberOrName.default(0),
      layerId: LayerName,
      streamFlags: z.array(StreamFlagSchema),
      /** The chain as linked at the call, head first; null for a NULL pointer (a disconnect). */
      netBufferList: z.array(Id).min(1).nullable(),
      dataLength: Uint,
    }),
    StatusOnly,
  ),
  NdisAllocateNetBufferListPool: callSchema(
    "NdisAllocateNetBufferListPool",
    z.strictObject({}),
    z.strictObject({ status: StatusName, poolHandle: Id.optional() }),
  ),
  NdisFreeNetBufferListPool: callSchema(
    "NdisFreeNetBufferListPool",
    z.strictObject({ poolHandle: NullableId }),
    z.strictObject({}),
  ),
  FwpsAllocateNetBufferAndNetBufferList0: callSchema(
    "FwpsAllocateNetBufferAndNetBufferList0",
    z.strictObject({
      poolHandle: NullableId,
      contextSize: Uint,
      contextBackFill: Uint,
      /** The MDL chain that initialises the preallocated NET_BUFFER, by its total byte count; null for NULL. */
      mdlChain: z.strictObject({ byteCount: Uint }).nullable(),
      dataOffset: Uint,
      dataLength: Uint,
    }),
    z.strictObject({ status: StatusName, netBufferList: Id.optional() }),
  ),
  FwpsAllocateCloneNetBufferList0: callSchema(
    "FwpsAllocateCloneNetBufferList0",
    z.strictObject({
      originalNetBufferList: NullableId,
      netBufferListPoolHandle: NullableId.default(null),
      netBufferPoolHandle: NullableId.default(null),
      allocateCloneFlags: Uint.default(0),
    }),
    z.strictObject({ status: StatusName, netBufferList: Id.optional() }),
  ),
  FwpsCloneStreamData0: callSchema(
    "FwpsCloneStreamData0",
    z.strictObject({
      calloutStreamData: NullableId,
      netBufferListPoolHandle: NullableId.default(null),
      netBufferPoolHandle: NullableId.default(null),
      allocateCloneFlags: Uint.default(0),
    }),
    z.strictObject({
      status: StatusName,
      /** The cloned chain, head first. */
      netBufferListChain: z.array(Id).min(1).optional(),
      /** Bytes of used data the cloned chain describes (after trimming). */
      dataLength: Uint.optional(),
    }),
  ),
  FwpsFreeCloneNetBufferList0: callSchema(
    "FwpsFreeCloneNetBufferList0",
    z.strictObject({ netBufferList: NullableId, freeCloneFlags: Uint.default(0) }),
    z.strictObject({}),
  ),
  FwpsFreeNetBufferList0: callSchema(
    "FwpsFreeNetBufferList0",
    z.strictObject({ netBufferList: NullableId }),
    z.strictObject({}),
  ),
  FwpsDiscardClonedStreamData0: callSchema(
    "FwpsDiscardClonedStreamData0",
    z.strictObject({
      clonedNetBufferListChain: z.array(Id).min(1).nullable(),
      allocateCloneFlags: Uint.default(0),
      dispatchLevel: z.boolean(),
    }),
    z.strictObject({}),
  ),
  FwpsPendOperation0: callSchema(
    "FwpsPendOperation0",
    z.strictObject({ completionHandle: NullableId }),
    z.strictObject({ status: StatusName, completionContext: Id.optional() }),
  ),
  FwpsCompleteOperation0: callSchema(
    "FwpsCompleteOperation0",
    z.strictObject({ completionContext: NullableId, netBufferList: NullableId.default(null) }),
    /** VOID on the current page; the Compact 2013 page lists NTSTATUS codes, so a status is optional. */
    z.strictObject({ status: StatusName.optional() }),
  ),
  FwpsQueryPacketInjectionState0: callSchema(
    "FwpsQueryPacketInjectionState0",
    z.strictObject({
      injectionHandle: NullableId,
      netBufferList: NullableId,
      /** The optional out parameter: null when the driver passed NULL for it (absent: a pointer was passed). */
      injectionContext: z.literal(null).optional(),
    }),
    z.strictObject({ injectionState: InjectionStateSchema, injectionContext: NullableId.optional() }),
  ),
} as const;

export type ApiCallSchemas = typeof CALLS;
export type CallName = keyof ApiCallSchemas;
export type CallOf<F extends CallName> = z.infer<ApiCallSchemas[F]>;
export type ArgsOf<F extends CallName> = CallOf<F>["args"];
export type RetOf<F extends CallName> = NonNullable<CallOf<F>["ret"]>;

const callVariants = Object.values(CALLS) as unknown as [
  ApiCallSchemas[CallName],
  ...ApiCallSchemas[CallName][],
];
export const CallEvent = z.discriminatedUnion("fn", callVariants);
export type CallEvent = z.infer<typeof CallEvent>;

// ---------------------------------------------------------------------------------------------
// Engine events: the return of a call that blocked, and completion callbacks.
// ---------------------------------------------------------------------------------------------

/** The return of a call made earlier without `ret` (a FwpsInjectionHandleDestroy0 that waited, typically). */
export const ReturnEvent = z.strictObject({
  kind: z.literal("return"),
  callId: Id,
  /** The same shape as the call's `ret`; checked against the call's function by the model. */
  ret: z.record(z.string(), z.unknown()),
});
export type ReturnEvent = z.infer<typeof ReturnEvent>;

/** The filter engine calls the driver's completionFn (FWPS_INJECT_COMPLETE0). */
export const CompletionEvent = z.strictObject({
  kind: z.literal("completion"),
  completionContext: NullableId,
  /** The NBL passed to the inject call; null names a completion with a NULL NBL (never owed, see S4). */
  netBufferList: NullableId,
  dispatchLevel: z.boolean(),
  /** The IRQL the completionFn actually runs at. */
  irql: IrqlSchema,
  /** The Status member of the NET_BUFFER_LIST: the injection's outcome. */
  status: StatusName,
});
export type CompletionEvent = z.infer<typeof CompletionEvent>;

// ---------------------------------------------------------------------------------------------
// Environment events: what the stack and the system do around the driver.
// ---------------------------------------------------------------------------------------------

/** The TCP/IP stack becomes ready, or stops being ready. A run starts with the stack ready. */
export const TcpipStackEvent = z.strictObject({ kind: z.literal("tcpipStack"), ready: z.boolean() });

/** Allocations start or stop failing for lack of resources. While exhausted, allocating calls fail. */
export const ResourcesEvent = z.strictObject({ kind: z.literal("resources"), exhausted: z.boolean() });

/** Stream data is indicated to the driver's classifyFn at a stream layer (FWPS_STREAM_DATA0). */
export const StreamIndicatedEvent = z.strictObject({
  kind: z.literal("streamIndicated"),
  streamData: Id,
  layerId: LayerName,
  flowId: Id,
  /** The NBLs of the indicated stream data, head first (engine-owned); empty for a data-less indication (an abort, a disconnect, a FIN with dataLength 0). */
  netBufferListChain: z.array(Id),
  /** Bytes of used data the chain describes. */
  dataLength: Uint,
  streamFlags: z.array(StreamFlagSchema),
});

/** An ALE classify arrives with a completion handle in its metadata. */
export const AleClassifyEvent = z.strictObject({
  kind: z.literal("aleClassify"),
  layerId: LayerName,
  completionHandle: Id,
  /** True for a reauthorization classify (FWP_CONDITION_FLAG_IS_REAUTHORIZE), which cannot be pended. */
  reauthorization: z.boolean(),
  /** The packet indicated with the classify, if any (the one a RECV_ACCEPT callout clones). */
  netBufferList: Id.optional(),
  ipVersion: IpVersion.optional(),
  direction: Direction.optional(),
});

/** A packet is indicated to a classifyFn: a fresh packet from the stack, or one injected earlier. */
export const PacketIndicatedEvent = z.strictObject({
  kind: z.literal("packetIndicated"),
  layerId: LayerName,
  netBufferList: Id,
  ipVersion: IpVersion.optional(),
  direction: Direction.optional(),
  netBufferCount: z.number().int().positive().default(1),
});

/** The engine reports it has nothing left to deliver: every owed completion is overdue from here on. */
export const EngineIdleEvent = z.strictObject({ kind: z.literal("engineIdle") });

/** The driver's unload routine returns: the end of the run, where leaks are judged. */
export const DriverUnloadEvent = z.strictObject({ kind: z.literal("driverUnload") });

/** One line of a trace. */
export const TraceEvent = z.union([
  CallEvent,
  z.discriminatedUnion("kind", [
    ReturnEvent,
    CompletionEvent,
    TcpipStackEvent,
    ResourcesEvent,
    StreamIndicatedEvent,
    AleClassifyEvent,
    PacketIndicatedEvent,
    EngineIdleEvent,
    DriverUnloadEvent,
  ]),
]);
export type TraceEvent = z.infer<typeof TraceEvent>;
export type EnvironmentEvent = Extract<
  TraceEvent,
  { kind: "tcpipStack" | "resources" | "streamIndicated" | "aleClassify" | "packetIndicated" | "engineIdle" | "driverUnload" }
>;
export type TraceEventKind = TraceEvent["kind"];

/** The JSON Schema of one trace line (draft 2020-12), generated from the zod schemas. */
export function traceEventJsonSchema(): unknown {
  return z.toJSONSchema(TraceEvent, { target: "draft-2020-12", io: "input" });
}
