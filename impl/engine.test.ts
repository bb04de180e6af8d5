/**
 * The simulator's behaviour through the port: the statuses it returns, when and how completions
 * are delivered under each policy, the blocking destroy, ids, cloning and the injection-state query.
 */
import { describe, expect, it } from "vitest";
import { AF, INJECTION_STATE, INJECTION_TYPE, IRQL, InjectionEngine, SITE, STATUS, type EngineSink } from "./engine.ts";
import { createPort } from "./port-adapter.ts";
import { TEST_OPTIONS, TestDriver } from "./test-driver.ts";

const driver = (options: Partial<typeof TEST_OPTIONS> = {}) => new TestDriver(createPort({ ...TEST_OPTIONS, ...options }));

describe("FwpsInjectionHandleCreate0", () => {
  it("creates distinct handles, AF_UNSPEC included for non-network types", () => {
    const d = driver();
    const a = d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] });
    const b = d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_UNSPEC", flags: ["FWPS_INJECTION_TYPE_TRANSPORT", "FWPS_INJECTION_TYPE_STREAM"] });
    const c = d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_UNSPEC", flags: [] });
    expect(a).toEqual({ ret: { status: "STATUS_SUCCESS", injectionHandle: "h1" }, events: [], findings: [] });
    expect(b.ret).toEqual({ status: "STATUS_SUCCESS", injectionHandle: "h2" });
    expect(c.ret).toEqual({ status: "STATUS_SUCCESS", injectionHandle: "h3" });
    expect(b.findings).toEqual([]);
  });

  it("returns STATUS_FWP_TCPIP_NOT_READY while the stack is not ready, before resource exhaustion", () => {
    const d = driver();
    d.environment({ kind: "tcpipStack", ready: false });
    d.environment({ kind: "resources", exhausted: true });
    expect(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: [] }).ret).toEqual({ status: "STATUS_FWP_TCPIP_NOT_READY" });
    d.environment({ kind: "tcpipStack", ready: true });
    expect(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: [] }).ret).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
    d.environment({ kind: "resources", exhausted: false });
    expect(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: [] }).ret).toEqual({ status: "STATUS_SUCCESS", injectionHandle: "h1" });
  });

  it("rejects an unknown address family or flag with STATUS_INVALID_PARAMETER", () => {
    const d = driver();
    expect(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_APPLETALK", flags: [] }).ret).toEqual({ status: "STATUS_INVALID_PARAMETER" });
    expect(d.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_BOGUS"] }).ret).toEqual({ status: "STATUS_INVALID_PARAMETER" });
  });
});

