/**
 * A small driver for the simulator's unit tests: makes calls through the port with readable
 * helpers, and keeps the steps' results synchronous (the built-in port never answers with a
 * promise).
 */
import type { EnvironmentEvent } from "../spec/events.ts";
import type { DriverCall, EnginePort, PortOptions, PortStep } from "../spec/port.ts";
import { createPort } from "./port-adapter.ts";

type Irql = DriverCall["irql"];
type From = DriverCall["from"];

/** Default port options of the tests. */
export const TEST_OPTIONS: PortOptions = { policy: "fifo", completionIrql: "DISPATCH_LEVEL", seed: 1, batchSize: 2, platform: "x64" };

/** A test's view of one port. */
export class TestDriver {
  private counter = 0;
  /** The callId of the last call made. */
  lastCallId = "";

  constructor(readonly port: EnginePort = createPort(TEST_OPTIONS)) {}

  /** Makes a call and returns its step. */
  call(fn: DriverCall["fn"], args: Record<string, unknown>, irql: Irql = "PASSIVE_LEVEL", from: From = { kind: "thread" }): PortStep {
    this.lastCallId = `c${++this.counter}`;
    return this.port.call(this.lastCallId, { fn, irql, from, args } as DriverCall) as PortStep;
  }

  environment(event: EnvironmentEvent): PortStep {
    return this.port.environment(event) as PortStep;
  }

  deliver(max = 1000): PortStep {
    return this.port.deliver(max) as PortStep;
  }

  pending(): number {
    return this.port.pendingWork() as number;
  }

  /** Rule ids the step's findings carry. */
  static rules(step: PortStep): string[] {
    return step.findings.map((finding) => finding.ruleId).sort();
  }

  /** The NBL ids of the step's completion events, in order. */
  static completed(step: PortStep): (string | null)[] {
    return step.events.flatMap((event) => (event.kind === "completion" ? [event.netBufferList] : []));
  }

  handle(addressFamily = "AF_INET", flags: string[] = ["FWPS_INJECTION_TYPE_NETWORK", "FWPS_INJECTION_TYPE_TRANSPORT", "FWPS_INJECTION_TYPE_FORWARD", "FWPS_INJECTION_TYPE_STREAM"]): string {
    const step = this.call("FwpsInjectionHandleCreate0", { addressFamily, flags });
    return step.ret?.["injectionHandle"] as string;
  }

  pool(): string {
    return this.call("NdisAllocateNetBufferListPool", {}).ret?.["poolHandle"] as string;
  }

  nbl(pool: string): string {
    return this.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: pool, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 }).ret?.["netBufferList"] as string;
  }

  clone(original: string): string {
    return this.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: original, allocateCloneFlags: 0 }).ret?.["netBufferList"] as string;
  }

  transportSend(handle: string, nbl: string | null, completionContext = "ctx", injectionContext: string | null = null, irql: Irql = "PASSIVE_LEVEL"): PortStep {
    return this.call("FwpsInjectTransportSendAsync0", { injectionHandle: handle, netBufferList: nbl, addressFamily: "AF_INET", flags: 0, completionContext, injectionContext }, irql);
  }

  networkSend(handle: string, nbl: string, completionContext = "ctx", ipVersion?: 4 | 6): PortStep {
    return this.call("FwpsInjectNetworkSendAsync0", { injectionHandle: handle, netBufferList: nbl, flags: 0, completionContext, ...(ipVersion === undefined ? {} : { ipVersion }) });
  }

  streamInject(handle: string, chain: string[] | null, streamFlags: string[] = ["FWPS_STREAM_FLAG_SEND"], extra: Record<string, unknown> = {}): PortStep {
    return this.call("FwpsStreamInjectAsync0", {
      injectionHandle: handle,
      flowId: "flow1",
      layerId: "FWPS_LAYER_STREAM_V4",
      streamFlags,
      netBufferList: chain,
      dataLength: 200,
      flags: 0,
      completionContext: "sctx",
      ...extra,
    });
  }

  /** Indicates stream data `sd` with `length` NBLs and clones it; returns the clone chain. */
  streamClone(streamData: string, length = 2, dataLength = 200): string[] {
    this.environment({
      kind: "streamIndicated",
      streamData,
      layerId: "FWPS_LAYER_STREAM_V4",
      flowId: "flow1",
      netBufferListChain: Array.from({ length }, (_, i) => `${streamData}.nbl${i + 1}`),
      dataLength,
      streamFlags: ["FWPS_STREAM_FLAG_SEND"],
    });
    return this.call("FwpsCloneStreamData0", { calloutStreamData: streamData, allocateCloneFlags: 0 }).ret?.["netBufferListChain"] as string[];
  }

  destroy(handle: string | null, irql: Irql = "PASSIVE_LEVEL", from: From = { kind: "thread" }): PortStep {
    return this.call("FwpsInjectionHandleDestroy0", { injectionHandle: handle }, irql, from);
  }
}
