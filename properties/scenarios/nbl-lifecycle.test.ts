/**
 * The life of an NBL in the built-in simulator, end to end through the port: ids the driver never
 * got (including the table slot of a packet the stack indicated), packets indicated again (while in
 * flight, after the driver freed them), clones and their originals freed in either order, freed
 * slots coming back with the next generation and nothing of their previous life, injection
 * histories walked through a clone's ancestors, cloned stream chains discarded whole, reversed or as
 * NULL, and a chain that names the same NBL twice.
 *
 * Every call, environment event and delivery is checked against the reference model by
 * CheckedDriver (statuses, completions, destroy returns, verifier findings, leaks at unload). Where
 * the model allows several answers but the simulator documents one (impl/engine.ts: a call naming an
 * NBL the engine cannot use fails; a freed slot is reused, newest first, with the next generation
 * `ref + 2^24`; stream clones and indicated packets take fresh slots), the scenario also expects
 * that one.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../../impl/port-adapter.ts";
import type { DeliveryPolicy, PortStep } from "../../spec/port.ts";
import { CheckedDriver } from "../checked-driver.ts";
import { DEFAULT_PORT_OPTIONS } from "../runner.ts";

const GENERATION = 2 ** 24;
const CONNECT = "FWPS_LAYER_ALE_AUTH_CONNECT_V4";
const RECV_ACCEPT = "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4";
const INBOUND = "FWPS_LAYER_INBOUND_IPPACKET_V4";
const STREAM = "FWPS_LAYER_STREAM_V4";

/** The numeric ref of an NBL id the engine gave out ("nbl12" -> 12). */
const refOf = (id: string): number => Number(id.slice(3));
/** The id of the NBL in the same table slot, one generation later. */
const nextGeneration = (id: string): string => `nbl${refOf(id) + GENERATION}`;

/** A CheckedDriver with the calls of these scenarios spelled out. */
class Driver {
  readonly checked: CheckedDriver;
  private context = 0;
  constructor(policy: DeliveryPolicy = "fifo") {
    this.checked = new CheckedDriver(createPort({ ...DEFAULT_PORT_OPTIONS, policy }));
  }

  private id(ret: Record<string, unknown> | undefined, key: string): string {
    const value = ret?.[key];
    expect(typeof value, `${key} in ${JSON.stringify(ret)}`).toBe("string");
    return value as string;
  }

