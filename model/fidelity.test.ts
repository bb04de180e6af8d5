/**
 * The classes of issue 12 ("judge only what the pages say"), each with the behaviour now accepted
 * and the one still rejected, so that a test fails on a model that is too strict or too lax.
 * The decisions are spec/decisions.ts's.
 */
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../spec/events.ts";
import { parseTraceEvent } from "../spec/trace.ts";
import { checkTrace } from "./index.ts";

/** Parses events written as plain objects (schema defaults applied), failing loudly on a malformed one. */
function events(...raw: object[]): TraceEvent[] {
  return raw.map((value, index) => {
    const parsed = parseTraceEvent(value, "fidelity.test", index + 1);
    if (!parsed.ok) throw new Error(`${parsed.error.field}: ${parsed.error.message}`);
    return parsed.event;
  });
}

const call = (fn: string, args: object, ret?: object, irql = "PASSIVE_LEVEL", from?: object) => ({ kind: "call", fn, irql, args, ...(ret === undefined ? {} : { ret }), ...(from === undefined ? {} : { from }) });
const ok = { status: "STATUS_SUCCESS" };
const create = (handle: string, addressFamily = "AF_INET", flags = ["FWPS_INJECTION_TYPE_TRANSPORT"], status = "STATUS_SUCCESS") =>
  call("FwpsInjectionHandleCreate0", { addressFamily, flags }, status === "STATUS_SUCCESS" ? { status, injectionHandle: handle } : { status });
const destroy = (handle: string) => call("FwpsInjectionHandleDestroy0", { injectionHandle: handle }, ok);
const pool = call("NdisAllocateNetBufferListPool", {}, { status: "STATUS_SUCCESS", poolHandle: "pool1" });
const allocate = (nbl: string, status = "STATUS_SUCCESS", dataLength = 64) =>
  call(
    "FwpsAllocateNetBufferAndNetBufferList0",
    { poolHandle: "pool1", contextSize: 0, contextBackFill: 0, mdlChain: { byteCount: 64 }, dataOffset: 0, dataLength },
    status === "STATUS_SUCCESS" ? { status, netBufferList: nbl } : { status },
  );
const send = (handle: string, nbl: string, status = "STATUS_SUCCESS", extra: object = {}, irql = "PASSIVE_LEVEL") =>
  call("FwpsInjectTransportSendAsync0", { injectionHandle: handle, addressFamily: "AF_INET", netBufferList: nbl, completionContext: `ctx-${nbl}`, injectionContext: `inj-${nbl}`, ...extra }, { status }, irql);
const completion = (nbl: string) => ({ kind: "completion", completionContext: `ctx-${nbl}`, netBufferList: nbl, dispatchLevel: false, irql: "PASSIVE_LEVEL", status: "STATUS_SUCCESS" });
const freeNbl = (nbl: string) => call("FwpsFreeNetBufferList0", { netBufferList: nbl }, {});
const query = (handle: string, nbl: string, injectionState: string) => call("FwpsQueryPacketInjectionState0", { injectionHandle: handle, netBufferList: nbl }, { injectionState });

/** The violations of a trace as "line:ruleId:party". */
function verdicts(raw: object[]): string[] {
  return checkTrace(events(...raw)).violations.map((violation) => `${violation.position}:${violation.ruleId}:${violation.party}`);
}

describe("replies to calls that are caller misuse (decision reply/misuse-unconstrained)", () => {
  it("accepts any reply to misuse with no documented reply, even where a state failure applies", () => {
    // DIRQL is misuse; the stack is not ready, but its documented status is not required of a misused call.
    const trace = [create("h1"), pool, allocate("n1"), { kind: "tcpipStack", ready: false }, send("h1", "n1", "STATUS_SUCCESS", {}, "DIRQL")];
    expect(verdicts(trace)).toEqual(["5:inject/irql:caller"]);
  });

  it("still requires the documented status of a valid call in the same state", () => {
    const trace = [create("h1"), pool, allocate("n1"), { kind: "tcpipStack", ready: false }, send("h1", "n1", "STATUS_SUCCESS")];
    expect(verdicts(trace)).toEqual(["5:inject/tcpip-not-ready:engine"]);
  });

  it("accepts success through a dead handle, and owes nothing for it", () => {
    const trace = [create("h1"), destroy("h1"), pool, allocate("n1"), send("h1", "n1"), { kind: "engineIdle" }, completion("n1"), freeNbl("n1"), { kind: "driverUnload" }];
    expect(verdicts(trace)).toEqual(["5:handle/no-use-after-destroy:caller"]);
  });
});

