/**
 * Test vectors (docs/vectors.md): operation sequences with every result the model allows and every
 * completion it owes, for implementations that cannot be driven live. Made from two sources:
 *
 * - the bounded exhaustive exploration (properties/explore.ts) against the built-in simulator: one
 *   vector per distinct state reached, so that the end-of-vector check (drain, idle: every owed
 *   completion arrived once, every blocked destroy returned) is made in every distinct state, as
 *   `explore` itself does;
 * - the example traces (examples/traces/), except those in which the engine broke a rule.
 *
 * Each step's expectation is computed by the model on its state before the step; the reference
 * result (what the built-in or the trace did) is the path the rest of the vector follows.
 * `replayVector` is the runner in TypeScript (examples/python/run_vectors.py is the same algorithm).
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkTrace, describe, expectedResult, initialState, obligations, step, type Expectation, type ModelState } from "../model/index.ts";
import type { CallEvent, TraceEvent } from "../spec/events.ts";
import type { DeliveryPolicy, DriverCall, EngineOutput, EnginePort, PortFactory, PortOptions, PortStep } from "../spec/port.ts";
import { parseTraceText } from "../spec/trace.ts";
import { API_FAMILIES, familyOf, type ApiFamily, type ApiFunction, type INJECTION_STATES, type Platform } from "../spec/vocabulary.ts";

type InjectionState = (typeof INJECTION_STATES)[number];
import { VECTOR_FORMAT, VECTOR_FORMAT_VERSION, type Vector, type VectorStep } from "../spec/vectors.ts";
import { PACKAGE_ROOT } from "../spec/tool.ts";
import { explore } from "./explore.ts";
import type { Action } from "./session.ts";
import type { ExploreScope } from "./alphabet.ts";

type Configuration = Vector["configuration"];
type OwedEntry = Vector["steps"][number]["after"]["completions"][number];

/** Result fields that carry the ids of new objects, per function. */
const NEW_OBJECT_FIELDS: Readonly<Record<string, string>> = {
  FwpsInjectionHandleCreate0: "injectionHandle",
  NdisAllocateNetBufferListPool: "poolHandle",
  FwpsAllocateNetBufferAndNetBufferList0: "netBufferList",
  FwpsAllocateCloneNetBufferList0: "netBufferList",
  FwpsCloneStreamData0: "netBufferListChain",
  FwpsPendOperation0: "completionContext",
};

/** One step before the model's verdicts are attached: what was sent and what the reference engine did. */
type RawStep =
  | { readonly kind: "call"; readonly event: CallEvent; readonly engine: readonly EngineOutput[] }
  | { readonly kind: "environment"; readonly event: Extract<VectorStep, { kind: "environment" }>["event"]; readonly engine: readonly EngineOutput[] }
  | { readonly kind: "deliver"; readonly max: number; readonly engine: readonly EngineOutput[] };

/** A vector could not be made from a sequence (the reference engine broke a rule on it). */
export class VectorBuildError extends Error {
  override readonly name = "VectorBuildError";
}

function owedOf(state: ModelState): OwedEntry[] {
  const view = describe(state);
  return obligations(state).completions.map((owed) => {
    const origin = view.nbls.find((nbl) => nbl.id === owed.netBufferList)?.origin;
    const missingRuleId = owed.fn !== "FwpsStreamInjectAsync0" ? "completion/after-injection" : origin === "streamClone" ? "clone-stream/completion-per-clone" : "stream-inject/completion-per-nbl";
    return { netBufferList: owed.netBufferList, completionContext: owed.completionContext, injectionHandle: owed.injectionHandle, fn: owed.fn, missingRuleId };
  });
}

function obligationsOf(state: ModelState): Vector["steps"][number]["after"] {
  return {
    completions: owedOf(state),
    blockedCalls: obligations(state).blockedDestroys.map((blocked) => ({ callId: blocked.callId, injectionHandle: blocked.injectionHandle, waitingFor: blocked.waitingFor })),
  };
}

