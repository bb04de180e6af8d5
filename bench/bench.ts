/**
 * `npm run bench [-- --json]`: throughput of impl/ and of the model on the same workload, impl/'s cost
 * per operation as the number of live objects grows, and how many generated operations per second the
 * conformance properties check end to end. Numbers are measured on this machine when run; nothing
 * here is a timed test.
 */
import { runMixedWorkload } from "../impl/bench-workload.ts";
import { createPort } from "../impl/port-adapter.ts";
import { initialState, step } from "../model/index.ts";
import { runConformance } from "../properties/runner.ts";
import type { TraceEvent } from "../spec/events.ts";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeConformingTrace } from "./trace-gen.ts";

const json = process.argv.includes("--json");
const log = (text: string) => {
  if (!json) console.log(text);
};

/** The impl/ workload (allocate, inject, completion, query, free) written as trace events, NBL ids reused like pointers. */
function workloadTrace(cycles: number, live: number): { setup: TraceEvent[]; loop: TraceEvent[] } {
  const call = (fn: string, args: Record<string, unknown>, ret: Record<string, unknown>): TraceEvent => ({ kind: "call", fn, irql: "DISPATCH_LEVEL", from: { kind: "thread" }, args, ret }) as TraceEvent;
  const allocate = (id: string) => call("FwpsAllocateNetBufferAndNetBufferList0", { poolHandle: "pool1", contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 }, { status: "STATUS_SUCCESS", netBufferList: id });
  const inject = (id: string) => call("FwpsInjectTransportSendAsync0", { injectionHandle: "h1", injectionContext: "ctx", flags: 0, completionFn: "completionFn", completionContext: "ctx", endpointHandle: 0, addressFamily: "AF_INET", compartmentId: 0, netBufferList: id }, { status: "STATUS_SUCCESS" });
  const setup: TraceEvent[] = [
    { kind: "call", fn: "FwpsInjectionHandleCreate0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_TRANSPORT", "FWPS_INJECTION_TYPE_NETWORK"] }, ret: { status: "STATUS_SUCCESS", injectionHandle: "h1" } },
    { kind: "call", fn: "NdisAllocateNetBufferListPool", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: {}, ret: { status: "STATUS_SUCCESS", poolHandle: "pool1" } },
  ];
  const idle: string[] = [];
  const inFlight: string[] = [];
  const free: string[] = [];
  for (let i = 0; i < live; i++) {
    setup.push(allocate(`n${i}`));
    idle.push(`n${i}`);
  }
  for (let i = 0; i < live >> 1; i++) {
    const id = idle.shift()!;
    setup.push(inject(id));
    inFlight.push(id);
  }
  let next = live;
  const loop: TraceEvent[] = [];
  for (let i = 0; i < cycles; i++) {
    const fresh = free.shift() ?? `n${next++}`;
    loop.push(allocate(fresh));
    idle.push(fresh);
    const injected = idle.shift()!;
    loop.push(inject(injected));
    inFlight.push(injected);
    const done = inFlight.shift()!;
    loop.push({ kind: "completion", completionContext: "ctx", netBufferList: done, dispatchLevel: true, irql: "DISPATCH_LEVEL", status: "STATUS_SUCCESS" });
    loop.push(call("FwpsQueryPacketInjectionState0", { injectionHandle: "h1", netBufferList: done }, { injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: "ctx" }));
    loop.push(call("FwpsFreeNetBufferList0", { netBufferList: done }, {}));
    free.push(done);
  }
  return { setup, loop };
}