describe("a NULL completionFn (decisions reply/null-completion-fn-misuse, reply/documented-misuse-reply)", () => {
  const stream = (completionFn: string | null, status: string, irql = "PASSIVE_LEVEL") =>
    call(
      "FwpsStreamInjectAsync0",
      { injectionHandle: "h1", completionFn, flowId: "f1", layerId: "FWPS_LAYER_STREAM_V4", streamFlags: ["FWPS_STREAM_FLAG_SEND"], netBufferList: ["n1"], dataLength: 64 },
      { status },
      irql,
    );

  it("is caller misuse at a transport injection, whatever the engine answers", () => {
    for (const status of ["STATUS_SUCCESS", "STATUS_INVALID_PARAMETER"]) {
      expect(verdicts([create("h1"), pool, allocate("n1"), send("h1", "n1", status, { completionFn: null })])).toEqual(["4:inject/completion-fn-not-null:caller"]);
    }
  });

  it("at FwpsStreamInjectAsync0 requires the documented STATUS_FWP_NULL_POINTER", () => {
    const base = [create("h1", "AF_UNSPEC", ["FWPS_INJECTION_TYPE_STREAM"]), pool, allocate("n1")];
    expect(verdicts([...base, stream(null, "STATUS_FWP_NULL_POINTER")])).toEqual(["4:inject/completion-fn-not-null:caller"]);
    expect(verdicts([...base, stream(null, "STATUS_SUCCESS")])).toEqual(["4:inject/completion-fn-not-null:caller", "4:stream-inject/null-completion-fn:engine"]);
  });

  it("at FwpsStreamInjectAsync0 with a second, undocumented misuse, judges no reply", () => {
    const base = [create("h1", "AF_UNSPEC", ["FWPS_INJECTION_TYPE_STREAM"]), pool, allocate("n1")];
    expect(verdicts([...base, stream(null, "STATUS_SUCCESS", "DIRQL")])).toEqual(["4:inject/irql:caller", "4:inject/completion-fn-not-null:caller"]);
  });
});

describe("failures the pages leave open (decision reply/resource-failure)", () => {
  it("accepts a resource failure from a valid allocation or injection with no resources event", () => {
    expect(verdicts([pool, allocate("n1", "STATUS_INSUFFICIENT_RESOURCES")])).toEqual([]);
    expect(verdicts([create("h1"), pool, allocate("n1"), send("h1", "n1", "STATUS_NO_MEMORY"), freeNbl("n1"), destroy("h1"), { kind: "driverUnload" }])).toEqual([]);
  });

  it("rejects a parameter error from a valid call in a normal state", () => {
    expect(verdicts([pool, allocate("n1", "STATUS_INVALID_PARAMETER")])).toEqual(["2:allocate-nbl/success:engine"]);
    expect(verdicts([create("h1"), pool, allocate("n1"), send("h1", "n1", "STATUS_INVALID_PARAMETER")])).toEqual(["4:inject/success:engine"]);
  });

  it("requires a failure of an allocation while resources are exhausted, not of an injection", () => {
    expect(verdicts([pool, { kind: "resources", exhausted: true }, allocate("n1")])).toEqual(["3:resources/exhausted:engine"]);
    expect(verdicts([create("h1"), pool, allocate("n1"), { kind: "resources", exhausted: true }, send("h1", "n1")])).toEqual([]);
  });
});

describe("inputs the pages are silent on: portability notes (decisions silent/*)", () => {
  const zeroLengthStream = (status: string) => [
    create("h1", "AF_UNSPEC", ["FWPS_INJECTION_TYPE_STREAM"]),
    pool,
    allocate("n1"),
    call("FwpsStreamInjectAsync0", { injectionHandle: "h1", flowId: "f1", layerId: "FWPS_LAYER_STREAM_V4", streamFlags: ["FWPS_STREAM_FLAG_SEND"], netBufferList: ["n1"], dataLength: 0 }, { status }),
  ];

  it("accepts success and a parameter error for zero bytes of stream data, with a note either way", () => {
    for (const status of ["STATUS_SUCCESS", "STATUS_INVALID_PARAMETER", "STATUS_FWP_INVALID_PARAMETER"]) {
      const result = checkTrace(events(...zeroLengthStream(status)));
      expect(result.violations, status).toEqual([]);
      expect(result.notes.map((note) => `${note.position}:${note.decisionId}`)).toEqual(["4:silent/zero-length-stream-data"]);
    }
  });

  it("still rejects another failure, and gives no note for ordinary data", () => {
    expect(verdicts(zeroLengthStream("STATUS_UNSUCCESSFUL"))).toEqual(["4:inject/success:engine"]);
    const ordinary = checkTrace(events(create("h1"), pool, allocate("n1"), send("h1", "n1")));
    expect(ordinary.notes).toEqual([]);
  });

  it("notes a per-call family that differs from the handle's, and accepts both answers", () => {
    const other = (status: string) => [create("h1", "AF_INET"), pool, allocate("n1"), send("h1", "n1", status, { addressFamily: "AF_INET6" })];
    for (const status of ["STATUS_SUCCESS", "STATUS_INVALID_PARAMETER"]) {
      const result = checkTrace(events(...other(status)));
      expect(result.violations).toEqual([]);
      expect(result.notes.map((note) => note.decisionId)).toEqual(["silent/per-call-family-differs"]);
    }
    expect(checkTrace(events(create("h1", "AF_UNSPEC"), pool, allocate("n1"), send("h1", "n1", "STATUS_SUCCESS", { addressFamily: "AF_INET6" }))).notes).toEqual([]);
  });
});