describe("inject statuses", () => {
  it("network injection through a handle without the NETWORK type (flags 0 included) is STALE and owes nothing", () => {
    const d = driver();
    const transport = d.handle("AF_INET", ["FWPS_INJECTION_TYPE_TRANSPORT"]);
    const untyped = d.handle("AF_INET", []);
    const pool = d.pool();
    const nbl = d.nbl(pool);
    expect(d.networkSend(transport, nbl).ret).toEqual({ status: "STATUS_FWP_INJECT_HANDLE_STALE" });
    expect(d.networkSend(untyped, nbl).ret).toEqual({ status: "STATUS_FWP_INJECT_HANDLE_STALE" });
    expect(d.pending()).toBe(0);
  });

  it("transport, forward and stream injection through a flags-0 handle succeed", () => {
    const d = driver();
    const untyped = d.handle("AF_UNSPEC", []);
    const pool = d.pool();
    expect(d.transportSend(untyped, d.nbl(pool)).ret).toEqual({ status: "STATUS_SUCCESS" });
    expect(d.call("FwpsInjectForwardAsync0", { injectionHandle: untyped, netBufferList: d.nbl(pool), addressFamily: "AF_INET6", flags: 0, completionContext: "f" }).ret).toEqual({ status: "STATUS_SUCCESS" });
    expect(d.streamInject(untyped, d.streamClone("sd1")).ret).toEqual({ status: "STATUS_SUCCESS" });
    expect(d.pending()).toBe(4);
  });

  it("orders documented failures: closing, then stale, then not ready", () => {
    const d = driver();
    const h = d.handle("AF_INET", ["FWPS_INJECTION_TYPE_TRANSPORT"]);
    const pool = d.pool();
    const first = d.nbl(pool);
    d.transportSend(h, first);
    expect(d.destroy(h).ret).toBeUndefined();
    d.environment({ kind: "tcpipStack", ready: false });
    expect(d.networkSend(h, d.nbl(pool)).ret).toEqual({ status: "STATUS_FWP_INJECT_HANDLE_CLOSING" });
    const other = d.handle("AF_INET", ["FWPS_INJECTION_TYPE_TRANSPORT"]);
    expect(other).toBeUndefined(); // create fails while not ready
    d.environment({ kind: "tcpipStack", ready: true });
    const open = d.handle("AF_INET", ["FWPS_INJECTION_TYPE_TRANSPORT"]);
    d.environment({ kind: "tcpipStack", ready: false });
    expect(d.networkSend(open, d.nbl(pool)).ret).toEqual({ status: "STATUS_FWP_INJECT_HANDLE_STALE" });
    expect(d.transportSend(open, d.nbl(pool)).ret).toEqual({ status: "STATUS_FWP_TCPIP_NOT_READY" });
  });

  it("fails through a dead handle and flags handle/no-use-after-destroy", () => {
    const d = driver();
    const h = d.handle();
    const nbl = d.nbl(d.pool());
    expect(d.destroy(h).ret).toEqual({ status: "STATUS_SUCCESS" });
    const step = d.transportSend(h, nbl);
    expect(step.ret).toEqual({ status: "STATUS_INVALID_HANDLE" });
    expect(TestDriver.rules(step)).toEqual(["handle/no-use-after-destroy"]);
    expect(d.transportSend("h-never-created", nbl).ret).toEqual({ status: "STATUS_INVALID_HANDLE" });
  });

  it("checks the stream documented failures in order", () => {
    const d = driver();
    const h = d.handle();
    const chain = d.streamClone("sd1");
    expect(d.streamInject(h, chain, ["FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"], { completionFn: null }).ret).toEqual({ status: "STATUS_FWP_INVALID_PARAMETER" });
    expect(d.streamInject(h, chain, ["FWPS_STREAM_FLAG_SEND_DISCONNECT"]).ret).toEqual({ status: "STATUS_FWP_INVALID_PARAMETER" });
    expect(d.streamInject(h, chain, ["FWPS_STREAM_FLAG_SEND"], { completionFn: null }).ret).toEqual({ status: "STATUS_FWP_NULL_POINTER" });
    expect(d.streamInject(h, null, ["FWPS_STREAM_FLAG_SEND"]).ret).toEqual({ status: "STATUS_FWP_NULL_POINTER" });
    const disconnect = d.streamInject(h, null, ["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_DISCONNECT"]);
    expect(disconnect).toEqual({ ret: { status: "STATUS_SUCCESS" }, events: [], findings: [] });
    expect(d.pending()).toBe(0);
  });

  it("refuses to inject an NBL that is still in flight, and owes nothing for the refused call", () => {
    const d = driver();
    const h = d.handle();
    const nbl = d.nbl(d.pool());
    d.transportSend(h, nbl, "first");
    const again = d.transportSend(h, nbl, "second");
    expect(again.ret).toEqual({ status: "STATUS_INVALID_PARAMETER" });
    expect(TestDriver.rules(again)).toEqual(["inject/nbl-not-in-flight"]);
    const delivered = d.deliver();
    expect(delivered.events).toEqual([{ kind: "completion", completionContext: "first", netBufferList: nbl, dispatchLevel: true, irql: "DISPATCH_LEVEL", status: "STATUS_SUCCESS" }]);
  });
});

