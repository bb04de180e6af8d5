/**
 * Ids the driver never got: the port names objects by strings, and a string that merely looks like
 * an id the engine gave out ("h01" next to "h1", "nbl1 " next to "nbl1", a generation the slot never
 * had, a number past 2^53) names nothing. Each call is checked against the model like a generated
 * run's (the status the model allows, no engine violation, the verifier's findings equal to the
 * model's caller violations), and the objects the near-misses resemble must be untouched: a
 * well-behaved teardown and unload afterwards conform too.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { CheckedDriver as Checked } from "./checked-driver.ts";
import { DEFAULT_PORT_OPTIONS } from "./runner.ts";

/** Strings that resemble `id` (prefix + decimal ref) without being it. */
function nearMisses(prefix: string, ref: number): string[] {
  const digits = String(ref);
  return [
    `${prefix}0${digits}`,
    `${prefix}${digits} `,
    ` ${prefix}${digits}`,
    `${prefix}+${digits}`,
    `${prefix}${digits}.0`,
    `${prefix}${digits}e0`,
    `${prefix}0x${ref.toString(16)}`,
    `${prefix.toUpperCase()}${digits}`,
    `x${prefix}${digits}`,
    `${prefix}${digits}x`,
    `${digits}${prefix}`,
    `${digits}`,
    prefix,
    `${prefix}0`,
    `${prefix}-${digits}`,
    `${prefix}${ref + 2 ** 24}`,
    `${prefix}${ref + 2 ** 24 * 5}`,
    `${prefix}${"9".repeat(16)}`,
    `${prefix}${"1".repeat(17)}`,
    `${prefix}${"1".repeat(16)}`,
    `${prefix}${digits}${"0".repeat(20)}`,
  ];
}

describe("ids that only resemble the engine's name nothing", () => {
  for (const policy of ["immediate", "fifo"] as const) {
    it(`handles, pools, NBLs and pend contexts (${policy} delivery)`, () => {
      const driver = new Checked(createPort({ ...DEFAULT_PORT_OPTIONS, policy }));
      const handle = String(driver.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] })?.["injectionHandle"]);
      const pool = String(driver.call("NdisAllocateNetBufferListPool", {})?.["poolHandle"]);
      const allocate = (poolHandle: unknown) =>
        driver.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 })?.["netBufferList"];
      const nbl = String(allocate(pool));
      const send = (injectionHandle: unknown, netBufferList: unknown) =>
        driver.call("FwpsInjectNetworkSendAsync0", { injectionHandle, injectionContext: null, flags: 0, completionFn: "completionFn", completionContext: "ctx", compartmentId: 0, netBufferList, ipVersion: 4 });
      driver.environment({ kind: "aleClassify", layerId: "FWPS_LAYER_ALE_AUTH_CONNECT_V4", completionHandle: "ch1", reauthorization: false });
      const pend = String(driver.call("FwpsPendOperation0", { completionHandle: "ch1" })?.["completionContext"]);
      expect([handle, pool, nbl, pend].map((id) => /^[a-z]+[0-9]+$/.test(id))).toEqual([true, true, true, true]);

      for (const fake of nearMisses("h", Number(handle.slice(1)))) {
        send(fake, nbl);
        driver.call("FwpsQueryPacketInjectionState0", { injectionHandle: fake, netBufferList: nbl });
      }
      for (const fake of nearMisses("pool", Number(pool.slice(4)))) allocate(fake);
      for (const fake of nearMisses("nbl", Number(nbl.slice(3)))) {
        send(handle, fake);
        driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: fake, netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 });
      }
      for (const fake of nearMisses("pc", Number(pend.slice(2)))) driver.call("FwpsCompleteOperation0", { completionContext: fake, netBufferList: null });
      for (const fake of nearMisses("h", Number(handle.slice(1)))) driver.call("FwpsInjectionHandleDestroy0", { injectionHandle: fake });

      // The real objects still work, and a clean teardown conforms.
      send(handle, nbl);
      driver.drain();
      driver.call("FwpsCompleteOperation0", { completionContext: pend, netBufferList: null });
      driver.call("FwpsFreeNetBufferList0", { netBufferList: nbl });
      driver.call("NdisFreeNetBufferListPool", { poolHandle: pool });
      driver.call("FwpsInjectionHandleDestroy0", { injectionHandle: handle });
      driver.drain();
      driver.environment({ kind: "driverUnload" });
    });
  }
});
