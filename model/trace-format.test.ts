/**
 * Sequences a real driver performs that the trace format now lets one write down (issue 12):
 * data-less stream indications, bug checks, the driver's own caller contexts, arguments a recorder
 * sees, and calls whose return comes later. Each is checked accepted where it conforms and reported
 * (or rejected as malformed, naming the field) where it does not.
 */
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../spec/events.ts";
import { parseTraceEvent } from "../spec/trace.ts";
import { checkTrace } from "./index.ts";

function parse(value: object): ReturnType<typeof parseTraceEvent> {
  return parseTraceEvent(value, "trace-format.test", 1);
}

function events(...raw: object[]): TraceEvent[] {
  return raw.map((value) => {
    const parsed = parse(value);
    if (!parsed.ok) throw new Error(`${parsed.error.field}: ${parsed.error.message}`);
    return parsed.event;
  });
}

function verdicts(...raw: object[]): string[] {
  return checkTrace(events(...raw)).violations.map((violation) => `${violation.position}:${violation.ruleId}:${violation.party}`);
}

const call = (fn: string, args: object, ret?: object, irql = "PASSIVE_LEVEL", from?: object) => ({ kind: "call", fn, irql, args, ...(ret === undefined ? {} : { ret }), ...(from === undefined ? {} : { from }) });
const ok = { status: "STATUS_SUCCESS" };
const streamHandle = call("FwpsInjectionHandleCreate0", { addressFamily: "AF_UNSPEC", flags: ["FWPS_INJECTION_TYPE_STREAM"] }, { status: "STATUS_SUCCESS", injectionHandle: "h1" });
const networkHandle = call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] }, { status: "STATUS_SUCCESS", injectionHandle: "h1" });
const pool = call("NdisAllocateNetBufferListPool", {}, { status: "STATUS_SUCCESS", poolHandle: "pool1" });
const allocate = (nbl: string) =>
  call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: "pool1", contextSize: 0, contextBackFill: 0, mdlChain: { byteCount: 64 }, dataOffset: 0, dataLength: 64 }, { status: "STATUS_SUCCESS", netBufferList: nbl });

describe("data-less stream indications (decision trace/data-less-stream)", () => {
  const indication = (flags: string[]) => ({ kind: "streamIndicated", streamData: "sd1", layerId: "FWPS_LAYER_STREAM_V4", flowId: "f1", netBufferListChain: [], dataLength: 0, streamFlags: flags });
  const inject = call("FwpsStreamInjectAsync0", { injectionHandle: "h1", flowId: "f1", layerId: "FWPS_LAYER_STREAM_V4", streamFlags: ["FWPS_STREAM_FLAG_SEND"], netBufferList: ["n1"], dataLength: 64, completionContext: "ctx" }, ok, "DISPATCH_LEVEL");

  it("makes an injection into an aborted stream checkable", () => {
    expect(verdicts(streamHandle, pool, allocate("n1"), indication(["FWPS_STREAM_FLAG_SEND_ABORT"]), inject)).toEqual(["5:stream-inject/not-after-abort:caller"]);
  });

  it("accepts injecting after a data-less FIN (a disconnect, not an abort)", () => {
    expect(verdicts(streamHandle, pool, allocate("n1"), indication(["FWPS_STREAM_FLAG_RECEIVE", "FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"]), inject)).toEqual([]);
  });
});

describe("bug checks (decision trace/bug-check)", () => {
  const clone = call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "pkt1" }, { status: "STATUS_SUCCESS", netBufferList: "c1" }, "DISPATCH_LEVEL");
  const indicated = { kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_IPPACKET_V4", netBufferList: "pkt1", ipVersion: 4, direction: "inbound" };
  const receive = (netBufferCount: number) => ({
    kind: "call",
    fn: "FwpsInjectNetworkReceiveAsync0",
    irql: "DISPATCH_LEVEL",
    args: { injectionHandle: "h1", netBufferList: "c1", ipVersion: 4, netBufferCount, completionContext: "ctx" },
    bugCheck: { code: "0x1D3", parameter1: 1 },
  });

  it("is the caller's when the call broke a documented fatal rule (the recorded NET_BUFFER count)", () => {
    const result = checkTrace(events(networkHandle, indicated, clone, receive(2)));
    expect(result.violations.map((violation) => `${violation.position}:${violation.ruleId}:${violation.party}:${violation.fatal === true}`)).toEqual(["4:network-inject/single-net-buffer-inbound:caller:true"]);
  });

  it("is the engine's when the call broke no caller rule", () => {
    expect(verdicts(networkHandle, indicated, clone, receive(1))).toEqual(["4:bug-check/caused-by-misuse:engine"]);
  });

  it("ends the trace: a later event is an error, and leaks are not judged", () => {
    const after = verdicts(networkHandle, indicated, clone, receive(2), { kind: "driverUnload" });
    expect(after).toEqual(["4:network-inject/single-net-buffer-inbound:caller", "5:model/internal-error:model"]);
  });

  it("is malformed with a `ret` beside it", () => {
    const parsed = parse({ ...receive(2), ret: ok });
    expect(parsed.ok ? "" : parsed.error.field).toBe("bugCheck");
  });
});

