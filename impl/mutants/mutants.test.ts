/**
 * The mutants: well-formed entries whose rules are catalogue ids, and each one observably different
 * from the real engine on one scenario that walks through every API family.
 */
import { describe, expect, it } from "vitest";
import type { PortStep } from "../../spec/port.ts";
import { RULES } from "../../spec/rules.ts";
import { API_FAMILIES } from "../../spec/vocabulary.ts";
import { createPort } from "../port-adapter.ts";
import { TEST_OPTIONS, TestDriver } from "../test-driver.ts";
import { MUTANTS } from "./index.ts";

const T = "FWPS_INJECTION_TYPE_TRANSPORT";
const N = "FWPS_INJECTION_TYPE_NETWORK";
const S = "FWPS_INJECTION_TYPE_STREAM";

/** Every step of a scenario that exercises each API family, its documented failures and its misuse. */
function scenario(d: TestDriver): PortStep[] {
  const steps: PortStep[] = [];
  const record = (step: PortStep): PortStep => (steps.push(step), step);
  const id = (step: PortStep, key: string): string => record(step).ret?.[key] as string;
  const handle = (family: string, flags: string[]) => id(d.call("FwpsInjectionHandleCreate0", { addressFamily: family, flags }), "injectionHandle");

  // Handles: AF_UNSPEC handles (transport, network), a flags-0 handle.
  const transport = handle("AF_UNSPEC", [T, S]);
  const network = handle("AF_INET", [N]);
  handle("AF_UNSPEC", [N]);
  const untyped = handle("AF_UNSPEC", []);
  const pool = id(d.call("NdisAllocateNetBufferListPool", {}), "poolHandle");
  const allocate = (args: Record<string, unknown> = {}) => id(d.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: pool, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0, ...args }), "netBufferList");
  const query = (h: string, nbl: string) => record(d.call("FwpsQueryPacketInjectionState0", { injectionHandle: h, netBufferList: nbl }));
  const deliver = (max = 1000) => record(d.deliver(max));

  // Allocation misuse, alignment (8 is misaligned on x64), exhaustion.
  allocate({ contextSize: 8, contextBackFill: 8 });
  record(d.environment({ kind: "resources", exhausted: true }));
  allocate();
  record(d.environment({ kind: "resources", exhausted: false }));

  // Transport and forward through the flags-0 handle; contexts of consecutive injections.
  const a = allocate();
  const b = allocate();
  record(d.transportSend(transport, a, "ctx-a", "inj-a"));
  record(d.call("FwpsInjectForwardAsync0", { injectionHandle: untyped, netBufferList: b, addressFamily: "AF_INET", flags: 0, completionContext: "ctx-b", injectionContext: "inj-b" }));
  record(d.transportSend(transport, a, "ctx-again")); // a is in flight
  query(transport, a);
  record(d.call("FwpsFreeNetBufferList0", { netBufferList: b })); // in flight
  deliver();
  record(d.transportSend(untyped, allocate(), "ctx-untyped"));
  deliver();

  // Network: the STALE check, IP version, a multi-NET_BUFFER packet and its clone received.
  const c = allocate();
  record(d.networkSend(transport, c, "ctx-stale"));
  record(d.networkSend(untyped, c, "ctx-stale-0"));
  record(d.networkSend(network, c, "ctx-net", 6));
  record(d.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_IPPACKET_V4", netBufferList: "pkt1", ipVersion: 4, netBufferCount: 2 }));
  const multi = id(d.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "pkt1", allocateCloneFlags: 0 }), "netBufferList");
  record(d.call("FwpsInjectNetworkReceiveAsync0", { injectionHandle: network, netBufferList: multi, ipVersion: 4, flags: 0, completionContext: "ctx-multi" }));
  record(d.call("FwpsInjectNetworkReceiveAsync0", { injectionHandle: network, netBufferList: "pkt1", ipVersion: 4, flags: 0, completionContext: "ctx-pkt" }));
  deliver();

  // Query: self, other, previously by self, a clone never injected, a failed injection.
  query(transport, a);
  query(network, a);
  const clone = id(d.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: a, allocateCloneFlags: 0 }), "netBufferList");
  query(transport, clone);
  record(d.call("FwpsInjectTransportSendAsync0", { injectionHandle: untyped, netBufferList: clone, addressFamily: "AF_INET6", flags: 0, completionContext: "ctx-clone", injectionContext: "inj-clone" }));
  query(transport, clone);
  deliver();
  record(d.call("FwpsFreeNetBufferList0", { netBufferList: a })); // original with a live clone
  record(d.call("FwpsFreeNetBufferList0", { netBufferList: a })); // twice
  record(d.call("FwpsFreeNetBufferList0", { netBufferList: clone })); // wrong function
  const fresh = allocate();
  record(d.environment({ kind: "tcpipStack", ready: false }));
  record(d.transportSend(transport, fresh, "ctx-not-ready"));
  record(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: [T] }));
  query(transport, fresh);
  record(d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: "ch0", reauthorization: false }));
  record(d.call("FwpsPendOperation0", { completionHandle: "ch0" }));
  record(d.environment({ kind: "tcpipStack", ready: true }));
  deliver();

  // Misuse contexts: IRQL, TCP from classify.
  record(d.call("FwpsInjectTransportReceiveAsync0", { injectionHandle: transport, netBufferList: fresh, addressFamily: "AF_INET", ipProtocol: "TCP", flags: 0, completionContext: "ctx-tcp" }, "DIRQL", { kind: "classify", layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4" }));
  deliver();

  // Stream: clone a 3-NBL chain, inject it, documented failures, disconnects, abort, discard.
  record(d.environment({ kind: "streamIndicated", streamData: "sd1", layerId: "FWPS_LAYER_STREAM_V4", flowId: "flow1", netBufferListChain: ["s1", "s2", "s3"], dataLength: 300, streamFlags: ["FWPS_STREAM_FLAG_SEND"] }));
  const chain = record(d.call("FwpsCloneStreamData0", { calloutStreamData: "sd1", allocateCloneFlags: 0 })).ret?.["netBufferListChain"] as string[];
  record(d.streamInject(transport, chain, ["FWPS_STREAM_FLAG_SEND_DISCONNECT"]));
  record(d.streamInject(transport, chain, ["FWPS_STREAM_FLAG_SEND"], { completionFn: null }));
  record(d.streamInject(transport, null, ["FWPS_STREAM_FLAG_SEND"]));
  record(d.streamInject(transport, null, ["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_DISCONNECT"]));
  record(d.streamInject(transport, chain));
  deliver(1);
  deliver();
  record(d.call("FwpsFreeCloneNetBufferList0", { netBufferList: chain[0], freeCloneFlags: 0 }));
  record(d.call("FwpsFreeNetBufferList0", { netBufferList: chain[1] }));
  record(d.environment({ kind: "streamIndicated", streamData: "sd2", layerId: "FWPS_LAYER_STREAM_V4", flowId: "flow2", netBufferListChain: ["t1", "t2"], dataLength: 100, streamFlags: ["FWPS_STREAM_FLAG_SEND_ABORT"] }));
  const aborted = record(d.call("FwpsCloneStreamData0", { calloutStreamData: "sd2", allocateCloneFlags: 0 })).ret?.["netBufferListChain"] as string[];
  record(d.streamInject(transport, aborted, ["FWPS_STREAM_FLAG_SEND"], { flowId: "flow2" }));
  deliver();
  record(d.environment({ kind: "streamIndicated", streamData: "sd3", layerId: "FWPS_LAYER_STREAM_V4", flowId: "flow3", netBufferListChain: ["u1", "u2"], dataLength: 100, streamFlags: [] }));
  const discarded = record(d.call("FwpsCloneStreamData0", { calloutStreamData: "sd3", allocateCloneFlags: 0 })).ret?.["netBufferListChain"] as string[];
  record(d.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: discarded.slice(0, 1), allocateCloneFlags: 0, dispatchLevel: false }));

  // Pend and complete.
  record(d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: "ch1", reauthorization: false }));
  record(d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: "ch2", reauthorization: true }));
  record(d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4", completionHandle: "ch3", reauthorization: false, netBufferList: "pkt3" }));
  record(d.call("FwpsPendOperation0", { completionHandle: null }));
  record(d.call("FwpsPendOperation0", { completionHandle: "ch2" }));
  const pend = id(d.call("FwpsPendOperation0", { completionHandle: "ch1" }), "completionContext");
  record(d.call("FwpsCompleteOperation0", { completionContext: pend, netBufferList: null }));
  record(d.call("FwpsCompleteOperation0", { completionContext: pend, netBufferList: null }));
  const recv = id(d.call("FwpsPendOperation0", { completionHandle: "ch3" }), "completionContext");
  record(d.call("FwpsCompleteOperation0", { completionContext: recv, netBufferList: "pkt3" })); // not a clone of the packet
  // RECV_ACCEPT completed with NULL, then its clone reinjected: the clone should have been passed.
  record(d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4", completionHandle: "ch4", reauthorization: false, netBufferList: "pkt4" }));
  const recvClone = id(d.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "pkt4", allocateCloneFlags: 0 }), "netBufferList");
  const recvNull = id(d.call("FwpsPendOperation0", { completionHandle: "ch4" }), "completionContext");
  record(d.call("FwpsCompleteOperation0", { completionContext: recvNull, netBufferList: null }));
  record(d.transportSend(transport, recvClone, "ctx-recv-accept"));

  // Destroy: nothing in flight; two then three in flight (ring overflow); closing; twice; from a completion function.
  const h1 = handle("AF_INET", [T]);
  record(d.call("FwpsInjectionHandleDestroy0", { injectionHandle: h1 }, "DISPATCH_LEVEL", { kind: "completionFn" }));
  const h2 = handle("AF_INET", [T]);
  const inFlight = [allocate(), allocate(), allocate(), allocate()];
  inFlight.forEach((nbl, i) => record(d.transportSend(h2, nbl, `ctx-d${i}`)));
  record(d.destroy(h2));
  record(d.transportSend(h2, allocate(), "ctx-closing"));
  record(d.destroy(h2));
  deliver(1);
  record(d.transportSend(h1, allocate(), "ctx-stale-handle"));
  deliver();
  record(d.transportSend(h2, allocate(), "ctx-after"));
  record(d.call("FwpsFreeNetBufferList0", { netBufferList: inFlight[0] }));
  record(d.call("FwpsFreeNetBufferList0", { netBufferList: inFlight[0] }));

  // Unload with leaks of every kind.
  deliver();
  record(d.environment({ kind: "driverUnload" }));
  return steps;
}