const owedKey = (owed: { netBufferList: string; completionContext: string | null }) => `${owed.netBufferList}\u0000${owed.completionContext ?? ""}`;

/** Multiset difference: the entries of `after` not matched by one of `before`. */
function newlyOwed(before: readonly OwedEntry[], after: readonly OwedEntry[]): OwedEntry[] {
  const left = new Map<string, number>();
  for (const owed of before) left.set(owedKey(owed), (left.get(owedKey(owed)) ?? 0) + 1);
  return after.filter((owed) => {
    const count = left.get(owedKey(owed)) ?? 0;
    if (count > 0) {
      left.set(owedKey(owed), count - 1);
      return false;
    }
    return true;
  });
}

function toExpectation(expectation: Expectation): Extract<VectorStep, { kind: "call" }>["expect"] {
  if (expectation.kind === "status") {
    return {
      kind: "status",
      allowed: [...expectation.allowed],
      otherFailureAllowed: expectation.otherFailureAllowed,
      ruleId: expectation.ruleId,
      ...(expectation.mustBlock === undefined ? {} : { mustBlock: expectation.mustBlock }),
    };
  }
  if (expectation.kind === "injectionState") {
    const answers = expectation.answers.map(({ injectionState, injectionContext }) => ({ injectionState: injectionState as InjectionState, injectionContext }));
    return {
      kind: "injectionState",
      injectionState: expectation.injectionState as InjectionState | null,
      injectionContext: expectation.injectionContext,
      ...(answers.length > 1 ? { answers } : {}),
      ruleId: expectation.ruleId,
    };
  }
  return { kind: "void" };
}

/** Attaches the model's expectations and obligations to raw steps; throws VectorBuildError if the reference broke an engine rule. */
function buildVector(meta: { id: string; source: Vector["source"]; configuration: Configuration }, raw: readonly RawStep[]): Vector {
  let state = initialState({ platform: meta.configuration.platform });
  let position = 0;
  const usedCallIds = new Set(raw.flatMap((item) => (item.kind === "call" && item.event.callId !== undefined ? [item.event.callId] : [])));
  let callCounter = 0;
  const advance = (event: TraceEvent): string[] => {
    position += 1;
    const result = step(state, event, position);
    state = result.state;
    const engine = result.violations.filter((violation) => violation.party !== "caller");
    if (engine.length > 0) throw new VectorBuildError(`${meta.id}: the reference broke ${engine.map((violation) => `${violation.ruleId} (${violation.message})`).join("; ")}`);
    return [...new Set(result.violations.filter((violation) => violation.party === "caller").map((violation) => violation.ruleId))];
  };
  const families = new Set<ApiFamily>();
  const steps: VectorStep[] = raw.map((item, index): VectorStep => {
    const before = owedOf(state);
    let callerViolations: string[] = [];
    let built: Record<string, unknown> & { kind: VectorStep["kind"] };
    if (item.kind === "call") {
      const { kind: _kind, callId: givenId, ret, ...call } = item.event;
      let callId = givenId;
      while (callId === undefined || (givenId === undefined && usedCallIds.has(callId))) callId = `c${++callCounter}`;
      usedCallIds.add(callId);
      const expect = toExpectation(expectedResult(state, call as DriverCall));
      callerViolations = advance({ ...item.event, callId } as TraceEvent);
      families.add(familyOf(call.fn as ApiFunction));
      const field = NEW_OBJECT_FIELDS[call.fn];
      const names: Record<string, string | string[]> = {};
      const returned = field === undefined || ret === undefined ? undefined : (ret as Record<string, unknown>)[field];
      if (field !== undefined && (typeof returned === "string" || Array.isArray(returned))) names[field] = returned as string | string[];
      built = { kind: "call", callId, call: call as never, expect, names, owes: [], reference: { ret: (ret as Record<string, unknown> | undefined) ?? null, events: [...item.engine] } } as never;
    } else if (item.kind === "environment") {
      callerViolations = advance(item.event as TraceEvent);
      built = { kind: "environment", event: item.event, reference: { events: [...item.engine] } };
    } else {
      built = { kind: "deliver", max: item.max, reference: { events: [...item.engine] } };
    }
    // What the step itself made owed: the model's obligations before the engine events of the step.
    const owes = built.kind === "call" ? newlyOwed(before, owedOf(state)) : [];
    for (const output of item.engine) advance(output as TraceEvent);
    const after = obligationsOf(state);
    return { step: index + 1, ...built, ...(built.kind === "call" ? { owes } : {}), callerViolations, after } as VectorStep;
  });
  const order = Object.keys(API_FAMILIES) as ApiFamily[];
  return {
    format: VECTOR_FORMAT,
    version: VECTOR_FORMAT_VERSION,
    id: meta.id,
    source: meta.source,
    configuration: meta.configuration,
    families: order.filter((family) => families.has(family)),
    steps,
  };
}