describe("the injection state after completion and for clones (decisions query/after-completion, query/clone-of-injected)", () => {
  const injected = [create("h1"), create("h2"), pool, allocate("n1"), send("h1", "n1")];

  it("requires the state of Q1 while the injection is in flight", () => {
    expect(verdicts([...injected, query("h1", "n1", "FWPS_PACKET_INJECTED_BY_SELF")])).toEqual([]);
    expect(verdicts([...injected, query("h1", "n1", "FWPS_PACKET_NOT_INJECTED")])).toEqual(["6:query/state:engine"]);
  });

  it("accepts FWPS_PACKET_NOT_INJECTED as well once the injection completed, and nothing else", () => {
    const done = [...injected, completion("n1")];
    expect(verdicts([...done, query("h1", "n1", "FWPS_PACKET_NOT_INJECTED")])).toEqual([]);
    expect(verdicts([...done, query("h1", "n1", "FWPS_PACKET_INJECTED_BY_SELF")])).toEqual([]);
    expect(verdicts([...done, query("h1", "n1", "FWPS_PACKET_INJECTED_BY_OTHER")])).toEqual(["7:query/state:engine"]);
  });

  it("accepts NOT_INJECTED or the injected ancestry's state for a clone never injected itself", () => {
    const cloned = [...injected, call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "n1" }, { status: "STATUS_SUCCESS", netBufferList: "c1" })];
    for (const state of ["FWPS_PACKET_NOT_INJECTED", "FWPS_PACKET_INJECTED_BY_SELF", "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF"]) {
      expect(verdicts([...cloned, query("h1", "c1", state)]), state).toEqual([]);
    }
    expect(verdicts([...cloned, query("h1", "c1", "FWPS_PACKET_INJECTED_BY_OTHER")])).toEqual(["7:query/state:engine"]);
  });

  it("requires FWPS_PACKET_NOT_INJECTED for a clone with no injected ancestry", () => {
    const cloned = [create("h1"), pool, allocate("n1"), call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "n1" }, { status: "STATUS_SUCCESS", netBufferList: "c1" })];
    expect(verdicts([...cloned, query("h1", "c1", "FWPS_PACKET_NOT_INJECTED")])).toEqual([]);
    expect(verdicts([...cloned, query("h1", "c1", "FWPS_PACKET_INJECTED_BY_SELF")])).toEqual(["5:query/state:engine"]);
  });
});

describe("pend and complete at ALE_AUTH_RECV_ACCEPT (decisions recv-accept/either-order, recv-accept/null-nbl)", () => {
  const layer = "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4";
  const pended = [
    create("h1"),
    { kind: "aleClassify", layerId: layer, completionHandle: "ch1", reauthorization: false, netBufferList: "pkt1" },
    call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "pkt1" }, { status: "STATUS_SUCCESS", netBufferList: "c1" }, "DISPATCH_LEVEL", { kind: "classify", layerId: layer }),
    call("FwpsPendOperation0", { completionHandle: "ch1" }, { status: "STATUS_SUCCESS", completionContext: "pc1" }, "DISPATCH_LEVEL", { kind: "classify", layerId: layer }),
  ];
  const complete = (nbl: string | null) => call("FwpsCompleteOperation0", { completionContext: "pc1", netBufferList: nbl }, {});
  const receive = call("FwpsInjectTransportReceiveAsync0", { injectionHandle: "h1", addressFamily: "AF_INET", netBufferList: "c1", completionContext: "ctx-c1" }, ok);
  const end = [completion("c1"), call("FwpsFreeCloneNetBufferList0", { netBufferList: "c1" }, {}), destroy("h1"), { kind: "driverUnload" }];

  it("accepts completing with the clone and then injecting it (the documented order), and the reverse", () => {
    expect(verdicts([...pended, complete("c1"), receive, ...end])).toEqual([]);
    expect(verdicts([...pended, receive, complete("c1"), ...end])).toEqual([]);
  });

  it("accepts completing a connection that is not reinjected with NULL", () => {
    expect(verdicts([...pended, complete(null), call("FwpsFreeCloneNetBufferList0", { netBufferList: "c1" }, {}), destroy("h1"), { kind: "driverUnload" }])).toEqual([]);
  });

  it("rejects NULL when the clone is reinjected, at whichever call comes second", () => {
    expect(verdicts([...pended, complete(null), receive, ...end])).toEqual(["6:complete/recv-accept-clone:caller"]);
    expect(verdicts([...pended, receive, complete(null), ...end])).toEqual(["6:complete/recv-accept-clone:caller"]);
  });

  it("rejects completing with an NBL that is not a clone of the classified packet, once (not again when the clone is injected)", () => {
    expect(verdicts([...pended, complete("pkt1")])).toEqual(["5:pend/recv-accept-reinject:caller"]);
    expect(verdicts([...pended, complete("pkt1"), receive, ...end])).toEqual(["5:pend/recv-accept-reinject:caller"]);
  });
});

