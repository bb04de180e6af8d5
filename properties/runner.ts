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
  /** With `path`: the rules the replayed run is judged on (a saved counterexample's); any failure without. */
  readonly replayRules?: readonly string[];
  readonly misusePercent?: number;
  /** Rule id -> times exercised; filled in by the generated runs. */
  readonly coverage?: Map<string, number>;
  /** State dimensions reached (properties/coverage.ts); filled in from each generated run's trace. */
  readonly dimensions?: DimensionCoverage;
  /** Stop generating after this many milliseconds (fast-check's interruptAfterTimeLimit). */
  readonly timeLimitMs?: number;
  /** Milliseconds one port method may take (default 5000). */
  readonly callTimeoutMs?: number;
  /** Only generate operations of these families (the implementation's). */
  readonly families?: readonly ApiFamily[];
  /** Failures (rule ids, or "port-error" / "error") that already have a counterexample: counted, not shrunk again. */
  readonly shrunk?: ReadonlySet<string>;
  /** Stop at the first failing run and shrink only its first failure (a quick verdict; the other failures go unreported). */
  readonly firstFailureOnly?: boolean;
  /** Called after each generated run (shrinking runs included), for progress display. */
  readonly onRun?: () => void;
  /** Shrink failing runs (default true); detection benchmarks only need to know that a run failed (implies firstFailureOnly). */
  readonly shrink?: boolean;
  /** Counts the operations applied across runs (for throughput figures). */
  readonly counters?: { operations: number };
  /** Checked before each run: true stops the runs the way the time limit does (an interrupt, a signal). */
  readonly shouldStop?: () => boolean;
}

/** A shrunk counterexample for one failure: a rule the implementation broke, or a port or harness error. */
export interface Counterexample {
  /** What it is a counterexample for: a rule id, "port-error" or "error". */
  readonly failure: string;
  readonly divergence: Divergence | null;
  /** The error, when the run failed for another reason than a divergence (a harness or adapter error). */
  readonly error: string | null;
  readonly operations: readonly Operation[];
  /** The shrunk run's trace up to and including the step that diverged. */
  readonly trace: readonly TraceEvent[];
  readonly seed: number;
  readonly path: string;
  /** The command list's own shrink path, needed with `path` to replay the shrunk run. */
  readonly replayPath: string | null;
  /** Runs generated up to and including the first run with this failure. */
  readonly runsToFailure: number;
  /** Generated runs that had this failure. */
  readonly hits: number;
  readonly shrinks: number;
  /** Failures the shrunk run had at earlier steps: never seen without them, this one may be their consequence. */
  readonly after: readonly string[];
  /** Set (to 0) when the run comes from the generation without deliberate misuse: replay with the same. */
  readonly misusePercent?: number;
}

/** What a conformance run found. */
export interface ConformanceOutcome {
  readonly ok: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly interrupted: boolean;
  /** The first of `counterexamples`, or null. */
  readonly counterexample: Counterexample | null;
  /** One per failure not in `options.shrunk`, in the order they were first met. */
  readonly counterexamples: readonly Counterexample[];
  /** Failure -> generated runs that had it (those in `options.shrunk` included). */
  readonly hits: ReadonlyMap<string, number>;
  /** The implementation gave no answer in time: the runs stopped there (no shrinking, no retry). */
  readonly unanswered: boolean;
}



/** Default settings every implementation receives unless overridden. */
export const DEFAULT_PORT_OPTIONS: PortOptions = {
  policy: "fifo",
  completionIrql: "DISPATCH_LEVEL",
  seed: 1,
  batchSize: 2,
  platform: "x64" satisfies Platform,
};

/** One failure of one run: what it is about, the divergence (if any), and the caller misuse before it. */
interface Failure {
  readonly failure: string;
  readonly divergence: Divergence | null;
  readonly error: string | null;
  /** Caller misuse (rule ids) in the trace up to the failing step. */
  readonly misuse: ReadonlySet<string>;
  /** Failures of the same run at earlier steps (this one may be their consequence). */
  readonly after: readonly string[];
  /** The implementation gave no answer within the call timeout. */
  readonly unanswered: boolean;
  readonly trace: readonly TraceEvent[];
  readonly operations: readonly Operation[];
}