describe("completion delivery", () => {
  const injectThree = (d: TestDriver): string[] => {
    const h = d.handle();
    const pool = d.pool();
    const nbls = [d.nbl(pool), d.nbl(pool), d.nbl(pool)];
    nbls.forEach((nbl, i) => d.transportSend(h, nbl, `ctx${i}`));
    return nbls;
  };

  it("fifo delivers oldest first, at most `max` per step", () => {
    const d = driver({ policy: "fifo" });
    const nbls = injectThree(d);
    expect(d.pending()).toBe(3);
    expect(TestDriver.completed(d.deliver(2))).toEqual([nbls[0], nbls[1]]);
    expect(d.pending()).toBe(1);
    expect(TestDriver.completed(d.deliver(2))).toEqual([nbls[2]]);
    expect(d.pending()).toBe(0);
  });

  it("lifo delivers newest first", () => {
    const d = driver({ policy: "lifo" });
    const nbls = injectThree(d);
    expect(TestDriver.completed(d.deliver(3))).toEqual([nbls[2], nbls[1], nbls[0]]);
  });

  it("immediate delivers inside the inject call's step, after the call returned", () => {
    const d = driver({ policy: "immediate", completionIrql: "PASSIVE_LEVEL" });
    const h = d.handle();
    const nbl = d.nbl(d.pool());
    const step = d.transportSend(h, nbl, "c1");
    expect(step).toEqual({
      ret: { status: "STATUS_SUCCESS" },
      events: [{ kind: "completion", completionContext: "c1", netBufferList: nbl, dispatchLevel: false, irql: "PASSIVE_LEVEL", status: "STATUS_SUCCESS" }],
      findings: [],
    });
    expect(d.pending()).toBe(0);
  });

  it("batch delivers at most batchSize per step", () => {
    const d = driver({ policy: "batch", batchSize: 2 });
    const nbls = injectThree(d);
    expect(TestDriver.completed(d.deliver(10))).toEqual([nbls[0], nbls[1]]);
    expect(TestDriver.completed(d.deliver(10))).toEqual([nbls[2]]);
  });

  it("random is a permutation fixed by the seed", () => {
    const order = (seed: number): { injected: string[]; delivered: (string | null)[] } => {
      const d = driver({ policy: "random", seed });
      const h = d.handle();
      const pool = d.pool();
      const injected: string[] = [];
      for (let i = 0; i < 8; i++) {
        const nbl = d.nbl(pool);
        injected.push(nbl);
        d.transportSend(h, nbl, `ctx${i}`);
      }
      return { injected, delivered: TestDriver.completed(d.deliver(8)) };
    };
    const first = order(42);
    expect(order(42).delivered).toEqual(first.delivered);
    expect([...first.delivered].sort()).toEqual([...first.injected].sort());
    expect(first.delivered).not.toEqual(first.injected);
    expect(order(43).delivered).not.toEqual(first.delivered);
  });

  it("completes each NBL of a stream chain once, with the call's context", () => {
    const d = driver();
    const h = d.handle();
    const chain = d.streamClone("sd1", 3);
    d.streamInject(h, chain);
    const step = d.deliver();
    expect(step.events.map((event) => (event.kind === "completion" ? [event.netBufferList, event.completionContext] : []))).toEqual(chain.map((id) => [id, "sctx"]));
    expect(d.pending()).toBe(0);
  });

  it("still completes an NBL the driver freed in flight", () => {
    const d = driver();
    const h = d.handle();
    const nbl = d.nbl(d.pool());
    d.transportSend(h, nbl);
    const free = d.call("FwpsFreeNetBufferList0", { netBufferList: nbl });
    expect(TestDriver.rules(free)).toEqual(["nbl/not-freed-in-flight"]);
    expect(TestDriver.completed(d.deliver())).toEqual([nbl]);
  });
});

describe("FwpsInjectionHandleDestroy0", () => {
  it("returns at once when nothing is in flight", () => {
    const d = driver();
    const h = d.handle();
    expect(d.destroy(h)).toEqual({ ret: { status: "STATUS_SUCCESS" }, events: [], findings: [] });
  });

  it("blocks while injections are in flight and returns right after the last completion", () => {
    const d = driver();
    const h = d.handle();
    const pool = d.pool();
    const [a, b] = [d.nbl(pool), d.nbl(pool)];
    d.transportSend(h, a!);
    d.transportSend(h, b!);
    const destroy = d.destroy(h);
    const destroyId = d.lastCallId;
    expect(destroy).toEqual({ events: [], findings: [] });
    const closing = d.transportSend(h, d.nbl(pool));
    expect(closing.ret).toEqual({ status: "STATUS_FWP_INJECT_HANDLE_CLOSING" });
    expect(d.pending()).toBe(2);
    const again = d.destroy(h);
    expect(again.ret).toEqual({ status: "STATUS_INVALID_HANDLE" });
    expect(TestDriver.rules(again)).toEqual(["handle-destroy/once"]);
    expect(d.deliver(1).events.map((event) => event.kind)).toEqual(["completion"]);
    const last = d.deliver(1);
    expect(last.events.map((event) => event.kind)).toEqual(["completion", "return"]);
    expect(last.events[1]).toEqual({ kind: "return", callId: destroyId, ret: { status: "STATUS_SUCCESS" } });
    expect(TestDriver.rules(d.transportSend(h, d.nbl(pool)))).toEqual(["handle/no-use-after-destroy"]);
  });

  it("waits for an NBL freed in flight until its completion arrives", () => {
    const d = driver();
    const h = d.handle();
    const nbl = d.nbl(d.pool());
    d.transportSend(h, nbl);
    expect(d.destroy(h).ret).toBeUndefined();
    expect(d.call("FwpsFreeNetBufferList0", { netBufferList: nbl }).events).toEqual([]);
    expect(d.deliver().events.map((event) => event.kind)).toEqual(["completion", "return"]);
  });
});

