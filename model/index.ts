/**
 * The reference model of the WFP packet-injection API: a pure function from a state and an observable
 * event to the next state and a verdict, plus what the engine still owes and a whole-trace check.
 * Written for clarity, not speed (see README.md in this folder); it never throws and never mutates.
 */
import type { TraceEvent } from "../spec/events.ts";
import { RULES } from "../spec/rules.ts";
import type { Platform } from "../spec/vocabulary.ts";
import { initialState, type ModelState } from "./state.ts";
import { step } from "./step.ts";
import type { PortabilityNote, Violation } from "./judge.ts";

export { initialState, describe, type ModelState, type ModelView, type ModelOptions } from "./state.ts";
export { step, expectedResult, injectionStateOf, injectionStateAnswers, type StepResult } from "./step.ts";
export {
  statusAllowed,
  describeAllowed,
  type Violation,
  type Party,
  type Expectation,
  type StatusExpectation,
  type PortabilityNote,
  type InjectionStateAnswer,
} from "./judge.ts";

/** What the engine still owes at a point of a run. */
export interface Obligations {
  /** Completions owed: one per NBL of every successful injection not yet completed. */
  readonly completions: readonly { readonly netBufferList: string; readonly completionContext: string | null; readonly injectionHandle: string; readonly fn: string }[];
  /** Destroys that have not returned, with the handle each closes and how many completions it still waits for. */
  readonly blockedDestroys: readonly { readonly callId: string; readonly injectionHandle: string | null; readonly waitingFor: number }[];
}

/** The completions and destroy returns the engine owes in `state`. */
export function obligations(state: ModelState): Obligations {
  const injections = [...state.injections.values()];
  return {
    completions: injections.filter((injection) => !injection.unjudged).flatMap((injection) =>
      injection.owed.map((netBufferList) => ({ netBufferList, completionContext: injection.completionContext, injectionHandle: injection.handle, fn: injection.fn })),
    ),
    blockedDestroys: [...state.blockedDestroys.values()].map((blocked) => ({
      callId: blocked.callId,
      injectionHandle: blocked.handle,
      waitingFor: blocked.handle === null ? 0 : injections.filter((injection) => injection.handle === blocked.handle && !injection.unjudged).reduce((sum, injection) => sum + injection.owed.length, 0),
    })),
  };
}

/** Settings of a whole-trace check. */
export interface CheckOptions {
  readonly platform?: Platform;
  /** The line of each event (positions in violations); by default the 1-based index of the event. */
  readonly lines?: readonly number[];
}

/** What a whole-trace check found. */
export interface CheckResult {
  readonly violations: Violation[];
  /** Portability notes: inputs the pages are silent on, where engines may differ (never failures). */
  readonly notes: PortabilityNote[];
  /** Rule id -> how many times its premise was reached (engine rules) or its misuse committed (caller rules). */
  readonly exercised: ReadonlyMap<string, number>;
  readonly state: ModelState;
}

/** Steps the model over a whole trace and collects every violation. */
export function checkTrace(events: readonly TraceEvent[], options: CheckOptions = {}): CheckResult {
  let state = initialState(options.platform === undefined ? {} : { platform: options.platform });
  const violations: Violation[] = [];
  const notes: PortabilityNote[] = [];
  const exercised = new Map<string, number>();
  events.forEach((event, index) => {
    const result = step(state, event, options.lines?.[index] ?? index + 1);
    state = result.state;
    violations.push(...result.violations);
    notes.push(...result.notes);
    for (const ruleId of result.exercised) exercised.set(ruleId, (exercised.get(ruleId) ?? 0) + 1);
  });
  return { violations, notes, exercised, state };
}

/** The ids of the catalogue's rules that the model checks. */
export const MODEL_RULE_IDS: readonly string[] = RULES.filter((rule) => rule.modelled).map((rule) => rule.id);
