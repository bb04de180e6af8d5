/**
 * The simulator's throughput workload: a tight loop of mixed operations (allocate, inject, deliver
 * a completion, query, free) against the engine's direct API, with a chosen number of live NBLs
 * (half of them in flight, so the completion queue holds as many entries). Used by the benchmark
 * script and by the flat-cost check: the cost per operation must not grow with the live count.
 */
import { AF, INJECTION_TYPE, IRQL, InjectionEngine, SITE, type CompletionPolicy, type EngineSink } from "./engine.ts";

/** Settings of one workload run. */
export interface WorkloadOptions {
  /** Completion delivery policy (default fifo). */
  readonly policy?: CompletionPolicy;
  /** Run the verifier's caller checks (default true: the checks run, nothing is flagged). */
  readonly verifier?: boolean;
  readonly seed?: number;
}

/** What one run measured. */
export interface WorkloadResult {
  /** Wall-clock nanoseconds of the measured loop (set-up excluded). */
  readonly elapsedNs: number;
  /** Operations performed in the loop. */
  readonly operations: number;
  /** Live NBLs during the loop. */
  readonly liveObjects: number;
  /** Completions delivered in the loop (a sanity check: one per cycle). */
  readonly completions: number;
  /** Verifier findings during the loop (a sanity check: 0, the workload is a well-behaved driver). */
  readonly findings: number;
}

/** A ring of NBL refs the workload's "driver" holds. */
class RefRing {
  private readonly refs: Float64Array;
  private head = 0;
  private count = 0;
  constructor(capacity: number) {
    this.refs = new Float64Array(capacity);
  }
  push(ref: number): void {
    this.refs[(this.head + this.count) % this.refs.length] = ref;
    this.count++;
  }
  shift(): number {
    const ref = this.refs[this.head]!;
    this.head = (this.head + 1) % this.refs.length;
    this.count--;
    return ref;
  }
  get length(): number {
    return this.count;
  }
}

/**
 * Runs `operations` mixed operations (rounded down to whole cycles of five: allocate, inject,
 * deliver one completion, query the completed NBL, free it) with `liveObjects` live NBLs, and
 * returns what it measured.
 */
export function runMixedWorkload(operations: number, liveObjects: number, options: WorkloadOptions = {}): WorkloadResult {
  const live = Math.max(2, Math.floor(liveObjects));
  const completed = new RefRing(live + 16);
  let completions = 0;
  let findings = 0;
  const sink: EngineSink = {
    completion(nblRef) {
      completed.push(nblRef);
      completions++;
    },
    returned() {},
    finding() {
      findings++;
    },
  };
  const engine = new InjectionEngine({
    policy: options.policy ?? "fifo",
    completionIrql: IRQL.DISPATCH_LEVEL,
    seed: options.seed ?? 1,
    batchSize: 1 << 30,
    platform: "x64",
    verifier: options.verifier ?? true,
    sink,
  });
  const handle = engine.createHandle(IRQL.PASSIVE_LEVEL, AF.AF_INET, INJECTION_TYPE.TRANSPORT | INJECTION_TYPE.NETWORK);
  const pool = engine.allocatePool();
  const idle = new RefRing(live + 16);
  const context = "ctx";

  // Set-up: `live` NBLs, half of them injected (their completions queued).
  for (let i = 0; i < live; i++) idle.push(engine.allocateNbl(IRQL.PASSIVE_LEVEL, pool, 0, 0, -1, 0, 0));
  for (let i = 0; i < live >> 1; i++) {
    engine.injectTransport(false, IRQL.DISPATCH_LEVEL, SITE.thread, handle, idle.shift(), AF.AF_INET, false, 0, context, context);
  }
  completions = 0;

  const cycles = Math.floor(operations / 5);
  const start = process.hrtime.bigint();
  for (let i = 0; i < cycles; i++) {
    idle.push(engine.allocateNbl(IRQL.DISPATCH_LEVEL, pool, 0, 0, -1, 0, 0));
    engine.injectTransport(false, IRQL.DISPATCH_LEVEL, SITE.thread, handle, idle.shift(), AF.AF_INET, false, 0, context, context);
    engine.deliver(1);
    const done = completed.shift();
    engine.queryInjectionState(IRQL.DISPATCH_LEVEL, handle, done);
    engine.freeNbl(IRQL.DISPATCH_LEVEL, done);
  }
  const elapsedNs = Number(process.hrtime.bigint() - start);
  return { elapsedNs, operations: cycles * 5, liveObjects: live, completions, findings };
}

/** Runs the workload and returns the elapsed nanoseconds only (the benchmark script's entry point). */
export function mixedWorkloadNs(operations: number, liveObjects: number, options: WorkloadOptions = {}): number {
  return runMixedWorkload(operations, liveObjects, options).elapsedNs;
}