// -------------------------------------------------------------------------------------------------
// Source 1: the exploration.
// -------------------------------------------------------------------------------------------------

/** Splits an explored sequence's trace into one raw step per action. */
function rawStepsOfExploration(actions: readonly Action[], trace: readonly TraceEvent[]): RawStep[] {
  let at = 0;
  const engineEvents = (): EngineOutput[] => {
    const out: EngineOutput[] = [];
    while (at < trace.length && (trace[at]!.kind === "completion" || trace[at]!.kind === "return")) out.push(trace[at++] as EngineOutput);
    return out;
  };
  const steps = actions.map((action): RawStep => {
    if (action.kind === "deliver") return { kind: "deliver", max: action.max, engine: engineEvents() };
    const event = trace[at++];
    if (event === undefined || (action.kind === "call" ? event.kind !== "call" : event.kind !== action.event.kind)) {
      throw new VectorBuildError(`the trace does not follow the actions at event ${at}`);
    }
    return action.kind === "call" ? { kind: "call", event: event as CallEvent, engine: engineEvents() } : { kind: "environment", event: event as never, engine: engineEvents() };
  });
  if (at !== trace.length) throw new VectorBuildError(`the trace has ${trace.length - at} events after the last action`);
  return steps;
}

/** Settings of the vectors made by exploration. */
export interface ExplorationVectorOptions {
  readonly depth: number;
  readonly policy: DeliveryPolicy;
  readonly completionIrql?: "PASSIVE_LEVEL" | "DISPATCH_LEVEL";
  readonly platform?: Platform;
  readonly scope?: ExploreScope;
  /** The reference implementation (default: the built-in simulator). */
  readonly factory?: PortFactory;
}

export const VECTOR_PORT_DEFAULTS = { completionIrql: "DISPATCH_LEVEL", seed: 1, batchSize: 2, platform: "x64" } as const;

/** One vector per distinct state the exploration reaches, in the (deterministic) order reached; given to `onVector` as made (not kept) when it is passed. */
export async function vectorsFromExploration(options: ExplorationVectorOptions, onVector?: (vector: Vector) => void): Promise<Vector[]> {
  const factory = options.factory ?? (await import("../impl/port-adapter.ts")).createPort;
  const configuration: Configuration = {
    policy: options.policy,
    completionIrql: options.completionIrql ?? VECTOR_PORT_DEFAULTS.completionIrql,
    seed: VECTOR_PORT_DEFAULTS.seed,
    batchSize: VECTOR_PORT_DEFAULTS.batchSize,
    platform: options.platform ?? VECTOR_PORT_DEFAULTS.platform,
  };
  const vectors: Vector[] = [];
  let made = 0;
  const irqlTag = configuration.completionIrql === "DISPATCH_LEVEL" ? "dispatch" : "passive";
  const outcome = await explore({
    factory,
    port: configuration,
    depth: options.depth,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    onNewState: (reached) => {
      const index = ++made;
      const id = `explore/${configuration.policy}/${irqlTag}/${String(index).padStart(5, "0")}`;
      (onVector ?? ((vector: Vector) => vectors.push(vector)))(buildVector({ id, source: { kind: "explore", depth: reached.depth, policy: configuration.policy, index }, configuration }, rawStepsOfExploration(reached.actions, reached.trace)));
    },
  });
  if (!outcome.ok) throw new VectorBuildError(`the reference implementation diverged from the model while exploring: ${outcome.counterexample?.divergence?.model ?? outcome.counterexample?.error ?? "unknown"}`);
  return vectors;
}

