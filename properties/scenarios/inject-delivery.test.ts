/**
 * Inject calls of every kind and the delivery of their completions: transport and forward
 * injections through handles of the matching type and through flags-0 handles, from a thread and
 * from a classifyFn; a receive injection of a clone of a two-NET_BUFFER packet; network injections
 * without a recorded IP version; stream injections of cloned chains under a queuing and the
 * immediate policy, and through a closing handle; a re-injection of an NBL still in flight; pools
 * freed and used; a discard of more than one chain; a pend of an unknown completion handle; the
 * injection state of a clone of an injected NBL. Every call, completion and unload is checked
 * against the reference model by CheckedDriver; direct expects pin the documented statuses and when
 * completions arrive where the model allows several answers.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../../impl/port-adapter.ts";
import type { DeliveryPolicy } from "../../spec/port.ts";
import { CheckedDriver } from "../checked-driver.ts";
import { DEFAULT_PORT_OPTIONS } from "../runner.ts";

type Ret = Record<string, unknown> | undefined;

function helpers(driver: CheckedDriver) {
  const id = (ret: Ret, key: string): string => {
    const value = ret?.[key];
    expect(typeof value, `${key} in ${JSON.stringify(ret)}`).toBe("string");
    return value as string;
  };
  let context = 0;
  const common = (injectionHandle: string) => ({ injectionHandle, injectionContext: `ictx${++context}`, flags: 0, completionFn: "completionFn", completionContext: `ctx${context}` });
  return {
    id,
    createHandle: (addressFamily: string, flags: string[]) => id(driver.call("FwpsInjectionHandleCreate0", { addressFamily, flags }), "injectionHandle"),
    allocatePool: () => id(driver.call("NdisAllocateNetBufferListPool", {}), "poolHandle"),
    allocate: (poolHandle: string | null) => driver.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 }),
    clone: (original: string) => id(driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: original, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL"), "netBufferList"),
    networkSend: (injectionHandle: string, netBufferList: string, ipVersion?: 4 | 6) =>
      driver.call("FwpsInjectNetworkSendAsync0", { ...common(injectionHandle), compartmentId: 0, netBufferList, ...(ipVersion === undefined ? {} : { ipVersion }) }, "DISPATCH_LEVEL"),
    networkReceive: (injectionHandle: string, netBufferList: string, ipVersion?: 4 | 6) =>
      driver.call("FwpsInjectNetworkReceiveAsync0", { ...common(injectionHandle), compartmentId: 0, interfaceIndex: 0, subInterfaceIndex: 0, netBufferList, ...(ipVersion === undefined ? {} : { ipVersion }) }, "DISPATCH_LEVEL"),
    transport: (receive: boolean, injectionHandle: string, netBufferList: string, ipProtocol: "TCP" | "UDP", from: { kind: "thread" } | { kind: "classify"; layerId: string }) =>
      driver.call(
        receive ? "FwpsInjectTransportReceiveAsync0" : "FwpsInjectTransportSendAsync0",
        { ...common(injectionHandle), addressFamily: "AF_INET", compartmentId: 0, netBufferList, ipProtocol },
        "DISPATCH_LEVEL",
        from as never,
      ),
    forward: (injectionHandle: string, netBufferList: string) => driver.call("FwpsInjectForwardAsync0", { ...common(injectionHandle), addressFamily: "AF_INET", compartmentId: 0, interfaceIndex: 0, netBufferList }, "DISPATCH_LEVEL"),
    indicateStream: (streamData: string, flowId: string, chain: string[]) =>
      driver.environment({ kind: "streamIndicated", streamData, layerId: "FWPS_LAYER_STREAM_V4", flowId, netBufferListChain: chain, dataLength: 300, streamFlags: ["FWPS_STREAM_FLAG_SEND"] }),
    cloneStream: (calloutStreamData: string) =>
      driver.call("FwpsCloneStreamData0", { calloutStreamData, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL")?.["netBufferListChain"] as string[],
    streamInject: (injectionHandle: string, flowId: string, netBufferList: string[] | null, streamFlags: string[]) =>
      driver.call("FwpsStreamInjectAsync0", { ...common(injectionHandle), flowId, calloutId: 0, layerId: "FWPS_LAYER_STREAM_V4", streamFlags, netBufferList, dataLength: 300 }, "DISPATCH_LEVEL"),
    freeNbl: (netBufferList: string) => driver.call("FwpsFreeNetBufferList0", { netBufferList }),
    freeClone: (netBufferList: string) => driver.call("FwpsFreeCloneNetBufferList0", { netBufferList, freeCloneFlags: 0 }),
    destroy: (injectionHandle: string) => driver.call("FwpsInjectionHandleDestroy0", { injectionHandle }),
  };
}

/** The completion events of the trace from `from` on. */
const completionsSince = (driver: CheckedDriver, from: number) => driver.trace.slice(from).filter((event) => event.kind === "completion");

