/**
 * The simulator's verifier: which caller rule ids each misuse produces (exactly those, each once
 * per event), what the messages say, and the leak report at driver unload.
 */
import { describe, expect, it } from "vitest";
import { RULES } from "../spec/rules.ts";
import { createPort } from "./port-adapter.ts";
import { TEST_OPTIONS, TestDriver } from "./test-driver.ts";
import { CALLER_RULE } from "./verifier.ts";

const driver = (options: Partial<typeof TEST_OPTIONS> = {}) => new TestDriver(createPort({ ...TEST_OPTIONS, ...options }));
const rules = TestDriver.rules;

describe("the verifier's rule ids", () => {
  it("are exactly the catalogue's modelled caller rules", () => {
    const modelledCaller = RULES.filter((rule) => rule.obliged === "caller" && rule.modelled).map((rule) => rule.id).sort();
    expect([...new Set(Object.values(CALLER_RULE))].sort()).toEqual(modelledCaller);
  });
});

describe("handle misuse", () => {
  it("flags a create at the wrong IRQL, with a bad family or flag, and a network handle without a family", () => {
    const d = driver();
    expect(rules(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: [] }, "DISPATCH_LEVEL"))).toEqual(["handle-create/irql"]);
    expect(rules(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_APPLETALK", flags: ["FWPS_INJECTION_TYPE_NETWORK"] }))).toEqual(["handle-create/address-family", "handle-create/network-handle-per-family"]);
    expect(rules(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_BOGUS"] }))).toEqual(["handle-create/flags"]);
    const unspec = d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_UNSPEC", flags: ["FWPS_INJECTION_TYPE_NETWORK"] });
    expect(unspec.ret).toEqual({ status: "STATUS_SUCCESS", injectionHandle: "h2" });
    expect(unspec.findings).toEqual([
      {
        ruleId: "handle-create/network-handle-per-family",
        message: "FwpsInjectionHandleCreate0 with FWPS_INJECTION_TYPE_NETWORK and AF_UNSPEC: a network injection handle is per address family; create one with AF_INET and one with AF_INET6",
      },
    ]);
    expect(rules(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_UNSPEC", flags: ["FWPS_INJECTION_TYPE_TRANSPORT"] }))).toEqual([]);
  });

  it("flags a destroy from a completion function, at the wrong IRQL, of NULL and twice", () => {
    const d = driver();
    const h = d.handle();
    expect(rules(d.destroy(h, "DISPATCH_LEVEL", { kind: "completionFn" }))).toEqual(["handle-destroy/irql", "handle-destroy/not-from-completion"]);
    const twice = d.destroy(h);
    expect(rules(twice)).toEqual(["handle-destroy/once"]);
    expect(twice.findings[0]?.message).toBe("FwpsInjectionHandleDestroy0 of h1: a handle already destroyed; each handle is destroyed exactly once");
    expect(rules(d.destroy(null))).toEqual(["handle-destroy/once"]);
    expect(d.destroy("h-never-created").findings[0]?.message).toContain("h-never-created: a handle FwpsInjectionHandleCreate0 never returned");
  });
});

describe("inject misuse", () => {
  it("flags IRQL, reserved flags, dead handles and bad NBLs", () => {
    const d = driver();
    const h = d.handle();
    const pool = d.pool();
    const nbl = d.nbl(pool);
    d.call("FwpsFreeNetBufferList0", { netBufferList: nbl });
    const step = d.call("FwpsInjectForwardAsync0", { injectionHandle: "h9", netBufferList: nbl, addressFamily: "AF_INET", flags: 1, completionContext: "c" }, "DIRQL");
    expect(rules(step)).toEqual(["handle/no-use-after-destroy", "inject/flags-zero", "inject/irql", "nbl/no-use-after-free"]);
    expect(step.findings.find((finding) => finding.ruleId === "nbl/no-use-after-free")?.message).toBe(`FwpsInjectForwardAsync0 of ${nbl}, which was already freed`);
    expect(rules(d.transportSend(h, "nbl-never-allocated"))).toEqual(["nbl/no-use-after-free"]);
  });

  it("judges the family checks only on a live handle, the NBL checks only on a valid NBL", () => {
    const d = driver();
    const streamOnly = d.handle("AF_INET", ["FWPS_INJECTION_TYPE_STREAM"]);
    const step = d.call("FwpsInjectTransportSendAsync0", { injectionHandle: streamOnly, netBufferList: "nbl-never-allocated", addressFamily: "AF_UNSPEC", ipProtocol: "TCP", flags: 0 }, "PASSIVE_LEVEL", { kind: "classify", layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4" });
    expect(rules(step)).toEqual(["nbl/no-use-after-free", "transport-inject/address-family", "transport-inject/handle-type", "transport-inject/tcp-out-of-band"]);
    const dead = d.call("FwpsInjectTransportSendAsync0", { injectionHandle: "h-never-created", netBufferList: "nbl-never-allocated", addressFamily: "AF_UNSPEC", ipProtocol: "TCP", flags: 0 }, "PASSIVE_LEVEL", { kind: "classify", layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4" });
    expect(rules(dead)).toEqual(["handle/no-use-after-destroy", "nbl/no-use-after-free"]);
  });

  it("flags network injection of an indicated NBL, a multi-NET_BUFFER receive and an IP version mismatch", () => {
    const d = driver();
    const v4 = d.handle("AF_INET", ["FWPS_INJECTION_TYPE_NETWORK"]);
    d.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_IPPACKET_V4", netBufferList: "pkt1", ipVersion: 4, netBufferCount: 2 });
    const step = d.call("FwpsInjectNetworkReceiveAsync0", { injectionHandle: v4, netBufferList: "pkt1", ipVersion: 6, flags: 0, completionContext: "c" });
    expect(rules(step)).toEqual(["network-inject/ip-version-matches-handle", "network-inject/nbl-origin", "network-inject/single-net-buffer-inbound"]);
    const clone = d.clone("pkt1");
    expect(rules(d.call("FwpsInjectNetworkReceiveAsync0", { injectionHandle: v4, netBufferList: clone, ipVersion: 4, flags: 0 }))).toEqual(["network-inject/single-net-buffer-inbound"]);
    expect(rules(d.networkSend(v4, d.nbl(d.pool()), "c", 4))).toEqual([]);
  });

  it("flags stream misuse: handle type, layer, indicated data, injection after SEND_ABORT", () => {
    const d = driver();
    const transportOnly = d.handle("AF_UNSPEC", ["FWPS_INJECTION_TYPE_TRANSPORT"]);
    d.environment({ kind: "streamIndicated", streamData: "sd1", layerId: "FWPS_LAYER_STREAM_V4", flowId: "flow1", netBufferListChain: ["s1", "s2"], dataLength: 10, streamFlags: ["FWPS_STREAM_FLAG_SEND_ABORT"] });
    const step = d.streamInject(transportOnly, ["s1", "s2"], ["FWPS_STREAM_FLAG_SEND"], { layerId: "FWPS_LAYER_OUTBOUND_TRANSPORT_V4" });
    expect(rules(step)).toEqual(["stream-inject/data-origin", "stream-inject/handle-type", "stream-inject/layer", "stream-inject/not-after-abort"]);
  });

  it("reports a rule once per event even when several NBLs of a chain break it", () => {
    const d = driver();
    const h = d.handle();
    const step = d.streamInject(h, ["gone1", "gone2", "gone3"]);
    expect(step.findings.map((finding) => finding.ruleId)).toEqual(["nbl/no-use-after-free"]);
    expect(step.ret).toEqual({ status: "STATUS_INVALID_PARAMETER" });
  });

  it("does not flag a NULL stream chain (a disconnect, or a documented failure without one)", () => {
    const d = driver();
    const h = d.handle();
    expect(d.streamInject(h, null, ["FWPS_STREAM_FLAG_SEND"]).findings).toEqual([]);
  });
});

describe("allocation and freeing misuse", () => {
  it("flags the pool, alignment per platform and data outside the MDL", () => {
    const x64 = driver();
    const pool = x64.pool();
    const allocate = (d: TestDriver, args: Record<string, unknown>) => d.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: pool, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0, ...args });
    expect(rules(allocate(x64, { poolHandle: null }))).toEqual(["allocate-nbl/pool-handle"]);
    expect(rules(allocate(x64, { contextSize: 24, contextBackFill: 8 }))).toEqual(["allocate-nbl/backfill-aligned", "allocate-nbl/context-size-aligned"]);
    expect(rules(allocate(x64, { dataOffset: 14 }))).toEqual(["allocate-nbl/data-within-mdl"]);
    expect(rules(allocate(x64, { mdlChain: { byteCount: 64 }, dataOffset: 14, dataLength: 60 }))).toEqual(["allocate-nbl/data-within-mdl"]);
    expect(rules(allocate(x64, { mdlChain: { byteCount: 1500 }, dataOffset: 14, dataLength: 60 }))).toEqual([]);
    const x86 = driver({ platform: "x86" });
    x86.pool();
    expect(rules(allocate(x86, { contextSize: 24, contextBackFill: 8 }))).toEqual([]);
    expect(rules(allocate(x86, { contextSize: 4 }))).toEqual(["allocate-nbl/context-size-aligned"]);
  });

  it("flags double frees, frees in flight, the wrong free function and originals with live clones", () => {
    const d = driver();
    const h = d.handle();
    const pool = d.pool();
    const allocated = d.nbl(pool);
    const clone = d.clone(allocated);
    expect(rules(d.call("FwpsFreeCloneNetBufferList0", { netBufferList: allocated, freeCloneFlags: 1 }))).toEqual(["clone-nbl/original-outlives-clone", "free-clone/flags-zero", "free-clone/only-clones"]);
    expect(rules(d.call("FwpsFreeNetBufferList0", { netBufferList: allocated }, "DIRQL"))).toEqual(["free/irql", "nbl/free-once"]);
    d.transportSend(h, clone);
    expect(rules(d.call("FwpsFreeNetBufferList0", { netBufferList: clone }))).toEqual(["free-nbl/only-allocated", "nbl/not-freed-in-flight"]);
    expect(rules(d.call("FwpsFreeNetBufferList0", { netBufferList: null }))).toEqual(["nbl/no-use-after-free"]);
  });

  it("tells the stream-clone free rules apart: before and after completion", () => {
    const d = driver();
    const h = d.handle();
    const [first, second] = d.streamClone("sd1");
    expect(rules(d.call("FwpsFreeCloneNetBufferList0", { netBufferList: first, freeCloneFlags: 0 }))).toEqual(["free-clone/only-clones"]);
    d.streamInject(h, [second!]);
    d.deliver();
    expect(rules(d.call("FwpsFreeNetBufferList0", { netBufferList: second }))).toEqual(["completion/free-stream-clone"]);
  });

  it("checks FwpsDiscardClonedStreamData0: whole uninjected chain, flags, dispatchLevel", () => {
    const d = driver();
    const chain = d.streamClone("sd1", 3);
    expect(rules(d.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: chain.slice(0, 2), allocateCloneFlags: 1, dispatchLevel: true }, "PASSIVE_LEVEL"))).toEqual(["discard/dispatch-level-arg", "discard/flags-zero", "discard/whole-chain"]);
    const whole = d.streamClone("sd2", 2);
    expect(rules(d.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: whole, allocateCloneFlags: 0, dispatchLevel: true }, "DISPATCH_LEVEL"))).toEqual([]);
    expect(rules(d.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: whole, allocateCloneFlags: 0, dispatchLevel: false }))).toEqual(["nbl/free-once"]);
  });
});