// -------------------------------------------------------------------------------------------------
// Source 2: the example traces.
// -------------------------------------------------------------------------------------------------

const DRIVER_KINDS = new Set(["call", "tcpipStack", "resources", "streamIndicated", "aleClassify", "packetIndicated", "driverUnload"]);

/** Moves each `return` event right after the completion that preceded it (the port reports a blocked call's return in the step of the completion that released it). */
function returnsAfterTheirCompletion(events: readonly TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const event of events) {
    if (event.kind === "return") {
      let at = out.length;
      const ownCall = (candidate: TraceEvent) => candidate.kind === "call" && candidate.callId === event.callId;
      while (at > 0 && out[at - 1]!.kind !== "completion" && out[at - 1]!.kind !== "return" && !ownCall(out[at - 1]!)) at -= 1;
      out.splice(at === 0 || ownCall(out[at - 1]!) ? out.length : at, 0, event);
    } else out.push(event);
  }
  return out;
}

/** Raw steps of a trace for a policy: engine events follow their driver event (immediate) or make a `deliver` step (queued policies). */
function rawStepsOfTrace(events: readonly TraceEvent[], policy: DeliveryPolicy): RawStep[] {
  const steps: RawStep[] = [];
  let group: EngineOutput[] = [];
  let last: RawStep | undefined;
  const flush = () => {
    if (group.length === 0) return;
    const completions = group.filter((event) => event.kind === "completion").length;
    if (policy === "immediate" || completions === 0) {
      if (last === undefined) throw new VectorBuildError("engine events before any driver event");
      last = { ...last, engine: [...last.engine, ...group] };
      steps[steps.length - 1] = last;
    } else {
      last = { kind: "deliver", max: completions, engine: group };
      steps.push(last);
    }
    group = [];
  };
  for (const event of events) {
    if (event.kind === "completion" || event.kind === "return") {
      group.push(event);
      continue;
    }
    flush();
    if (!DRIVER_KINDS.has(event.kind)) continue; // engineIdle: the end of the vector does it
    last = event.kind === "call" ? { kind: "call", event, engine: [] } : { kind: "environment", event: event as never, engine: [] };
    steps.push(last);
  }
  flush();
  return steps;
}

/** A trace that gave no vector, and why. */
export interface SkippedExample {
  readonly file: string;
  readonly reason: string;
}

/**
 * One vector per example trace in which the engine broke no rule (the ok-* traces, and the bad-*
 * traces whose violations are all caller misuse). The configuration is the first delivery policy
 * (immediate, fifo, lifo) under which the reference implementation reproduces the trace's engine
 * events step for step; a trace that none reproduces is skipped.
 */