const run = (factory: typeof createPort) => scenario(new TestDriver(factory(TEST_OPTIONS)));

describe("the mutants", () => {
  it("are at least 32, each with a description, a family and catalogue rule ids", () => {
    const ids = new Set(RULES.map((rule) => rule.id));
    const families = new Set<string>([...Object.keys(API_FAMILIES), "verifier"]);
    expect(Object.keys(MUTANTS).length).toBeGreaterThanOrEqual(32);
    for (const [name, mutant] of Object.entries(MUTANTS)) {
      expect(name).toMatch(/^[a-z0-9-]+$/);
      expect(mutant.description.length, name).toBeGreaterThan(20);
      expect(families.has(mutant.family), `${name}: family ${mutant.family}`).toBe(true);
      expect(mutant.rules.length, name).toBeGreaterThan(0);
      for (const rule of mutant.rules) expect(ids.has(rule), `${name}: ${rule}`).toBe(true);
      expect(mutant.factory).toBe(mutant.createPort);
    }
  });

  it("cover every API family, the verifier, and each headline rule several times", () => {
    const mutants = Object.values(MUTANTS);
    for (const family of [...Object.keys(API_FAMILIES), "verifier"]) expect(mutants.some((mutant) => mutant.family === family), family).toBe(true);
    const breaking = (rule: string) => mutants.filter((mutant) => mutant.rules.includes(rule)).length;
    expect(breaking("completion/once-per-nbl") + breaking("stream-inject/completion-per-nbl") + breaking("clone-stream/completion-per-clone")).toBeGreaterThanOrEqual(4);
    expect(breaking("handle-create/destroy-waits") + breaking("handle-destroy/returns") + breaking("handle-destroy/closing")).toBeGreaterThanOrEqual(4);
    expect(breaking("handle-create/network-handle-per-family") + breaking("network-inject/handle-type") + breaking("network-inject/ip-version-matches-handle")).toBeGreaterThanOrEqual(4);
  });

  it("the real engine runs the scenario deterministically", () => {
    expect(JSON.stringify(run(createPort))).toBe(JSON.stringify(run(createPort)));
  });

  const reference = JSON.stringify(run(createPort));
  for (const [name, mutant] of Object.entries(MUTANTS)) {
    it(`${name} behaves observably differently from the real engine`, () => {
      const port = mutant.createPort(TEST_OPTIONS);
      expect((port as { name: string }).name).toBe(`builtin:mutant/${name}`);
      expect(JSON.stringify(scenario(new TestDriver(port as ReturnType<typeof createPort>)))).not.toBe(reference);
    });
  }
});