describe("pend misuse", () => {
  it("flags pends at the wrong layer or twice, and completions with a bad context or twice", () => {
    const d = driver();
    d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_OUTBOUND_TRANSPORT_V4", completionHandle: "ch1", reauthorization: false });
    d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V6", completionHandle: "ch2", reauthorization: false });
    expect(rules(d.call("FwpsPendOperation0", { completionHandle: "ch1" }, "DIRQL"))).toEqual(["pend/irql", "pend/layer"]);
    expect(rules(d.call("FwpsPendOperation0", { completionHandle: "ch-never" }))).toEqual(["pend/layer"]);
    const pend = d.call("FwpsPendOperation0", { completionHandle: "ch2" }).ret?.["completionContext"] as string;
    expect(rules(d.call("FwpsPendOperation0", { completionHandle: "ch2" }))).toEqual(["pend/layer"]);
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: "pc-never", netBufferList: null }))).toEqual(["complete/context-from-pend"]);
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: pend, netBufferList: null }))).toEqual([]);
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: pend, netBufferList: "nbl-gone" }, "DIRQL"))).toEqual(["complete/irql", "nbl/no-use-after-free", "pend/complete-once"]);
  });

  it("checks how a RECV_ACCEPT pend is completed: a clone of its packet, injected before or after, or NULL when none is injected", () => {
    const d = driver();
    const h = d.handle();
    const classify = (n: number) => {
      d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4", completionHandle: `ch${n}`, reauthorization: false, netBufferList: `pkt${n}` });
      return d.call("FwpsPendOperation0", { completionHandle: `ch${n}` }).ret?.["completionContext"] as string;
    };
    // Not a clone of the classified packet.
    const first = classify(1);
    d.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4", netBufferList: "pkt9", netBufferCount: 1 });
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: first, netBufferList: d.clone("pkt9") }))).toEqual(["pend/recv-accept-reinject"]);
    // NULL for a connection whose packet is not reinjected (a rejected one): conforms.
    const second = classify(2);
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: second, netBufferList: null }))).toEqual([]);
    // Completed with the clone, then the clone injected (the order of FwpsInjectTransportReceiveAsync0's remarks).
    const third = classify(3);
    const afterwards = d.clone("pkt3");
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: third, netBufferList: afterwards }))).toEqual([]);
    expect(rules(d.transportSend(h, afterwards))).toEqual([]);
    // The clone injected, then passed to the completion.
    const fourth = classify(4);
    const before = d.clone("pkt4");
    d.transportSend(h, before);
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: fourth, netBufferList: before }))).toEqual([]);
    // The clone injected, then NULL passed; and NULL passed, then the clone injected.
    const fifth = classify(5);
    d.transportSend(h, d.clone("pkt5"));
    expect(rules(d.call("FwpsCompleteOperation0", { completionContext: fifth, netBufferList: null }))).toEqual(["complete/recv-accept-clone"]);
    const sixth = classify(6);
    const late = d.clone("pkt6");
    d.call("FwpsCompleteOperation0", { completionContext: sixth, netBufferList: null });
    expect(rules(d.transportSend(h, late))).toEqual(["complete/recv-accept-clone"]);
  });
});

