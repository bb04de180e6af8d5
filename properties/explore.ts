/**
 * Bounded exhaustive exploration: every action sequence up to `depth` steps over a small scope,
 * breadth first, each run against a fresh implementation through the same port and the same
 * session checks as `run`. States the model considers equal up to a renaming of ids are expanded
 * once. Because the search goes level by level, the first divergence found is a shortest one: a
 * counterexample that is minimal by construction, with no shrinking.
 *
 * After every sequence that reaches a new state, the engine is drained, declared idle and the driver
 * unloaded without cleaning up, so owed completions, blocked destroys and leaks are judged in every
 * distinct state.
 */
import { createHash } from "node:crypto";
import { describe, type ModelState } from "../model/index.ts";
import type { TraceEvent } from "../spec/events.ts";
import type { EnginePort, PortFactory, PortOptions } from "../spec/port.ts";
import { familyOf, type ApiFamily, type ApiFunction, type Platform } from "../spec/vocabulary.ts";
import { DEFAULT_PORT_OPTIONS } from "./runner.ts";
import { DEFAULT_SCOPE, enabledActions, queryProbes, type ExploreScope } from "./alphabet.ts";
import { ConformanceSession, DivergenceError, type Action, type Divergence, type SessionSnapshot } from "./session.ts";

/** Settings of one exploration. */
export interface ExploreOptions {
  readonly factory: PortFactory;
  readonly port?: Partial<PortOptions>;
  /** Longest sequence explored (actions, not counting the final drain and unload). */
  readonly depth: number;
  readonly scope?: ExploreScope;
  /** Milliseconds one port method may take (default 5000). */
  readonly callTimeoutMs?: number;
  /** Stop (and say so) after this many milliseconds. */
  readonly timeLimitMs?: number;
  /** Rule id -> times exercised; filled in across sequences. */
  readonly coverage?: Map<string, number>;
  /** Only actions of these API families are sent (default: the port's own `families`). */
  readonly families?: readonly ApiFamily[];
  /** Called for every distinct state reached, with the sequence that reached it and its trace (before the idle and unload checks). */
  readonly onNewState?: (reached: ReachedState) => void;
  /** Worker threads to share each level's work (see cli/explore-pool.ts); sequential without. */
  readonly pool?: ExplorePool;
  /** Called when a level is complete, for progress display. */
  readonly onLevel?: (level: ExploreLevel) => void;
  /** Called as the nodes of a level are expanded (for progress display): the level, nodes done of the level's frontier, sequences run so far. */
  readonly onProgress?: (progress: ExploreProgress) => void;
}

/** A distinct state the exploration reached. */
/** How far an exploration has got: in level `depth`, `expanded` of the `frontier` nodes. */
export interface ExploreProgress {
  readonly depth: number;
  readonly expanded: number;
  readonly frontier: number;
  readonly sequences: number;
}

export interface ReachedState {
  readonly depth: number;
  readonly actions: readonly Action[];
  /** The canonical trace of the sequence (calls with their results, environment and engine events). */
  readonly trace: readonly TraceEvent[];
}

/** Figures of one completed level (all sequences of one length). */
export interface ExploreLevel {
  readonly depth: number;
  readonly sequences: number;
  readonly newStates: number;
  readonly seconds: number;
}

/** A shortest sequence on which the implementation and the model disagree. */
export interface ExploreCounterexample {
  readonly divergence: Divergence | null;
  /** The error, when the sequence failed for another reason than a divergence (an adapter error). */
  readonly error: string | null;
  readonly actions: readonly Action[];
  readonly trace: readonly TraceEvent[];
  /** Length of the sequence (the smallest depth at which this implementation can be told from the model). */
  readonly depth: number;
}

/** What an exploration found and how much it checked. */
export interface ExploreOutcome {
  readonly ok: boolean;
  /** States reached, counting every sequence's end state and the initial state (revisits included). */
  readonly states: number;
  /** States that differ up to a renaming of ids. */
  readonly distinctStates: number;
  /** Action sequences run against the implementation. */
  readonly sequences: number;
  readonly seconds: number;
  /** Deepest level explored completely. */
  readonly depthCompleted: number;
  /** Whether the time limit stopped the search before `depth`. */
  readonly interrupted: boolean;
  readonly levels: readonly ExploreLevel[];
  readonly counterexample: ExploreCounterexample | null;
}

/** Frontier size above which nodes keep only their sequence (snapshots hold whole traces). */
const SNAPSHOT_LIMIT = 20_000;

/** A fixed-size digest of a state key: the visited set holds digests, not keys of a kilobyte each. */
function digest(key: string): string {
  return createHash("sha1").update(key).digest("base64");
}