/** Delivers everything queued, failing (instead of looping) if the engine stops delivering; then the engine is idle. */
function drain(driver: CheckedDriver): void {
  for (let round = 0; round < 20 && (driver.port.pendingWork() as number) > 0; round++) driver.deliver(100);
  expect(driver.port.pendingWork(), "completions still queued after 20 deliver(100)").toBe(0);
  driver.drain();
}

const portWith = (policy: DeliveryPolicy) => new CheckedDriver(createPort({ ...DEFAULT_PORT_OPTIONS, policy }));

describe("inject calls and their completions", () => {
  it("transport and forward injections through typed and flags-0 handles, from a thread and from a classifyFn", () => {
    const driver = portWith("fifo");
    const h = helpers(driver);
    const transport = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_TRANSPORT"]);
    const forward = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_FORWARD"]);
    const untyped = h.createHandle("AF_INET", []);
    const network = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_NETWORK"]);
    const pool = h.allocatePool();
    const nbls = Array.from({ length: 7 }, () => h.id(h.allocate(pool), "netBufferList"));
    const statuses = [
      h.transport(false, transport, nbls[0]!, "UDP", { kind: "classify", layerId: "FWPS_LAYER_OUTBOUND_TRANSPORT_V4" }),
      h.transport(true, transport, nbls[1]!, "TCP", { kind: "thread" }),
      h.transport(false, untyped, nbls[2]!, "UDP", { kind: "thread" }),
      h.forward(forward, nbls[3]!),
      h.forward(untyped, nbls[4]!),
      h.networkSend(network, nbls[5]!),
      h.networkReceive(network, nbls[6]!),
    ].map((ret) => ret?.["status"]);
    expect(statuses).toEqual(statuses.map(() => "STATUS_SUCCESS"));
    drain(driver);
    for (const nbl of nbls) h.freeNbl(nbl);
    for (const handle of [transport, forward, untyped, network]) expect(h.destroy(handle)?.["status"]).toBe("STATUS_SUCCESS");
    driver.environment({ kind: "driverUnload" });
  });

  it("inject calls through mismatched handles and families, of indicated NBLs, into an aborted flow: findings and statuses as the model says", () => {
    const driver = portWith("fifo");
    const h = helpers(driver);
    const v4 = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_NETWORK"]);
    const v6 = h.createHandle("AF_INET6", ["FWPS_INJECTION_TYPE_NETWORK"]);
    const unspec = h.createHandle("AF_UNSPEC", ["FWPS_INJECTION_TYPE_NETWORK", "FWPS_INJECTION_TYPE_STREAM"]);
    const transport = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_TRANSPORT"]);
    const untyped = h.createHandle("AF_INET", []);
    const pool = h.allocatePool();
    const nbls = Array.from({ length: 8 }, () => h.id(h.allocate(pool), "netBufferList"));
    driver.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_IPPACKET_V4", netBufferList: "packet1", ipVersion: 4, netBufferCount: 2 });
    const statuses = [
      h.networkSend(v6, nbls[0]!, 6),
      h.networkSend(v6, nbls[1]!, 4),
      h.networkReceive(v4, nbls[2]!, 6),
      h.networkSend(unspec, nbls[3]!, 4),
      h.networkSend(transport, nbls[4]!, 4),
      h.networkSend(untyped, nbls[4]!, 4),
      h.networkReceive(v4, "packet1", 4),
      h.transport(false, v4, nbls[5]!, "TCP", { kind: "classify", layerId: "FWPS_LAYER_OUTBOUND_TRANSPORT_V4" }),
      h.forward(transport, nbls[6]!),
      h.streamInject(v4, "flow1", [nbls[7]!], ["FWPS_STREAM_FLAG_SEND"]),
    ].map((ret) => ret?.["status"]);
    expect(statuses.slice(4, 6)).toEqual(["STATUS_FWP_INJECT_HANDLE_STALE", "STATUS_FWP_INJECT_HANDLE_STALE"]);
    drain(driver);
    h.indicateStream("sd1", "flow2", ["sd1.a"]);
    driver.environment({ kind: "streamIndicated", streamData: "sd2", layerId: "FWPS_LAYER_STREAM_V4", flowId: "flow2", netBufferListChain: ["sd2.a"], dataLength: 10, streamFlags: ["FWPS_STREAM_FLAG_SEND_ABORT"] });
    const stream = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_STREAM"]);
    driver.call("FwpsStreamInjectAsync0", { ...{ injectionHandle: stream, injectionContext: "i", flags: 0, completionFn: "completionFn", completionContext: "c" }, flowId: "flow2", calloutId: 0, layerId: "FWPS_LAYER_OUTBOUND_TRANSPORT_V4", streamFlags: ["FWPS_STREAM_FLAG_SEND"], netBufferList: ["sd1.a"], dataLength: 10 }, "DISPATCH_LEVEL");
    drain(driver);
    for (const nbl of nbls) h.freeNbl(nbl);
    for (const handle of [v4, v6, unspec, transport, untyped, stream]) h.destroy(handle);
    drain(driver);
    driver.environment({ kind: "driverUnload" });
  });

  it("receive injection of a clone of a two-NET_BUFFER packet, and the state of an injected clone of an NBL injected through another handle", () => {
    const driver = portWith("fifo");
    const h = helpers(driver);
    const network = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_NETWORK"]);
    driver.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_IPPACKET_V4", netBufferList: "packet1", ipVersion: 4, netBufferCount: 2 });
    const twoBuffers = h.clone("packet1");
    expect(h.networkReceive(network, twoBuffers, 4)?.["status"]).toBe("STATUS_SUCCESS");
    const pool = h.allocatePool();
    const nbl = h.id(h.allocate(pool), "netBufferList");
    expect(h.networkSend(network, nbl, 4)?.["status"]).toBe("STATUS_SUCCESS");
    drain(driver);
    const child = h.clone(nbl);
    const other = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_NETWORK"]);
    expect(h.networkSend(other, child, 4)?.["status"]).toBe("STATUS_SUCCESS");
    drain(driver);
    expect(h.destroy(other)?.["status"]).toBe("STATUS_SUCCESS");
    const state = driver.call("FwpsQueryPacketInjectionState0", { injectionHandle: network, netBufferList: child }, "DISPATCH_LEVEL");
    expect(state?.["injectionState"]).toBe("FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF");
    h.freeClone(child);
    h.freeClone(twoBuffers);
    h.freeNbl(nbl);
    expect(h.destroy(network)?.["status"]).toBe("STATUS_SUCCESS");
    driver.environment({ kind: "driverUnload" });
  });

  for (const policy of ["immediate", "fifo"] as const) {
    it(`stream injections of cloned chains (${policy}): completions in the call's own step only when immediate`, () => {
      const driver = portWith(policy);
      const h = helpers(driver);
      const stream = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_STREAM"]);
      h.indicateStream("sd1", "flow1", ["sd1.a", "sd1.b"]);
      const chain = h.cloneStream("sd1");
      expect(chain).toHaveLength(2);
      const before = driver.trace.length;
      expect(h.streamInject(stream, "flow1", chain, ["FWPS_STREAM_FLAG_SEND"])?.["status"]).toBe("STATUS_SUCCESS");
      expect(completionsSince(driver, before)).toHaveLength(policy === "immediate" ? 2 : 0);
      drain(driver);
      expect(completionsSince(driver, before)).toHaveLength(2);
      // The same NBL twice in a chain: one completion, and the handle's destroy does not wait for a second.
      h.indicateStream("sd2", "flow1", ["sd2.a"]);
      const single = h.cloneStream("sd2");
      expect(h.streamInject(stream, "flow1", [single[0]!, single[0]!], ["FWPS_STREAM_FLAG_SEND"])?.["status"]).toBe("STATUS_SUCCESS");
      drain(driver);
      for (const nbl of [...chain, ...single]) h.freeClone(nbl);
      expect(h.destroy(stream)?.["status"]).toBe("STATUS_SUCCESS");
      driver.environment({ kind: "driverUnload" });
    });
  }

  it("stream injection through a closing handle with a disconnect flag that lacks its direction: the closing status comes first", () => {
    const driver = portWith("fifo");
    const h = helpers(driver);
    const stream = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_STREAM"]);
    h.indicateStream("sd1", "flow1", ["sd1.a"]);
    const chain = h.cloneStream("sd1");
    expect(h.streamInject(stream, "flow1", chain, ["FWPS_STREAM_FLAG_SEND"])?.["status"]).toBe("STATUS_SUCCESS");
    expect(h.destroy(stream)).toBeUndefined();
    expect(h.streamInject(stream, "flow1", null, ["FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"])?.["status"]).toBe("STATUS_FWP_INJECT_HANDLE_CLOSING");
    expect(h.streamInject(stream, "flow1", null, ["FWPS_STREAM_FLAG_SEND"])?.["status"]).toBe("STATUS_FWP_INJECT_HANDLE_CLOSING");
    const nullCompletionFn = driver.call(
      "FwpsStreamInjectAsync0",
      { injectionHandle: stream, injectionContext: null, flags: 0, completionFn: null, completionContext: null, flowId: "flow1", calloutId: 0, layerId: "FWPS_LAYER_STREAM_V4", streamFlags: ["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_DISCONNECT"], netBufferList: null, dataLength: 0 },
      "DISPATCH_LEVEL",
    );
    expect(nullCompletionFn?.["status"]).toBe("STATUS_FWP_INJECT_HANDLE_CLOSING");
    drain(driver);
    for (const nbl of chain) h.freeClone(nbl);
    driver.environment({ kind: "driverUnload" });
  });

  it("a re-injection of an NBL still in flight fails without making the NBL the caller's failed injection", () => {
    const driver = portWith("fifo");
    const h = helpers(driver);
    const network = h.createHandle("AF_INET", ["FWPS_INJECTION_TYPE_NETWORK"]);
    const pool = h.allocatePool();
    const nbl = h.id(h.allocate(pool), "netBufferList");
    expect(h.networkSend(network, nbl, 4)?.["status"]).toBe("STATUS_SUCCESS");
    expect(h.networkSend(network, nbl, 4)?.["status"]).toBe("STATUS_INVALID_PARAMETER");
    drain(driver);
    expect(h.destroy(network)?.["status"]).toBe("STATUS_SUCCESS");
    // The NBL is never freed: at unload it is an allocated NBL never freed, not one whose injection failed.
    driver.environment({ kind: "driverUnload" });
  });

  it("pools freed, freed again and used; a discard of two chains at once; a pend of a completion handle no classify provided", () => {
    const driver = portWith("fifo");
    const h = helpers(driver);
    const freed = h.allocatePool();
    driver.call("NdisFreeNetBufferListPool", { poolHandle: freed });
    h.allocate(freed);
    driver.call("NdisFreeNetBufferListPool", { poolHandle: freed });
    driver.call("NdisFreeNetBufferListPool", { poolHandle: "pool-never" });
    const pools = [h.allocatePool(), h.allocatePool()];
    const nbls = pools.map((pool) => h.id(h.allocate(pool), "netBufferList"));
    for (const nbl of nbls) h.freeNbl(nbl);
    for (const pool of pools) driver.call("NdisFreeNetBufferListPool", { poolHandle: pool });

    h.indicateStream("sd1", "flow1", ["sd1.a", "sd1.b"]);
    h.indicateStream("sd2", "flow1", ["sd2.a"]);
    const first = h.cloneStream("sd1");
    const second = h.cloneStream("sd2");
    driver.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: [...first, ...second], allocateCloneFlags: 0, dispatchLevel: false });
    driver.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: second, allocateCloneFlags: 0, dispatchLevel: false });

    expect(driver.call("FwpsPendOperation0", { completionHandle: "ch-never" })?.["status"]).toBe("STATUS_INVALID_PARAMETER");
    drain(driver);
    driver.environment({ kind: "driverUnload" });
  });
});
