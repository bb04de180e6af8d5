/**
 * Injection-state queries after long injection histories, and details of the port's answers.
 *
 * - NBLs injected through several handles in turn (one handle again after another, more NBLs with
 *   such histories than the engine's history table starts with), then cloned, the clones (and
 *   clones of clones) reinjected through yet another handle: every query through every handle must
 *   give the documented state and, for the two self states, the injectionContext of the last
 *   injection through the queried handle (spec/semantics.md, FwpsQueryPacketInjectionState0). The
 *   histories are freed and a second generation reuses their storage.
 * - The answers are checked exactly: the out parameter injectionContext is present for the two self
 *   states only (the model does not judge a missing one, so the scenario does).
 * - Queued completions wrap around the ring before it grows: fifo stays oldest first, lifo newest
 *   first (spec/port.ts DELIVERY_POLICIES, properties/delivery-policy.test.ts).
 * - Port details: receive injection of a multi-NET_BUFFER clone, TCP versus UDP transport data from
 *   a classifyFn, allocations while resources are exhausted (the built-in answers with the status
 *   the rule names, STATUS_INSUFFICIENT_RESOURCES), a blocked destroy's step carries no `ret`, each
 *   rule id at most once per step's findings (spec/semantics.md), completions at the IRQL the port
 *   options name.
 *
 * Every call is also checked against the reference model by CheckedDriver.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../../impl/port-adapter.ts";
import type { CompletionEvent, EnvironmentEvent } from "../../spec/events.ts";
import type { DeliveryPolicy, DriverCall, EnginePort, PortOptions, PortStep } from "../../spec/port.ts";
import { CheckedDriver } from "../checked-driver.ts";
import { DEFAULT_PORT_OPTIONS } from "../runner.ts";

/** A port that keeps every step it answered, and checks each step's findings name each rule at most once. */
class RecordingPort implements EnginePort {
  readonly steps: PortStep[] = [];
  readonly name: string;
  readonly families: EnginePort["families"];
  readonly verifier: boolean;
  constructor(private readonly inner: EnginePort) {
    this.name = inner.name;
    this.families = inner.families;
    this.verifier = inner.verifier;
  }
  private record(step: PortStep | Promise<PortStep>): PortStep {
    const result = step as PortStep;
    const ids = result.findings.map((finding) => finding.ruleId);
    expect(ids.length, `findings name a rule twice: ${ids.join(", ")}`).toBe(new Set(ids).size);
    this.steps.push(result);
    return result;
  }
  get last(): PortStep {
    return this.steps[this.steps.length - 1]!;
  }
  call(callId: string, call: DriverCall): PortStep {
    return this.record(this.inner.call(callId, call));
  }
  environment(event: EnvironmentEvent): PortStep {
    return this.record(this.inner.environment(event));
  }
  deliver(max: number): PortStep {
    return this.record(this.inner.deliver(max));
  }
  pendingWork(): number {
    return this.inner.pendingWork() as number;
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function setUp(options: Partial<PortOptions> = {}) {
  const port = new RecordingPort(createPort({ ...DEFAULT_PORT_OPTIONS, ...options }));
  const driver = new CheckedDriver(port);
  const id = (ret: Record<string, unknown> | undefined, key: string) => {
    const value = ret?.[key];
    expect(typeof value, `${key} in ${JSON.stringify(ret)}`).toBe("string");
    return value as string;
  };
  const createHandle = (type = "FWPS_INJECTION_TYPE_NETWORK", addressFamily = "AF_INET") => id(driver.call("FwpsInjectionHandleCreate0", { addressFamily, flags: [type] }), "injectionHandle");
  const allocatePool = () => id(driver.call("NdisAllocateNetBufferListPool", {}), "poolHandle");
  const allocate = (poolHandle: string) =>
    id(driver.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 }), "netBufferList");
  const clone = (original: string) =>
    id(driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: original, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL"), "netBufferList");
  const send = (injectionHandle: string, netBufferList: string, injectionContext: string | null, completionContext: string | null = injectionContext) => {
    const ret = driver.call("FwpsInjectNetworkSendAsync0", { injectionHandle, injectionContext, flags: 0, completionFn: "completionFn", completionContext, compartmentId: 0, netBufferList, ipVersion: 4 }, "DISPATCH_LEVEL");
    expect(ret, `send ${netBufferList} through ${injectionHandle}`).toEqual({ status: "STATUS_SUCCESS" });
  };
  const query = (injectionHandle: string, netBufferList: string) => driver.call("FwpsQueryPacketInjectionState0", { injectionHandle, netBufferList }, "DISPATCH_LEVEL");
  const destroy = (injectionHandle: string) => driver.call("FwpsInjectionHandleDestroy0", { injectionHandle });
  const freeNbl = (netBufferList: string) => driver.call("FwpsFreeNetBufferList0", { netBufferList });
  const freeClone = (netBufferList: string) => driver.call("FwpsFreeCloneNetBufferList0", { netBufferList, freeCloneFlags: 0 });
  const completions = (from: number) =>
    driver.trace.slice(from).filter((event): event is CompletionEvent => event.kind === "completion");
  return { port, driver, id, createHandle, allocatePool, allocate, clone, send, query, destroy, freeNbl, freeClone, completions };
}

const self = (injectionContext: string | null) => ({ injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext });
const previously = (injectionContext: string | null) => ({ injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext });
const OTHER = { injectionState: "FWPS_PACKET_INJECTED_BY_OTHER" };
const NOT_INJECTED = { injectionState: "FWPS_PACKET_NOT_INJECTED" };

/** Handles each NBL of a generation goes through: with 6 NBLs, 66 history entries, more than the history table starts with (64). */
const ROUND = [12, 4] as const;
const NBLS = [6, 3] as const;

function injectionHistories(policy: DeliveryPolicy): void {
  const t = setUp({ policy });
  const settle = () => {
    if (policy !== "immediate") t.driver.drain();
  };
  const round = range(ROUND[0]).map(() => t.createHandle());
  const [a, b, c, d, e] = [round[0]!, round[1]!, t.createHandle(), t.createHandle(), t.createHandle()];
  const pool = t.allocatePool();

  for (const generation of [0, 1] as const) {
    const g = `g${generation}`;
    const handles = round.slice(0, ROUND[generation]);
    // NBL n goes through every handle of the round once, starting at handle n: the others move to its history.
    const nbls = range(NBLS[generation]).map(() => t.allocate(pool));
    const through = (n: number, k: number) => `${g}n${n}h${k}`;
    const lastOf = (n: number) => (n + handles.length - 1) % handles.length;
    for (const [n, nbl] of nbls.entries()) {
      if (n === 0) expect(t.query(a, nbl)).toEqual(NOT_INJECTED);
      for (const step of range(handles.length)) {
        const k = (n + step) % handles.length;
        if (n === 0 && step === 1) {
          expect(t.query(a, nbl)).toEqual(self(through(0, 0)));
          expect(t.query(b, nbl)).toEqual(OTHER);
        }
        t.send(handles[k]!, nbl, through(n, k));
        settle();
      }
    }
    // Their clones go through c, clones of the clones through d.
    const clones = nbls.map((nbl) => t.clone(nbl));
    expect(t.query(a, clones[0]!)).toEqual(NOT_INJECTED);
    for (const [n, clone] of clones.entries()) t.send(c, clone, `${g}c${n}`);
    settle();
    const grandclones = clones.slice(0, 2).map((clone) => t.clone(clone));
    for (const [n, grandclone] of grandclones.entries()) t.send(d, grandclone, n === 0 ? null : `${g}d${n}`);
    settle();
    for (const [n, clone] of clones.entries()) {
      for (const [k, handle] of handles.entries()) expect(t.query(handle, clone), `${handle}, ${clone}`).toEqual(previously(through(n, k)));
      expect(t.query(c, clone)).toEqual(self(`${g}c${n}`));
      expect(t.query(d, clone)).toEqual(OTHER);
      expect(t.query(handles[lastOf(n)]!, nbls[n]!)).toEqual(self(through(n, lastOf(n))));
      expect(t.query(handles[(lastOf(n) + 1) % handles.length]!, nbls[n]!)).toEqual(OTHER);
    }
    for (const [n, grandclone] of grandclones.entries()) {
      expect(t.query(a, grandclone)).toEqual(previously(through(n, 0)));
      expect(t.query(b, grandclone)).toEqual(previously(through(n, 1)));
      expect(t.query(c, grandclone)).toEqual(previously(`${g}c${n}`));
      expect(t.query(d, grandclone)).toEqual(self(n === 0 ? null : `${g}d${n}`));
      expect(t.query(e, grandclone)).toEqual(OTHER);
    }

    // One NBL through a, b, a, b, c, a, e in turn: each handle's latest context is the one a query of its clone gives.
    const turns = t.allocate(pool);
    const order = [a, b, a, b, c, a, e, c] as const;
    for (const [k, handle] of order.entries()) {
      t.send(handle, turns, `${g}turn${k}`);
      settle();
    }
    const turnsClone = t.clone(turns);
    t.send(d, turnsClone, `${g}turnsClone`);
    settle();
    expect(t.query(a, turnsClone)).toEqual(previously(`${g}turn5`));
    expect(t.query(b, turnsClone)).toEqual(previously(`${g}turn3`));
    expect(t.query(c, turnsClone)).toEqual(previously(`${g}turn7`));
    expect(t.query(e, turnsClone)).toEqual(previously(`${g}turn6`));
    expect(t.query(d, turnsClone)).toEqual(self(`${g}turnsClone`));
    expect(t.query(c, turns)).toEqual(self(`${g}turn7`));
    expect(t.query(e, turns)).toEqual(OTHER);
    // The same handle twice in a row keeps no stale entry: a later handle moves it to the history.
    const twice = t.allocate(pool);
    for (const [k, handle] of [a, a, b, b, a].entries()) {
      t.send(handle, twice, `${g}twice${k}`);
      settle();
    }
    const twiceClone = t.clone(twice);
    t.send(e, twiceClone, null);
    settle();
    expect(t.query(a, twiceClone)).toEqual(previously(`${g}twice4`));
    expect(t.query(b, twiceClone)).toEqual(previously(`${g}twice3`));
    expect(t.query(c, twiceClone)).toEqual(OTHER);
    expect(t.query(e, twiceClone)).toEqual(self(null));

    // Free everything (clones before their originals): the history storage is reused by the next generation.
    for (const nbl of [...grandclones, ...clones, turnsClone, twiceClone]) t.freeClone(nbl);
    for (const nbl of [...nbls, turns, twice]) t.freeNbl(nbl);
    // A freed NBL names nothing: the verifier flags the query.
    t.query(b, nbls[0]!);
    expect(t.port.last.findings.map((finding) => finding.ruleId)).toEqual(["nbl/no-use-after-free"]);
  }
  for (const handle of [...round, c, d, e]) t.destroy(handle);
  t.driver.call("NdisFreeNetBufferListPool", { poolHandle: pool });
  t.driver.drain();
  t.driver.environment({ kind: "driverUnload" });
}

describe("injection-state queries after long injection histories", () => {
  for (const policy of ["immediate"] as const) {
    it(`NBLs injected through several handles in turn, their clones and clones of clones (${policy} delivery)`, () => injectionHistories(policy));
  }
});

describe("queued completions wrap around the ring before it grows", () => {
  for (const policy of ["fifo", "lifo"] as const) {
    it(`${policy}: the delivery order survives the growth`, () => {
      const t = setUp({ policy });
      const handle = t.createHandle();
      const pool = t.allocatePool();
      const nbls = range(24).map(() => t.allocate(pool));
      const delivered: string[] = [];
      const deliver = (max: number) => {
        const before = t.driver.trace.length;
        t.driver.deliver(max);
        const completions = t.completions(before);
        expect(completions.every((event) => event.irql === "DISPATCH_LEVEL" && event.dispatchLevel)).toBe(true);
        delivered.push(...completions.map((event) => String(event.completionContext)));
      };
      // 10 queued, 6 delivered: the ring's head moves; then 14 more, so it wraps and grows.
      for (const [i, nbl] of nbls.slice(0, 10).entries()) t.send(handle, nbl, `i${i}`, `ctx${i}`);
      deliver(6);
      for (const [i, nbl] of nbls.slice(10).entries()) t.send(handle, nbl, `i${i + 10}`, `ctx${i + 10}`);
      deliver(1000);
      expect(delivered).toEqual(policy === "fifo" ? range(24).map((i) => `ctx${i}`) : [...range(6).map((i) => `ctx${9 - i}`), ...range(14).map((i) => `ctx${23 - i}`), "ctx3", "ctx2", "ctx1", "ctx0"]);
      for (const nbl of nbls) t.freeNbl(nbl);
      t.destroy(handle);
      t.driver.call("NdisFreeNetBufferListPool", { poolHandle: pool });
      t.driver.drain();
      t.driver.environment({ kind: "driverUnload" });
    });
  }
});

describe("details of the port's answers", () => {
  it("receive, transport from a classifyFn, exhausted resources, a blocked destroy, repeated misuse in one call", () => {
    const t = setUp({ policy: "fifo", completionIrql: "PASSIVE_LEVEL" });
    // The built-in simulator has a verifier: its findings are verdicts the harness compares.
    expect(t.port.verifier).toBe(true);
    const network = t.createHandle();
    const transport = t.createHandle("FWPS_INJECTION_TYPE_TRANSPORT");
    const pool = t.allocatePool();

    // A packet with two NET_BUFFERs, cloned and injected on the receive path: the verifier flags it.
    t.driver.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_IPPACKET_V4", netBufferList: "pkt1", ipVersion: 4, netBufferCount: 2 });
    const twoBuffers = t.clone("pkt1");
    t.driver.call("FwpsInjectNetworkReceiveAsync0", { injectionHandle: network, injectionContext: null, flags: 0, completionFn: "completionFn", completionContext: "rx", compartmentId: 0, interfaceIndex: 0, subInterfaceIndex: 0, netBufferList: twoBuffers, ipVersion: 4 }, "DISPATCH_LEVEL");
    expect(t.port.last.findings.map((finding) => finding.ruleId)).toEqual(["network-inject/single-net-buffer-inbound"]);
    t.driver.drain();

    // Transport data injected from inside a classifyFn: only TCP data must go out of band.
    const classify = { kind: "classify", layerId: "FWPS_LAYER_STREAM_V4" } as const;
    const transportSend = (nbl: string, ipProtocol: string) =>
      t.driver.call("FwpsInjectTransportSendAsync0", { injectionHandle: transport, injectionContext: null, flags: 0, completionFn: "completionFn", completionContext: ipProtocol, endpointHandle: 0, addressFamily: "AF_INET", compartmentId: 0, netBufferList: nbl, ipProtocol }, "DISPATCH_LEVEL", classify);
    const udp = t.allocate(pool);
    const tcp = t.allocate(pool);
    transportSend(udp, "UDP");
    expect(t.port.last.findings).toEqual([]);
    transportSend(tcp, "TCP");
    expect(t.port.last.findings.map((finding) => finding.ruleId)).toEqual(["transport-inject/tcp-out-of-band"]);

    // A destroy blocked on the queued completions: no ret in its step; the completions at PASSIVE_LEVEL, as the options say.
    const before = t.driver.trace.length;
    expect(t.destroy(transport)).toBeUndefined();
    expect("ret" in t.port.last).toBe(false);
    t.driver.deliver(1000);
    expect("ret" in t.port.last).toBe(false);
    const completions = t.completions(before);
    expect(completions.map((event) => [event.completionContext, event.irql, event.dispatchLevel])).toEqual([
      ["UDP", "PASSIVE_LEVEL", false],
      ["TCP", "PASSIVE_LEVEL", false],
    ]);

    // Ids that only resemble the handle (a leading zero, a trailing space) name no handle.
    for (const fake of [`h0${network.slice(1)}`, `${network} `]) {
      expect(t.query(fake, twoBuffers)).toEqual(NOT_INJECTED);
      expect(t.port.last.findings.map((finding) => finding.ruleId)).toEqual(["handle/no-use-after-destroy"]);
    }

    // One call naming two NBLs the engine never gave out: one finding for the rule.
    t.driver.call("FwpsStreamInjectAsync0", { injectionHandle: network, injectionContext: null, flags: 0, flowId: "flow1", calloutId: 1, layerId: "FWPS_LAYER_STREAM_V4", streamFlags: ["FWPS_STREAM_FLAG_SEND"], netBufferList: ["nbl999", "nbl998"], dataLength: 10, completionFn: "completionFn", completionContext: "s" }, "DISPATCH_LEVEL");
    expect(t.port.last.findings.filter((finding) => finding.ruleId === "nbl/no-use-after-free")).toHaveLength(1);

    // While resources are exhausted, every allocating call fails with STATUS_INSUFFICIENT_RESOURCES.
    t.driver.environment({ kind: "resources", exhausted: true });
    expect("ret" in t.port.last).toBe(false);
    expect(t.driver.call("NdisAllocateNetBufferListPool", {})).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
    expect(t.driver.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: pool, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 })).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
    expect(t.driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: udp, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 })).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
    t.driver.environment({ kind: "resources", exhausted: false });

    for (const nbl of [udp, tcp]) t.freeNbl(nbl);
    t.freeClone(twoBuffers);
    t.destroy(network);
    t.driver.call("NdisFreeNetBufferListPool", { poolHandle: pool });
    t.driver.drain();
    t.driver.environment({ kind: "driverUnload" });
  });
});
