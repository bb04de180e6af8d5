/**
 * Conformance scenarios the generated runs rarely reach: many completions queued at once (more than
 * any completion queue's initial capacity, so the queues grow, and with the ring's head moved first,
 * so it grows while wrapped), under every delivery policy and both completion IRQLs. Each scenario is
 * a fixed sequence of the generated runs' own operations, checked event by event against the model
 * by a ConformanceSession, ending with a drain, a teardown and an unload (every owed completion
 * delivered exactly once, every destroy returned, nothing leaked).
 */
import { describe, expect, it } from "vitest";
import { createPort } from "../impl/port-adapter.ts";
import { DELIVERY_POLICIES, type DeliveryPolicy } from "../spec/port.ts";
import type { Operation } from "./operations.ts";
import { DEFAULT_PORT_OPTIONS } from "./runner.ts";
import { ConformanceSession } from "./session.ts";

const live = { index: 0, live: true } as const;
const createHandle: Operation = { op: "createHandle", addressFamily: "AF_INET", types: ["FWPS_INJECTION_TYPE_NETWORK"], irql: "PASSIVE_LEVEL" };
const allocateNbl: Operation = { op: "allocateNbl", pool: live, contextSize: 0, contextBackFill: 0, mdlBytes: null, dataOffset: 0, dataLength: 0, irql: "PASSIVE_LEVEL" };
/** Injects the first caller-owned NBL (the one just allocated: the others are in flight). */
const inject: Operation = {
  op: "inject",
  kind: "networkSend",
  handle: live,
  nbl: live,
  addressFamily: "AF_INET",
  ipVersion: 4,
  flags: 0,
  nullCompletionFn: false,
  tcpFromClassify: false,
  irql: "PASSIVE_LEVEL",
};

function injections(count: number): Operation[] {
  return Array.from({ length: count }, () => [allocateNbl, inject]).flat();
}

async function run(policy: DeliveryPolicy, completionIrql: "DISPATCH_LEVEL" | "PASSIVE_LEVEL", operations: readonly Operation[]): Promise<ConformanceSession> {
  const port = createPort({ ...DEFAULT_PORT_OPTIONS, policy, completionIrql });
  const session = new ConformanceSession(port, { platform: DEFAULT_PORT_OPTIONS.platform });
  for (const operation of operations) await session.apply(operation);
  await session.finish(true);
  return session;
}

const completions = (session: ConformanceSession) => session.trace.filter((event) => event.kind === "completion").length;

describe("deep completion queues conform to the model", () => {
  // The random policy's bag starts with room for 1,024 entries; the rings of the others start small.
  it("random: 1,100 injections in flight at once, then drained", async () => {
    const session = await run("random", "DISPATCH_LEVEL", [createHandle, { op: "allocatePool" }, ...injections(1100)]);
    expect(completions(session)).toBe(1100);
  });
  for (const policy of DELIVERY_POLICIES) {
    for (const completionIrql of ["DISPATCH_LEVEL", "PASSIVE_LEVEL"] as const) {
      it(`${policy} at ${completionIrql}: the queue grows while its head has moved (deliveries between injections)`, async () => {
        const operations: Operation[] = [createHandle, { op: "allocatePool" }];
        for (let round = 0; round < 12; round++) operations.push(...injections(7 + round * 3), { op: "deliver", max: 5 + round });
        const session = await run(policy, completionIrql, operations);
        expect(completions(session)).toBe(operations.filter((operation) => operation.op === "inject").length);
      });
    }
  }
});
