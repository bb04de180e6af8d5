/**
 * Renders trace events as the C a callout-driver author would write: each driver call as a WFP call
 * with its arguments in the documented order, each engine event as a comment, so that a
 * counterexample reads like a driver's code path.
 */
import type { CallEvent, TraceEvent } from "../spec/events.ts";

const ptr = (id: string | null | undefined): string => (id === null || id === undefined ? "NULL" : id);
const flagsOf = (flags: readonly string[]): string => (flags.length === 0 ? "0" : flags.join(" | "));

function retSuffix(ret: Record<string, unknown> | undefined): string {
  if (ret === undefined) return "   // blocks: does not return yet";
  const status = ret["status"];
  return typeof status === "string" ? `   // -> ${status}` : "";
}

function where(call: CallEvent): string {
  const notes: string[] = [];
  if (call.irql !== "PASSIVE_LEVEL") notes.push(`at ${call.irql}`);
  if (call.from.kind === "completionFn") notes.push("inside completionFn");
  if (call.from.kind === "classify") notes.push(`inside classifyFn at ${call.from.layerId}`);
  return notes.length === 0 ? "" : `   /* ${notes.join(", ")} */`;
}

/** The C expression of one driver call (without the trailing comment). */
export function renderCall(call: CallEvent): string {
  const out = (ret: Record<string, unknown> | undefined, key: string, fallback: string): string => {
    const value = ret?.[key];
    if (Array.isArray(value)) return `&chain /* ${value.join(" -> ")} */`;
    return `&${typeof value === "string" ? value : fallback}`;
  };
  switch (call.fn) {
    case "FwpsInjectionHandleCreate0": {
      const a = call.args;
      return `status = FwpsInjectionHandleCreate0(${a.addressFamily}, ${flagsOf(a.flags)}, ${out(call.ret, "injectionHandle", "injectionHandle")});`;
    }
    case "FwpsInjectionHandleDestroy0":
      return `status = FwpsInjectionHandleDestroy0(${ptr(call.args.injectionHandle)});`;
    case "FwpsInjectNetworkSendAsync0": {
      const a = call.args;
      const version = a.ipVersion === undefined ? "" : ` /* IPv${a.ipVersion} packet */`;
      return `status = FwpsInjectNetworkSendAsync0(${ptr(a.injectionHandle)}, ${ptr(a.injectionContext)}, ${a.flags}, ${a.compartmentId}, ${ptr(a.netBufferList)}${version}, ${ptr(a.completionFn)}, ${ptr(a.completionContext)});`;
    }
    case "FwpsInjectNetworkReceiveAsync0": {
      const a = call.args;
      const version = a.ipVersion === undefined ? "" : ` /* IPv${a.ipVersion} packet */`;
      return `status = FwpsInjectNetworkReceiveAsync0(${ptr(a.injectionHandle)}, ${ptr(a.injectionContext)}, ${a.flags}, ${a.compartmentId}, ${a.interfaceIndex}, ${a.subInterfaceIndex}, ${ptr(a.netBufferList)}${version}, ${ptr(a.completionFn)}, ${ptr(a.completionContext)});`;
    }
    case "FwpsInjectTransportSendAsync0": {
      const a = call.args;
      const proto = a.ipProtocol === undefined ? "" : ` /* ${a.ipProtocol} */`;
      return `status = FwpsInjectTransportSendAsync0(${ptr(a.injectionHandle)}, ${ptr(a.injectionContext)}, ${a.endpointHandle}, ${a.flags}, &sendArgs, ${a.addressFamily}, ${a.compartmentId}, ${ptr(a.netBufferList)}${proto}, ${ptr(a.completionFn)}, ${ptr(a.completionContext)});`;
    }
    case "FwpsInjectTransportReceiveAsync0": {
      const a = call.args;
      const proto = a.ipProtocol === undefined ? "" : ` /* ${a.ipProtocol} */`;
      return `status = FwpsInjectTransportReceiveAsync0(${ptr(a.injectionHandle)}, ${ptr(a.injectionContext)}, NULL, ${a.flags}, ${a.addressFamily}, ${a.compartmentId}, ${a.interfaceIndex}, ${a.subInterfaceIndex}, ${ptr(a.netBufferList)}${proto}, ${ptr(a.completionFn)}, ${ptr(a.completionContext)});`;
    }
    case "FwpsInjectForwardAsync0": {
      const a = call.args;
      return `status = FwpsInjectForwardAsync0(${ptr(a.injectionHandle)}, ${ptr(a.injectionContext)}, ${a.flags}, ${a.addressFamily}, ${a.compartmentId}, ${a.interfaceIndex}, ${ptr(a.netBufferList)}, ${ptr(a.completionFn)}, ${ptr(a.completionContext)});`;
    }
    case "FwpsStreamInjectAsync0": {
      const a = call.args;
      const chain = a.netBufferList === null ? "NULL" : a.netBufferList.length === 1 ? a.netBufferList[0]! : `${a.netBufferList[0]} /* chain: ${a.netBufferList.join(" -> ")} */`;
      return `status = FwpsStreamInjectAsync0(${ptr(a.injectionHandle)}, ${ptr(a.injectionContext)}, ${a.flags}, ${a.flowId}, ${a.calloutId}, ${a.layerId}, ${flagsOf(a.streamFlags)}, ${chain}, ${a.dataLength}, ${ptr(a.completionFn)}, ${ptr(a.completionContext)});`;
    }
    case "NdisAllocateNetBufferListPool":
      return `${typeof call.ret?.poolHandle === "string" ? call.ret.poolHandle : "poolHandle"} = NdisAllocateNetBufferListPool(NdisHandle, &poolParameters);`;
    case "NdisFreeNetBufferListPool":
      return `NdisFreeNetBufferListPool(${ptr(call.args.poolHandle)});`;
    case "FwpsAllocateNetBufferAndNetBufferList0": {
      const a = call.args;
      const mdl = a.mdlChain === null ? "NULL" : `mdl /* ${a.mdlChain.byteCount} bytes */`;
      return `status = FwpsAllocateNetBufferAndNetBufferList0(${ptr(a.poolHandle)}, ${a.contextSize}, ${a.contextBackFill}, ${mdl}, ${a.dataOffset}, ${a.dataLength}, ${out(call.ret, "netBufferList", "netBufferList")});`;
    }
    case "FwpsAllocateCloneNetBufferList0": {
      const a = call.args;
      return `status = FwpsAllocateCloneNetBufferList0(${ptr(a.originalNetBufferList)}, ${ptr(a.netBufferListPoolHandle)}, ${ptr(a.netBufferPoolHandle)}, ${a.allocateCloneFlags}, ${out(call.ret, "netBufferList", "netBufferList")});`;
    }
    case "FwpsCloneStreamData0": {
      const a = call.args;
      return `status = FwpsCloneStreamData0(${ptr(a.calloutStreamData)}, ${ptr(a.netBufferListPoolHandle)}, ${ptr(a.netBufferPoolHandle)}, ${a.allocateCloneFlags}, ${out(call.ret, "netBufferListChain", "chain")});`;
    }
    case "FwpsFreeCloneNetBufferList0":
      return `FwpsFreeCloneNetBufferList0(${ptr(call.args.netBufferList)}, ${call.args.freeCloneFlags});`;
    case "FwpsFreeNetBufferList0":
      return `FwpsFreeNetBufferList0(${ptr(call.args.netBufferList)});`;
    case "FwpsDiscardClonedStreamData0": {
      const a = call.args;
      const chain = a.clonedNetBufferListChain === null ? "NULL" : `${a.clonedNetBufferListChain[0]} /* chain: ${a.clonedNetBufferListChain.join(" -> ")} */`;
      return `FwpsDiscardClonedStreamData0(${chain}, ${a.allocateCloneFlags}, ${a.dispatchLevel ? "TRUE" : "FALSE"});`;
    }
    case "FwpsPendOperation0":
      return `status = FwpsPendOperation0(${ptr(call.args.completionHandle)}, ${out(call.ret, "completionContext", "completionContext")});`;
    case "FwpsCompleteOperation0":
      return `FwpsCompleteOperation0(${ptr(call.args.completionContext)}, ${ptr(call.args.netBufferList)});`;
    case "FwpsQueryPacketInjectionState0": {
      const state = call.ret?.injectionState;
      const assigned = typeof state === "string" ? `${state} == ` : "state = ";
      return `${assigned}FwpsQueryPacketInjectionState0(${ptr(call.args.injectionHandle)}, ${ptr(call.args.netBufferList)}, &injectionContext);`;
    }
  }
}

