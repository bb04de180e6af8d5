/**
 * The explorer's alphabet: for one model state, every action a driver (or the environment, or the
 * engine's delivery) could take next within a small scope. Operands are enumerated, not sampled:
 * every live handle, every NBL the driver holds, every chain and pend. Arguments are a few
 * representatives per documented case: the correct use, plus one instance of each misuse or
 * corner case the catalogue has a rule for (a wrong IRQL, a misaligned context size, a NULL
 * completion function, a stale id, ...), so that a bounded exhaustive search reaches every rule.
 */
import type { ModelView } from "../model/index.ts";
import type { DriverCall } from "../spec/port.ts";
import type { Irql } from "../spec/vocabulary.ts";
import type { Action } from "./session.ts";

/** How large the explored world may grow. */
export interface ExploreScope {
  /** Injection handles that exist (open or closing) at once. */
  readonly maxHandles: number;
  /** Driver-held NBLs (allocated, clones, stream clones) that exist at once. */
  readonly maxNbls: number;
  /** NBLs in an indicated stream, hence in a FwpsCloneStreamData0 chain. */
  readonly chainLength: number;
  /** ALE classifies (each gives one completion handle, so one pend). */
  readonly maxClassifies: number;
  /** Packet indications (network-layer packets a driver may clone). */
  readonly maxPacketIndications: number;
  /** Stream indications. */
  readonly maxStreamIndications: number;
  /** Address families handles are created for. */
  readonly addressFamilies: readonly ("AF_INET" | "AF_INET6")[];
  /** Include one instance of each caller misuse (what a verifier must flag). */
  readonly misuse: boolean;
  /** Include environment changes (TCP/IP stack not ready, resources exhausted). */
  readonly environment: boolean;
}

/** The default scope: at most 2 handles, 3 NBLs, a chain of 2, one pend, both address families. */
export const DEFAULT_SCOPE: ExploreScope = {
  maxHandles: 2,
  maxNbls: 3,
  chainLength: 2,
  maxClassifies: 1,
  maxPacketIndications: 1,
  maxStreamIndications: 1,
  addressFamilies: ["AF_INET", "AF_INET6"],
  misuse: true,
  environment: true,
};

const thread = { kind: "thread" as const };
const completionFnSite = { kind: "completionFn" as const };
const NETWORK = "FWPS_INJECTION_TYPE_NETWORK";
const TRANSPORT = "FWPS_INJECTION_TYPE_TRANSPORT";
const STREAM = "FWPS_INJECTION_TYPE_STREAM";
const FORWARD = "FWPS_INJECTION_TYPE_FORWARD";

function call(fn: DriverCall["fn"], irql: Irql, args: Record<string, unknown>, from: DriverCall["from"] = thread): Action {
  return { kind: "call", call: { fn, irql, from, args } as DriverCall };
}

function fits(types: readonly string[], type: string): boolean {
  return types.length === 0 ? type !== NETWORK : types.includes(type);
}

/**
 * Every action enabled in `view` within `scope` (queries aside: see `queryProbes`). `position` (the 1-based step number) makes the ids
 * the harness invents (indicated packets, stream data, contexts) unique within a sequence.
 * `queued` says whether the engine queues completions (then delivering one is an action).
 */
