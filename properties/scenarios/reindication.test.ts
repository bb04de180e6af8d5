/**
 * A packet the stack indicates again after the driver freed it (a misuse: indicated NBLs belong to
 * the stack) is a fresh packet: the model gives it a new record, so the engine must forget what the
 * driver did with the freed one (its injections, through which handles, with which contexts), and
 * nothing of the other packets' records (their history nodes, their owed and last contexts). And a
 * NULL chain handed to FwpsDiscardClonedStreamData0 is judged as the model judges it.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../../impl/port-adapter.ts";
import { DELIVERY_POLICIES, type DeliveryPolicy } from "../../spec/port.ts";
import { CheckedDriver } from "../checked-driver.ts";
import { DEFAULT_PORT_OPTIONS } from "../runner.ts";

/** A checked built-in port with two transport handles (AF_INET, AF_INET6) and the calls of these scenarios. */
function twoHandles(policy: DeliveryPolicy) {
  const driver = new CheckedDriver(createPort({ ...DEFAULT_PORT_OPTIONS, policy }));
  const handle = (family: string) => driver.call("FwpsInjectionHandleCreate0", { addressFamily: family, flags: ["FWPS_INJECTION_TYPE_TRANSPORT"] })?.["injectionHandle"] as string;
  const inject = (injectionHandle: string, netBufferList: string, context: string) =>
    driver.call(
      "FwpsInjectTransportReceiveAsync0",
      { injectionHandle, injectionContext: context, flags: 0, reserved: null, addressFamily: "AF_INET", compartmentId: 0, interfaceIndex: 1, subInterfaceIndex: 0, netBufferList, completionFn: "completionFn", completionContext: `c-${context}` },
      "DISPATCH_LEVEL",
    );
  const query = (injectionHandle: string, netBufferList: string) => driver.call("FwpsQueryPacketInjectionState0", { injectionHandle, netBufferList }, "DISPATCH_LEVEL");
  const indicate = (netBufferList: string) => driver.environment({ kind: "packetIndicated", layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4", netBufferList, netBufferCount: 1 });
  return { driver, first: handle("AF_INET"), second: handle("AF_INET6"), inject, query, indicate };
}

describe("an indicated packet freed by the driver and indicated again", () => {
  for (const policy of DELIVERY_POLICIES) {
    it(`has no injection record of its earlier life (${policy} delivery)`, () => {
      const { driver, first, second, inject, query, indicate } = twoHandles(policy);
      indicate("pkt");
      inject(first, "pkt", "i1");
      driver.drain();
      inject(second, "pkt", "i2");
      driver.drain();
      driver.call("FwpsFreeNetBufferList0", { netBufferList: "pkt" });
      indicate("pkt");
      expect(query(first, "pkt")?.["injectionState"]).toBe("FWPS_PACKET_NOT_INJECTED");
      expect(query(second, "pkt")?.["injectionState"]).toBe("FWPS_PACKET_NOT_INJECTED");
      // A clone of the fresh packet was injected by no one: its ancestor's old history is gone too.
      const clone = driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "pkt", netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL")?.["netBufferList"] as string;
      expect(query(first, clone)?.["injectionState"]).toBe("FWPS_PACKET_NOT_INJECTED");
      inject(second, clone, "i-clone");
      driver.drain();
      // Injected through the second handle only: the first handle's injection of the packet's earlier life is gone.
      expect(query(first, clone)?.["injectionState"]).toBe("FWPS_PACKET_INJECTED_BY_OTHER");
      driver.call("FwpsFreeCloneNetBufferList0", { netBufferList: clone, freeCloneFlags: 0 }, "DISPATCH_LEVEL");
      inject(second, "pkt", "i3");
      driver.drain();
      expect(query(second, "pkt")?.["injectionState"]).toBe("FWPS_PACKET_INJECTED_BY_SELF");
      expect(query(first, "pkt")?.["injectionState"]).toBe("FWPS_PACKET_INJECTED_BY_OTHER");
      for (const h of [first, second]) driver.call("FwpsInjectionHandleDestroy0", { injectionHandle: h });
      driver.drain();
      driver.environment({ kind: "driverUnload" });
    });
  }
});

describe("forgetting the record of a packet indicated again", () => {
  for (const policy of DELIVERY_POLICIES) {
    it(`leaves the records of the other packets alone (${policy} delivery)`, () => {
      const { driver, first, second, inject, query, indicate } = twoHandles(policy);
      // Two packets side by side, each injected through both handles (the engine keeps the last
      // handle apart and the earlier ones in a history list); the first packet's last injection is
      // still in flight when the second packet is freed and indicated again.
      indicate("pkt0");
      indicate("pkt");
      inject(second, "pkt0", "i0b");
      driver.drain();
      inject(first, "pkt0", "i0a");
      driver.drain();
      inject(second, "pkt", "i2");
      driver.drain();
      inject(first, "pkt", "i1");
      driver.drain();
      inject(first, "pkt0", "i0");
      driver.call("FwpsFreeNetBufferList0", { netBufferList: "pkt" });
      indicate("pkt");
      driver.drain();
      // New injections take history records again (freed ones first).
      inject(first, "pkt", "i3");
      driver.drain();
      inject(second, "pkt", "i4");
      driver.drain();
      const clone = driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "pkt", netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL")?.["netBufferList"] as string;
      inject(second, clone, "i-clone");
      driver.drain();
      // The first packet's record is as it was (the checked driver compares every answer with the model's).
      const self = query(first, "pkt0");
      expect(self?.["injectionState"]).toBe("FWPS_PACKET_INJECTED_BY_SELF");
      expect(self?.["injectionContext"]).toBe("i0");
      query(second, "pkt0");
      query(first, clone);
      query(second, clone);
      // A clone injected through one handle and queried through the other reads its original's history.
      const clone0 = driver.call("FwpsAllocateCloneNetBufferList0", { originalNetBufferList: "pkt0", netBufferListPoolHandle: null, netBufferPoolHandle: null, allocateCloneFlags: 0 }, "DISPATCH_LEVEL")?.["netBufferList"] as string;
      inject(first, clone0, "ic0");
      driver.drain();
      const previously = query(second, clone0);
      expect(previously?.["injectionState"]).toBe("FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF");
      expect(previously?.["injectionContext"]).toBe("i0b");
      driver.call("FwpsFreeCloneNetBufferList0", { netBufferList: clone0, freeCloneFlags: 0 }, "DISPATCH_LEVEL");
      driver.call("FwpsFreeCloneNetBufferList0", { netBufferList: clone, freeCloneFlags: 0 }, "DISPATCH_LEVEL");
      for (const h of [first, second]) driver.call("FwpsInjectionHandleDestroy0", { injectionHandle: h });
      driver.drain();
      driver.environment({ kind: "driverUnload" });
    });
  }
});

describe("FwpsDiscardClonedStreamData0 with a NULL chain", () => {
  it("is judged as the model judges it", () => {
    const driver = new CheckedDriver(createPort(DEFAULT_PORT_OPTIONS));
    driver.call("FwpsDiscardClonedStreamData0", { clonedNetBufferListChain: null, allocateCloneFlags: 0, dispatchLevel: true }, "DISPATCH_LEVEL");
    driver.environment({ kind: "driverUnload" });
  });
});
