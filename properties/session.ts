/**
 * A conformance session: one generated run in which the harness plays the callout driver and the
 * environment, sends every operation to an implementation through the port, turns what the
 * implementation answered into trace events, and steps the reference model over those events.
 * Any engine rule the model says the implementation broke, and any difference between the
 * implementation's verifier findings and the model's caller violations, is a divergence.
 */
import { describe, expectedResult, initialState, step, type Expectation, type ModelState, type ModelView, type Violation } from "../model/index.ts";
import type { CallEvent, TraceEvent } from "../spec/events.ts";
import { ruleById } from "../spec/rules.ts";
import { parseTraceEvent } from "../spec/trace.ts";
import { NOTE_COVERAGE_PREFIX } from "../spec/decisions.ts";
import { NoAnswerError, type DriverCall, type EngineOutput, type EnginePort, type PortStep, type VerifierFinding } from "../spec/port.ts";
import type { Irql, Platform } from "../spec/vocabulary.ts";
import { completionContextFor, type Operation, type Pick } from "./operations.ts";

/** Where an implementation and the model disagree, with both sides' observations. */
export interface Divergence {
  readonly kind: "engine-violation" | "verifier-mismatch" | "port-error";
  /** 0-based index of the event in the session's trace. */
  readonly position: number;
  readonly ruleIds: readonly string[];
  /** What the model says at this step. */
  readonly model: string;
  /** What the implementation did at this step. */
  readonly implementation: string;
  /** A port-error because the implementation gave no answer in time (it is then not driven again). */
  readonly unanswered?: true;
}

/** Thrown inside a fast-check command when a session diverges, carrying the trace so far. */
export class DivergenceError extends Error {
  override readonly name = "DivergenceError";
  constructor(
    readonly divergence: Divergence,
    readonly trace: readonly TraceEvent[],
    readonly operations: readonly Operation[] = [],
  ) {
    super(`${divergence.kind} at event ${divergence.position + 1} [${divergence.ruleIds.join(", ")}]: model: ${divergence.model}; implementation: ${divergence.implementation}`);
  }
}

/** Engine-returned ids per kind, renamed to canonical names ("h1", "nbl3") in order of appearance. */
type IdKind = "handle" | "nbl" | "pool" | "pendContext";
const PREFIX: Record<IdKind, string> = { handle: "h", nbl: "nbl", pool: "pool", pendContext: "pc" };

class IdRenaming {
  private readonly toCanonical = new Map<string, string>();
  private readonly toImplementation = new Map<string, string>();
  private readonly counters: Record<IdKind, number> = { handle: 0, nbl: 0, pool: 0, pendContext: 0 };

  /** The canonical id for an engine-returned id: the existing one if `isLive` says it still names a live object, else a new one. */
  canonical(kind: IdKind, implementationId: string, isLive: (canonicalId: string) => boolean): string {
    const key = `${kind}:${implementationId}`;
    const existing = this.toCanonical.get(key);
    if (existing !== undefined && isLive(existing)) return existing;
    this.counters[kind] += 1;
    const fresh = `${PREFIX[kind]}${this.counters[kind]}`;
    this.toCanonical.set(key, fresh);
    this.toImplementation.set(fresh, implementationId);
    return fresh;
  }

  /** The implementation's id for a canonical id (ids the harness made up map to themselves). */
  implementation(canonicalId: string): string {
    return this.toImplementation.get(canonicalId) ?? canonicalId;
  }

  /** The canonical id of an implementation id already seen, if any. */
  known(kind: IdKind, implementationId: string): string | undefined {
    return this.toCanonical.get(`${kind}:${implementationId}`);
  }

  /** Records that `canonicalId` names `implementationId` (when a replay meets the same object again). */
  bind(kind: IdKind, canonicalId: string, implementationId: string): void {
    this.toCanonical.set(`${kind}:${implementationId}`, canonicalId);
    this.toImplementation.set(canonicalId, implementationId);
  }

  /** Names are handed out after the ones `counters` says were used. */
  continueFrom(counters: Readonly<Record<IdKind, number>>): void {
    Object.assign(this.counters, counters);
  }

  get used(): Readonly<Record<IdKind, number>> {
    return { ...this.counters };
  }

  /** Canonical ids that name the same implementation id (an implementation that reuses ids), as groups. */
  aliases(): string[][] {
    const byImplementation = new Map<string, string[]>();
    for (const [canonicalId, implementationId] of this.toImplementation) {
      const group = byImplementation.get(implementationId);
      if (group === undefined) byImplementation.set(implementationId, [canonicalId]);
      else group.push(canonicalId);
    }
    return [...byImplementation.values()].filter((group) => group.length > 1);
  }
}

/** The result keys that carry engine-made ids, per function. */
const RETURNED_IDS: Readonly<Record<string, readonly [string, IdKind]>> = {
  FwpsInjectionHandleCreate0: ["injectionHandle", "handle"],
  NdisAllocateNetBufferListPool: ["poolHandle", "pool"],
  FwpsAllocateNetBufferAndNetBufferList0: ["netBufferList", "nbl"],
  FwpsAllocateCloneNetBufferList0: ["netBufferList", "nbl"],
  FwpsCloneStreamData0: ["netBufferListChain", "nbl"],
  FwpsPendOperation0: ["completionContext", "pendContext"],
};

/** One input the session sent through the port, in canonical ids, with what came back (for replays). */
type PortInput =
  | { readonly kind: "call"; readonly callId: string; readonly call: DriverCall; readonly ret: Record<string, unknown> | undefined; readonly events: number }
  | { readonly kind: "environment"; readonly event: Parameters<EnginePort["environment"]>[0]; readonly events: number }
  | { readonly kind: "deliver"; readonly max: number; readonly events: number };