describe("injection types defined in fwpsk.h beyond the seed page (decision create/header-injection-types)", () => {
  it("accepts them at create with any family, and judges their use", () => {
    expect(verdicts([create("h1", "AF_LINK", ["FWPS_INJECTION_TYPE_L2"]), create("h2", "AF_UNSPEC", ["FWPS_INJECTION_TYPE_VSWITCH_TRANSPORT"])])).toEqual([]);
    expect(verdicts([create("h1", "AF_UNSPEC", ["FWPS_INJECTION_TYPE_L2"]), pool, allocate("n1"), send("h1", "n1", "STATUS_INVALID_PARAMETER")])).toEqual(["4:transport-inject/handle-type:caller"]);
  });

  it("still rejects a name the header does not define", () => {
    expect(verdicts([create("h1", "AF_INET", ["FWPS_INJECTION_TYPE_INBOUND"])])).toEqual(["1:handle-create/flags:caller"]);
  });
});

describe("leaks at unload (decision leak/one-per-object)", () => {
  it("reports one violation per leaked object, naming it", () => {
    const result = checkTrace(events(create("h1"), create("h2"), pool, allocate("n1"), allocate("n2"), { kind: "driverUnload" }));
    expect(result.violations.map((violation) => `${violation.ruleId}:${violation.object}`).sort()).toEqual([
      "allocate-nbl/free-after-injection:n1",
      "allocate-nbl/free-after-injection:n2",
      "handle-create/destroy-when-done:h1",
      "handle-create/destroy-when-done:h2",
    ]);
    for (const violation of result.violations) expect(violation.message).toContain(violation.object!);
  });
});

describe("ids reused after a free (decision ids/reused-after-free)", () => {
  it("a handle id created again is a new handle: the old handle's injections are not its own", () => {
    const trace = [create("h1"), pool, allocate("n1"), send("h1", "n1"), completion("n1"), destroy("h1"), create("h1")];
    expect(verdicts([...trace, query("h1", "n1", "FWPS_PACKET_INJECTED_BY_SELF")])).toEqual(["8:query/state:engine"]);
    expect(verdicts([...trace, query("h1", "n1", "FWPS_PACKET_INJECTED_BY_OTHER")])).toEqual([]);
  });

  it("an NBL id indicated after the forward-injected NBL was freed is a new packet", () => {
    const forward = call("FwpsInjectForwardAsync0", { injectionHandle: "h1", addressFamily: "AF_INET", netBufferList: "n1", completionContext: "ctx-n1" }, ok);
    const base = [create("h1", "AF_UNSPEC", ["FWPS_INJECTION_TYPE_FORWARD"]), pool, allocate("n1"), forward];
    const indicated = { kind: "packetIndicated", layerId: "FWPS_LAYER_IPFORWARD_V4", netBufferList: "n1" };
    expect(verdicts([...base, completion("n1"), freeNbl("n1"), indicated])).toEqual([]);
    expect(verdicts([...base, indicated])).toEqual(["5:forward-inject/not-reindicated:engine"]);
  });

  it("an NBL id allocated again after its free is a new NBL", () => {
    expect(verdicts([create("h1"), pool, allocate("n1"), freeNbl("n1"), allocate("n1"), send("h1", "n1"), completion("n1"), freeNbl("n1"), destroy("h1"), { kind: "driverUnload" }])).toEqual([]);
  });
});