/** One trace event as one line of C (calls) or a C comment (engine and environment events). */
export function renderEvent(event: TraceEvent): string {
  switch (event.kind) {
    case "call":
      return `${renderCall(event)}${where(event)}${retSuffix(event.ret)}`;
    case "return":
      return `// engine: call ${event.callId} returns ${typeof event.ret["status"] === "string" ? event.ret["status"] : JSON.stringify(event.ret)}`;
    case "completion":
      return `// engine: completionFn(${ptr(event.completionContext)}, ${ptr(event.netBufferList)}, dispatchLevel=${event.dispatchLevel ? "TRUE" : "FALSE"}) at ${event.irql}, NBL Status ${event.status}`;
    case "tcpipStack":
      return `// environment: TCP/IP stack ${event.ready ? "ready" : "NOT ready"}`;
    case "resources":
      return `// environment: resources ${event.exhausted ? "exhausted (allocations fail)" : "available again"}`;
    case "streamIndicated":
      return `// environment: classifyFn at ${event.layerId}: stream data ${event.streamData} on flow ${event.flowId}, ${event.netBufferListChain.length} NBL(s) (${event.netBufferListChain.join(" -> ")}), ${event.dataLength} bytes, ${flagsOf(event.streamFlags)}`;
    case "aleClassify":
      return `// environment: classifyFn at ${event.layerId} with completionHandle ${event.completionHandle}${event.reauthorization ? " (reauthorization)" : ""}${event.netBufferList === undefined ? "" : `, packet ${event.netBufferList}`}`;
    case "packetIndicated":
      return `// environment: packet ${event.netBufferList} indicated at ${event.layerId}${event.ipVersion === undefined ? "" : ` (IPv${event.ipVersion})`}${event.netBufferCount > 1 ? `, ${event.netBufferCount} NET_BUFFERs` : ""}`;
    case "engineIdle":
      return `// engine: idle (nothing more to deliver)`;
    case "driverUnload":
      return `// driver unload routine returns`;
  }
}

/** Renders a whole trace, one line per event, numbered from `first`. */
export function renderTrace(events: readonly TraceEvent[], first = 1): string {
  const width = String(events.length + first - 1).length;
  return events.map((event, index) => `${String(index + first).padStart(width)}  ${renderEvent(event)}`).join("\n");
}