export async function vectorsFromExamples(directory: string, options: { readonly factory?: PortFactory; readonly platform?: Platform } = {}): Promise<{ vectors: Vector[]; skipped: SkippedExample[] }> {
  const factory = options.factory ?? (await import("../impl/port-adapter.ts")).createPort;
  const platform = options.platform ?? VECTOR_PORT_DEFAULTS.platform;
  const vectors: Vector[] = [];
  const skipped: SkippedExample[] = [];
  const files = readdirSync(directory).filter((name) => name.endsWith(".jsonl")).sort();
  for (const file of files) {
    const parsed = parseTraceText(readFileSync(join(directory, file), "utf8"), file);
    if ("error" in parsed) {
      skipped.push({ file, reason: `malformed: line ${parsed.error.line}: ${parsed.error.message}` });
      continue;
    }
    const engine = checkTrace(parsed.events, { platform }).violations.filter((violation) => violation.party !== "caller");
    if (engine.length > 0) {
      skipped.push({ file, reason: `the engine breaks ${[...new Set(engine.map((violation) => violation.ruleId))].join(", ")} in it` });
      continue;
    }
    const firstCompletion = parsed.events.find((event) => event.kind === "completion");
    const completionIrql = firstCompletion?.kind === "completion" && firstCompletion.irql === "PASSIVE_LEVEL" ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL";
    const events = returnsAfterTheirCompletion(parsed.events);
    const name = basename(file, ".jsonl");
    let made: Vector | undefined;
    // Failing a pass, the policy under which the reference follows the trace furthest (the trace's
    // results are allowed ones: an implementation that follows it further checks more).
    let furthest: { vector: Vector; step: number } | undefined;
    const tried: string[] = [];
    for (const policy of ["immediate", "fifo", "lifo"] as const) {
      const configuration: Configuration = { policy, completionIrql, seed: VECTOR_PORT_DEFAULTS.seed, batchSize: VECTOR_PORT_DEFAULTS.batchSize, platform };
      let vector: Vector;
      try {
        vector = buildVector({ id: `example/${name}`, source: { kind: "example", file }, configuration }, rawStepsOfTrace(events, policy));
      } catch (error) {
        tried.push(`${policy}: ${(error as Error).message}`);
        continue;
      }
      const outcome = await replayVector(vector, factory);
      if (outcome.verdict === "pass") {
        made = vector;
        break;
      }
      tried.push(`${policy}: ${outcome.verdict} at step ${outcome.step}: ${outcome.actual}`);
      if (outcome.verdict === "diverged" && (furthest === undefined || outcome.step > furthest.step)) furthest = { vector, step: outcome.step };
    }
    made ??= furthest?.vector;
    if (made === undefined) skipped.push({ file, reason: `no delivery policy of the reference reproduces its engine events (${tried.join("; ")})` });
    else vectors.push(made);
  }
  return { vectors, skipped };
}

// -------------------------------------------------------------------------------------------------
// The runner.
// -------------------------------------------------------------------------------------------------

/** What replaying one vector against an implementation gave. */
export interface VectorOutcome {
  /** pass; fail (an engine rule broken); diverged (an allowed result other than the reference's: the rest does not apply); not-applicable (a family the implementation lacks). */
  readonly verdict: "pass" | "fail" | "diverged" | "not-applicable";
  /** The step (1-based; steps.length + 1 for the final drain and idle), when not a pass. */
  readonly step: number;
  readonly ruleId: string;
  readonly expected: string;
  readonly actual: string;
}

class Stop extends Error {
  constructor(readonly outcome: VectorOutcome) {
    super(outcome.actual);
  }
}

const DRAIN_ROUNDS = 10_000;

/**
 * Replays one vector against a fresh implementation made by `factory` (the algorithm of
 * docs/vectors.md, "The runner"). Names map to the implementation's own ids as its results come
 * back; completions are matched to owed ones by NBL and completion context.
 */