function modelOpsPerSec(cycles: number, live: number): number {
  const { setup, loop } = workloadTrace(cycles, live);
  let state = initialState();
  setup.forEach((event, index) => (state = step(state, event, index).state));
  let violations = 0;
  const start = process.hrtime.bigint();
  loop.forEach((event, index) => {
    const result = step(state, event, index);
    violations += result.violations.length;
    state = result.state;
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (violations !== 0) throw new Error(`the benchmark workload broke ${violations} rules: it must be a conforming run`);
  return loop.length / seconds;
}

function implOpsPerSec(operations: number, live: number): number {
  runMixedWorkload(Math.min(operations, 200_000), live); // warm-up
  const best = Math.min(...[0, 1, 2].map(() => runMixedWorkload(operations, live).elapsedNs));
  return operations / (best / 1e9);
}

async function conformanceOpsPerSec(): Promise<number> {
  const counters = { operations: 0 };
  const start = process.hrtime.bigint();
  await runConformance({ factory: createPort, port: { policy: "fifo" }, seed: 1, numRuns: 300, maxCommands: 80, counters });
  return counters.operations / (Number(process.hrtime.bigint() - start) / 1e9);
}

const LIVE = 1000;
const implOps = implOpsPerSec(100_000, LIVE);
log(`impl/ on 100,000 operations with ${LIVE} live NBLs: ${Math.round(implOps).toLocaleString("en-US")} ops/s`);
const modelOps = modelOpsPerSec(2_000, LIVE);
log(`model on the same workload (10,000 events, ${LIVE} live NBLs): ${Math.round(modelOps).toLocaleString("en-US")} ops/s`);
const ratio = implOps / modelOps;
log(`ratio impl/model: ${ratio.toFixed(0)}x (target >= 30x)`);
const nsPerOpAtLive: Record<string, number> = {};
for (const live of [1000, 100_000, 1_000_000]) {
  const operations = 2_000_000;
  runMixedWorkload(200_000, live);
  const best = Math.min(...[0, 1, 2].map(() => runMixedWorkload(operations, live).elapsedNs));
  nsPerOpAtLive[String(live)] = best / operations;
  log(`impl/ cost per operation with ${live.toLocaleString("en-US")} live NBLs: ${(best / operations).toFixed(1)} ns`);
}
const flat = nsPerOpAtLive["1000000"]! / nsPerOpAtLive["1000"]!;
log(`cost at 1,000,000 live / cost at 1,000 live: ${flat.toFixed(2)} (target <= 1.5)`);
const implBig = implOpsPerSec(2_000_000, LIVE);
log(`impl/ throughput, 2,000,000 operations: ${Math.round(implBig).toLocaleString("en-US")} ops/s (target >= 2,000,000)`);
const conformance = await conformanceOpsPerSec();
log(`conformance properties end to end (model + impl/ + comparison, fifo, 300 runs): ${Math.round(conformance).toLocaleString("en-US")} generated operations/s`);

// `wfp-conform check` on generated conforming traces (streamed; checked by the model), each in a
// fresh process so that its peak memory is its own. The first two have up to 16 live NBLs; the
// third keeps up to 1,000 live NBLs, to show what a step costs with many live objects (the model's
// tables are persistent maps: O(log n) per update, not a copy).
interface CheckFigures {
  events: number;
  seconds: number;
  eventsPerSec: number;
  cpuSeconds: number;
  maxRssMiB: number;
  heapAfterGcMiB: number;
}
const checkTrace: Record<string, CheckFigures> = {};
let checkTraceManyLive: (CheckFigures & { live: number }) | undefined;
const dir = mkdtempSync(join(tmpdir(), "wfp-bench-"));
function checkOnce(file: string, events: number): CheckFigures {
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", join(import.meta.dirname, "check-child.ts"), file], { encoding: "utf8", maxBuffer: 1 << 24 });
  const result = JSON.parse(out.trim().split("\n").at(-1)!) as { code: number; events: number; seconds: number; cpuSeconds: number; maxRssMiB: number; heapAfterGcMiB: number };
  if (result.code !== 0) throw new Error(`the generated trace of ${events} events did not conform (exit ${result.code})`);
  return { events: result.events, seconds: result.seconds, eventsPerSec: result.events / result.seconds, cpuSeconds: result.cpuSeconds, maxRssMiB: result.maxRssMiB, heapAfterGcMiB: result.heapAfterGcMiB };
}
const describeCheck = (figures: CheckFigures) =>
  `${figures.seconds.toFixed(1)} s (${Math.round(figures.eventsPerSec).toLocaleString("en-US")} events/s; CPU ${figures.cpuSeconds.toFixed(1)} s), peak RSS ${figures.maxRssMiB.toFixed(0)} MiB, live heap after the check ${figures.heapAfterGcMiB.toFixed(1)} MiB`;
try {
  for (const events of [100_000, 1_000_000]) {
    const file = join(dir, `trace-${events}.jsonl`);
    await writeConformingTrace(file, events);
    checkTrace[String(events)] = checkOnce(file, events);
    rmSync(file);
    log(`wfp-conform check, ${events.toLocaleString("en-US")} events: ${describeCheck(checkTrace[String(events)]!)}`);
  }
  const million = checkTrace["1000000"]!;
  const hundredThousand = checkTrace["100000"]!;
  log(`check target: 1,000,000 events in under 10 s (${million.seconds.toFixed(1)} s); peak RSS 1,000,000 / 100,000 events: ${(million.maxRssMiB / hundredThousand.maxRssMiB).toFixed(2)}`);
  const live = 1_000;
  const file = join(dir, "trace-many-live.jsonl");
  await writeConformingTrace(file, 1_000_000, live);
  checkTraceManyLive = { ...checkOnce(file, 1_000_000), live };
  log(`wfp-conform check, ${checkTraceManyLive.events.toLocaleString("en-US")} events with up to ${live.toLocaleString("en-US")} live NBLs: ${describeCheck(checkTraceManyLive)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify({ implOpsPerSec: implOps, modelOpsPerSec: modelOps, ratio, nsPerOpAtLive, costRatio1MTo1K: flat, implOpsPerSec2M: implBig, conformanceOpsPerSec: conformance, checkTrace, checkTraceManyLive }));