/**
 * Ids, whoever made them (the engine's as canonicalised, the harness's, the model's own such as
 * "inj3" or "sd1@2"), start with a lower-case letter and hold a digit; names of the API (layers,
 * statuses, functions) start with a capital letter and are never renamed.
 */
const ID = /^[a-z][^"]*\d/;
/**
 * Fields left out of the key: history, not state (they never change what may happen next); the
 * platform, fixed for a whole exploration; and the model's indexes, derived from the tables (their
 * keys are composite strings of ids that the renaming would not reach).
 */
const HISTORY = new Set(["returnedCalls", "injectionCount", "platform", "owedBy", "owedThrough", "liveClones", "chainByMembers"]);

/**
 * A key that is equal for two model states exactly when one is the other with its ids renamed
 * (ids are renamed in order of first appearance, objects listed in creation order). `aliases`
 * adds what the harness saw of the implementation that the model does not record: canonical ids
 * the implementation gave the same id (an engine that reuses a freed NBL's id). Equal keys
 * always mean equal states up to renaming; states that differ only in the creation order of their
 * objects may get different keys, which costs revisits, never a missed state.
 */
export function stateKey(state: ModelState, aliases: readonly (readonly string[])[] = []): string {
  // Ids are written between MARK characters: every odd part of the split is an id.
  const aliasing = aliases.length === 0 ? "" : `|aliases:${aliases.map((group) => group.map((id) => `${MARK}${id}${MARK}`).join("=")).join(",")}`;
  const parts = (serialize(state) + aliasing).split(MARK);
  const names = new Map<string, string>();
  for (let index = 1; index < parts.length; index += 2) {
    const id = parts[index]!;
    let name = names.get(id);
    if (name === undefined) {
      name = `#${names.size}`;
      names.set(id, name);
    }
    parts[index] = name;
  }
  return parts.join("");
}

const MARK = "\u0001";
/** Model records never change once made, and successive states share most of them: each is serialized once. */
const serialized = new WeakMap<object, string>();

/** A deterministic serialization of a model value (ids between MARKs; collections in iteration order). */
function serialize(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return ID.test(value) ? `${MARK}${value}${MARK}` : JSON.stringify(value);
  if (typeof value !== "object") return value === undefined ? "undefined" : String(value);
  const cached = serialized.get(value);
  if (cached !== undefined) return cached;
  let out: string;
  const entries = (value as { entries?: unknown }).entries;
  if (!Array.isArray(value) && !(value instanceof Set) && typeof entries === "function") {
    // A map (the model's persistent maps, or a Map): key=value pairs, in iteration order.
    const items: string[] = [];
    for (const [key, entry] of entries.call(value) as Iterable<[unknown, unknown]>) items.push(`${serialize(key)}=${serialize(entry)}`);
    out = `[${items.join(",")}]`;
  } else if (Array.isArray(value) || typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function") {
    // Arrays, Maps (as [key, value] pairs), Sets and any other collection, in iteration order.
    const items: string[] = [];
    for (const item of value as Iterable<unknown>) items.push(serialize(item));
    out = `[${items.join(",")}]`;
  } else {
    const record = value as Record<string, unknown>;
    const fields: string[] = [];
    // Fields in their own order: records of one kind are built alike, and if two equal records ever
    // listed their fields differently, the cost would be a revisit, never a merged state.
    for (const key in record) if (!HISTORY.has(key)) fields.push(`${key}:${serialize(record[key])}`);
    out = `{${fields.join(",")}}`;
  }
  serialized.set(value, out);
  return out;
}

function familyOfAction(action: Action): ApiFamily | null {
  return action.kind === "call" ? familyOf(action.call.fn as ApiFunction) : null;
}

/** What one process needs to run sequences: the factory and the settings of the exploration. */
export interface ExpanderSettings {
  readonly factory: PortFactory;
  readonly port?: Partial<PortOptions>;
  readonly scope?: ExploreScope;
  readonly families?: readonly ApiFamily[];
  readonly callTimeoutMs?: number;
  readonly coverage?: Map<string, number>;
}

/** One level's work on a run of frontier nodes: what it found. */
export interface LevelResult {
  /** The new states, in the order found, with their digests (and snapshots, when kept). */
  readonly next: { readonly actions: readonly Action[]; readonly digest: string; readonly snapshot: SessionSnapshot | null }[];
  readonly sequences: number;
  /** The first sequence of the level that diverged, if any (the run stops there). */
  readonly counterexample: ExploreCounterexample | null;
  /** The first probe that diverged: a sequence one longer than the level's. */
  readonly probeFailure: readonly Action[] | null;
  /** Whether the deadline stopped the work. */
  readonly interrupted: boolean;
}

/**
 * Runs sequences for the explorer: extends a state by one action on a fresh implementation,
 * probes it, and judges it at idle and unload when it is new. The same code runs in the main
 * thread and in each worker of a parallel exploration.
 */
export class Expander {
  private readonly portOptions: PortOptions;
  private readonly scope: ExploreScope;
  private families: readonly ApiFamily[] | undefined;
  private readonly sessionOptions: { platform: Platform; coverage?: Map<string, number>; callTimeoutMs?: number };

  constructor(private readonly settings: ExpanderSettings) {
    this.portOptions = { ...DEFAULT_PORT_OPTIONS, ...settings.port };
    this.scope = settings.scope ?? DEFAULT_SCOPE;
    this.families = settings.families;
    this.sessionOptions = {
      platform: this.portOptions.platform,
      ...(settings.coverage === undefined ? {} : { coverage: settings.coverage }),
      ...(settings.callTimeoutMs === undefined ? {} : { callTimeoutMs: settings.callTimeoutMs }),
    };
  }

  /** The digest of the initial state, judged at idle and unload; throws on a divergence. */
  async root(visited: Set<string>): Promise<SessionSnapshot> {
    return (await this.extend(null, null, visited))!;
  }

  /**
   * Brings a fresh implementation to `from` (replaying its port inputs), applies `action` with the
   * model's checks, probes the state reached, and, when it is new, judges it at idle and unload.
   * Returns the snapshot of the state reached when it is new, null for a revisit.
   */
  private async extend(from: SessionSnapshot | null, action: Action | null, visited: Set<string>, digestOut?: { value: string }): Promise<SessionSnapshot | null> {
    const port: EnginePort = await this.settings.factory(this.portOptions);
    this.families ??= port.families;
    const families = this.families;
    try {
      const session = from === null ? new ConformanceSession(port, this.sessionOptions) : await ConformanceSession.resume(port, this.sessionOptions, from);
      if (action !== null) await session.applyAction(action);
      const reachedState = session.snapshot();
      // Every state reached, revisits included, is probed with every injection-state query.
      if (families === undefined || families.includes("query")) {
        for (const probe of queryProbes(describe(session.modelState))) {
          try {
            await session.applyAction(probe);
          } catch (error) {
            throw new ProbeFailure(probe, error);
          }
        }
      }
      // What the port shows of the implementation beyond the model's state: ids it reused, and
      // engine events it has queued (a completion the model does not expect waits there unseen).
      const key = digest(`${stateKey(session.modelState, session.idAliases())}|queued:${await session.queuedWork()}`);
      if (digestOut !== undefined) digestOut.value = key;
      if (visited.has(key)) return null;
      visited.add(key);
      await session.finish(false);
      return reachedState;
    } finally {
      await port.dispose?.();
    }
  }

  /** The snapshot at the end of `actions`, on a fresh implementation (checked again on the way). */
  private async rebuild(actions: readonly Action[]): Promise<SessionSnapshot> {
    const port: EnginePort = await this.settings.factory(this.portOptions);
    try {
      const session = new ConformanceSession(port, { ...this.sessionOptions, coverage: new Map() });
      for (const action of actions) await session.applyAction(action);
      return session.snapshot();
    } finally {
      await port.dispose?.();
    }
  }

  /** Every enabled action from every node, in order; stops at the first sequence that diverges. */
  async expand(nodes: readonly { readonly actions: readonly Action[]; readonly snapshot: SessionSnapshot | null }[], depth: number, visited: Set<string>, options: { readonly deadline: number; readonly keepSnapshots: number; readonly onNewState?: ((reached: ReachedState) => void) | undefined; readonly onNode?: ((sequences: number) => void) | undefined }): Promise<LevelResult> {
    const next: { actions: readonly Action[]; digest: string; snapshot: SessionSnapshot | null }[] = [];
    let sequences = 0;
    let probeFailure: readonly Action[] | null = null;
    const result = (counterexample: ExploreCounterexample | null, interrupted: boolean): LevelResult => ({ next, sequences, counterexample, probeFailure, interrupted });
    const queued = this.portOptions.policy !== "immediate";
    for (const node of nodes) {
      let snapshot: SessionSnapshot;
      try {
        snapshot = node.snapshot ?? (await this.rebuild(node.actions));
      } catch (error) {
        return result(counterexampleOf(error, node.actions, depth - 1), false);
      }
      const families = this.families;
      const candidates = enabledActions(describe(snapshot.state), this.scope, depth, queued).filter((action) => {
        const family = familyOfAction(action);
        return family === null || families === undefined || families.includes(family);
      });
      for (const action of candidates) {
        if (performance.now() > options.deadline) return result(null, true);
        const actions = [...node.actions, action];
        sequences += 1;
        const found = { value: "" };
        let reached: SessionSnapshot | null;
        try {
          reached = await this.extend(snapshot, action, visited, found);
        } catch (error) {
          // A query that diverged gives a sequence one longer than this level's: it is reported at
          // the end of the level unless a sequence of the level itself diverges (that one is shorter).
          if (error instanceof ProbeFailure) {
            probeFailure ??= [...actions, error.probe];
            continue;
          }
          return result(counterexampleOf(error, actions, depth), false);
        }
        if (reached !== null) {
          next.push({ actions, digest: found.value, snapshot: next.length < options.keepSnapshots ? reached : null });
          options.onNewState?.({ depth, actions, trace: reached.events });
        }
      }
      options.onNode?.(sequences);
    }
    return result(null, false);
  }
}

/**
 * Workers that expand runs of a level's nodes in parallel (see cli/explore-pool.ts). Each keeps
 * its own copy of the visited set: `expand` sends the digests the level before added.
 */
export interface ExplorePool {
  readonly size: number;
  expand(worker: number, request: { readonly nodes: readonly (readonly Action[])[]; readonly depth: number; readonly visitedAdd: readonly string[]; readonly deadline: number }): Promise<LevelResult & { readonly coverage: readonly [string, number][] }>;
}

/** Explores every sequence up to `options.depth` against the implementation. */
export async function explore(options: ExploreOptions): Promise<ExploreOutcome> {
  const started = performance.now();
  const portOptions: PortOptions = { ...DEFAULT_PORT_OPTIONS, ...options.port };
  const elapsed = () => (performance.now() - started) / 1000;
  const deadline = options.timeLimitMs === undefined ? Infinity : started + options.timeLimitMs;
  const expander = new Expander({
    factory: options.factory,
    port: portOptions,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    ...(options.families === undefined ? {} : { families: options.families }),
    ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
    ...(options.coverage === undefined ? {} : { coverage: options.coverage }),
  });
  const pool = options.pool !== undefined && options.pool.size > 1 ? options.pool : undefined;
  if (pool !== undefined && options.onNewState !== undefined) throw new Error("onNewState needs a sequential exploration (no pool)");
  const levels: ExploreLevel[] = [];
  let sequences = 0;

  const visited = new Set<string>();
  const outcome = (counterexample: ExploreCounterexample | null, interrupted: boolean): ExploreOutcome => ({
    ok: counterexample === null,
    states: sequences + 1,
    distinctStates: visited.size,
    sequences,
    seconds: elapsed(),
    depthCompleted: levels.length,
    interrupted,
    levels,
    counterexample,
  });

  let frontier: { readonly actions: readonly Action[]; readonly snapshot: SessionSnapshot | null }[];
  try {
    frontier = [{ actions: [], snapshot: await expander.root(visited) }];
  } catch (error) {
    return outcome(counterexampleOf(error, [], 0), false);
  }
  // Every digest in the order added, and how far into it each worker's copy of the visited set goes.
  const digests: string[] = [...visited];
  const told = new Array<number>(pool?.size ?? 0).fill(0);

  for (let depth = 1; depth <= options.depth; depth++) {
    const levelStarted = performance.now();
    let results: LevelResult[];
    const parallel = pool !== undefined && frontier.length >= 2 * pool.size;
    const levelFrontier = frontier.length;
    let expanded = 0;
    if (!parallel) {
      const onNode = options.onProgress === undefined ? undefined : (levelSequences: number) => options.onProgress!({ depth, expanded: ++expanded, frontier: levelFrontier, sequences: sequences + levelSequences });
      results = [await expander.expand(frontier, depth, visited, { deadline, keepSnapshots: SNAPSHOT_LIMIT, onNewState: options.onNewState, onNode })];
    } else {
      // Runs of nodes, handed to whichever worker is free; results are put back in node order, so
      // the next frontier, the figures and the counterexample are the ones a sequential search gives.
      const runs: (readonly Action[])[][] = [];
      const runLength = Math.max(1, Math.ceil(frontier.length / (pool!.size * 8)));
      for (let index = 0; index < frontier.length; index += runLength) runs.push(frontier.slice(index, index + runLength).map((node) => node.actions));
      const workerPool = pool!;
      results = new Array<LevelResult>(runs.length);
      let nextRun = 0;
      let levelSequences = 0;
      try {
        await Promise.all(
          Array.from({ length: workerPool.size }, async (_, worker) => {
            while (nextRun < runs.length) {
              const index = nextRun++;
              const visitedAdd = digests.slice(told[worker]);
              told[worker] = digests.length;
              const answer = await workerPool.expand(worker, { nodes: runs[index]!, depth, visitedAdd, deadline });
              if (options.coverage !== undefined) for (const [ruleId, count] of answer.coverage) options.coverage.set(ruleId, (options.coverage.get(ruleId) ?? 0) + count);
              results[index] = answer;
              expanded += runs[index]!.length;
              levelSequences += answer.sequences;
              options.onProgress?.({ depth, expanded, frontier: levelFrontier, sequences: sequences + levelSequences });
            }
          }),
        );
      } catch (error) {
        // A worker that exits or fails ends the exploration with a finding that says so (and the report is written).
        nextRun = runs.length;
        return outcome(counterexampleOf(new Error(`depth ${depth}: ${(error as Error)?.message ?? String(error)}`), [], depth), false);
      }
    }
    // Merge in node order: a state two runs both found new is kept once, where it was found first.
    const next: { actions: readonly Action[]; snapshot: SessionSnapshot | null }[] = [];
    let probeFailure: readonly Action[] | null = null;
    for (const result of results) {
      sequences += result.sequences;
      if (result.counterexample !== null) return outcome(result.counterexample, false);
      probeFailure ??= result.probeFailure;
      for (const found of result.next) {
        // (A sequential level has already added its digests to `visited`; workers added them to their own copies.)
        if (parallel && visited.has(found.digest)) continue;
        visited.add(found.digest);
        digests.push(found.digest);
        next.push({ actions: found.actions, snapshot: found.snapshot });
      }
    }
    if (results.some((result) => result.interrupted)) return outcome(null, true);
    if (probeFailure !== null) {
      // Run again on its own, so that its trace holds the failing query and no other probe.
      const again = await replayActions({ factory: options.factory, port: portOptions, actions: probeFailure, ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }) });
      return outcome(again.counterexample ?? { divergence: null, error: "a probe diverged, but not when replayed on its own: the implementation is not deterministic", actions: probeFailure, trace: [], depth: probeFailure.length }, false);
    }
    levels.push({ depth, sequences: results.reduce((sum, result) => sum + result.sequences, 0), newStates: next.length, seconds: (performance.now() - levelStarted) / 1000 });
    options.onLevel?.(levels[levels.length - 1]!);
    frontier = next;
    if (frontier.length === 0) break;
  }
  return outcome(null, false);
}