describe("cloning", () => {
  it("FwpsCloneStreamData0 clones every NBL of the chain and reports the trimmed length", () => {
    const d = driver();
    d.environment({ kind: "streamIndicated", streamData: "sd1", layerId: "FWPS_LAYER_STREAM_V6", flowId: "f", netBufferListChain: ["a", "b", "c"], dataLength: 1460, streamFlags: [] });
    const step = d.call("FwpsCloneStreamData0", { calloutStreamData: "sd1", allocateCloneFlags: 0 });
    expect(step.ret).toEqual({ status: "STATUS_SUCCESS", netBufferListChain: ["nbl4", "nbl5", "nbl6"], dataLength: 1460 });
    const again = d.call("FwpsCloneStreamData0", { calloutStreamData: "sd1", allocateCloneFlags: 0 });
    expect(again.ret?.["netBufferListChain"]).toEqual(["nbl7", "nbl8", "nbl9"]);
  });

  it("a freed NBL's id is never reused for a new NBL", () => {
    const d = driver();
    const pool = d.pool();
    const first = d.nbl(pool);
    d.call("FwpsFreeNetBufferList0", { netBufferList: first });
    const second = d.nbl(pool);
    expect(second).not.toBe(first);
    expect(TestDriver.rules(d.call("FwpsFreeNetBufferList0", { netBufferList: first }))).toEqual(["nbl/free-once"]);
    expect(TestDriver.rules(d.call("FwpsFreeNetBufferList0", { netBufferList: second }))).toEqual([]);
  });

  it("resource exhaustion fails every allocating call", () => {
    const d = driver();
    const pool = d.pool();
    const nbl = d.nbl(pool);
    d.streamClone("sd1");
    d.environment({ kind: "resources", exhausted: true });
    expect(d.call("NdisAllocateNetBufferListPool", {}).ret).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
    expect(d.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: pool, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 }).ret).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
    expect(d.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: nbl, allocateCloneFlags: 0 }).ret).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
    expect(d.call("FwpsCloneStreamData0", { calloutStreamData: "sd1", allocateCloneFlags: 0 }).ret).toEqual({ status: "STATUS_INSUFFICIENT_RESOURCES" });
  });
});

describe("FwpsQueryPacketInjectionState0", () => {
  it("answers NOT_INJECTED, BY_SELF, BY_OTHER and PREVIOUSLY_INJECTED_BY_SELF with the injection contexts", () => {
    const d = driver();
    const h1 = d.handle();
    const h2 = d.handle();
    const original = d.nbl(d.pool());
    const query = (handle: string, nbl: string) => d.call("FwpsQueryPacketInjectionState0", { injectionHandle: handle, netBufferList: nbl }, "DISPATCH_LEVEL").ret;
    expect(query(h1, original)).toEqual({ injectionState: "FWPS_PACKET_NOT_INJECTED" });
    d.transportSend(h1, original, "completion-1", "injection-1");
    expect(query(h1, original)).toEqual({ injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: "injection-1" });
    expect(query(h2, original)).toEqual({ injectionState: "FWPS_PACKET_INJECTED_BY_OTHER" });
    d.deliver();
    const clone = d.clone(original);
    expect(query(h1, clone)).toEqual({ injectionState: "FWPS_PACKET_NOT_INJECTED" });
    d.transportSend(h2, clone, "completion-2", "injection-2");
    expect(query(h1, clone)).toEqual({ injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext: "injection-1" });
    expect(query(h2, clone)).toEqual({ injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: "injection-2" });
  });

  it("remembers a freed original's injections while a clone of it lives", () => {
    const d = driver();
    const h1 = d.handle();
    const h2 = d.handle();
    const original = d.nbl(d.pool());
    d.transportSend(h1, original, "c", "i1");
    d.deliver();
    const clone = d.clone(original);
    d.call("FwpsFreeNetBufferList0", { netBufferList: original });
    d.nbl(d.pool()); // would reuse the original's slot if it were recycled
    d.transportSend(h2, clone, "c", "i2");
    expect(d.call("FwpsQueryPacketInjectionState0", { injectionHandle: h1, netBufferList: clone }).ret).toEqual({ injectionState: "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF", injectionContext: "i1" });
  });

  it("does not count failed injections", () => {
    const d = driver();
    const h = d.handle();
    const nbl = d.nbl(d.pool());
    d.environment({ kind: "tcpipStack", ready: false });
    expect(d.transportSend(h, nbl).ret).toEqual({ status: "STATUS_FWP_TCPIP_NOT_READY" });
    expect(d.call("FwpsQueryPacketInjectionState0", { injectionHandle: h, netBufferList: nbl }).ret).toEqual({ injectionState: "FWPS_PACKET_NOT_INJECTED" });
  });
});