/** What one run found: every failure, each first occurrence once. */
function failuresOf(session: ConformanceSession, thrown: unknown): Failure[] {
  const failures: Failure[] = [];
  const seen = new Set<string>();
  const add = (failure: string, divergence: Divergence | null, error: string | null, unanswered = false) => {
    if (seen.has(failure)) return;
    seen.add(failure);
    const position = divergence?.position ?? session.trace.length;
    const after = failures.filter((earlier) => (earlier.divergence?.position ?? Infinity) < position).map((earlier) => earlier.failure);
    failures.push({ failure, divergence, error, misuse: session.misuseUpTo(position), after, unanswered, trace: session.trace.slice(0, position + 1), operations: [...session.operations] });
  };
  for (const divergence of session.found) {
    if (divergence.kind === "port-error") add("port-error", divergence, null, divergence.unanswered === true);
    else for (const ruleId of divergence.ruleIds) add(ruleId, divergence, null);
  }
  if (thrown !== undefined && !(thrown instanceof DivergenceError)) add("error", null, String((thrown as Error | undefined)?.message ?? thrown), thrown instanceof NoAnswerError);
  return failures;
}

/** Thrown by a shrinking property when the run still has the failure being shrunk. */
class FailureFound extends Error {
  constructor(readonly found: Failure) {
    super(found.divergence === null ? `run failed: ${found.error}` : new DivergenceError(found.divergence, found.trace, found.operations).message);
  }
}

/** Where a run ranks as the start of a failure's shrinking (lower is better): its own first deviation, then little misuse. */
const rank = (failure: Failure): number => (failure.after.length === 0 ? 0 : 1_000_000) + failure.misuse.size;

/** Runs without deliberate misuse tried when a failure was only met after misuse. */
const CLEAN_RUNS = 40;

interface Start {
  readonly generation: "generated" | "clean";
  readonly index: number;
  readonly failure: Failure;
}

const isSubset = (small: ReadonlySet<string>, large: ReadonlySet<string>): boolean => [...small].every((item) => large.has(item));