export async function replayVector(vector: Vector, factory: PortFactory): Promise<VectorOutcome> {
  const options: PortOptions = { ...vector.configuration };
  const port: EnginePort = await factory(options);
  let at = 0;
  const fail = (ruleId: string, expected: string, actual: string): never => {
    throw new Stop({ verdict: "fail", step: at, ruleId, expected, actual });
  };
  const diverged = (expected: string, actual: string): never => {
    throw new Stop({ verdict: "diverged", step: at, ruleId: "", expected, actual });
  };
  try {
    const missing = vector.families.filter((family) => !port.families.includes(family));
    if (missing.length > 0) return { verdict: "not-applicable", step: 0, ruleId: "", expected: `families ${vector.families.join(", ")}`, actual: `the implementation lacks ${missing.join(", ")}` };
    const ids = new Map<string, string>();
    const implOf = (name: string) => ids.get(name) ?? name;
    const translate = (value: unknown): unknown =>
      typeof value === "string" ? implOf(value) : Array.isArray(value) ? value.map(translate) : value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, translate(item)])) : value;
    let owed: OwedEntry[] = [];
    const blocked = new Map<string, string | null>();
    const returnedHandles = new Set<string>();
    const completedNbls = new Set<string>();

    const absorb = (output: PortStep): void => {
      if (typeof output !== "object" || output === null || !Array.isArray(output.events)) fail("port", "a step {ret?, events, findings}", JSON.stringify(output));
      for (const event of output.events as readonly EngineOutput[]) {
        if (event?.kind === "completion") {
          if (event.irql === "DIRQL") fail("completion/irql", "completionFn at PASSIVE_LEVEL or DISPATCH_LEVEL", `at ${event.irql}`);
          if (event.dispatchLevel !== (event.irql === "DISPATCH_LEVEL")) fail("completion/dispatch-level-flag", `dispatchLevel ${event.irql === "DISPATCH_LEVEL"}`, `dispatchLevel ${String(event.dispatchLevel)} at ${event.irql}`);
          const index = owed.findIndex((entry) => implOf(entry.netBufferList) === event.netBufferList && entry.completionContext === event.completionContext);
          if (index === -1) {
            const sameNbl = owed.find((entry) => implOf(entry.netBufferList) === event.netBufferList);
            const shown = `completion(${String(event.netBufferList)}, context ${String(event.completionContext)})`;
            const expected = `completions owed: ${owed.map((entry) => `${entry.netBufferList}=${implOf(entry.netBufferList)} (context ${String(entry.completionContext)})`).join(", ") || "none"}`;
            if (sameNbl !== undefined) fail(sameNbl.fn === "FwpsStreamInjectAsync0" ? "completion/once-per-nbl" : "completion/context", expected, shown);
            if (event.netBufferList !== null && completedNbls.has(event.netBufferList)) fail("completion/once-per-nbl", expected, `${shown}: a second completion`);
            fail("inject/completion-only-on-success", expected, `${shown}: no successful injection owes it`);
          }
          const entry = owed[index]!;
          if (returnedHandles.has(entry.injectionHandle)) fail("handle-destroy/no-completion-after-return", `no completion through ${entry.injectionHandle} after its destroy returned`, `completion of ${entry.netBufferList}`);
          owed = [...owed.slice(0, index), ...owed.slice(index + 1)];
          completedNbls.add(String(event.netBufferList));
        } else if (event?.kind === "return") {
          if (!blocked.has(event.callId)) fail("handle-destroy/returns", `a return only for a blocked call (${[...blocked.keys()].join(", ") || "none"})`, `return of ${event.callId}`);
          const handle = blocked.get(event.callId) ?? null;
          if (event.ret?.["status"] !== "STATUS_SUCCESS") fail("handle-destroy/returns", "STATUS_SUCCESS", String(event.ret?.["status"]));
          const waiting = owed.filter((entry) => entry.injectionHandle === handle);
          if (waiting.length > 0) fail("handle-create/destroy-waits", `the destroy of ${String(handle)} returns after ${waiting.length} more completion(s)`, `returned with ${waiting.map((entry) => entry.netBufferList).join(", ")} in flight`);
          blocked.delete(event.callId);
          if (handle !== null) returnedHandles.add(handle);
        } else {
          fail("port", "a completion or return event", JSON.stringify(event));
        }
      }
    };
    /** After a step: the implementation must now owe exactly what the reference owed, or the path diverged. */
    const sameAsReference = (after: Vector["steps"][number]["after"]): void => {
      const mine = owed.map(owedKey).sort().join("|");
      const theirs = after.completions.map(owedKey).sort().join("|");
      const blockedMine = [...blocked.keys()].sort().join(",");
      const blockedTheirs = after.blockedCalls.map((call) => call.callId).sort().join(",");
      if (mine !== theirs || blockedMine !== blockedTheirs) {
        diverged(`owed ${theirs.replace(/\u0000/g, "/") || "nothing"}, blocked ${blockedTheirs || "none"}`, `owed ${mine.replace(/\u0000/g, "/") || "nothing"}, blocked ${blockedMine || "none"}`);
      }
      owed = after.completions.map((entry) => ({ ...entry }));
    };
    const checkFindings = (output: PortStep, expected: readonly string[]): void => {
      if (!port.verifier || !Array.isArray(output.findings)) return;
      const flagged = [...new Set(output.findings.map((finding) => finding.ruleId))].sort();
      const want = [...new Set(expected)].sort();
      if (flagged.join() !== want.join()) fail(want.filter((id) => !flagged.includes(id))[0] ?? flagged.filter((id) => !want.includes(id))[0] ?? "verifier", `verifier flags ${want.join(", ") || "nothing"}`, `flagged ${flagged.join(", ") || "nothing"}`);
    };

    for (const vectorStep of vector.steps) {
      at = vectorStep.step;
      if (vectorStep.kind === "call") {
        const call = translate(vectorStep.call) as DriverCall;
        const output = await port.call(vectorStep.callId, call);
        const ret = output?.ret as Record<string, unknown> | undefined;
        const reference = vectorStep.reference.ret;
        const expect = vectorStep.expect;
        if (ret === undefined && call.fn !== "FwpsInjectionHandleDestroy0") fail("port", `${call.fn} returns`, "the call did not return (no ret)");
        if (expect.kind === "status" && ret !== undefined) {
          const status = ret["status"];
          if (!(status === undefined && call.fn === "FwpsCompleteOperation0")) {
            const allowed = typeof status === "string" && (expect.allowed.includes(status) || (expect.otherFailureAllowed && status !== "STATUS_SUCCESS"));
            if (!allowed) fail(expect.ruleId, [...expect.allowed, ...(expect.otherFailureAllowed ? ["a failure status"] : [])].join(" | "), String(status));
          }
          if (expect.mustBlock === true) fail("handle-create/destroy-waits", "the destroy blocks (injections through the handle are in flight)", `returned ${String(status)}`);
        }
        if (expect.kind === "injectionState" && ret !== undefined) {
          const answers = expect.answers ?? [{ injectionState: expect.injectionState, injectionContext: expect.injectionContext }];
          const answer = answers.find((candidate) => candidate.injectionState === ret["injectionState"]);
          if (answer === undefined) fail(expect.ruleId, answers.map((candidate) => String(candidate.injectionState)).join(" | "), String(ret["injectionState"]));
          else if (String(answer.injectionState).endsWith("BY_SELF") && ret["injectionContext"] !== undefined && ret["injectionContext"] !== answer.injectionContext) {
            fail("query/injection-context", String(answer.injectionContext), String(ret["injectionContext"]));
          }
        }
        // The path: another allowed result than the reference's ends the vector.
        if ((reference === null) !== (ret === undefined)) diverged(reference === null ? "the call blocks" : `returns ${JSON.stringify(reference)}`, ret === undefined ? "the call blocks" : `returned ${JSON.stringify(ret)}`);
        if (reference !== null && ret !== undefined && reference["status"] !== ret["status"] && !(call.fn === "FwpsCompleteOperation0")) diverged(`status ${String(reference["status"])}`, `status ${String(ret["status"])}`);
        for (const [field, name] of Object.entries(vectorStep.names)) {
          const value = ret?.[field];
          if (typeof name === "string") {
            if (typeof value !== "string") fail(expect.kind === "status" ? expect.ruleId : "port", `ret.${field}: the new object's id`, JSON.stringify(value));
            ids.set(name, value as string);
          } else {
            if (!Array.isArray(value) || value.length !== name.length) fail("clone-stream/entire-chain", `ret.${field}: ${name.length} new ids`, JSON.stringify(value));
            name.forEach((item, index) => ids.set(item, String((value as unknown[])[index])));
          }
        }
        owed = [...owed, ...vectorStep.owes];
        if (ret === undefined) blocked.set(vectorStep.callId, (vectorStep.call.args as { injectionHandle?: string | null }).injectionHandle ?? null);
        absorb(output);
        checkFindings(output, vectorStep.callerViolations);
      } else if (vectorStep.kind === "environment") {
        // Environment events are sent as they are: their ids are the harness's, never translated.
        const output = await port.environment(vectorStep.event as never);
        absorb(output);
        checkFindings(output, vectorStep.callerViolations);
      } else {
        absorb(await port.deliver(vectorStep.max));
      }
      sameAsReference(vectorStep.after);
    }
    // The end: drain, then the engine is idle.
    at = vector.steps.length + 1;
    for (let round = 0; round < DRAIN_ROUNDS; round++) {
      const pending = await port.pendingWork();
      if (!(pending > 0)) break;
      absorb(await port.deliver(pending));
    }
    if (owed.length > 0) fail(owed[0]!.missingRuleId, `every owed completion delivered by the time the engine is idle`, `never delivered: ${owed.map((entry) => `${entry.netBufferList} (context ${String(entry.completionContext)})`).join(", ")}`);
    if (blocked.size > 0) fail("handle-destroy/returns", "every blocked destroy returns", `still blocked: ${[...blocked.keys()].join(", ")}`);
    return { verdict: "pass", step: 0, ruleId: "", expected: "", actual: "" };
  } catch (error) {
    if (error instanceof Stop) return error.outcome;
    return { verdict: "fail", step: at, ruleId: "port", expected: "a step {ret?, events, findings}", actual: `threw: ${(error as Error)?.message ?? String(error)}` };
  } finally {
    await port.dispose?.();
  }
}