/**
 * A point of a session that a fresh implementation can be brought back to: the model's state, the
 * trace so far, and every port input with what it returned. `ConformanceSession.resume` replays the
 * inputs on a new port without stepping the model again (the model's verdicts on them are known).
 */
export interface SessionSnapshot {
  readonly state: ModelState;
  readonly events: readonly TraceEvent[];
  readonly counter: number;
  readonly idsUsed: Readonly<Record<IdKind, number>>;
  readonly inputs: readonly PortInput[];
}

/** Settings of one session. */
export interface SessionOptions {
  readonly platform: Platform;
  /** Rule id -> times exercised, accumulated across sessions. */
  readonly coverage?: Map<string, number>;
  /** Stop at the first divergence by throwing DivergenceError (the default), or collect them all. */
  readonly throwOnDivergence?: boolean;
  /** Milliseconds one port method may take before the run fails (default 5000). */
  readonly callTimeoutMs?: number;
}

/** More engine events than this in one step is a completion storm. */
export const MAX_EVENTS_PER_STEP = 10_000;

/** Resolves with `work`'s value, or rejects when it takes longer than `ms`. */
function withTimeout<T>(work: T | Promise<T>, ms: number, what: string): Promise<T> {
  if (!(work instanceof Promise)) return Promise.resolve(work);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswerError(`${what} did not return within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const DRAIN_LIMIT = 10_000;

/** One run of the harness against one implementation. */
export class ConformanceSession {
  private state: ModelState;
  private readonly ids = new IdRenaming();
  private readonly events: TraceEvent[] = [];
  private readonly divergences: Divergence[] = [];
  /** Caller misuse the model saw (rules of outcome misuse or fatal), by trace position. */
  private readonly misused: { readonly position: number; readonly ruleId: string }[] = [];
  private readonly applied: Operation[] = [];
  private counter = 0;
  private inputs: PortInput[] = [];
  private ended = false;
  private exclusive: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly port: EnginePort,
    private readonly options: SessionOptions,
  ) {
    this.state = initialState({ platform: options.platform });
  }

  /** The canonical trace of everything that happened so far. */
  get trace(): readonly TraceEvent[] {
    return this.events;
  }

  /** Every divergence found so far (only one unless throwOnDivergence is false). */
  get found(): readonly Divergence[] {
    return this.divergences;
  }

  /** The caller misuse (rule ids of outcome misuse or fatal) the model saw in the trace up to and including `position`. */
  misuseUpTo(position: number): ReadonlySet<string> {
    return new Set(this.misused.filter((entry) => entry.position <= position).map((entry) => entry.ruleId));
  }

  /** The model's view of the objects that exist now. */
  view(): ModelView {
    return describe(this.state);
  }

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter}`;
  }

  private diverge(divergence: Divergence): void {
    this.divergences.push(divergence);
    if (this.options.throwOnDivergence !== false) this.stop(divergence);
  }

  /** Ends the session at `divergence`: nothing more is sent to the implementation (a scheduled delivery still queued does nothing). */
  private stop(divergence: Divergence): never {
    this.ended = true;
    throw new DivergenceError(divergence, [...this.events], [...this.applied]);
  }

  /**
   * Steps the model over one event, records coverage and caller misuse, and reports engine
   * violations as divergences (`note` is added to what the model says). The model's state follows
   * the event whatever it broke, as `check` does with a trace, so a session that collects
   * divergences goes on judging what the implementation actually did.
   */
  private observe(event: TraceEvent, note = ""): Violation[] {
    const position = this.events.length;
    this.events.push(event);
    const result = step(this.state, event, position);
    this.state = result.state;
    const coverage = this.options.coverage;
    if (coverage !== undefined) {
      for (const ruleId of result.exercised) coverage.set(ruleId, (coverage.get(ruleId) ?? 0) + 1);
      // Portability notes travel with the coverage (a key per decision), so every run, shard and report counts them.
      for (const portability of result.notes) coverage.set(`${NOTE_COVERAGE_PREFIX}${portability.decisionId}`, (coverage.get(`${NOTE_COVERAGE_PREFIX}${portability.decisionId}`) ?? 0) + 1);
    }
    const caller = result.violations.filter((violation) => violation.party === "caller");
    for (const violation of caller) {
      const outcome = ruleById(violation.ruleId)?.outcome;
      if (outcome === "misuse" || outcome === "fatal") this.misused.push({ position, ruleId: violation.ruleId });
    }
    const engine = result.violations.filter((violation) => violation.party !== "caller");
    if (engine.length > 0) {
      this.diverge({
        kind: "engine-violation",
        position,
        ruleIds: engine.map((violation) => violation.ruleId),
        model: engine.map((violation) => `${violation.ruleId}: ${violation.message}`).join("; ") + note,
        implementation: JSON.stringify(event),
      });
    }
    return caller;
  }

  /** Compares the model's caller violations of a step with the implementation's verifier findings. */
  private compareFindings(position: number, callerViolations: readonly Violation[], findings: readonly VerifierFinding[]): void {
    if (!this.port.verifier) return;
    const expected = [...new Set(callerViolations.map((violation) => violation.ruleId))].sort();
    const actual = [...new Set(findings.map((finding) => finding.ruleId))].sort();
    if (expected.join() === actual.join()) return;
    const missing = expected.filter((ruleId) => !actual.includes(ruleId));
    const extra = actual.filter((ruleId) => !expected.includes(ruleId));
    this.diverge({
      kind: "verifier-mismatch",
      position,
      ruleIds: [...missing, ...extra],
      model: expected.length === 0 ? "no caller misuse" : callerViolations.map((violation) => `${violation.ruleId}: ${violation.message}`).join("; "),
      implementation: actual.length === 0 ? "verifier flagged nothing" : findings.map((finding) => `${finding.ruleId}: ${finding.message}`).join("; "),
    });
  }

  private get timeoutMs(): number {
    return this.options.callTimeoutMs ?? 5000;
  }

  /** A step of the right shape, or an error naming what is wrong with it. */
  private checkedStep(step: PortStep, what: string): PortStep {
    if (typeof step !== "object" || step === null || !Array.isArray(step.events)) throw new Error(`${what} answered ${JSON.stringify(step)?.slice(0, 200)}, not a step {ret?, events, findings}`);
    if (step.events.length > MAX_EVENTS_PER_STEP) throw new Error(`${what} produced ${step.events.length} engine events in one step (a completion storm; the limit is ${MAX_EVENTS_PER_STEP})`);
    if (!Array.isArray(step.findings)) throw new Error(`${what} answered a step without a findings list`);
    return step;
  }

  private portError(what: string, error: unknown): never {
    const divergence: Divergence = {
      kind: "port-error",
      position: this.events.length,
      ruleIds: [],
      model: "a PortStep",
      implementation: `${what} threw: ${(error as Error)?.message ?? String(error)}`,
      ...(error instanceof NoAnswerError ? { unanswered: true as const } : {}),
    };
    this.divergences.push(divergence);
    this.stop(divergence);
  }

  private canonicalRet(call: DriverCall, ret: Record<string, unknown>): Record<string, unknown> {
    if (RETURNED_IDS[call.fn] === undefined) return ret;
    const view = describe(this.state);
    const liveHandle = (id: string) => view.handles.some((handle) => handle.id === id && handle.state !== "destroyed");
    const liveNbl = (id: string) => view.nbls.some((nbl) => nbl.id === id && nbl.status !== "freed");
    const livePool = (id: string) => view.pools.some((pool) => pool.id === id && pool.live);
    const livePend = (id: string) => view.pends.some((pend) => pend.completionContext === id && !pend.completed);
    const out: Record<string, unknown> = { ...ret };
    const rename = (key: string, kind: IdKind, isLive: (id: string) => boolean) => {
      const value = out[key];
      if (typeof value === "string") out[key] = this.ids.canonical(kind, value, isLive);
      else if (Array.isArray(value)) out[key] = value.map((item) => (typeof item === "string" ? this.ids.canonical(kind, item, isLive) : item));
    };
    switch (call.fn) {
      case "FwpsInjectionHandleCreate0":
        rename("injectionHandle", "handle", liveHandle);
        break;
      case "NdisAllocateNetBufferListPool":
        rename("poolHandle", "pool", livePool);
        break;
      case "FwpsAllocateNetBufferAndNetBufferList0":
      case "FwpsAllocateCloneNetBufferList0":
        rename("netBufferList", "nbl", liveNbl);
        break;
      case "FwpsCloneStreamData0":
        rename("netBufferListChain", "nbl", liveNbl);
        break;
      case "FwpsPendOperation0":
        rename("completionContext", "pendContext", livePend);
        break;
      default:
        break;
    }
    return out;
  }

  /** The call with canonical ids replaced by the implementation's ids. */
  private toImplementation(call: DriverCall): DriverCall {
    const args: Record<string, unknown> = { ...(call.args as Record<string, unknown>) };
    const map = (value: unknown): unknown =>
      typeof value === "string" ? this.ids.implementation(value) : Array.isArray(value) ? value.map(map) : value;
    for (const key of ["injectionHandle", "netBufferList", "originalNetBufferList", "poolHandle", "netBufferListPoolHandle", "netBufferPoolHandle", "clonedNetBufferListChain"]) {
      if (key in args) args[key] = map(args[key]);
    }
    if (call.fn === "FwpsCompleteOperation0") args["completionContext"] = map(args["completionContext"]);
    return { ...call, args } as DriverCall;
  }

  private canonicalOutput(event: EngineOutput): TraceEvent {
    if (event.kind === "completion" && event.netBufferList !== null) {
      return { ...event, netBufferList: this.ids.known("nbl", event.netBufferList) ?? event.netBufferList };
    }
    return event;
  }

  private absorb(position: number, callerViolations: readonly Violation[], stepResult: PortStep): void {
    this.compareFindings(position, callerViolations, stepResult.findings);
    for (const output of stepResult.events) {
      const parsed = parseTraceEvent(output, "engine event", this.events.length + 1);
      if (!parsed.ok || (parsed.event.kind !== "completion" && parsed.event.kind !== "return")) {
        const why = parsed.ok ? `kind ${parsed.event.kind} is not an engine event (completion or return)` : `${parsed.error.field === "" ? "" : `field \`${parsed.error.field}\`: `}${parsed.error.message}`;
        this.portError("engine event", new Error(`the implementation produced an engine event of the wrong shape: ${why} (${JSON.stringify(output)?.slice(0, 200)})`));
      }
      this.observe(this.canonicalOutput(parsed.event as EngineOutput));
    }
  }

  /** Makes one driver call through the port and checks everything it produced. */
  private async call(call: DriverCall): Promise<void> {
    const expectation: Expectation = expectedResult(this.state, call);
    const callId = this.fresh("c");
    let result: PortStep;
    try {
      result = this.checkedStep(await withTimeout(this.port.call(callId, this.toImplementation(call)), this.timeoutMs, call.fn), call.fn);
    } catch (error) {
      this.portError(`${call.fn}`, error);
    }
    const ret = result.ret === undefined ? undefined : this.canonicalRet(call, result.ret);
    const built = { kind: "call", callId, ...call, ...(ret === undefined ? {} : { ret }) };
    const parsed = parseTraceEvent(built, "result", this.events.length + 1);
    if (!parsed.ok) this.portError(call.fn, new Error(`returned a result of the wrong shape: ${parsed.error.field === "" ? "" : `field \`${parsed.error.field}\`: `}${parsed.error.message} (${JSON.stringify(result.ret)})`));
    const event = parsed.event as CallEvent;
    this.inputs.push({ kind: "call", callId, call, ret, events: result.events.length });
    const position = this.events.length;
    const note = expectation.kind === "status" ? ` (allowed: ${expectation.allowed.join(" | ")}${expectation.otherFailureAllowed ? " | a failure status" : ""})` : "";
    const callerViolations = this.observe(event, note);
    this.absorb(position, callerViolations, result);
  }

  /** Tells the implementation and the model what the environment did. */
  private async environment(event: Extract<TraceEvent, { kind: "tcpipStack" | "resources" | "streamIndicated" | "aleClassify" | "packetIndicated" | "driverUnload" }>): Promise<void> {
    let result: PortStep;
    try {
      result = this.checkedStep(await withTimeout(this.port.environment(event), this.timeoutMs, `environment(${event.kind})`), `environment(${event.kind})`);
    } catch (error) {
      this.portError(`environment(${event.kind})`, error);
    }
    this.inputs.push({ kind: "environment", event, events: result.events.length });
    const position = this.events.length;
    const callerViolations = this.observe(event);
    this.absorb(position, callerViolations, result);
  }

  /** Lets the engine deliver up to `max` queued events. */
  private async deliver(max: number): Promise<void> {
    let result: PortStep;
    try {
      result = this.checkedStep(await withTimeout(this.port.deliver(max), this.timeoutMs, "deliver"), "deliver");
    } catch (error) {
      this.portError("deliver", error);
    }
    this.inputs.push({ kind: "deliver", max, events: result.events.length });
    this.absorb(this.events.length, [], result);
  }

  /** How many engine events the implementation has queued (its `pendingWork`), checked to be a count. */
  async queuedWork(): Promise<number> {
    try {
      const pending = await withTimeout(this.port.pendingWork(), this.timeoutMs, "pendingWork");
      if (!Number.isInteger(pending) || pending < 0) throw new Error(`pendingWork returned ${String(pending)}, not a count`);
      return pending;
    } catch (error) {
      this.portError("pendingWork", error);
    }
  }

  /** Delivers everything queued, then records that the engine is idle (owed completions become overdue). */
  private async drain(): Promise<void> {
    for (let round = 0; round < DRAIN_LIMIT; round++) {
      const pending = await this.queuedWork();
      if (pending <= 0) break;
      await this.deliver(pending);
    }
    this.observe({ kind: "engineIdle" });
  }

  /** The operations applied so far, in order (a replayable run). */
  get operations(): readonly Operation[] {
    return this.applied;
  }

  /** Runs `work` after everything queued before it: operations and scheduled deliveries never interleave inside a step. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.exclusive.then(work, work);
    this.exclusive = next.catch(() => undefined);
    return next;
  }

  /** A delivery of one engine event at a moment chosen by a scheduler (asynchronous runs). */
  scheduledDelivery(max = 1): Promise<void> {
    return this.serialized(() => (this.ended ? Promise.resolve() : this.deliver(max)));
  }

  /**
   * Closes the session, however its run ended: nothing more is sent to the implementation, and the
   * promise settles once the step under way (an operation, a scheduled delivery) has settled, so
   * that the next run never meets a request of this one still waiting for its answer.
   */
  close(): Promise<void> {
    this.ended = true;
    return this.exclusive.then(() => undefined);
  }

  /** Ends the run: drain, optionally tear down like a well-behaved driver, drain again, unload. */
  finish(teardown: boolean): Promise<void> {
    return this.serialized(() => this.finishNow(teardown));
  }

  private async finishNow(teardown: boolean): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.drain();
    if (teardown) {
      await this.teardown();
      await this.drain();
    }
    await this.environment({ kind: "driverUnload" });
  }

  private async teardown(): Promise<void> {
    const view = describe(this.state);
    for (const pend of view.pends.filter((pend) => !pend.completed)) {
      const handle = view.completionHandles.find((candidate) => candidate.id === pend.completionHandle);
      await this.call({ fn: "FwpsCompleteOperation0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { completionContext: pend.completionContext, netBufferList: handle?.netBufferList ?? null } });
    }
    for (const chain of view.chains) {
      const members = chain.members.map((id) => view.nbls.find((nbl) => nbl.id === id));
      if (!chain.discarded && members.every((nbl) => nbl !== undefined && nbl.status === "owned" && !nbl.completed)) {
        await this.call({ fn: "FwpsDiscardClonedStreamData0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { clonedNetBufferListChain: [...chain.members], allocateCloneFlags: 0, dispatchLevel: false } });
      }
    }
    for (const nbl of describe(this.state).nbls.filter((candidate) => candidate.status === "owned")) {
      if (nbl.origin === "allocated") {
        await this.call({ fn: "FwpsFreeNetBufferList0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { netBufferList: nbl.id } });
      } else if (nbl.origin === "clone" || (nbl.origin === "streamClone" && nbl.completed)) {
        await this.call({ fn: "FwpsFreeCloneNetBufferList0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { netBufferList: nbl.id, freeCloneFlags: 0 } });
      }
    }
    for (const handle of describe(this.state).handles.filter((candidate) => candidate.state === "open")) {
      await this.call({ fn: "FwpsInjectionHandleDestroy0", irql: "PASSIVE_LEVEL", from: { kind: "thread" }, args: { injectionHandle: handle.id } });
    }
  }

  /** Applies one generated operation: resolves its operands against what exists now, then calls the port. */
  apply(operation: Operation): Promise<void> {
    return this.serialized(() => this.applyNow(operation));
  }

  private async applyNow(operation: Operation): Promise<void> {
    this.applied.push(operation);
    const view = describe(this.state);
    const action = resolveOperation(operation, view, (prefix) => this.fresh(prefix));
    if (action === undefined) return;
    await this.perform(action);
  }

  /** Applies one concrete action (ids are canonical ones, or made up by the caller): what the explorer sends. */
  applyAction(action: Action): Promise<void> {
    return this.serialized(() => this.perform(action));
  }

  private async perform(action: Action): Promise<void> {
    if (action.kind === "call") await this.call(action.call);
    else if (action.kind === "environment") await this.environment(action.event);
    else await this.deliver(action.max);
  }

  /** The model's state now (immutable). */
  get modelState(): ModelState {
    return this.state;
  }

  /**
   * Canonical ids the implementation gave the same id (it reuses ids: a freed NBL's id now names
   * another). The model cannot see this, but what the harness sends next depends on it.
   */
  idAliases(): string[][] {
    return this.ids.aliases();
  }

  /** This point of the session, to resume from on a fresh implementation (see `resume`). */
  snapshot(): SessionSnapshot {
    return { state: this.state, events: [...this.events], counter: this.counter, idsUsed: this.ids.used, inputs: [...this.inputs] };
  }

  /**
   * A session at `snapshot`'s point on a fresh `port`: the snapshot's port inputs are replayed (ids
   * translated to the ones the new implementation returns) without stepping the model again. A
   * replay that comes back different (another status, another number of engine events) means the
   * implementation is not deterministic, which is reported as a port error.
   */
  static async resume(port: EnginePort, options: SessionOptions, snapshot: SessionSnapshot): Promise<ConformanceSession> {
    const session: ConformanceSession = new ConformanceSession(port, options);
    session.ids.continueFrom(snapshot.idsUsed);
    for (const input of snapshot.inputs) {
      let result: PortStep;
      const what = input.kind === "call" ? input.call.fn : input.kind === "environment" ? `environment(${input.event.kind})` : "deliver";
      try {
        const answer = input.kind === "call" ? port.call(input.callId, session.toImplementation(input.call)) : input.kind === "environment" ? port.environment(input.event) : port.deliver(input.max);
        result = session.checkedStep(await withTimeout(answer, session.timeoutMs, what), what);
      } catch (error) {
        session.events.push(...snapshot.events);
        session.portError(`${what} (replayed)`, error);
      }
      const differs = (detail: string): never => {
        session.events.push(...snapshot.events);
        session.portError(`${what} (replayed)`, new Error(`the implementation is not deterministic: replaying the same calls on a fresh instance gave ${detail}`));
      };
      if (result.events.length !== input.events) differs(`${result.events.length} engine events instead of ${input.events}`);
      if (input.kind === "call") {
        const recorded = input.ret;
        if ((recorded === undefined) !== (result.ret === undefined) || (recorded !== undefined && recorded["status"] !== result.ret?.["status"])) {
          differs(`${JSON.stringify(result.ret ?? "no return")} instead of ${JSON.stringify(recorded ?? "no return")}`);
        }
        const returned = RETURNED_IDS[input.call.fn];
        if (returned !== undefined && recorded !== undefined && result.ret !== undefined) {
          const [key, kind] = returned;
          const canonical = recorded[key];
          const actual = result.ret[key];
          if (typeof canonical === "string" && typeof actual === "string") session.ids.bind(kind, canonical, actual);
          else if (Array.isArray(canonical) && Array.isArray(actual) && canonical.length === actual.length) {
            canonical.forEach((id, index) => {
              const implementationId = actual[index];
              if (typeof id === "string" && typeof implementationId === "string") session.ids.bind(kind, id, implementationId);
            });
          }
        }
      }
    }
    session.state = snapshot.state;
    session.events.push(...snapshot.events);
    session.counter = snapshot.counter;
    session.inputs = [...snapshot.inputs];
    return session;
  }
}

// -------------------------------------------------------------------------------------------------
// Resolving an operation's operands against the objects that exist now.
// -------------------------------------------------------------------------------------------------

/** A concrete step of a run: a driver call, an environment event, or a delivery of queued engine events. */
export type Action =
  | { readonly kind: "call"; readonly call: DriverCall }
  | { readonly kind: "environment"; readonly event: Extract<TraceEvent, { kind: "tcpipStack" | "resources" | "streamIndicated" | "aleClassify" | "packetIndicated" }> }
  | { readonly kind: "deliver"; readonly max: number };

/** The picked element: among `usable` when the pick is live (falling back to `all`), else among `all`. */
function choose<T>(pick: Pick, usable: readonly T[], all: readonly T[]): T | undefined {
  const list = pick.live && usable.length > 0 ? usable : all.length > 0 ? all : usable;
  if (list.length === 0) return undefined;
  return list[pick.index % list.length];
}

const BOGUS_NBL = "nbl-never-allocated";
const thread = { kind: "thread" as const };
const completionFnSite = { kind: "completionFn" as const };

function handleFits(types: readonly string[], type: string): boolean {
  return types.length === 0 ? type !== "FWPS_INJECTION_TYPE_NETWORK" : types.includes(type);
}

/** Turns a generated operation into a concrete call or event, or undefined when there is nothing to apply it to. */
export function resolveOperation(operation: Operation, view: ModelView, fresh: (prefix: string) => string): Action | undefined {
  const liveHandles = view.handles.filter((handle) => handle.state !== "destroyed");
  const allHandleIds = [...view.handles.map((handle) => handle.id), "h-never-created"];
  const nblIds = [...view.nbls.map((nbl) => nbl.id), BOGUS_NBL];
  const owned = view.nbls.filter((nbl) => nbl.status === "owned");
  const call = (fn: DriverCall["fn"], irql: Irql, args: Record<string, unknown>, from: DriverCall["from"] = thread): Action =>
    ({ kind: "call", call: { fn, irql, from, args } as DriverCall });

  switch (operation.op) {
    case "createHandle":
      return call("FwpsInjectionHandleCreate0", operation.irql, { addressFamily: operation.addressFamily, flags: [...operation.types] });
    case "destroyHandle": {
      const handle = choose(operation.handle, view.handles.filter((h) => h.state === "open").map((h) => h.id), allHandleIds);
      if (handle === undefined) return undefined;
      return call("FwpsInjectionHandleDestroy0", operation.irql, { injectionHandle: handle }, operation.fromCompletion ? completionFnSite : thread);
    }
    case "allocatePool":
      return call("NdisAllocateNetBufferListPool", "PASSIVE_LEVEL", {});
    case "allocateNbl": {
      const pools = view.pools.filter((pool) => pool.live).map((pool) => pool.id);
      const pool = operation.pool === null ? null : choose(operation.pool, pools, [...view.pools.map((p) => p.id), "pool-never-allocated"]) ?? null;
      const mdlChain = operation.mdlBytes === null ? null : { byteCount: operation.mdlBytes };
      const overLong = operation.dataLength > 1500;
      return call("FwpsAllocateNetBufferAndNetBufferList0", operation.irql, {
        poolHandle: pool,
        contextSize: operation.contextSize,
        contextBackFill: operation.contextBackFill,
        mdlChain,
        dataOffset: mdlChain === null && !overLong ? 0 : operation.dataOffset,
        dataLength: mdlChain === null && !overLong ? 0 : operation.dataLength,
      });
    }
    case "cloneNbl": {
      // Cloning an injected packet and reinjecting the clone elsewhere is what Q1's
      // PREVIOUSLY_INJECTED_BY_SELF is about, so injected originals are picked half of the time.
      const present = view.nbls.filter((nbl) => nbl.status !== "freed");
      // Clones are picked a quarter of the time, so that clones of clones are made (lineage queries).
      const injected = present.filter((nbl) => nbl.injectedThrough.length > 0);
      const clones = present.filter((nbl) => nbl.parent !== null);
      const preferred = operation.original.index % 4 === 1 ? clones : operation.original.index % 2 === 0 ? injected : present;
      const original = choose(operation.original, (preferred.length > 0 ? preferred : present).map((nbl) => nbl.id), nblIds);
      if (original === undefined) return undefined;
      return call("FwpsAllocateCloneNetBufferList0", operation.irql, {
        originalNetBufferList: original,
        netBufferListPoolHandle: null,
        netBufferPoolHandle: null,
        allocateCloneFlags: operation.allocateCloneFlags,
      });
    }
    case "indicatePacket": {
      const direction = operation.layer === "inbound" ? "INBOUND" : "OUTBOUND";
      return {
        kind: "environment",
        event: {
          kind: "packetIndicated",
          layerId: `FWPS_LAYER_${direction}_IPPACKET_V${operation.ipVersion}`,
          netBufferList: (operation.reuseFreedId === true ? view.nbls.find((nbl) => nbl.status === "freed" && nbl.origin === "indicated" && nbl.id.startsWith("pkt") && nbl.injectedThrough.length === 0)?.id : undefined) ?? fresh("pkt"),
          ipVersion: operation.ipVersion,
          netBufferCount: operation.netBufferCount,
        },
      };
    }
    case "indicateStream": {
      const streamData = fresh("sd");
      return {
        kind: "environment",
        event: {
          kind: "streamIndicated",
          streamData,
          layerId: operation.v6 ? "FWPS_LAYER_STREAM_V6" : "FWPS_LAYER_STREAM_V4",
          flowId: `flow${operation.flow}`,
          netBufferListChain: Array.from({ length: operation.chainLength }, (_, i) => `${streamData}.nbl${i + 1}`),
          dataLength: operation.dataLength,
          streamFlags: operation.sendAbort ? ["FWPS_STREAM_FLAG_SEND_ABORT"] : ["FWPS_STREAM_FLAG_SEND"],
        },
      };
    }
    case "cloneStream": {
      const streamData = choose(operation.streamData, view.streamData.map((data) => data.id), [...view.streamData.map((data) => data.id), "sd-never-indicated"]);
      if (streamData === undefined) return undefined;
      return call("FwpsCloneStreamData0", operation.irql, {
        calloutStreamData: streamData,
        netBufferListPoolHandle: null,
        netBufferPoolHandle: null,
        allocateCloneFlags: operation.allocateCloneFlags,
      });
    }
    case "inject": {
      const type = operation.kind.startsWith("network") ? "FWPS_INJECTION_TYPE_NETWORK" : operation.kind === "forward" ? "FWPS_INJECTION_TYPE_FORWARD" : "FWPS_INJECTION_TYPE_TRANSPORT";
      const usableHandles = type === "FWPS_INJECTION_TYPE_NETWORK" ? liveHandles : liveHandles.filter((handle) => handleFits(handle.types, type));
      const usableNbls = owned.filter((nbl) => nbl.origin === "allocated" || nbl.origin === "clone").map((nbl) => nbl.id);
      // Misuse prefers NBLs of several NET_BUFFERs (fatal to inject inbound), then any id.
      const nbl = choose(operation.nbl, usableNbls, [...owned.filter((candidate) => candidate.netBufferCount > 1).map((candidate) => candidate.id), ...nblIds]);
      // A clone of a packet injected through one handle is reinjected through another half of the
      // time: the "previously injected by self" case of the injection-state query (Q1).
      const ancestorHandles: string[] = [];
      for (let current = view.nbls.find((candidate) => candidate.id === nbl)?.parent ?? null; current !== null && ancestorHandles.length < 64; ) {
        const record = view.nbls.find((candidate) => candidate.id === current);
        ancestorHandles.push(...(record?.injectedThrough ?? []));
        current = record?.parent ?? null;
      }
      const others = usableHandles.filter((handle) => ancestorHandles.length > 0 && !ancestorHandles.includes(handle.id));
      const handleId = choose(operation.handle, (others.length > 0 && operation.handle.index % 2 === 1 ? others : usableHandles).map((handle) => handle.id), allHandleIds);
      if (handleId === undefined || nbl === undefined) return undefined;
      const handle = view.handles.find((candidate) => candidate.id === handleId);
      const completion = {
        injectionHandle: handleId,
        injectionContext: fresh("ictx"),
        flags: operation.flags,
        completionFn: operation.nullCompletionFn ? null : "completionFn",
        completionContext: completionContextFor(operation.context, fresh),
      };
      if (operation.kind === "networkSend" || operation.kind === "networkReceive") {
        const ipVersion = operation.ipVersion ?? (handle?.addressFamily === "AF_INET6" ? 6 : 4);
        return operation.kind === "networkSend"
          ? call("FwpsInjectNetworkSendAsync0", operation.irql, { ...completion, compartmentId: 0, netBufferList: nbl, ipVersion })
          : call("FwpsInjectNetworkReceiveAsync0", operation.irql, { ...completion, compartmentId: 0, interfaceIndex: 1, subInterfaceIndex: 0, netBufferList: nbl, ipVersion });
      }
      if (operation.kind === "forward") {
        return call("FwpsInjectForwardAsync0", operation.irql, { ...completion, addressFamily: operation.addressFamily, compartmentId: 0, interfaceIndex: 1, netBufferList: nbl });
      }
      const tcp = operation.tcpFromClassify ? { ipProtocol: "TCP" } : {};
      const from: DriverCall["from"] = operation.tcpFromClassify ? { kind: "classify", layerId: "FWPS_LAYER_INBOUND_TRANSPORT_V4" } : thread;
      return operation.kind === "transportSend"
        ? call("FwpsInjectTransportSendAsync0", operation.irql, { ...completion, endpointHandle: 0, addressFamily: operation.addressFamily, compartmentId: 0, netBufferList: nbl, ...tcp }, from)
        : call("FwpsInjectTransportReceiveAsync0", operation.irql, { ...completion, addressFamily: operation.addressFamily, compartmentId: 0, interfaceIndex: 1, subInterfaceIndex: 0, netBufferList: nbl, ...tcp }, from);
    }
    case "injectStream": {
      const handleId = choose(operation.handle, liveHandles.filter((handle) => handleFits(handle.types, "FWPS_INJECTION_TYPE_STREAM")).map((handle) => handle.id), allHandleIds);
      if (handleId === undefined) return undefined;
      let netBufferList: string[] | null;
      let dataLength = 100;
      if ("chain" in operation.data) {
        const usable = view.chains.filter((chain) => !chain.discarded && chain.members.every((id) => owned.some((nbl) => nbl.id === id && !nbl.completed)));
        const chain = choose(operation.data.chain, usable, view.chains);
        if (chain === undefined) return undefined;
        netBufferList = [...chain.members];
        dataLength = view.streamData.find((data) => data.id === chain.streamData)?.dataLength ?? dataLength;
      } else if ("nbl" in operation.data) {
        const nbl = choose(operation.data.nbl, owned.filter((candidate) => candidate.origin !== "indicated").map((candidate) => candidate.id), nblIds);
        if (nbl === undefined) return undefined;
        netBufferList = [nbl];
      } else {
        netBufferList = null;
        dataLength = 0;
      }
      const layerId = operation.v6Layer === "bogus" ? "FWPS_LAYER_OUTBOUND_TRANSPORT_V4" : operation.v6Layer ? "FWPS_LAYER_STREAM_V6" : "FWPS_LAYER_STREAM_V4";
      return call("FwpsStreamInjectAsync0", operation.irql, {
        injectionHandle: handleId,
        injectionContext: fresh("ictx"),
        flags: operation.flags,
        flowId: `flow${operation.flow}`,
        calloutId: 1,
        layerId,
        streamFlags: [...operation.streamFlags],
        netBufferList,
        dataLength,
        completionFn: operation.nullCompletionFn ? null : "completionFn",
        completionContext: completionContextFor(operation.context, fresh),
      });
    }
    case "freeClone": {
      const usable = owned.filter((nbl) => nbl.origin === "clone" || (nbl.origin === "streamClone" && nbl.completed)).map((nbl) => nbl.id);
      const nbl = choose(operation.nbl, usable, nblIds);
      if (nbl === undefined) return undefined;
      return call("FwpsFreeCloneNetBufferList0", operation.irql, { netBufferList: nbl, freeCloneFlags: operation.freeCloneFlags }, operation.fromCompletion ? completionFnSite : thread);
    }
    case "freeNbl": {
      // Misuse picks among every NBL the driver holds first (the wrong free function), then any id.
      const nbl = choose(operation.nbl, owned.filter((candidate) => candidate.origin === "allocated").map((candidate) => candidate.id), [...owned.filter((candidate) => candidate.origin === "streamClone" && candidate.completed).map((candidate) => candidate.id), ...owned.map((candidate) => candidate.id), ...nblIds]);
      if (nbl === undefined) return undefined;
      return call("FwpsFreeNetBufferList0", operation.irql, { netBufferList: nbl });
    }
    case "discard": {
      const usable = view.chains.filter((chain) => !chain.discarded && chain.members.every((id) => owned.some((nbl) => nbl.id === id && !nbl.completed)));
      const chain = choose(operation.chain, usable, view.chains);
      if (chain === undefined) return undefined;
      const members = operation.partial && chain.members.length > 1 ? chain.members.slice(0, 1) : [...chain.members];
      const atDispatch = operation.irql === "DISPATCH_LEVEL";
      return call("FwpsDiscardClonedStreamData0", operation.irql, {
        clonedNetBufferListChain: members,
        allocateCloneFlags: operation.allocateCloneFlags,
        dispatchLevel: operation.wrongDispatchLevel ? !atDispatch : atDispatch,
      });
    }
    case "aleClassify": {
      const packet = operation.layer.includes("RECV_ACCEPT") ? { netBufferList: fresh("pkt") } : {};
      return { kind: "environment", event: { kind: "aleClassify", layerId: operation.layer, completionHandle: fresh("ch"), reauthorization: operation.reauthorization, ...packet } };
    }
    case "pend": {
      const handle =
        operation.completionHandle === null
          ? null
          : choose(operation.completionHandle, view.completionHandles.filter((handle) => !handle.pended).map((handle) => handle.id), [...view.completionHandles.map((handle) => handle.id), "ch-never-classified"]);
      if (handle === undefined) return undefined;
      return call("FwpsPendOperation0", operation.irql, { completionHandle: handle });
    }
    case "complete": {
      const pend = choose(operation.pend, view.pends.filter((candidate) => !candidate.completed).map((candidate) => candidate.completionContext), [...view.pends.map((candidate) => candidate.completionContext), "pc-never-pended"]);
      if (pend === undefined) return undefined;
      const nbl = operation.nbl === null ? null : choose(operation.nbl, view.nbls.filter((candidate) => candidate.status !== "freed" && candidate.origin === "clone").map((candidate) => candidate.id), nblIds) ?? null;
      return call("FwpsCompleteOperation0", operation.irql, { completionContext: pend, netBufferList: nbl });
    }
    case "query": {
      // Queries are most telling about packets that were injected, through a handle that injected
      // them or an NBL they were cloned from (the four injection states of Q1).
      const present = view.nbls.filter((candidate) => candidate.status !== "freed");
      const injected = present.filter((candidate) => candidate.injectedThrough.length > 0);
      const clones = present.filter((candidate) => candidate.parent !== null);
      // Clones with an ancestor injected through a handle other than their own last injection's.
      const ancestorHandles = (candidate: (typeof present)[number]): string[] => {
        const handles: string[] = [];
        for (let current = candidate.parent === null ? undefined : view.nbls.find((other) => other.id === candidate.parent); current !== undefined && handles.length < 64; current = current.parent === null ? undefined : view.nbls.find((other) => other.id === current!.parent)) handles.push(...current.injectedThrough);
        return handles.filter((handle) => handle !== candidate.injectedThrough[candidate.injectedThrough.length - 1]);
      };
      const previouslyInjected = clones.filter((candidate) => ancestorHandles(candidate).length > 0);
      const preferred = [injected, clones, present, previouslyInjected][operation.nbl.index % 4]!;
      const nbl = choose(operation.nbl, (preferred.length > 0 ? preferred : present).map((candidate) => candidate.id), nblIds);
      if (nbl === undefined) return undefined;
      const lineage: string[] = [];
      for (let current = view.nbls.find((candidate) => candidate.id === nbl); current !== undefined; current = current.parent === null ? undefined : view.nbls.find((candidate) => candidate.id === current!.parent)) {
        lineage.push(...current.injectedThrough);
        if (lineage.length > 64) break;
      }
      // Handles that injected an ancestor but not the NBL's own last injection come first: the
      // "previously injected by self" answer.
      const own = view.nbls.find((candidate) => candidate.id === nbl)?.injectedThrough ?? [];
      const ancestors = lineage.slice(own.length).filter((id) => id !== own[own.length - 1]);
      const previously = liveHandles.filter((candidate) => ancestors.includes(candidate.id)).map((candidate) => candidate.id);
      const related = previously.length > 0 && operation.handle.index % 4 === 0 ? previously : liveHandles.filter((candidate) => lineage.includes(candidate.id)).map((candidate) => candidate.id);
      const handle = choose(operation.handle, related.length > 0 && operation.handle.index % 2 === 0 ? related : liveHandles.map((candidate) => candidate.id), allHandleIds);
      if (handle === undefined) return undefined;
      return call("FwpsQueryPacketInjectionState0", operation.irql, { injectionHandle: handle, netBufferList: nbl });
    }
    case "tcpipStack":
      return { kind: "environment", event: { kind: "tcpipStack", ready: operation.ready } };
    case "resources":
      return { kind: "environment", event: { kind: "resources", exhausted: operation.exhausted } };
    case "deliver":
      return { kind: "deliver", max: operation.max };
  }
}
