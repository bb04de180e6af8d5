/**
 * The delivery policies do what the port's options say (spec/port.ts, impl/README.md): `immediate`
 * delivers a completion inside the inject call's own step and never queues; `fifo` delivers queued
 * completions oldest first, `lifo` newest first, `batch` oldest first and at most `batchSize` per
 * `deliver`; `random` delivers every queued completion once, in an order fixed by the seed;
 * `deliver(max)` delivers at most `max`; `pendingWork()` counts what is queued. The WFP contract
 * allows any of these orders, so the model cannot tell them apart: these are properties of the port
 * options. Every step is still checked against the model.
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import type { CompletionEvent } from "../spec/events.ts";
import type { DeliveryPolicy } from "../spec/port.ts";
import { CheckedDriver } from "./checked-driver.ts";
import { DEFAULT_PORT_OPTIONS } from "./runner.ts";

const COUNT = 7;

/** Injects COUNT NBLs (completion contexts ctx1..ctxN); the completions each inject step produced. */
function setUp(policy: DeliveryPolicy, seed = 1, completionIrql: "DISPATCH_LEVEL" | "PASSIVE_LEVEL" = "DISPATCH_LEVEL") {
  const driver = new CheckedDriver(createPort({ ...DEFAULT_PORT_OPTIONS, policy, seed, completionIrql }));
  const handle = driver.call("FwpsInjectionHandleCreate0", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] })?.["injectionHandle"];
  const pool = driver.call("NdisAllocateNetBufferListPool", {})?.["poolHandle"];
  const inStep: number[] = [];
  for (let i = 1; i <= COUNT; i++) {
    const nbl = driver.call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: pool, contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 })?.["netBufferList"];
    const before = driver.trace.length;
    const ret = driver.call("FwpsInjectNetworkSendAsync0", { injectionHandle: handle, injectionContext: `ictx${i}`, flags: 0, completionFn: "completionFn", completionContext: `ctx${i}`, compartmentId: 0, netBufferList: nbl, ipVersion: 4 });
    expect(ret?.["status"]).toBe("STATUS_SUCCESS");
    inStep.push(driver.trace.slice(before + 1).filter((event) => event.kind === "completion").length);
  }
  return { driver, inStep };
}

/** Delivers with `max` until nothing is queued; the completion contexts per deliver call. */
function deliverAll(driver: CheckedDriver, max: number): string[][] {
  const rounds: string[][] = [];
  for (let guard = 0; (driver.port.pendingWork() as number) > 0 && guard < 100; guard++) {
    const before = driver.trace.length;
    driver.deliver(max);
    rounds.push(driver.trace.slice(before).filter((event): event is CompletionEvent => event.kind === "completion").map((event) => String(event.completionContext)));
  }
  return rounds;
}

const contexts = Array.from({ length: COUNT }, (_, i) => `ctx${i + 1}`);

describe("delivery policies", () => {
  it("immediate: each completion inside its inject call's step, nothing ever queued", () => {
    for (const completionIrql of ["DISPATCH_LEVEL", "PASSIVE_LEVEL"] as const) {
      const { driver, inStep } = setUp("immediate", 1, completionIrql);
      expect(inStep).toEqual(contexts.map(() => 1));
      expect(driver.port.pendingWork()).toBe(0);
      const completion = driver.trace.find((event): event is CompletionEvent => event.kind === "completion");
      expect([completion?.irql, completion?.dispatchLevel]).toEqual([completionIrql, completionIrql === "DISPATCH_LEVEL"]);
    }
  });

  for (const policy of ["fifo", "lifo", "batch", "random"] as const) {
    it(`${policy}: completions wait for deliver, and pendingWork counts them`, () => {
      const { driver, inStep } = setUp(policy);
      expect(inStep).toEqual(contexts.map(() => 0));
      expect(driver.port.pendingWork()).toBe(COUNT);
      driver.deliver(0);
      expect(driver.port.pendingWork()).toBe(COUNT);
      driver.deliver(1);
      expect(driver.port.pendingWork()).toBe(COUNT - 1);
    });
  }

  it("fifo: oldest first, at most max per deliver", () => {
    const { driver } = setUp("fifo");
    expect(deliverAll(driver, 3)).toEqual([contexts.slice(0, 3), contexts.slice(3, 6), contexts.slice(6)]);
  });

  it("lifo: newest first, at most max per deliver", () => {
    const { driver } = setUp("lifo");
    const reversed = [...contexts].reverse();
    expect(deliverAll(driver, 3)).toEqual([reversed.slice(0, 3), reversed.slice(3, 6), reversed.slice(6)]);
  });

  it("batch: oldest first, at most batchSize per deliver whatever max is", () => {
    const { driver } = setUp("batch");
    expect(deliverAll(driver, 100)).toEqual([contexts.slice(0, 2), contexts.slice(2, 4), contexts.slice(4, 6), contexts.slice(6)]);
  });

  it("random: every completion once, at most max per deliver, the same order for the same seed and another for another seed", () => {
    const orders = [1, 1, 2, 3].map((seed) => {
      const rounds = deliverAll(setUp("random", seed).driver, 2);
      expect(rounds.map((round) => round.length)).toEqual([2, 2, 2, 1]);
      return rounds.flat();
    });
    for (const order of orders) expect([...order].sort()).toEqual([...contexts].sort());
    expect(orders[1]).toEqual(orders[0]);
    expect(new Set(orders.map((order) => order.join())).size).toBeGreaterThan(1);
    expect(orders.some((order) => order.join() !== contexts.join() && order.join() !== [...contexts].reverse().join())).toBe(true);
  });
});