/** A divergence found by an injection-state probe, with the probe. */
class ProbeFailure extends Error {
  constructor(
    readonly probe: Action,
    override readonly cause: unknown,
  ) {
    super("a probe diverged");
  }
}

function counterexampleOf(error: unknown, actions: readonly Action[], depth: number): ExploreCounterexample {
  if (error instanceof DivergenceError) return { divergence: error.divergence, error: null, actions, trace: error.trace, depth };
  return { divergence: null, error: String((error as Error | undefined)?.message ?? error), actions, trace: [], depth };
}

/** Settings of a replay of one saved sequence. */
export interface ReplayOptions {
  readonly factory: PortFactory;
  readonly port?: Partial<PortOptions>;
  readonly actions: readonly Action[];
  readonly coverage?: Map<string, number>;
  readonly callTimeoutMs?: number;
}

/** Runs one saved sequence (then drain, idle and unload, as the explorer does), reported like an exploration of it. */
export async function replayActions(options: ReplayOptions): Promise<ExploreOutcome> {
  const started = performance.now();
  const port = await options.factory({ ...DEFAULT_PORT_OPTIONS, ...options.port });
  const session = new ConformanceSession(port, {
    platform: options.port?.platform ?? DEFAULT_PORT_OPTIONS.platform,
    ...(options.coverage === undefined ? {} : { coverage: options.coverage }),
    ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
  });
  let counterexample: ExploreCounterexample | null = null;
  try {
    for (const action of options.actions) await session.applyAction(action);
    await session.finish(false);
  } catch (error) {
    counterexample = counterexampleOf(error, options.actions, options.actions.length);
  } finally {
    await port.dispose?.();
  }
  return {
    ok: counterexample === null,
    states: options.actions.length + 1,
    distinctStates: 0,
    sequences: 1,
    seconds: (performance.now() - started) / 1000,
    depthCompleted: options.actions.length,
    interrupted: false,
    levels: [],
    counterexample,
  };
}