  handle(type: string): string {
    return this.id(this.checked.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: [type] }), "injectionHandle");
  }
  pool(): string {
    return this.id(this.checked.call("NdisAllocateNetBufferListPool", {}), "poolHandle");
  }
  allocate(poolHandle: string, mdlChain: { byteCount: number } | null = null, dataOffset = 0, dataLength = 0): string {
    return this.id(this.checked.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle, contextSize: 0, contextBackFill: 0, mdlChain, dataOffset, dataLength }), "netBufferList");
  }
  /** FwpsAllocateCloneNetBufferList0: its whole answer. */
  cloneCall(original: string | null): Record<string, unknown> | undefined {
    return this.checked.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: original, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL");
  }
  clone(original: string): string {
    return this.id(this.cloneCall(original), "netBufferList");
  }
  /** FwpsInjectNetworkSendAsync0 / ReceiveAsync0 (IPv4): the status. */
  network(receive: boolean, injectionHandle: string, netBufferList: string, injectionContext: string | null = `ictx${++this.context}`): unknown {
    const fn = receive ? "FwpsInjectNetworkReceiveAsync0" : "FwpsInjectNetworkSendAsync0";
    return this.checked.call(fn, { injectionHandle, injectionContext, flags: 0, completionFn: "completionFn", completionContext: `ctx${++this.context}`, compartmentId: 0, netBufferList, ipVersion: 4 }, "DISPATCH_LEVEL")?.["status"];
  }
  /** FwpsInjectTransportReceiveAsync0 (AF_INET, UDP): the status. */
  transport(injectionHandle: string, netBufferList: string, injectionContext: string | null = `ictx${++this.context}`): unknown {
    return this.checked.call(
      "FwpsInjectTransportReceiveAsync0",
      { injectionHandle, injectionContext, flags: 0, completionFn: "completionFn", completionContext: `ctx${++this.context}`, addressFamily: "AF_INET", compartmentId: 0, netBufferList, ipProtocol: "UDP" },
      "DISPATCH_LEVEL",
    )?.["status"];
  }
  /** FwpsStreamInjectAsync0 (send data): the status. */
  stream(injectionHandle: string, chain: string[], flowId: string): unknown {
    return this.checked.call(
      "FwpsStreamInjectAsync0",
      { injectionHandle, injectionContext: `ictx${++this.context}`, flags: 0, flowId, calloutId: 1, layerId: STREAM, streamFlags: ["FWPS_STREAM_FLAG_SEND"], netBufferList: chain, dataLength: 100, completionFn: "completionFn", completionContext: `ctx${++this.context}` },
      "DISPATCH_LEVEL",
    )?.["status"];
  }
  query(injectionHandle: string, netBufferList: string): Record<string, unknown> | undefined {
    return this.checked.call("FwpsQueryPacketInjectionState0", { injectionHandle, netBufferList }, "DISPATCH_LEVEL");
  }
  freeNbl(netBufferList: string | null): void {
    this.checked.call("FwpsFreeNetBufferList0", { netBufferList });
  }
  freeClone(netBufferList: string): void {
    this.checked.call("FwpsFreeCloneNetBufferList0", { netBufferList, freeCloneFlags: 0 });
  }
  destroy(injectionHandle: string): Record<string, unknown> | undefined {
    return this.checked.call("FwpsInjectionHandleDestroy0", { injectionHandle });
  }
  indicate(netBufferList: string, netBufferCount = 1): void {
    this.checked.environment({ kind: "packetIndicated", layerId: INBOUND, netBufferList, netBufferCount });
  }
  indicateStream(streamData: string, chain: string[], flowId: string): void {
    this.checked.environment({ kind: "streamIndicated", streamData, layerId: STREAM, flowId, netBufferListChain: chain, dataLength: 100, streamFlags: ["FWPS_STREAM_FLAG_SEND"] });
  }
  cloneStream(calloutStreamData: string | null): Record<string, unknown> | undefined {
    return this.checked.call("FwpsCloneStreamData0", { calloutStreamData, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL");
  }
  streamChain(calloutStreamData: string): string[] {
    const chain = this.cloneStream(calloutStreamData)?.["netBufferListChain"];
    expect(Array.isArray(chain), JSON.stringify(chain)).toBe(true);
    return chain as string[];
  }
  discard(clonedNetBufferListChain: string[] | null): void {
    this.checked.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain, allocateCloneFlags: 0, dispatchLevel: true }, "DISPATCH_LEVEL");
  }
  /** Delivers what is queued, at most `rounds` times (a bound, not a loop on pendingWork: it must end even if the engine miscounts). */
  deliverAll(rounds = 20): void {
    for (let round = 0; round < rounds && (this.checked.port.pendingWork() as number) > 0; round++) this.checked.deliver(100);
    expect(this.checked.port.pendingWork(), "completions left queued").toBe(0);
  }
  drain(): void {
    this.deliverAll();
    this.checked.drain();
  }
  unload(): void {
    this.checked.environment({ kind: "driverUnload" });
  }
}

