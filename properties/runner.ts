/**
 * The conformance runner: fast-check model-based runs of generated operation sequences against an
 * implementation, checked step by step against the reference model (see session.ts). Sequential
 * runs use `fc.asyncModelRun`; asynchronous runs use `fc.scheduledModelRun`, where a scheduler
 * decides when engine deliveries happen relative to the driver's next calls.
 */
import fc from "fast-check";
import type { TraceEvent } from "../spec/events.ts";
import { NoAnswerError, type EnginePort, type PortFactory, type PortOptions } from "../spec/port.ts";
import type { ApiFamily, Platform } from "../spec/vocabulary.ts";
import { describeOperation, runCommands, type Operation } from "./operations.ts";
import type { DimensionCoverage } from "./coverage.ts";
import { ConformanceSession, DivergenceError, type Divergence } from "./session.ts";

/** The system under test of one run: the session, and the scheduler of an asynchronous run. */
interface RunContext {
  readonly session: ConformanceSession;
  readonly scheduler: fc.Scheduler | undefined;
  /** Scheduled deliveries, awaited at the end of the run so that their failures are not lost. */
  readonly background: Promise<void>[];
}

/** A generic fast-check command: one operation of the vocabulary, applied to the session. */
class OperationCommand implements fc.AsyncCommand<object, RunContext> {
  constructor(readonly operation: Operation) {}
  check(): boolean {
    return true;
  }
  async run(_model: object, context: RunContext): Promise<void> {
    await context.session.apply(this.operation);
    // In asynchronous runs, the scheduler picks when one more engine event is delivered,
    // relative to the driver's next calls.
    if (context.scheduler !== undefined) {
      const session = context.session;
      const delivery = context.scheduler.schedule(Promise.resolve("deliver"), "engine delivers one event").then(() => session.scheduledDelivery(1));
      // Awaited at the end of a run that gets there; a run that fails first must not leave it unhandled.
      delivery.catch(() => undefined);
      context.background.push(delivery);
    }
  }
  toString(): string {
    return describeOperation(this.operation);
  }
}

/** Settings of a conformance run. */
export interface ConformanceOptions {
  readonly factory: PortFactory;
  readonly port?: Partial<PortOptions>;
  readonly seed: number;
  readonly numRuns: number;
  readonly maxCommands: number;
  /** Let a fast-check scheduler interleave engine deliveries with driver calls. */
  readonly scheduled?: boolean;
  /** Replay one run: fast-check's counterexample path for `seed`. */
  readonly path?: string;
  /** With `path`: the shrink path of the command list (fast-check's `replayPath` of fc.commands). */
  readonly replayPath?: string;
  readonly misusePercent?: number;
  /** Rule id -> times exercised; filled in across runs. */
  readonly coverage?: Map<string, number>;
  /** State dimensions reached (properties/coverage.ts); filled in from each finished run's trace. */
  readonly dimensions?: DimensionCoverage;
  /** Stop generating after this many milliseconds (fast-check's interruptAfterTimeLimit). */
  readonly timeLimitMs?: number;
  /** Milliseconds one port method may take (default 5000). */
  readonly callTimeoutMs?: number;
  /** Only generate operations of these families (the implementation's). */
  readonly families?: readonly ApiFamily[];
  /** Called after each generated run (shrinking runs included), for progress display. */
  readonly onRun?: () => void;
  /** Shrink a failing run (default true); detection benchmarks only need to know that a run failed. */
  readonly shrink?: boolean;
  /** Counts the operations applied across runs (for throughput figures). */
  readonly counters?: { operations: number };
  /** Checked before each run: true stops the runs the way the time limit does (an interrupt, a signal). */
  readonly shouldStop?: () => boolean;
}

/** A shrunk counterexample. */
export interface Counterexample {
  readonly divergence: Divergence | null;
  /** The error, when the run failed for another reason than a divergence (a harness or adapter error). */
  readonly error: string | null;
  readonly operations: readonly Operation[];
  readonly trace: readonly TraceEvent[];
  readonly seed: number;
  readonly path: string;
  /** The command list's own shrink path, needed with `path` to replay the shrunk run. */
  readonly replayPath: string | null;
  /** Runs generated up to and including the first failing one. */
  readonly runsToFailure: number;
  readonly shrinks: number;
}

/** What a conformance run found. */
export interface ConformanceOutcome {
  readonly ok: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly interrupted: boolean;
  readonly counterexample: Counterexample | null;
  /** The implementation gave no answer in time: the runs stopped there (no shrinking, no retry). */
  readonly unanswered: boolean;
}