// -------------------------------------------------------------------------------------------------
// Everything, for the CLI.
// -------------------------------------------------------------------------------------------------

/** Settings of `wfp-conform vectors`. */
export interface VectorsOptions {
  readonly depth: number;
  readonly policies: readonly DeliveryPolicy[];
  readonly exploration: boolean;
  readonly examples: boolean;
  readonly examplesDir?: string;
}

/** The default folder of example traces. */
export const EXAMPLES_DIR = join(PACKAGE_ROOT, "examples", "traces");

/** Every vector, exploration first (policy by policy), then the examples in file-name order, each handed to `onVector` as it is made. */
export async function generateVectors(options: VectorsOptions, onVector: (vector: Vector) => void): Promise<{ vectors: number; steps: number; fromExploration: number; fromExamples: number; skipped: SkippedExample[] }> {
  let vectors = 0;
  let steps = 0;
  const emit = (vector: Vector) => {
    vectors += 1;
    steps += vector.steps.length;
    onVector(vector);
  };
  if (options.exploration) for (const policy of options.policies) await vectorsFromExploration({ depth: options.depth, policy }, emit);
  const fromExploration = vectors;
  let skipped: SkippedExample[] = [];
  if (options.examples) {
    const examples = await vectorsFromExamples(options.examplesDir ?? EXAMPLES_DIR);
    examples.vectors.forEach(emit);
    skipped = examples.skipped;
  }
  return { vectors, steps, fromExploration, fromExamples: vectors - fromExploration, skipped };
}
