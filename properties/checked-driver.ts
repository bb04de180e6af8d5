/**
 * A scripted conformance check for scenario properties: explicit driver calls and environment
 * events sent to a port, each answer turned into a trace event and stepped through the reference
 * model, failing (vitest expect) at the first engine violation or verifier finding that differs from
 * the model's caller violations. The ids are the implementation's own (no renaming), so a scenario
 * can also send ids that only resemble them.
 */
import { expect } from "vitest";
import { initialState, step, type ModelState } from "../model/index.ts";
import type { TraceEvent } from "../spec/events.ts";
import type { DriverCall, EnginePort, PortStep } from "../spec/port.ts";

export class CheckedDriver {
  private state: ModelState = initialState({ platform: "x64" });
  readonly trace: TraceEvent[] = [];
  private counter = 0;
  constructor(readonly port: EnginePort) {}

  private observe(event: TraceEvent, findings: PortStep["findings"] | null): void {
    const result = step(this.state, event, this.trace.length);
    this.trace.push(event);
    this.state = result.state;
    const engine = result.violations.filter((violation) => violation.party !== "caller");
    expect(engine.map((violation) => `${violation.ruleId}: ${violation.message}`), `engine violation at ${JSON.stringify(event)}`).toEqual([]);
    if (findings === null) return;
    const expected = [...new Set(result.violations.map((violation) => violation.ruleId))].sort();
    const actual = [...new Set(findings.map((finding) => finding.ruleId))].sort();
    expect(actual, `verifier findings at ${JSON.stringify(event)}`).toEqual(expected);
  }

  private absorb(stepResult: PortStep): void {
    for (const output of stepResult.events) this.observe(output as TraceEvent, null);
  }

  call(fn: DriverCall["fn"], args: Record<string, unknown>, irql: DriverCall["irql"] = "PASSIVE_LEVEL", from: DriverCall["from"] = { kind: "thread" }): Record<string, unknown> | undefined {
    const callId = `c${++this.counter}`;
    const call = { fn, irql, from, args } as DriverCall;
    const result = this.port.call(callId, call) as PortStep;
    this.observe({ kind: "call", callId, ...call, ...(result.ret === undefined ? {} : { ret: result.ret }) } as TraceEvent, result.findings);
    this.absorb(result);
    return result.ret;
  }

  environment(event: Parameters<EnginePort["environment"]>[0]): void {
    const result = this.port.environment(event) as PortStep;
    this.observe(event as TraceEvent, result.findings);
    this.absorb(result);
  }

  deliver(max: number): void {
    this.absorb(this.port.deliver(max) as PortStep);
  }

  drain(): void {
    while ((this.port.pendingWork() as number) > 0) this.deliver(100);
    this.observe({ kind: "engineIdle" }, null);
  }
}