export function enabledActions(view: ModelView, scope: ExploreScope, position: number, queued: boolean): Action[] {
  const actions: Action[] = [];
  const add = (action: Action | undefined) => {
    if (action !== undefined) actions.push(action);
  };
  const handles = view.handles.filter((handle) => handle.state !== "destroyed");
  const open = view.handles.filter((handle) => handle.state === "open");
  const destroyed = view.handles.filter((handle) => handle.state === "destroyed");
  // NBLs that exist, except the members of indicated stream data (the stream functions take those whole).
  const present = view.nbls.filter((nbl) => nbl.status !== "freed" && !(nbl.origin === "indicated" && nbl.id.startsWith("sd")));
  const owned = view.nbls.filter((nbl) => nbl.status === "owned");
  const driverHeld = present.filter((nbl) => nbl.origin !== "indicated");
  const inFlight = view.nbls.filter((nbl) => nbl.status === "inFlight");
  const freed = view.nbls.filter((nbl) => nbl.status === "freed");
  const livePool = view.pools.find((pool) => pool.live);
  const roomForNbl = driverHeld.length < scope.maxNbls;
  const misuse = scope.misuse;
  const ids = { ictx: `ictx${position}`, ctx: `ctx${position}` };
  const completion = (handle: string, completionFn = true) => ({ injectionHandle: handle, injectionContext: ids.ictx, flags: 0, completionFn: completionFn ? "completionFn" : null, completionContext: ids.ctx });

  // ---------------------------------------------------------------- environment
  if (scope.environment) {
    add({ kind: "environment", event: { kind: "tcpipStack", ready: !view.stackReady } });
    add({ kind: "environment", event: { kind: "resources", exhausted: !view.resourcesExhausted } });
  }
  if (queued && (inFlight.length > 0 || view.handles.some((handle) => handle.state === "closing"))) add({ kind: "deliver", max: 1 });

  // ---------------------------------------------------------------- handles
  if (handles.length < scope.maxHandles) {
    // A flags-0 AF_UNSPEC handle (every injection type but network; AF_UNSPEC is allowed for all
    // but network), a network handle of each family, and, as misuse, an AF_UNSPEC network handle.
    add(call("FwpsInjectionHandleCreate0", "PASSIVE_LEVEL", { addressFamily: "AF_UNSPEC", flags: [] }));
    for (const family of scope.addressFamilies) add(call("FwpsInjectionHandleCreate0", "PASSIVE_LEVEL", { addressFamily: family, flags: [NETWORK] }));
    if (misuse) add(call("FwpsInjectionHandleCreate0", "PASSIVE_LEVEL", { addressFamily: "AF_UNSPEC", flags: [NETWORK] }));
  }
  for (const handle of open) add(call("FwpsInjectionHandleDestroy0", "PASSIVE_LEVEL", { injectionHandle: handle.id }));
  if (misuse && open[0] !== undefined) {
    add(call("FwpsInjectionHandleDestroy0", "DISPATCH_LEVEL", { injectionHandle: open[0].id }, completionFnSite));
  }
  if (misuse && destroyed[0] !== undefined) add(call("FwpsInjectionHandleDestroy0", "PASSIVE_LEVEL", { injectionHandle: destroyed[0].id }));

  // ---------------------------------------------------------------- NBLs
  if (livePool === undefined && view.pools.length === 0) add(call("NdisAllocateNetBufferListPool", "PASSIVE_LEVEL", {}));
  if (roomForNbl && livePool !== undefined) {
    const allocate = (contextSize: number) =>
      call("FwpsAllocateNetBufferAndNetBufferList0", "PASSIVE_LEVEL", { poolHandle: livePool.id, contextSize, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 });
    add(allocate(0));
    if (misuse) add(allocate(8));
  }
  if (roomForNbl) {
    for (const original of present) {
      add(call("FwpsAllocateCloneNetBufferList0", "PASSIVE_LEVEL", { originalNetBufferList: original.id, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }));
    }
  }
  for (const nbl of owned.filter((candidate) => candidate.origin === "allocated")) add(call("FwpsFreeNetBufferList0", "PASSIVE_LEVEL", { netBufferList: nbl.id }));
  for (const nbl of owned.filter((candidate) => candidate.origin === "clone" || (candidate.origin === "streamClone" && candidate.completed))) {
    add(call("FwpsFreeCloneNetBufferList0", "PASSIVE_LEVEL", { netBufferList: nbl.id, freeCloneFlags: 0 }));
  }
  if (misuse) {
    // The wrong free function, a free while in flight, and a second free.
    const notAllocated = owned.find((candidate) => candidate.origin !== "allocated");
    if (notAllocated !== undefined) add(call("FwpsFreeNetBufferList0", "PASSIVE_LEVEL", { netBufferList: notAllocated.id }));
    if (inFlight[0] !== undefined) add(call(inFlight[0].origin === "allocated" ? "FwpsFreeNetBufferList0" : "FwpsFreeCloneNetBufferList0", "PASSIVE_LEVEL", inFlight[0].origin === "allocated" ? { netBufferList: inFlight[0].id } : { netBufferList: inFlight[0].id, freeCloneFlags: 0 }));
    if (freed[0] !== undefined) add(call(freed[0].origin === "allocated" ? "FwpsFreeNetBufferList0" : "FwpsFreeCloneNetBufferList0", "PASSIVE_LEVEL", freed[0].origin === "allocated" ? { netBufferList: freed[0].id } : { netBufferList: freed[0].id, freeCloneFlags: 0 }));
  }

  // ---------------------------------------------------------------- packets
  const packetIndications = view.nbls.filter((nbl) => nbl.origin === "indicated" && nbl.id.startsWith("pkt")).length;
  if (packetIndications < scope.maxPacketIndications) {
    // A packet of two NET_BUFFERs on the send path: legitimate there, and clones of it may be sent,
    // but injecting one on the receive path is fatal.
    add({ kind: "environment", event: { kind: "packetIndicated", layerId: "FWPS_LAYER_OUTBOUND_IPPACKET_V6", netBufferList: `pkt${position}`, ipVersion: 6, netBufferCount: 2 } });
  }
  const injectable = owned.filter((nbl) => nbl.origin === "allocated" || nbl.origin === "clone");
  const ipVersionOf = (addressFamily: string) => (addressFamily === "AF_INET6" ? 6 : 4);
  for (const handle of handles) {
    for (const nbl of injectable) {
      const family = handle.addressFamily === "AF_UNSPEC" ? "AF_INET" : handle.addressFamily;
      add(call("FwpsInjectNetworkSendAsync0", "DISPATCH_LEVEL", { ...completion(handle.id), compartmentId: 0, netBufferList: nbl.id, ipVersion: ipVersionOf(handle.addressFamily) }));
      add(call("FwpsInjectNetworkReceiveAsync0", "DISPATCH_LEVEL", { ...completion(handle.id), compartmentId: 0, interfaceIndex: 1, subInterfaceIndex: 0, netBufferList: nbl.id, ipVersion: ipVersionOf(handle.addressFamily) }));
      add(call("FwpsInjectTransportSendAsync0", "DISPATCH_LEVEL", { ...completion(handle.id), endpointHandle: 0, addressFamily: family, compartmentId: 0, netBufferList: nbl.id }));
      add(call("FwpsInjectTransportReceiveAsync0", "DISPATCH_LEVEL", { ...completion(handle.id), addressFamily: family, compartmentId: 0, interfaceIndex: 1, subInterfaceIndex: 0, netBufferList: nbl.id }));
      add(call("FwpsInjectForwardAsync0", "DISPATCH_LEVEL", { ...completion(handle.id), addressFamily: family, compartmentId: 0, interfaceIndex: 1, netBufferList: nbl.id }));
    }
  }
  if (misuse) {
    const network = handles.find((handle) => fits(handle.types, NETWORK));
    const transport = handles.find((handle) => fits(handle.types, TRANSPORT));
    const nbl = injectable[0];
    if (network !== undefined && nbl !== undefined) {
      // The IP version of the other family, and an inject above DISPATCH_LEVEL.
      add(call("FwpsInjectNetworkSendAsync0", "DISPATCH_LEVEL", { ...completion(network.id), compartmentId: 0, netBufferList: nbl.id, ipVersion: network.addressFamily === "AF_INET6" ? 4 : 6 }));
      add(call("FwpsInjectNetworkSendAsync0", "DIRQL", { ...completion(network.id), compartmentId: 0, netBufferList: nbl.id, ipVersion: ipVersionOf(network.addressFamily) }));
    }
    if (network !== undefined) {
      // An NBL of two NET_BUFFERs injected on the receive path, and an NBL that is in flight.
      const multi = owned.find((candidate) => candidate.netBufferCount > 1);
      if (multi !== undefined) add(call("FwpsInjectNetworkReceiveAsync0", "DISPATCH_LEVEL", { ...completion(network.id), compartmentId: 0, interfaceIndex: 1, subInterfaceIndex: 0, netBufferList: multi.id, ipVersion: ipVersionOf(network.addressFamily) }));
      if (inFlight[0] !== undefined) add(call("FwpsInjectNetworkSendAsync0", "DISPATCH_LEVEL", { ...completion(network.id), compartmentId: 0, netBufferList: inFlight[0].id, ipVersion: ipVersionOf(network.addressFamily) }));
    }
    if (transport !== undefined && nbl !== undefined) {
      // TCP from inside a transport-layer classifyFn, an address family that is not the handle's, and a NULL completionFn.
      const family = transport.addressFamily === "AF_UNSPEC" ? "AF_INET" : transport.addressFamily;
      add(call("FwpsInjectTransportSendAsync0", "DISPATCH_LEVEL", { ...completion(transport.id), endpointHandle: 0, addressFamily: family, compartmentId: 0, netBufferList: nbl.id, ipProtocol: "TCP" }, { kind: "classify", layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4" }));
      add(call("FwpsInjectTransportSendAsync0", "DISPATCH_LEVEL", { ...completion(transport.id), endpointHandle: 0, addressFamily: family === "AF_INET" ? "AF_INET6" : "AF_INET", compartmentId: 0, netBufferList: nbl.id }));
      add(call("FwpsInjectTransportSendAsync0", "DISPATCH_LEVEL", { ...completion(transport.id, false), endpointHandle: 0, addressFamily: family, compartmentId: 0, netBufferList: nbl.id }));
    }
    if (open[0] === undefined && destroyed[0] !== undefined && nbl !== undefined) {
      add(call("FwpsInjectTransportSendAsync0", "DISPATCH_LEVEL", { ...completion(destroyed[0].id), endpointHandle: 0, addressFamily: "AF_INET", compartmentId: 0, netBufferList: nbl.id }));
    }
  }

  // ---------------------------------------------------------------- streams
  if (view.streamData.length < scope.maxStreamIndications) {
    const stream = (abort: boolean): Action => ({
      kind: "environment",
      event: {
        kind: "streamIndicated",
        streamData: `sd${position}`,
        layerId: "FWPS_LAYER_STREAM_V4",
        flowId: "flow0",
        netBufferListChain: Array.from({ length: scope.chainLength }, (_, i) => `sd${position}.nbl${i + 1}`),
        dataLength: 100,
        streamFlags: abort ? ["FWPS_STREAM_FLAG_SEND_ABORT"] : ["FWPS_STREAM_FLAG_SEND"],
      },
    });
    add(stream(false));
    if (misuse) add(stream(true));
  }
  if (driverHeld.length + scope.chainLength <= scope.maxNbls) {
    for (const data of view.streamData) {
      add(call("FwpsCloneStreamData0", "PASSIVE_LEVEL", { calloutStreamData: data.id, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }));
    }
  }
  const usableChains = view.chains.filter((chain) => !chain.discarded && chain.members.every((id) => owned.some((nbl) => nbl.id === id && !nbl.completed)));
  const streamHandles = handles.filter((handle) => fits(handle.types, STREAM));
  const streamInject = (handle: string, netBufferList: readonly string[] | null, streamFlags: readonly string[], completionFn = true): Action =>
    call("FwpsStreamInjectAsync0", "DISPATCH_LEVEL", {
      ...completion(handle, completionFn),
      flowId: "flow0",
      calloutId: 1,
      layerId: "FWPS_LAYER_STREAM_V4",
      streamFlags: [...streamFlags],
      netBufferList: netBufferList === null ? null : [...netBufferList],
      dataLength: netBufferList === null ? 0 : 100,
    });
  for (const handle of streamHandles) {
    for (const chain of usableChains) add(streamInject(handle.id, chain.members, ["FWPS_STREAM_FLAG_SEND"]));
    if (view.streamData.length > 0) add(streamInject(handle.id, null, ["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_DISCONNECT"]));
  }
  const streamHandle = streamHandles[0];
  if (misuse && streamHandle !== undefined && view.streamData.length > 0) {
    // A NULL NBL without a disconnect flag, a disconnect flag without a direction, a NULL completionFn.
    add(streamInject(streamHandle.id, null, ["FWPS_STREAM_FLAG_SEND"]));
    const chain = usableChains[0];
    if (chain !== undefined) {
      add(streamInject(streamHandle.id, chain.members, ["FWPS_STREAM_FLAG_SEND_DISCONNECT"]));
      add(streamInject(streamHandle.id, chain.members, ["FWPS_STREAM_FLAG_SEND"], false));
    }
  }
  for (const chain of usableChains) {
    add(call("FwpsDiscardClonedStreamData0", "PASSIVE_LEVEL", { clonedNetBufferListChain: [...chain.members], allocateCloneFlags: 0, dispatchLevel: false }));
    if (misuse && chain.members.length > 1) add(call("FwpsDiscardClonedStreamData0", "PASSIVE_LEVEL", { clonedNetBufferListChain: chain.members.slice(0, 1), allocateCloneFlags: 0, dispatchLevel: false }));
  }

  // ---------------------------------------------------------------- pend / complete
  if (view.completionHandles.length < scope.maxClassifies) {
    add({ kind: "environment", event: { kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4", completionHandle: `ch${position}`, reauthorization: false, netBufferList: `accepted${position}` } });
    add({ kind: "environment", event: { kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: `ch${position}`, reauthorization: false } });
    add({ kind: "environment", event: { kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: `ch${position}`, reauthorization: true } });
  }
  for (const handle of view.completionHandles.filter((candidate) => !candidate.pended)) add(call("FwpsPendOperation0", "PASSIVE_LEVEL", { completionHandle: handle.id }));
  if (misuse && view.completionHandles.length > 0) add(call("FwpsPendOperation0", "PASSIVE_LEVEL", { completionHandle: null }));
  const clones = present.filter((nbl) => nbl.origin === "clone");
  for (const pend of view.pends.filter((candidate) => !candidate.completed)) {
    add(call("FwpsCompleteOperation0", "PASSIVE_LEVEL", { completionContext: pend.completionContext, netBufferList: null }));
    for (const clone of clones) add(call("FwpsCompleteOperation0", "PASSIVE_LEVEL", { completionContext: pend.completionContext, netBufferList: clone.id }));
  }
  const completed = view.pends.find((candidate) => candidate.completed);
  if (misuse && completed !== undefined) add(call("FwpsCompleteOperation0", "PASSIVE_LEVEL", { completionContext: completed.completionContext, netBufferList: null }));

  return actions;
}

/**
 * The injection-state queries of a state: every live handle with every NBL that exists. Queries
 * change nothing, so the explorer does not branch on them: it asks them all in every state it
 * reaches, revisits included. They are how it sees an implementation's hidden injection state,
 * which two paths to the same model state may have left different (a clone made after its original
 * was injected, or before).
 */
export function queryProbes(view: ModelView): Action[] {
  const handles = view.handles.filter((handle) => handle.state !== "destroyed");
  const present = view.nbls.filter((nbl) => nbl.status !== "freed" && !(nbl.origin === "indicated" && nbl.id.startsWith("sd")));
  const probes: Action[] = [];
  for (const handle of handles) {
    for (const nbl of present) probes.push(call("FwpsQueryPacketInjectionState0", "DISPATCH_LEVEL", { injectionHandle: handle.id, netBufferList: nbl.id }));
  }
  return probes;
}