describe("the life of an NBL conforms to the model", () => {
  it("ids the driver never got name no NBL, even the table slot of an indicated packet", () => {
    const d = new Driver();
    // A classify without a packet, then a packet: the packet has the first table slot.
    d.checked.environment({ kind: "aleClassify", layerId: CONNECT, completionHandle: "ch0", reauthorization: false });
    d.indicate("pkt", 1);
    const h = d.handle("FWPS_INJECTION_TYPE_NETWORK");
    const pool = d.pool();
    const a = d.allocate(pool);
    const given = new Set([a]);
    for (const id of ["nbl1", "nbl2", "nbl3", "nbl4"].filter((candidate) => !given.has(candidate))) {
      expect(d.cloneCall(id)?.["status"], `clone of ${id}`).toBe("STATUS_INVALID_PARAMETER");
      d.query(h, id);
    }
    // The next generation of a live NBL's slot was never given out: not a double free.
    d.freeNbl(nextGeneration(a));
    d.freeNbl(`nbl${refOf(a) + 3 * GENERATION}`);
    // A freed original cannot be cloned.
    const b = d.allocate(pool);
    d.freeNbl(b);
    expect(d.cloneCall(b)?.["status"]).toBe("STATUS_INVALID_PARAMETER");
    expect(d.cloneCall(null)?.["status"]).toBe("STATUS_INVALID_PARAMETER");
    // NULL stream data, a NULL chain to discard.
    expect(d.cloneStream(null)?.["status"]).toBe("STATUS_INVALID_PARAMETER");
    // A NULL chain to discard: sent past the model, which judges it nbl/no-use-after-free only where the
    // simulator also reports discard/whole-chain (see mutation/verdicts/nbl-lifecycle.md); it changes nothing.
    const discardNull = d.checked.port.call("raw1", { fn: "FwpsDiscardClonedStreamData0", irql: "DISPATCH_LEVEL", from: { kind: "thread" }, args: { clonedNetBufferListChain: null, allocateCloneFlags: 0, dispatchLevel: true } }) as PortStep;
    expect(discardNull.ret).toEqual({});
    expect(discardNull.findings.map((finding) => finding.ruleId)).toContain("nbl/no-use-after-free");
    // Data that ends exactly at the end of the MDL chain lies within it.
    const exact = d.allocate(pool, { byteCount: 100 }, 40, 60);
    const over = d.allocate(pool, { byteCount: 100 }, 41, 60);
    expect(d.network(false, h, a)).toBe("STATUS_SUCCESS");
    d.drain();
    for (const nbl of [a, exact, over]) d.freeNbl(nbl);
    d.checked.call("NdisFreeNetBufferListPool", { poolHandle: pool });
    expect(d.destroy(h)?.["status"]).toBe("STATUS_SUCCESS");
    d.unload();
  });

  it("packets the stack indicates again: the same NBL while live, a fresh one after the driver freed it", () => {
    const d = new Driver();
    const ht = d.handle("FWPS_INJECTION_TYPE_TRANSPORT");
    const hn = d.handle("FWPS_INJECTION_TYPE_NETWORK");
    const pending = (what: string, ret: Record<string, unknown> | undefined) => expect(ret, what).toBeDefined();
    // Indicated again while in flight, and again once idle, with another NET_BUFFER count: still the
    // same NBL (in flight, then injected by self, one NET_BUFFER).
    d.indicate("pkt1", 1);
    expect(d.transport(ht, "pkt1", "i-pkt1")).toBe("STATUS_SUCCESS");
    d.indicate("pkt1", 2);
    expect(d.transport(ht, "pkt1")).toBe("STATUS_INVALID_PARAMETER");
    d.deliverAll();
    d.indicate("pkt1", 2);
    expect(d.query(ht, "pkt1")).toEqual({ injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: "i-pkt1" });
    const c1 = d.clone("pkt1");
    expect(d.network(true, hn, c1)).toBe("STATUS_SUCCESS");
    // Freed by the driver (misuse), then indicated again: a live packet of the stack, one NET_BUFFER.
    d.indicate("pkt2", 2);
    d.freeNbl("pkt2");
    d.indicate("pkt2", 1);
    const c2 = d.clone("pkt2");
    expect(d.network(true, hn, c2)).toBe("STATUS_SUCCESS");
    // Indicated, then classified at RECV_ACCEPT with the same packet: the pend is completed with its reinjected clone.
    d.indicate("pkt3", 1);
    d.checked.environment({ kind: "aleClassify", layerId: RECV_ACCEPT, completionHandle: "ch3", reauthorization: false, netBufferList: "pkt3" });
    const pend = d.checked.call("FwpsPendOperation0", { completionHandle: "ch3" });
    pending("pend", pend);
    const c3 = d.clone("pkt3");
    expect(d.transport(ht, c3)).toBe("STATUS_SUCCESS");
    expect(d.checked.call("FwpsCompleteOperation0", { completionContext: pend?.["completionContext"], netBufferList: c3 })).toEqual({ status: "STATUS_SUCCESS" });
    // Two NET_BUFFERs: its clone holds two as well, which a receive injection cannot take.
    d.indicate("pkt4", 2);
    const c4 = d.clone("pkt4");
    d.network(true, hn, c4);
    d.drain();
    for (const clone of [c1, c2, c3, c4]) d.freeClone(clone);
    for (const handle of [ht, hn]) expect(d.destroy(handle)?.["status"]).toBe("STATUS_SUCCESS");
    d.unload();
  });

  it("freed slots come back, newest first, with the next generation and nothing of their life before", () => {
    const d = new Driver();
    const [h, h2, h3] = [1, 2, 3].map(() => d.handle("FWPS_INJECTION_TYPE_NETWORK")) as [string, string, string];
    const pool = d.pool();
    const sent = (handle: string, nbl: string, injectionContext: string) => {
      expect(d.network(false, handle, nbl, injectionContext)).toBe("STATUS_SUCCESS");
      d.drain();
    };
    const a = d.allocate(pool);
    const b = d.allocate(pool);
    const c = d.allocate(pool);
    expect([a, b, c]).toEqual(["nbl1", "nbl2", "nbl3"]);
    sent(h, a, "ia");
    sent(h, b, "ib");
    // b's slot is reused: the new NBL was never injected, and its neighbour a keeps its own injection.
    d.freeNbl(b);
    const b2 = d.allocate(pool);
    expect(b2).toBe(nextGeneration(b));
    expect(d.query(h, b2)).toEqual({ injectionState: "FWPS_PACKET_NOT_INJECTED" });
    expect(d.query(h, a)).toEqual({ injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: "ia" });
    // Newest first; a clone takes a freed slot too; a second generation.
    d.freeNbl(c);
    d.freeNbl(b2);
    expect(d.allocate(pool)).toBe(nextGeneration(b2));
    const ca = d.clone(a);
    expect(ca).toBe(nextGeneration(c));
    // A clone freed while its original lives: its slot is reused.
    d.freeClone(ca);
    const c3 = d.allocate(pool);
    expect(c3).toBe(nextGeneration(ca));
    // A freed NBL still in flight keeps its slot until its completion.
    expect(d.network(false, h2, c3, "ic3")).toBe("STATUS_SUCCESS");
    d.freeNbl(c3);
    const fresh = d.allocate(pool);
    expect(fresh).toBe("nbl4");
    d.drain();
    expect(d.allocate(pool)).toBe(nextGeneration(c3));
    // Stream clones and indicated packets take fresh slots: the freed slot waits for the next allocation.
    d.freeNbl(fresh);
    d.indicateStream("sd", ["sd.a"], "flow");
    d.indicate("pkt", 1);
    const chain = d.streamChain("sd");
    expect(chain).toEqual(["nbl7"]);
    d.discard(chain);
    expect(d.allocate(pool)).toBe(nextGeneration(fresh));

    // An NBL injected through two handles: a clone of it was previously injected by each.
    const x = d.allocate(pool);
    sent(h2, x, "x2");
    sent(h, x, "x1");
    const cx = d.clone(x);
    sent(h3, cx, "cx3");
    expect(d.query(h2, cx)).toEqual({ injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext: "x2" });
    expect(d.query(h, cx)).toEqual({ injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext: "x1" });
    d.freeClone(cx);
    d.freeNbl(x);
    // x's slot comes back (x first: it was freed last), without x's injections.
    const y = d.allocate(pool);
    expect(y).toBe(nextGeneration(x));
    expect(d.allocate(pool)).toBe(nextGeneration(cx));
    sent(h, y, "y1");
    const cy = d.clone(y);
    sent(h3, cy, "cy3");
    expect(d.query(h2, cy)).toEqual({ injectionState: "FWPS_PACKET_INJECTED_BY_OTHER" });
    expect(d.query(h, cy)).toEqual({ injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext: "y1" });
    d.unload();
  });

  it("originals and clones freed in either order: clone counts and slots stay with the right NBL", () => {
    const d = new Driver();
    const [h, h2] = [1, 2].map(() => d.handle("FWPS_INJECTION_TYPE_NETWORK")) as [string, string];
    const pool = d.pool();
    // Neighbours q and p, each with a clone: freeing p's clone leaves q's clone count alone.
    const q = d.allocate(pool);
    const p = d.allocate(pool);
    expect(refOf(p)).toBe(refOf(q) + 1);
    const cq = d.clone(q);
    const cp = d.clone(p);
    d.freeClone(cp);
    d.freeNbl(q); // misuse: its clone cq is live
    // The original freed before its clone keeps its slot (the clone still descends from it) ...
    const n = d.allocate(pool);
    expect(n).toBe(nextGeneration(cp));
    expect(d.network(false, h, n, "in")).toBe("STATUS_SUCCESS");
    expect(d.network(false, h2, cq, "icq")).toBe("STATUS_SUCCESS");
    d.drain();
    expect(d.query(h, cq)).toEqual({ injectionState: "FWPS_PACKET_INJECTED_BY_OTHER" });
    // ... until the clone goes: then the original's slot and the clone's come back, the original's first.
    d.freeClone(cq);
    expect(d.allocate(pool)).toBe(nextGeneration(q));
    expect(d.allocate(pool)).toBe(nextGeneration(cq));
    // An original with two clones, freed first: its slot comes back after both clones.
    const o = d.allocate(pool);
    const co1 = d.clone(o);
    const co2 = d.clone(o);
    d.freeNbl(o);
    d.freeClone(co1);
    expect(d.allocate(pool)).toBe(nextGeneration(co1));
    d.freeClone(co2);
    expect(d.allocate(pool)).toBe(nextGeneration(o));
    expect(d.allocate(pool)).toBe(nextGeneration(co2));
    d.freeNbl(p);
    d.unload();
  });

  it("cloned stream chains: discarded whole, reversed, or injected with an NBL named twice", () => {
    const d = new Driver();
    const hs = d.handle("FWPS_INJECTION_TYPE_STREAM");
    const hn = d.handle("FWPS_INJECTION_TYPE_NETWORK");
    d.indicateStream("sd1", ["sd1.a", "sd1.b"], "flow1");
    d.indicate("big", 2);
    const chain1 = d.streamChain("sd1");
    // The packet indicated just before the clones keeps its two NET_BUFFERs.
    const big = d.clone("big");
    d.network(true, hn, big);
    d.discard([...chain1].reverse());
    d.indicateStream("sd2", ["sd2.a", "sd2.b"], "flow2");
    d.discard(d.streamChain("sd2"));
    // A whole chain followed by the head of another: not a chain FwpsCloneStreamData0 returned.
    d.indicateStream("sd4", ["sd4.a", "sd4.b"], "flow4");
    d.indicateStream("sd5", ["sd5.a", "sd5.b"], "flow5");
    const chain4 = d.streamChain("sd4");
    const chain5 = d.streamChain("sd5");
    d.discard([...chain4, chain5[0]!]);
    d.discard(chain5.slice(1));
    d.indicateStream("sd3", ["sd3.a", "sd3.b"], "flow3");
    const chain3 = d.streamChain("sd3");
    expect(d.stream(hs, [chain3[0]!, chain3[0]!, chain3[1]!], "flow3")).toBe("STATUS_SUCCESS");
    d.deliverAll();
    expect(d.destroy(hs)).toEqual({ status: "STATUS_SUCCESS" });
    d.drain();
    for (const nbl of [...chain3, big]) d.freeClone(nbl);
    expect(d.destroy(hn)).toEqual({ status: "STATUS_SUCCESS" });
    d.unload();
  });

  it("a table of hundreds of NBLs: indications, a long cloned chain and a packet indicated again leave the first NBL alone", () => {
    const d = new Driver();
    const pool = d.pool();
    const first = d.allocate(pool);
    expect(first).toBe("nbl1");
    // 222 stack NBLs in one indication (slots 2..223), a packet in slot 224, then the chain cloned (slots 225..446).
    const long = Array.from({ length: 222 }, (_, i) => `long.${i}`);
    d.indicateStream("long", long, "flow");
    d.indicate("p224", 1);
    const chain = d.streamChain("long");
    expect(chain.length).toBe(222);
    expect(chain[0]).toBe("nbl225");
    // The packet freed by the driver (misuse) and indicated again.
    d.freeNbl("p224");
    d.indicate("p224", 1);
    // The first NBL is still a live allocated NBL without clones: freed without a finding.
    d.freeNbl(first);
    d.discard(chain);
    d.unload();
  });
});