/**
 * Runs generated sequences against an implementation and reports every failure once.
 *
 * First every generated run is judged to its end, each divergence recorded and the model's state
 * following what the implementation did, so that one deviation does not hide the others. Then each
 * failure (a rule broken, a port error) is shrunk on its own, starting from the run that had it with
 * the least caller misuse: a shrink step is kept only if the run still breaks that same rule and
 * commits no misuse the starting run did not, so the counterexample stays about that rule and never
 * slides into caller misuse.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceOutcome> {
  const portOptions: PortOptions = { ...DEFAULT_PORT_OPTIONS, seed: options.seed, ...options.port };
  /** The command lists: with the run's share of deliberate misuse, or (to find a run without misuse) none. */
  const commandsWith = (misusePercent: number) =>
    runCommands({ misusePercent, ...(options.families === undefined ? {} : { families: options.families }) }, options.maxCommands, (operation) => new OperationCommand(operation), options.replayPath);
  const generations = { generated: commandsWith(options.misusePercent ?? 8), clean: commandsWith(0) } as const;
  type Generation = keyof typeof generations;

  /** One run to its end; what it threw (a port error ends a run early), with the session. */
  const execute = async (generated: Iterable<fc.AsyncCommand<object, RunContext>>, teardown: boolean, scheduler: fc.Scheduler | undefined, measured: boolean): Promise<{ session: ConformanceSession; thrown: unknown }> => {
    const coverage = measured ? options.coverage : undefined;
    const port: EnginePort = await options.factory(portOptions);
    const session = new ConformanceSession(port, {
      platform: portOptions.platform,
      throwOnDivergence: false,
      ...(coverage === undefined ? {} : { coverage }),
      ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
    });
    const context: RunContext = { session, scheduler, background: [] };
    let thrown: unknown = undefined;
    try {
      const setup = () => ({ model: {}, real: context });
      if (scheduler === undefined) await fc.asyncModelRun(setup, generated);
      else {
        await fc.scheduledModelRun(scheduler, setup, generated);
        await scheduler.waitAll();
        await Promise.all(context.background);
      }
      await session.finish(teardown);
    } catch (error) {
      thrown = error;
    } finally {
      // A failed run may leave scheduled deliveries queued and a step under way: they are
      // settled and ignored here, before the next run starts a fresh instance.
      await session.close();
      options.onRun?.();
      if (measured) options.dimensions?.record(session.trace, session.operations.length, portOptions.platform);
      if (options.counters !== undefined) options.counters.operations += session.operations.length;
      await port.dispose?.();
    }
    return { session, thrown };
  };

  const schedulers: fc.Arbitrary<fc.Scheduler | undefined> = options.scheduled ? fc.scheduler() : fc.constant(undefined);
  const timeLimit = options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false };
  const started = performance.now();
  const left = (): typeof timeLimit => (options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: Math.max(1, Math.floor(options.timeLimitMs - (performance.now() - started))), markInterruptAsFailure: false });

  /** Shrinks from the run at `path`, keeping only runs `keep` accepts; the failure found last, with fast-check's figures. */
  const shrink = async (generation: Generation, path: string, keep: (failures: readonly Failure[]) => Failure | undefined, replay = false) => {
    const measureFirst = replay;
    let measure = measureFirst;
    const property = fc.asyncProperty(schedulers, generations[generation], fc.boolean(), async (scheduler, generated, teardown) => {
      // An implementation that stopped answering would cost one call timeout per shrinking attempt.
      if (unanswered || options.shouldStop?.() === true) return;
      const { session, thrown } = await execute(generated, teardown, scheduler, measure);
      measure = false;
      const failures = failuresOf(session, thrown);
      if (failures.some((failure) => failure.unanswered)) unanswered = true;
      const found = keep(failures);
      if (found !== undefined) throw new FailureFound(found);
    });
    // A replay runs the saved run and nothing else (shrinking it again could wander to another run).
    const details = await fc.check(property, { seed: options.seed, path, numRuns: 1, ...(replay ? { endOnFailure: true } : {}), ...left() });
    if (!details.failed || !(details.errorInstance instanceof FailureFound)) return null;
    return {
      found: details.errorInstance.found,
      path: details.counterexamplePath ?? path,
      replayPath: /replayPath="([^"]*)"/.exec(String(details.counterexample?.[1] ?? ""))?.[1] ?? null,
      shrinks: details.numShrinks,
    };
  };

  let unanswered = false;
  let stoppedBySignal = false;
  const counterexampleOf = (failure: Failure, runIndex: number, hits: number, shrunk: Awaited<ReturnType<typeof shrink>>): Counterexample => {
    const found = shrunk?.found ?? failure;
    return {
      failure: failure.failure,
      divergence: found.divergence,
      error: found.error,
      operations: found.operations,
      trace: found.trace,
      seed: options.seed,
      path: shrunk?.path ?? String(runIndex),
      replayPath: shrunk === null ? null : shrunk.replayPath,
      runsToFailure: runIndex + 1,
      hits,
      shrinks: shrunk?.shrinks ?? 0,
      after: found.after,
    };
  };

  // A replay: the run at `path`, judged on the saved counterexample's rules.
  if (options.path !== undefined) {
    const rules = options.replayRules === undefined || options.replayRules.length === 0 ? null : new Set(options.replayRules);
    const shrunk = await shrink(options.misusePercent === 0 ? "clean" : "generated", options.path, (failures) => failures.find((failure) => rules === null || rules.has(failure.failure)), true);
    const counterexamples = shrunk === null ? [] : [{ ...counterexampleOf(shrunk.found, 0, 1, shrunk), path: shrunk.path }];
    return { ok: counterexamples.length === 0, seed: options.seed, runs: 1, interrupted: false, counterexample: counterexamples[0] ?? null, counterexamples, hits: new Map(counterexamples.map((found) => [found.failure, 1])), unanswered };
  }

  // Every generated run, judged to its end.
  const firstOnly = options.firstFailureOnly === true || options.shrink === false;
  const hits = new Map<string, number>();
  /**
   * Per failure, the run to shrink from: preferably one where it is the run's first deviation (not
   * a consequence of an earlier one), then one with the least caller misuse before it, the earliest.
   */
  const starts = new Map<string, Start>();
  const first = new Map<string, number>();
  const consider = (generation: Generation, index: number, failure: Failure): void => {
    const start = starts.get(failure.failure);
    if (start === undefined || rank(failure) < rank(start.failure)) starts.set(failure.failure, { generation, index, failure });
  };
  let index = -1;
  let executed = 0;
  let stopped = false;
  const search = fc.asyncProperty(schedulers, generations.generated, fc.boolean(), async (scheduler, generated, teardown) => {
    index += 1;
    // A port error (a crash, a hang, an answer out of protocol) ends the search: what the
    // implementation does after that says little, and every run could cost a timeout.
    if (stopped) return;
    if (options.shouldStop?.() === true) {
      stopped = true;
      stoppedBySignal = true;
      return;
    }
    executed += 1;
    const { session, thrown } = await execute(generated, teardown, scheduler, true);
    for (const failure of failuresOf(session, thrown)) {
      if (failure.unanswered) unanswered = true;
      hits.set(failure.failure, (hits.get(failure.failure) ?? 0) + 1);
      if (!first.has(failure.failure)) first.set(failure.failure, index);
      consider("generated", index, failure);
      if (failure.failure === "port-error" || failure.failure === "error" || firstOnly) stopped = true;
    }
  });
  const details = await fc.check(search, { seed: options.seed, numRuns: options.numRuns, ...timeLimit });
  const runs = executed;

  // A failure only met after caller misuse may not need it: runs without deliberate misuse look
  // for a start without any, so that its counterexample is about the rule and nothing else.
  const toShrink = () => {
    const open = [...starts.entries()].filter(([failure]) => !options.shrunk?.has(failure)).sort(([a], [b]) => first.get(a)! - first.get(b)!);
    return firstOnly ? open.slice(0, 1) : open;
  };
  if (!stopped && !firstOnly && options.shouldStop?.() !== true && toShrink().some(([, start]) => start.failure.misuse.size > 0)) {
    let cleanIndex = -1;
    const clean = fc.asyncProperty(schedulers, generations.clean, fc.boolean(), async (scheduler, generated, teardown) => {
      cleanIndex += 1;
      const { session, thrown } = await execute(generated, teardown, scheduler, false);
      for (const failure of failuresOf(session, thrown)) if (starts.has(failure.failure)) consider("clean", cleanIndex, failure);
    });
    await fc.check(clean, { seed: options.seed, numRuns: Math.min(options.numRuns, CLEAN_RUNS), ...left() });
  }

  // Each failure shrunk on its own, in the order first met.
  const counterexamples: Counterexample[] = [];
  for (const [failure, start] of toShrink()) {
    const allowed = start.failure.misuse;
    const alone = start.failure.after.length === 0;
    const shrunk =
      options.shrink === false || start.failure.unanswered
        ? null
        : await shrink(start.generation, String(start.index), (failures) =>
            failures.find((candidate) => candidate.failure === failure && isSubset(candidate.misuse, allowed) && (!alone || candidate.after.length === 0)),
          );
    const found = counterexampleOf(start.failure, start.index, hits.get(failure) ?? 1, shrunk);
    counterexamples.push({ ...found, runsToFailure: first.get(failure)! + 1, ...(start.generation === "clean" ? { misusePercent: 0 } : {}) });
  }
  return {
    ok: hits.size === 0,
    seed: details.seed,
    runs,
    interrupted: details.interrupted || stoppedBySignal,
    unanswered,
    counterexample: counterexamples[0] ?? null,
    counterexamples,
    hits,
  };
}
