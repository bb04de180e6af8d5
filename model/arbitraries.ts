/**
 * fast-check arbitraries of trace events over a small id space, valid or not: every function of the
 * vocabulary with arguments right and wrong, results of any status, completions of any NBL, blocked
 * destroys and their returns, and every environment event. Used to test the model itself.
 */
import fc from "fast-check";
import type { TraceEvent } from "../spec/events.ts";
import type { Irql } from "../spec/vocabulary.ts";

const HANDLES = ["h1", "h2"];
const NBLS = ["n1", "n2", "n3", "s1", "p1"];
const STATUSES = ["STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_FWP_TCPIP_NOT_READY", "STATUS_FWP_INJECT_HANDLE_CLOSING", "STATUS_FWP_INJECT_HANDLE_STALE", "STATUS_FWP_INVALID_PARAMETER", "STATUS_FWP_NULL_POINTER", "STATUS_INSUFFICIENT_RESOURCES"];

const irql = fc.constantFrom<Irql>("PASSIVE_LEVEL", "PASSIVE_LEVEL", "DISPATCH_LEVEL", "APC_LEVEL", "DIRQL");
const handle = fc.constantFrom(...HANDLES);
const nbl = fc.constantFrom(...NBLS);
const nullable = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 8 });
/** Mostly STATUS_SUCCESS, so that generated runs reach deep states. */
const status = fc.oneof({ weight: 5, arbitrary: fc.constant("STATUS_SUCCESS") }, { weight: 1, arbitrary: fc.constantFrom(...STATUSES) });
const context = fc.constantFrom("ctx1", "ctx2", "ctx3");
const from = fc.constantFrom({ kind: "thread" as const }, { kind: "completionFn" as const }, { kind: "classify" as const, layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4" });
const flags = fc.constantFrom(0, 0, 0, 1);
const injectCommon = fc.record({ injectionHandle: handle, injectionContext: nullable(fc.constantFrom("ic1", "ic2")), flags, completionFn: nullable(fc.constant("completionFn")), completionContext: nullable(context) });

/** One arbitrary trace event (schema-valid, semantically anything). */
export function traceEventArbitrary(): fc.Arbitrary<TraceEvent> {
  const call = <A, R>(fn: string, args: fc.Arbitrary<A>, ret: fc.Arbitrary<R>) =>
    fc.record({ kind: fc.constant("call" as const), fn: fc.constant(fn), irql, from, args, ret }) as unknown as fc.Arbitrary<TraceEvent>;
  const statusRet = fc.record({ status });
  const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
  return fc.oneof(
    w(4, call("FwpsInjectionHandleCreate0", fc.record({ addressFamily: fc.constantFrom("AF_INET", "AF_INET6", "AF_UNSPEC", "AF_IPX"), flags: fc.subarray(["FWPS_INJECTION_TYPE_NETWORK", "FWPS_INJECTION_TYPE_STREAM", "FWPS_INJECTION_TYPE_TRANSPORT", "FWPS_INJECTION_TYPE_FORWARD"]) }), fc.record({ status, injectionHandle: handle }))),
    w(3, call("FwpsInjectionHandleDestroy0", fc.record({ injectionHandle: nullable(handle) }), statusRet)),
    fc.record({ kind: fc.constant("call" as const), callId: fc.constantFrom("d1", "d2"), fn: fc.constant("FwpsInjectionHandleDestroy0"), irql, from, args: fc.record({ injectionHandle: nullable(handle) }) }) as unknown as fc.Arbitrary<TraceEvent>,
    fc.record({ kind: fc.constant("return" as const), callId: fc.constantFrom("d1", "d2", "d3"), ret: statusRet }) as fc.Arbitrary<TraceEvent>,
    w(6, call("FwpsInjectNetworkSendAsync0", fc.tuple(injectCommon, fc.record({ compartmentId: fc.constant(0), netBufferList: nullable(nbl), ipVersion: fc.constantFrom(4, 6) })).map(([a, b]) => ({ ...a, ...b })), statusRet)),
    call("FwpsInjectNetworkReceiveAsync0", fc.tuple(injectCommon, fc.record({ compartmentId: fc.constant(0), interfaceIndex: fc.constant(1), subInterfaceIndex: fc.constant(0), netBufferList: nullable(nbl) })).map(([a, b]) => ({ ...a, ...b })), statusRet),
    call("FwpsInjectTransportSendAsync0", fc.tuple(injectCommon, fc.record({ endpointHandle: fc.constant(0), addressFamily: fc.constantFrom("AF_INET", "AF_INET6", "AF_UNSPEC"), compartmentId: fc.constant(0), netBufferList: nullable(nbl) })).map(([a, b]) => ({ ...a, ...b })), statusRet),
    call("FwpsInjectForwardAsync0", fc.tuple(injectCommon, fc.record({ addressFamily: fc.constantFrom("AF_INET", "AF_INET6"), compartmentId: fc.constant(0), interfaceIndex: fc.constant(1), netBufferList: nullable(nbl) })).map(([a, b]) => ({ ...a, ...b })), statusRet),
    call(
      "FwpsStreamInjectAsync0",
      fc.tuple(injectCommon, fc.record({ flowId: fc.constantFrom("f1", "f2"), calloutId: fc.constant(1), layerId: fc.constantFrom("FWPS_LAYER_STREAM_V4", "FWPS_LAYER_STREAM_V6", "FWPS_LAYER_IPFORWARD_V4"), streamFlags: fc.subarray(["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_DISCONNECT", "FWPS_STREAM_FLAG_RECEIVE"]), netBufferList: nullable(fc.uniqueArray(nbl, { minLength: 1, maxLength: 3 })), dataLength: fc.constantFrom(0, 100) })).map(([a, b]) => ({ ...a, ...b })),
      statusRet,
    ),
    w(4, call("FwpsAllocateNetBufferAndNetBufferList0", fc.record({ poolHandle: nullable(fc.constantFrom("pool1", "pool2")), contextSize: fc.constantFrom(0, 8, 16), contextBackFill: fc.constantFrom(0, 16, 4), mdlChain: nullable(fc.record({ byteCount: fc.constantFrom(64, 1500) })), dataOffset: fc.constantFrom(0, 14), dataLength: fc.constantFrom(0, 40, 2000) }), fc.record({ status, netBufferList: nbl }))),
    call("NdisAllocateNetBufferListPool", fc.constant({}), fc.record({ status, poolHandle: fc.constantFrom("pool1", "pool2") })),
    call("NdisFreeNetBufferListPool", fc.record({ poolHandle: nullable(fc.constantFrom("pool1", "pool2")) }), fc.constant({})),
    call("FwpsAllocateCloneNetBufferList0", fc.record({ originalNetBufferList: nullable(nbl), netBufferListPoolHandle: fc.constant(null), netBufferPoolHandle: fc.constant(null), allocateCloneFlags: flags }), fc.record({ status, netBufferList: nbl })),
    call("FwpsCloneStreamData0", fc.record({ calloutStreamData: nullable(fc.constantFrom("sd1", "sd2")), netBufferListPoolHandle: fc.constant(null), netBufferPoolHandle: fc.constant(null), allocateCloneFlags: flags }), fc.record({ status, netBufferListChain: fc.uniqueArray(nbl, { minLength: 1, maxLength: 3 }), dataLength: fc.constantFrom(100, 50) })),
    call("FwpsFreeCloneNetBufferList0", fc.record({ netBufferList: nullable(nbl), freeCloneFlags: flags }), fc.constant({})),
    call("FwpsFreeNetBufferList0", fc.record({ netBufferList: nullable(nbl) }), fc.constant({})),
    call("FwpsDiscardClonedStreamData0", fc.record({ clonedNetBufferListChain: nullable(fc.uniqueArray(nbl, { minLength: 1, maxLength: 3 })), allocateCloneFlags: flags, dispatchLevel: fc.boolean() }), fc.constant({})),
    call("FwpsPendOperation0", fc.record({ completionHandle: nullable(fc.constantFrom("ch1", "ch2")) }), fc.record({ status, completionContext: fc.constantFrom("pc1", "pc2") })),
    call("FwpsCompleteOperation0", fc.record({ completionContext: nullable(fc.constantFrom("pc1", "pc2", "pc3")), netBufferList: nullable(nbl) }), fc.constantFrom({}, { status: "STATUS_SUCCESS" }, { status: "STATUS_UNSUCCESSFUL" })),
    call("FwpsQueryPacketInjectionState0", fc.record({ injectionHandle: nullable(handle), netBufferList: nullable(nbl) }), fc.record({ injectionState: fc.constantFrom("FWPS_PACKET_NOT_INJECTED", "FWPS_PACKET_INJECTED_BY_SELF", "FWPS_PACKET_INJECTED_BY_OTHER", "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF"), injectionContext: nullable(fc.constantFrom("ic1", "ic2")) })),
    w(6, fc.record({ kind: fc.constant("completion" as const), completionContext: nullable(context), netBufferList: nullable(nbl), dispatchLevel: fc.boolean(), irql: fc.constantFrom<Irql>("PASSIVE_LEVEL", "DISPATCH_LEVEL", "DIRQL"), status: fc.constant("STATUS_SUCCESS") })),
    fc.record({ kind: fc.constant("tcpipStack" as const), ready: fc.boolean() }),
    fc.record({ kind: fc.constant("resources" as const), exhausted: fc.boolean() }),
    fc.record({ kind: fc.constant("streamIndicated" as const), streamData: fc.constantFrom("sd1", "sd2"), layerId: fc.constant("FWPS_LAYER_STREAM_V4"), flowId: fc.constantFrom("f1", "f2"), netBufferListChain: fc.uniqueArray(nbl, { minLength: 1, maxLength: 2 }), dataLength: fc.constant(100), streamFlags: fc.subarray<"FWPS_STREAM_FLAG_SEND" | "FWPS_STREAM_FLAG_SEND_ABORT">(["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_ABORT"]) }),
    fc.record({ kind: fc.constant("aleClassify" as const), layerId: fc.constantFrom("FWPS_LAYER_ALE_AUTH_CONNECT_V4", "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4", "FWPS_LAYER_OUTBOUND_TRANSPORT_V4"), completionHandle: fc.constantFrom("ch1", "ch2"), reauthorization: fc.boolean(), netBufferList: nbl }),
    fc.record({ kind: fc.constant("packetIndicated" as const), layerId: fc.constant("FWPS_LAYER_INBOUND_IPPACKET_V4"), netBufferList: nbl, netBufferCount: fc.constantFrom(1, 2) }),
    fc.constant({ kind: "engineIdle" as const }),
    fc.constant({ kind: "driverUnload" as const }),
  );
}

/**
 * A self-contained, conforming block of events over ids of its own (suffix `tag`): create a handle,
 * allocate an NBL, inject it, its completion, free, destroy. It leaves nothing owed or leaked, so it
 * can be interleaved into any trace without changing that trace's verdicts.
 */
export function unrelatedBlock(tag: string): TraceEvent[] {
  const h = `hx${tag}`;
  const n = `nx${tag}`;
  return [
    { kind: "call", fn: "NdisAllocateNetBufferListPool", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: {}, ret: { status: "STATUS_SUCCESS", poolHandle: `poolx${tag}` } },
    { kind: "call", fn: "FwpsInjectionHandleCreate0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] }, ret: { status: "STATUS_SUCCESS", injectionHandle: h } },
    { kind: "call", fn: "FwpsAllocateNetBufferAndNetBufferList0", irql: "DISPATCH_LEVEL", from: { kind: "thread" }, args: { poolHandle: `poolx${tag}`, contextSize: 0, contextBackFill: 0, mdlChain: { byteCount: 64 }, dataOffset: 0, dataLength: 40 }, ret: { status: "STATUS_SUCCESS", netBufferList: n } },
    {
      kind: "call",
      fn: "FwpsInjectNetworkSendAsync0",
      irql: "DISPATCH_LEVEL",
      from: { kind: "thread" },
      args: { injectionHandle: h, injectionContext: null, flags: 0, compartmentId: 0, netBufferList: n, ipVersion: 4, completionFn: "completionFn", completionContext: `ctxx${tag}` },
      ret: { status: "STATUS_SUCCESS" },
    },
    { kind: "completion", completionContext: `ctxx${tag}`, netBufferList: n, dispatchLevel: true, irql: "DISPATCH_LEVEL", status: "STATUS_SUCCESS" },
    { kind: "call", fn: "FwpsFreeNetBufferList0", irql: "DISPATCH_LEVEL", from: { kind: "completionFn" }, args: { netBufferList: n } },
    { kind: "call", fn: "FwpsInjectionHandleDestroy0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { injectionHandle: h }, ret: { status: "STATUS_SUCCESS" } },
  ];
}

/** A short realistic run: a handle created, an NBL allocated and injected through it, maybe completed (ids from the small shared space). */
function injectionSnippet(): fc.Arbitrary<TraceEvent[]> {
  return fc.record({ h: handle, n: nbl, ctx: context, completed: fc.boolean() }).map(({ h, n, ctx, completed }): TraceEvent[] => [
    { kind: "call", fn: "FwpsInjectionHandleCreate0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] }, ret: { status: "STATUS_SUCCESS", injectionHandle: h } },
    { kind: "call", fn: "NdisAllocateNetBufferListPool", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: {}, ret: { status: "STATUS_SUCCESS", poolHandle: "pool1" } },
    { kind: "call", fn: "FwpsAllocateNetBufferAndNetBufferList0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { poolHandle: "pool1", contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 }, ret: { status: "STATUS_SUCCESS", netBufferList: n } },
    {
      kind: "call",
      fn: "FwpsInjectNetworkSendAsync0",
      irql: "DISPATCH_LEVEL",
      from: { kind: "thread" },
      args: { injectionHandle: h, injectionContext: null, flags: 0, compartmentId: 0, netBufferList: n, ipVersion: 4, completionFn: "completionFn", completionContext: ctx },
      ret: { status: "STATUS_SUCCESS" },
    },
    ...(completed ? [{ kind: "completion", completionContext: ctx, netBufferList: n, dispatchLevel: true, irql: "DISPATCH_LEVEL", status: "STATUS_SUCCESS" } as const] : []),
  ]);
}

/** Arbitrary traces: single arbitrary events mixed with short realistic runs, so that deep states are reached. */
export function traceArbitrary(maxLength = 40): fc.Arbitrary<TraceEvent[]> {
  const piece = fc.oneof({ weight: 6, arbitrary: traceEventArbitrary().map((event) => [event]) }, { weight: 1, arbitrary: injectionSnippet() });
  return fc.array(piece, { minLength: 1, maxLength }).map((pieces) => pieces.flat());
}
