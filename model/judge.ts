/**
 * How the model states a verdict: premises as small named checks that record which rule was
 * exercised and, when broken, a violation naming the rule, who broke it and where. Who is at fault
 * comes from the catalogue (the rule's `obliged`), never from the check, so the two cannot disagree.
 */
import { ruleById, type RuleId } from "../spec/rules.ts";
import { STATUS } from "../spec/vocabulary.ts";

/** Who broke a rule: the engine (the implementation), the caller (the driver), or the model itself (a bug in the model). */
export type Party = "engine" | "caller" | "model";

/** One broken rule at one event. */
export interface Violation {
  readonly ruleId: string;
  readonly party: Party;
  readonly message: string;
  /** The event's position: its line in a trace file, or its index in a run. */
  readonly position: number;
  /** Misuse that bug-checks the machine. */
  readonly fatal?: boolean;
  /** The object a leak violation is about (one violation per leaked object). */
  readonly object?: string;
}

/**
 * A portability note: an input the pages are silent on, where engines may differ (success or a
 * parameter error are both accepted). Never a failure; reported beside the violations.
 */
export interface PortabilityNote {
  /** The decision of spec/decisions.ts that accepts both answers. */
  readonly decisionId: string;
  readonly message: string;
  readonly position: number;
}

/** The results the documentation allows for a call that returns an NTSTATUS. */
export interface StatusExpectation {
  readonly kind: "status";
  /** Statuses allowed by name. */
  readonly allowed: readonly string[];
  /** Whether any failure status (not STATUS_SUCCESS) is allowed besides `allowed`. */
  readonly otherFailureAllowed: boolean;
  /** The rule a result outside the allowed set breaks. */
  readonly ruleId: RuleId;
  /** For FwpsInjectionHandleDestroy0: whether the call must block (injections through the handle are in flight). */
  readonly mustBlock?: boolean;
  /** True when the call is misuse with no documented reply: any result is accepted, and a success owes nothing judged. */
  readonly unjudged?: boolean;
}

/** One answer of FwpsQueryPacketInjectionState0 the documentation allows, with the injectionContext it goes with. */
export interface InjectionStateAnswer {
  readonly injectionState: string;
  /** The injectionContext a returned one must equal for this state (null: none is judged). */
  readonly injectionContext: string | null;
}

/** What a call may return: a status, an injection state, or nothing the model judges. */
export type Expectation =
  | StatusExpectation
  | {
      readonly kind: "injectionState";
      /** The state the digest's Q1 gives (the first of `answers`). */
      readonly injectionState: string | null;
      readonly injectionContext: string | null;
      /** Every answer accepted (decisions query/after-completion, query/clone-of-injected), the Q1 one first. */
      readonly answers: readonly InjectionStateAnswer[];
      readonly ruleId: RuleId;
    }
  | { readonly kind: "void" };

/** Whether `status` is allowed by `expectation`. */
export function statusAllowed(expectation: StatusExpectation, status: string): boolean {
  if (expectation.allowed.includes(status)) return true;
  return expectation.otherFailureAllowed && status !== STATUS.SUCCESS;
}

/** The allowed results of an expectation, for messages. */
export function describeAllowed(expectation: StatusExpectation): string {
  const names = [...expectation.allowed];
  if (expectation.otherFailureAllowed) names.push("a failure status");
  return names.length === 0 ? "nothing" : names.join(" | ");
}

/** Collects the verdicts of one event. Local to one `step`; the model's state is never mutated. */
export class Judge {
  readonly violations: Violation[] = [];
  readonly exercised: string[] = [];
  readonly notes: PortabilityNote[] = [];
  /** The caller rules broken at this event so far, in order. */
  readonly brokenCallerRules: RuleId[] = [];

  /**
   * @param engineJudged false while a call that bug-checked is checked: its result is not judged
   * (there is none), only what the caller did.
   */
  constructor(
    readonly position: number,
    private readonly engineJudged = true,
  ) {}

  /** Records that a rule's premise was reached (its check could have failed here). */
  exercise(ruleId: RuleId): void {
    this.exercised.push(ruleId);
  }

  /** Reports `ruleId` broken when `broken` holds. Caller rules count as exercised only when broken (the misuse happened); engine rules whenever checked. */
  require(ruleId: RuleId, broken: boolean, message: string | (() => string)): boolean {
    const rule = ruleById(ruleId);
    const party: Party = rule === undefined ? "model" : rule.obliged;
    if (party === "engine" && !this.engineJudged) return true;
    if (party !== "caller") this.exercise(ruleId);
    if (!broken) return true;
    if (party === "caller") {
      this.exercise(ruleId);
      if (!this.brokenCallerRules.includes(ruleId)) this.brokenCallerRules.push(ruleId);
    }
    if (this.violations.some((violation) => violation.ruleId === ruleId)) return false;
    this.violations.push({
      ruleId,
      party,
      message: typeof message === "string" ? message : message(),
      position: this.position,
      ...(rule?.outcome === "fatal" ? { fatal: true } : {}),
    });
    return false;
  }

  /** Whether the caller broke a rule at this event so far (misuse: the engine's answer is then not judged unless documented). */
  get misuse(): boolean {
    return this.brokenCallerRules.length > 0;
  }

  /** Reports one leaked object under `ruleId` (a caller obligation): one violation per object, not per rule. */
  leak(ruleId: RuleId, object: string, message: string): void {
    this.exercise(ruleId);
    if (this.violations.some((violation) => violation.ruleId === ruleId && violation.object === object)) return;
    this.violations.push({ ruleId, party: ruleById(ruleId)?.obliged ?? "model", message, position: this.position, object });
  }

  /** Records a portability note (decision `decisionId` accepted an answer engines may give differently). */
  note(decisionId: string, message: string): void {
    if (this.notes.some((note) => note.decisionId === decisionId)) return;
    this.notes.push({ decisionId, message, position: this.position });
  }

  /** Reports a bug in the model itself. */
  modelError(message: string): void {
    this.violations.push({ ruleId: "model/internal-error", party: "model", message, position: this.position });
  }
}