describe("the driver's own caller contexts (decision trace/caller-contexts)", () => {
  it("accepts DriverEntry, a work item, a DPC and a timer at their IRQLs, and judges the IRQL rules", () => {
    const create = call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_TRANSPORT"] }, { status: "STATUS_SUCCESS", injectionHandle: "h1" }, "PASSIVE_LEVEL", { kind: "driverEntry" });
    const destroyFromDpc = call("FwpsInjectionHandleDestroy0", { injectionHandle: "h1" }, ok, "DISPATCH_LEVEL", { kind: "dpc" });
    expect(verdicts(create, destroyFromDpc)).toEqual(["2:handle-destroy/irql:caller"]);
    const fromWorkItem = call("FwpsInjectionHandleDestroy0", { injectionHandle: "h1" }, ok, "PASSIVE_LEVEL", { kind: "workItem" });
    expect(verdicts(create, fromWorkItem)).toEqual([]);
    expect(parse(call("NdisAllocateNetBufferListPool", {}, { status: "STATUS_SUCCESS", poolHandle: "p" }, "DISPATCH_LEVEL", { kind: "timer" })).ok).toBe(true);
  });

  it("rejects a context recorded at an IRQL it cannot run at, naming the field", () => {
    const parsed = parse(call("FwpsInjectionHandleDestroy0", { injectionHandle: "h1" }, ok, "PASSIVE_LEVEL", { kind: "dpc" }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect([parsed.error.field, parsed.error.message]).toEqual(["irql", "a call from dpc runs at DISPATCH_LEVEL, not PASSIVE_LEVEL"]);
    expect(parse(call("FwpsInjectionHandleDestroy0", { injectionHandle: "h1" }, ok, "DISPATCH_LEVEL", { kind: "unload" })).ok).toBe(false);
  });
});

describe("arguments a recorder sees (decision trace/recorded-arguments)", () => {
  const transport = call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_TRANSPORT"] }, { status: "STATUS_SUCCESS", injectionHandle: "h1" });

  it("takes symbolic endpoint handles and a transport send's parameters", () => {
    const send = call("FwpsInjectTransportSendAsync0", {
      injectionHandle: "h1",
      endpointHandle: "endpoint-of-flow-7",
      sendArgs: { remoteAddress: "fe80::1", remoteScopeId: "scope-of-if-3", controlData: "cmsg1", controlDataLength: 24 },
      addressFamily: "AF_INET6",
      netBufferList: "n1",
      completionContext: "ctx",
    }, ok);
    expect(verdicts(call("FwpsInjectionHandleCreate0", { addressFamily: "AF_UNSPEC", flags: ["FWPS_INJECTION_TYPE_TRANSPORT"] }, { status: "STATUS_SUCCESS", injectionHandle: "h1" }), pool, allocate("n1"), send)).toEqual([]);
    expect(parse({ ...send, args: { ...send.args, endpointHandle: -1 } }).ok).toBe(false);
  });

  it("takes a symbolic callout id at FwpsStreamInjectAsync0", () => {
    const inject = call("FwpsStreamInjectAsync0", { injectionHandle: "h1", calloutId: "CALLOUT_STREAM_V4", flowId: "f1", layerId: "FWPS_LAYER_STREAM_V4", streamFlags: ["FWPS_STREAM_FLAG_SEND"], netBufferList: ["n1"], dataLength: 64 }, ok);
    expect(verdicts(streamHandle, pool, allocate("n1"), inject)).toEqual([]);
  });

  it("judges no injectionContext when the query passed a NULL out pointer", () => {
    const send = call("FwpsInjectTransportSendAsync0", { injectionHandle: "h1", addressFamily: "AF_INET", netBufferList: "n1", injectionContext: "mine", completionContext: "ctx" }, ok);
    const query = (outPointer: object) => call("FwpsQueryPacketInjectionState0", { injectionHandle: "h1", netBufferList: "n1", ...outPointer }, { injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: "garbage" });
    expect(verdicts(transport, pool, allocate("n1"), send, query({ injectionContext: null }))).toEqual([]);
    expect(verdicts(transport, pool, allocate("n1"), send, query({}))).toEqual(["5:query/injection-context:engine"]);
  });
});

describe("calls whose return comes later (decision trace/deferred-return)", () => {
  it("accepts a destroy that returns later, named by its callId", () => {
    const destroy = { kind: "call", callId: "d1", fn: "FwpsInjectionHandleDestroy0", irql: "PASSIVE_LEVEL", args: { injectionHandle: "h1" } };
    expect(verdicts(networkHandle, destroy, { kind: "return", callId: "d1", ret: ok })).toEqual([]);
    const parsed = parse({ ...destroy, callId: undefined });
    expect(parsed.ok ? "" : parsed.error.field).toBe("callId");
  });

  it("rejects any other non-VOID call without its return, naming the field", () => {
    const parsed = parse({ kind: "call", callId: "c1", fn: "FwpsInjectionHandleCreate0", irql: "PASSIVE_LEVEL", args: { addressFamily: "AF_INET", flags: [] } });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.field).toBe("ret");
    expect(parse({ kind: "call", fn: "FwpsFreeNetBufferList0", irql: "PASSIVE_LEVEL", args: { netBufferList: "n1" } }).ok).toBe(true);
  });
});
