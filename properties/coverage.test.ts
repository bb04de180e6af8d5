/**
 * The dimension coverage: what `DimensionCoverage.record` counts on a hand-written trace, and that a
 * default `wfp-conform run` of the built-in simulator reaches every goal of every dimension and
 * shows them in report.json and report.md.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { ReportSchema } from "../reports/report.ts";
import { parseTraceEvent } from "../spec/trace.ts";
import type { TraceEvent } from "../spec/events.ts";
import { DimensionCoverage } from "./coverage.ts";

const S = "STATUS_SUCCESS";
const thread = { kind: "thread" };
const call = (fn: string, irql: string, args: Record<string, unknown>, ret: Record<string, unknown>) => ({ kind: "call", fn, irql, from: thread, args, ret });
const transportSend = (nbl: string, context: string | null) =>
  call("FwpsInjectTransportSendAsync0", "APC_LEVEL", { injectionHandle: "h1", netBufferList: nbl, addressFamily: "AF_INET", completionContext: context, completionFn: "completionFn" }, { status: S });
const completion = (nbl: string, context: string | null) => ({ kind: "completion", completionContext: context, netBufferList: nbl, dispatchLevel: true, irql: "DISPATCH_LEVEL", status: S });

function trace(lines: readonly object[]): TraceEvent[] {
  return lines.map((line, index) => {
    const parsed = parseTraceEvent(line, "test", index + 1);
    if (!parsed.ok) throw new Error(`line ${index + 1}: ${parsed.error.field}: ${parsed.error.message}`);
    return parsed.event;
  });
}

describe("DimensionCoverage.record", () => {
  const coverage = new DimensionCoverage();
  coverage.record(
    trace([
      call("FwpsInjectionHandleCreate0", "PASSIVE_LEVEL", { addressFamily: "AF_UNSPEC", flags: [] }, { status: S, injectionHandle: "h1" }),
      call("NdisAllocateNetBufferListPool", "PASSIVE_LEVEL", {}, { status: S, poolHandle: "pool1" }),
      ...["a", "b", "c"].map((nbl) => call("FwpsAllocateNetBufferAndNetBufferList0", "DISPATCH_LEVEL", { poolHandle: "pool1", contextSize: 0, contextBackFill: 0, mdlChain: null, dataOffset: 0, dataLength: 0 }, { status: S, netBufferList: nbl })),
      transportSend("a", "shared"),
      transportSend("b", "shared"),
      transportSend("c", null),
      call("FwpsQueryPacketInjectionState0", "DISPATCH_LEVEL", { injectionHandle: "h1", netBufferList: "a" }, { injectionState: "FWPS_PACKET_INJECTED_BY_SELF", injectionContext: null }),
      completion("a", "shared"),
      completion("b", "shared"),
      completion("c", null),
      call("FwpsAllocateCloneNetBufferList0", "PASSIVE_LEVEL", { originalNetBufferList: "a", allocateCloneFlags: 0 }, { status: S, netBufferList: "a1" }),
      call("FwpsAllocateCloneNetBufferList0", "PASSIVE_LEVEL", { originalNetBufferList: "a1", allocateCloneFlags: 0 }, { status: S, netBufferList: "a2" }),
      call("FwpsQueryPacketInjectionState0", "DISPATCH_LEVEL", { injectionHandle: "h1", netBufferList: "a2" }, { injectionState: "FWPS_PACKET_NOT_INJECTED" }),
      call("FwpsInjectionHandleDestroy0", "PASSIVE_LEVEL", { injectionHandle: "h1" }, { status: S }),
      call("FwpsQueryPacketInjectionState0", "DISPATCH_LEVEL", { injectionHandle: "h1", netBufferList: "a" }, { injectionState: "FWPS_PACKET_NOT_INJECTED" }),
    ]),
    17,
  );

  it("counts valid calls per IRQL, misuse aside", () => {
    expect(coverage.value("irql", "FwpsInjectTransportSendAsync0 at APC_LEVEL")).toBe(3);
    expect(coverage.value("irql", "FwpsAllocateNetBufferAndNetBufferList0 at DISPATCH_LEVEL")).toBe(3);
    expect(coverage.value("irql", "completionFn at DISPATCH_LEVEL")).toBe(3);
  });

  it("tells NULL, shared and distinct completion contexts apart", () => {
    expect(coverage.value("contexts", "distinct completionContext")).toBe(1);
    expect(coverage.value("contexts", "completionContext shared with an owed injection")).toBe(1);
    expect(coverage.value("contexts", "NULL completionContext")).toBe(1);
    expect(coverage.value("contexts", "completion while its context is shared")).toBe(1);
  });

  it("keeps the largest number of completions owed at once and of live handles", () => {
    expect(coverage.value("outstanding", "completions owed at once")).toBe(3);
    expect(coverage.value("live-handles", "TRANSPORT")).toBe(1);
    expect(coverage.value("live-handles", "NETWORK")).toBe(0);
  });

  it("classifies query answers by the model's expectation, of clones of clones too", () => {
    expect(coverage.value("query", "INJECTED_BY_SELF")).toBe(1);
    expect(coverage.value("query", "NOT_INJECTED of a clone of a clone")).toBe(1);
    expect(coverage.value("query", "NOT_INJECTED after a completion")).toBe(1);
    expect(coverage.value("clones", "clone generations (a clone of a clone is 2)")).toBe(2);
  });

  it("counts a destroyed handle used again, and the run's length", () => {
    expect(coverage.value("reused-ids", "destroyed handle id used")).toBe(1);
    expect(coverage.value("run-length", "operations in one run")).toBe(17);
    expect(coverage.value("run-length", "runs of 200 operations or more")).toBe(0);
  });
});

describe("a default run of the built-in simulator", () => {
  it("reaches every goal of every dimension, and the reports show them", { timeout: 60_000 }, async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "wfp-dimensions-")), "out");
    const io = memoryIo();
    const code = await main(["run", "--impl", "builtin", "--seed", "1", "--out", dir, "--force"], io);
    expect(code, io.stdout + io.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")));
    const short = (report.dimensions ?? []).flatMap((dimension) => dimension.items.filter((item) => !item.met).map((item) => `${dimension.id}: ${item.item} reached ${item.reached} of ${item.goal}`));
    expect(report.dimensions?.length).toBeGreaterThanOrEqual(10);
    expect(short).toEqual([]);
    const markdown = readFileSync(join(dir, "report.md"), "utf8");
    expect(markdown).toContain("## Coverage by dimension");
    expect(markdown).toMatch(/\| completions owed at once \| largest \d+ \| 16 \|/);
    expect(existsSync(join(dir, "report.html")) && readFileSync(join(dir, "report.html"), "utf8").includes('id="dimensions"')).toBe(true);
  });
});