describe("leaks at driver unload", () => {
  it("reports each leaked object once, naming it", () => {
    const d = driver();
    const h = d.handle();
    const pool = d.pool();
    const allocated = d.nbl(pool);
    const clone = d.clone(allocated);
    const failed = d.nbl(pool);
    const secondAllocated = d.nbl(pool);
    d.environment({ kind: "tcpipStack", ready: false });
    d.transportSend(h, failed);
    d.environment({ kind: "tcpipStack", ready: true });
    const [injected] = d.streamClone("sd1", 1);
    d.streamInject(h, [injected!]);
    d.deliver();
    const notInjected = d.streamClone("sd2", 2);
    d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: "ch1", reauthorization: false });
    d.call("FwpsPendOperation0", { completionHandle: "ch1" });
    const unload = d.environment({ kind: "driverUnload" });
    expect(unload.events).toEqual([]);
    expect(unload.findings).toEqual([
      { ruleId: "handle-create/destroy-when-done", message: `${h}: injection handle never destroyed (FwpsInjectionHandleDestroy0) at driver unload` },
      { ruleId: "inject/caller-owns-after-failure", message: `${failed}: NBL whose injection failed and that the driver never freed at driver unload` },
      { ruleId: "allocate-nbl/free-after-injection", message: `${allocated}: NBL from FwpsAllocateNetBufferAndNetBufferList0 never freed (FwpsFreeNetBufferList0) at driver unload` },
      { ruleId: "allocate-nbl/free-after-injection", message: `${secondAllocated}: NBL from FwpsAllocateNetBufferAndNetBufferList0 never freed (FwpsFreeNetBufferList0) at driver unload` },
      { ruleId: "clone-nbl/not-held", message: `${clone}: clone from FwpsAllocateCloneNetBufferList0 never freed (FwpsFreeCloneNetBufferList0) at driver unload` },
      { ruleId: "clone-stream/free-each-clone", message: `${injected}: completed FwpsCloneStreamData0 clone never freed (FwpsFreeCloneNetBufferList0) at driver unload` },
      { ruleId: "clone-stream/discard-if-not-injected", message: `[${notInjected.join(", ")}]: cloned stream chain neither injected nor discarded (FwpsDiscardClonedStreamData0) at driver unload` },
      { ruleId: "pend/completed-by-unload", message: "pc1 (completion handle ch1): pended operation never completed (FwpsCompleteOperation0) at driver unload" },
    ]);
  });

  it("reports nothing for a driver that cleaned up, nor for NBLs the stack indicated", () => {
    const d = driver();
    const h = d.handle();
    d.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_IPPACKET_V4", netBufferList: "pkt1", netBufferCount: 1 });
    const nbl = d.nbl(d.pool());
    d.transportSend(h, nbl);
    d.deliver();
    d.call("FwpsFreeNetBufferList0", { netBufferList: nbl });
    d.destroy(h);
    expect(d.environment({ kind: "driverUnload" })).toEqual({ events: [], findings: [] });
  });
});