/** Whether a run failed because the implementation gave no answer within the call timeout. */
function isUnanswered(error: unknown): boolean {
  return error instanceof NoAnswerError || (error instanceof DivergenceError && error.divergence.unanswered === true);
}

/** Default settings every implementation receives unless overridden. */
export const DEFAULT_PORT_OPTIONS: PortOptions = {
  policy: "fifo",
  completionIrql: "DISPATCH_LEVEL",
  seed: 1,
  batchSize: 2,
  platform: "x64" satisfies Platform,
};

/** Runs generated sequences against an implementation; resolves with the first (shrunk) divergence, if any. */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceOutcome> {
  const portOptions: PortOptions = { ...DEFAULT_PORT_OPTIONS, seed: options.seed, ...options.port };
  const weights = { misusePercent: options.misusePercent ?? 8, ...(options.families === undefined ? {} : { families: options.families }) };
  const commands = runCommands(weights, options.maxCommands, (operation) => new OperationCommand(operation), options.replayPath);

  // An implementation that stopped answering would cost one call timeout per shrinking attempt:
  // once one run got no answer, every later run is an interrupt (fast-check keeps the failure found).
  let unanswered = false;
  const runOne = async (generated: Iterable<fc.AsyncCommand<object, RunContext>>, teardown: boolean, scheduler: fc.Scheduler | undefined): Promise<void> => {
    if (unanswered || options.shouldStop?.() === true) throw new fc.PreconditionFailure(true);
    try {
      await runSession(generated, teardown, scheduler);
    } catch (error) {
      if (isUnanswered(error)) unanswered = true;
      throw error;
    }
  };
  const runSession = async (generated: Iterable<fc.AsyncCommand<object, RunContext>>, teardown: boolean, scheduler: fc.Scheduler | undefined): Promise<void> => {
    const port: EnginePort = await options.factory(portOptions);
    const session = new ConformanceSession(port, {
      platform: portOptions.platform,
      ...(options.coverage === undefined ? {} : { coverage: options.coverage }),
      ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
    });
    const context: RunContext = { session, scheduler, background: [] };
    try {
      const setup = () => ({ model: {}, real: context });
      if (scheduler === undefined) await fc.asyncModelRun(setup, generated);
      else {
        await fc.scheduledModelRun(scheduler, setup, generated);
        await scheduler.waitAll();
        await Promise.all(context.background);
      }
      await session.finish(teardown);
    } finally {
      // A failed run may leave scheduled deliveries queued and a step under way: they are
      // settled and ignored here, before the next run starts a fresh instance.
      await session.close();
      options.onRun?.();
      options.dimensions?.record(session.trace, session.operations.length, portOptions.platform);
      if (options.counters !== undefined) options.counters.operations += session.operations.length;
      await port.dispose?.();
    }
  };

  const schedulers: fc.Arbitrary<fc.Scheduler | undefined> = options.scheduled ? fc.scheduler() : fc.constant(undefined);
  const runProperty = fc.asyncProperty(schedulers, commands, fc.boolean(), (scheduler, generated, teardown) => runOne(generated, teardown, scheduler));

  const details = await fc.check(runProperty, {
    seed: options.seed,
    numRuns: options.numRuns,
    ...(options.shrink === false ? { endOnFailure: true } : {}),
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs }),
    markInterruptAsFailure: false,
  });

  // fast-check counts an interrupt before the first finished run as a failure without a counterexample.
  if (!details.failed || (details.interrupted && details.counterexample === null)) {
    return { ok: true, seed: details.seed, runs: details.numRuns, interrupted: details.interrupted, counterexample: null, unanswered: false };
  }
  const error = details.errorInstance;
  const divergenceError = error instanceof DivergenceError ? error : null;
  return {
    ok: false,
    seed: details.seed,
    runs: details.numRuns,
    // A run that got no answer ends the shrinking as an interrupt would, but it is a finding, not a stop.
    interrupted: details.interrupted && !unanswered,
    unanswered,
    counterexample: {
      divergence: divergenceError?.divergence ?? null,
      error: divergenceError === null ? String((error as Error | undefined)?.message ?? error) : null,
      operations: divergenceError?.operations ?? [],
      trace: divergenceError?.trace ?? [],
      seed: details.seed,
      path: details.counterexamplePath ?? "",
      replayPath: /replayPath="([^"]*)"/.exec(String(details.counterexample?.[1] ?? ""))?.[1] ?? null,
      runsToFailure: details.numRuns,
      shrinks: details.numShrinks,
    },
  };
}