describe("FwpsPendOperation0 and FwpsCompleteOperation0", () => {
  it("returns the documented statuses and a completion context", () => {
    const d = driver();
    d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: "ch1", reauthorization: false });
    d.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: "ch2", reauthorization: true });
    expect(d.call("FwpsPendOperation0", { completionHandle: null }).ret).toEqual({ status: "STATUS_FWP_NULL_POINTER" });
    expect(d.call("FwpsPendOperation0", { completionHandle: "ch2" }).ret).toEqual({ status: "STATUS_FWP_CANNOT_PEND" });
    d.environment({ kind: "tcpipStack", ready: false });
    expect(d.call("FwpsPendOperation0", { completionHandle: "ch1" }).ret).toEqual({ status: "STATUS_FWP_TCPIP_NOT_READY" });
    d.environment({ kind: "tcpipStack", ready: true });
    const pend = d.call("FwpsPendOperation0", { completionHandle: "ch1" });
    expect(pend).toEqual({ ret: { status: "STATUS_SUCCESS", completionContext: "pc1" }, events: [], findings: [] });
    expect(d.call("FwpsCompleteOperation0", { completionContext: "pc1", netBufferList: null })).toEqual({ ret: { status: "STATUS_SUCCESS" }, events: [], findings: [] });
  });
});

describe("the direct API", () => {
  const quietSink = (): EngineSink & { completions: number[] } => {
    const completions: number[] = [];
    return { completions, completion: (ref) => completions.push(ref), returned: () => {}, finding: () => {} };
  };

  it("answers with refs and status codes", () => {
    const sink = quietSink();
    const engine = new InjectionEngine({ policy: "fifo", completionIrql: IRQL.DISPATCH_LEVEL, seed: 1, batchSize: 1, platform: "x64", sink });
    const handle = engine.createHandle(IRQL.PASSIVE_LEVEL, AF.AF_INET, INJECTION_TYPE.TRANSPORT);
    const pool = engine.allocatePool();
    const nbl = engine.allocateNbl(IRQL.PASSIVE_LEVEL, pool, 0, 0, -1, 0, 0);
    expect([handle, pool, nbl]).toEqual([1, 1, 1]);
    expect(engine.injectTransport(false, IRQL.DISPATCH_LEVEL, SITE.thread, handle, nbl, AF.AF_INET, false, 0, null, "ctx")).toBe(STATUS.SUCCESS);
    expect(engine.destroyHandle(IRQL.PASSIVE_LEVEL, SITE.thread, handle, "call")).toBe(STATUS.PENDING);
    expect(engine.handleStateOf(handle)).toBe("closing");
    expect(engine.deliver(5)).toBe(1);
    expect(sink.completions).toEqual([nbl]);
    expect(engine.handleStateOf(handle)).toBe("dead");
    engine.freeNbl(IRQL.PASSIVE_LEVEL, nbl);
    const reused = engine.allocateNbl(IRQL.PASSIVE_LEVEL, pool, 0, 0, -1, 0, 0);
    expect(reused % (1 << 24)).toBe(nbl); // same slot ...
    expect(reused).not.toBe(nbl); // ... new generation
    expect(engine.queryInjectionState(IRQL.PASSIVE_LEVEL, engine.createHandle(IRQL.PASSIVE_LEVEL, AF.AF_INET, 0), reused)).toBe(INJECTION_STATE.NOT_INJECTED);
    expect(engine.stats()).toEqual({ liveNbls: 1, queued: 0, nblSlots: 1 });
  });
});
