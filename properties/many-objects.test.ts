/**
 * Many objects at once, and slots reused: more handles, pools, NBLs, injection histories, stream
 * chains and pends than the engine's tables start with, then a second generation of objects in the
 * freed slots while the driver still holds the first generation's ids. Every call is checked against
 * the model (statuses, completions, destroy returns, verifier findings, leaks at unload) under every
 * delivery policy.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { DELIVERY_POLICIES } from "../spec/port.ts";
import { CheckedDriver } from "./checked-driver.ts";
import { DEFAULT_PORT_OPTIONS } from "./runner.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function scenario(driver: CheckedDriver, leakAtUnload: boolean): void {
  const id = (ret: Record<string, unknown> | undefined, key: string) => {
    const value = ret?.[key];
    expect(typeof value, `${key} in ${JSON.stringify(ret)}`).toBe("string");
    return value as string;
  };
  const createHandle = (addressFamily: string, type: string) => id(driver.call("FwpsInjectionHandleCreate0", { addressFamily, flags: [type] }), "injectionHandle");
  const allocatePool = () => id(driver.call("NdisAllocateNetBufferListPool", {}), "poolHandle");
  const allocate = (poolHandle: string | null) =>
    driver.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 })?.["netBufferList"] as string | undefined;
  let context = 0;
  const send = (injectionHandle: string, netBufferList: string) =>
    driver.call("FwpsInjectNetworkSendAsync0", { injectionHandle, injectionContext: `ictx${++context}`, flags: 0, completionFn: "completionFn", completionContext: `ctx${context}`, compartmentId: 0, netBufferList, ipVersion: 4 });
  const clone = (original: string) =>
    driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: original, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL")?.["netBufferList"] as string | undefined;
  const query = (injectionHandle: string, netBufferList: string) => driver.call("FwpsQueryPacketInjectionState0", { injectionHandle, netBufferList }, "DISPATCH_LEVEL");
  const destroy = (injectionHandle: string) => driver.call("FwpsInjectionHandleDestroy0", { injectionHandle });

  // First generation: more of everything than the tables start with (64 slots).
  const network = range(45).map(() => createHandle("AF_INET", "FWPS_INJECTION_TYPE_NETWORK"));
  const stream = range(25).map(() => createHandle("AF_INET", "FWPS_INJECTION_TYPE_STREAM"));
  const pools = range(70).map(() => allocatePool());
  const nbls = range(150).map((i) => allocate(pools[i % pools.length]!)!);
  nbls.forEach((nbl, i) => send(network[i % network.length]!, nbl));
  driver.deliver(60);
  const clones = nbls.slice(0, 100).map((nbl) => clone(nbl)!);
  const grandclones = clones.slice(0, 30).map((nbl) => clone(nbl)!);
  clones.forEach((nbl, i) => send(network[(i + 7) % network.length]!, nbl));
  for (const [i, nbl] of [...nbls, ...clones, ...grandclones].entries()) query(network[(i * 5) % network.length]!, nbl);
  // Destroys that block on pending injections, then everything delivered.
  for (const handle of network.slice(0, 20)) destroy(handle);
  driver.drain();
  for (const [i, nbl] of [...nbls, ...clones, ...grandclones].entries()) if (i % 3 === 0) query(network[20 + (i % 25)]!, nbl);

  // Streams: 70 indications, each chain cloned; half injected, half discarded.
  const chains: string[][] = [];
  for (const i of range(70)) {
    driver.environment({ kind: "streamIndicated", streamData: `sd${i}`, layerId: "FWPS_LAYER_STREAM_V4", flowId: `flow${i % 5}`, netBufferListChain: [`sd${i}.a`, `sd${i}.b`], dataLength: 300, streamFlags: ["FWPS_STREAM_FLAG_SEND"] });
    chains.push(driver.call("FwpsCloneStreamData0", { calloutStreamData: `sd${i}`, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL")?.["netBufferListChain"] as string[]);
  }
  chains.forEach((chain, i) => {
    if (i % 2 === 0) {
      driver.call("FwpsStreamInjectAsync0", {
        injectionHandle: stream[i % stream.length],
        injectionContext: `ictx${++context}`,
        flags: 0,
        flowId: `flow${i % 5}`,
        calloutId: 1,
        layerId: "FWPS_LAYER_STREAM_V4",
        streamFlags: ["FWPS_STREAM_FLAG_SEND"],
        netBufferList: chain,
        dataLength: 300,
        completionFn: "completionFn",
        completionContext: `ctx${context}`,
      });
    } else {
      driver.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: chain, allocateCloneFlags: 0, dispatchLevel: false });
    }
  });
  driver.drain();
  chains.forEach((chain, i) => {
    if (i % 2 === 0) for (const nbl of chain) driver.call("FwpsFreeCloneNetBufferList0", { netBufferList: nbl, freeCloneFlags: 0 });
  });

  // Pends: 70 classifies, each pended and completed.
  const pends = range(70).map((i) => {
    driver.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: `ch${i}`, reauthorization: false });
    return id(driver.call("FwpsPendOperation0", { completionHandle: `ch${i}` }), "completionContext");
  });
  pends.forEach((pend) => driver.call("FwpsCompleteOperation0", { completionContext: pend, netBufferList: null }));

  // Free the first generation (clones before their originals), part of the pools and handles.
  for (const nbl of grandclones) driver.call("FwpsFreeCloneNetBufferList0", { netBufferList: nbl, freeCloneFlags: 0 });
  for (const nbl of clones) driver.call("FwpsFreeCloneNetBufferList0", { netBufferList: nbl, freeCloneFlags: 0 });
  for (const nbl of nbls.slice(0, 120)) driver.call("FwpsFreeNetBufferList0", { netBufferList: nbl });
  for (const pool of pools.slice(0, 40)) driver.call("NdisFreeNetBufferListPool", { poolHandle: pool });
  for (const handle of network.slice(20, 35)) destroy(handle);

  // Second generation in the freed slots; the first generation's ids must still name dead objects.
  const network2 = range(30).map(() => createHandle("AF_INET", "FWPS_INJECTION_TYPE_NETWORK"));
  const pools2 = range(40).map(() => allocatePool());
  const nbls2 = range(140).map((i) => allocate(pools2[i % pools2.length]!)!);
  nbls2.forEach((nbl, i) => send(network2[i % network2.length]!, nbl));
  for (const i of range(10)) {
    send(network[i]!, nbls[140 + i]!);
    allocate(pools[i]!);
    driver.call("FwpsFreeNetBufferList0", { netBufferList: nbls[i]! });
    driver.call("FwpsFreeCloneNetBufferList0", { netBufferList: clones[i]!, freeCloneFlags: 0 });
    query(network2[i]!, nbls[i]!);
    destroy(network[i]!);
  }
  driver.drain();
  for (const [i, nbl] of nbls2.entries()) if (i % 4 === 0) query(network2[(i + 1) % network2.length]!, nbl);

  if (!leakAtUnload) {
    for (const nbl of [...nbls2, ...nbls.slice(120)]) driver.call("FwpsFreeNetBufferList0", { netBufferList: nbl });
    for (const pool of [...pools.slice(40), ...pools2]) driver.call("NdisFreeNetBufferListPool", { poolHandle: pool });
    for (const handle of [...network.slice(35), ...network2, ...stream]) destroy(handle);
    driver.drain();
  }
  driver.environment({ kind: "driverUnload" });
}

describe("many objects and reused slots conform to the model", () => {
  for (const policy of DELIVERY_POLICIES) {
    for (const leakAtUnload of [false, true]) {
      it(`${policy} delivery, ${leakAtUnload ? "objects leaked at unload" : "everything released"}`, () => {
        const driver = new CheckedDriver(createPort({ ...DEFAULT_PORT_OPTIONS, policy }));
        scenario(driver, leakAtUnload);
        expect(driver.trace.length).toBeGreaterThan(1500);
      });
    }
  }
});
