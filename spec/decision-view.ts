/**
 * What a reader needs to see of a decision taken where the pages are silent, ambiguous or
 * contradict each other: the shape shared by `wfp-conform rules <id>` and docs/decisions.md.
 * A decision is either one recorded on a rule (its `decision` field, resting on the rule's own
 * sources) or a decision across rules (its own id, the rules it affects, a quote or null).
 */
import { sourceQuote, sourcesOf, type Rule, type RuleSource } from "./catalogue.ts";
import { digestItem } from "./sources.ts";

export interface DecisionView {
  readonly id: string;
  readonly ruleIds: readonly string[];
  readonly decision: string;
  readonly reason: string | null;
  /** What the decision rests on: quoted sentences with where they are from; empty when the pages are silent. */
  readonly quotes: readonly { readonly source: string; readonly quote: string }[];
}

/** A decision across rules, as spec/ records it (quote null: the pages are silent). */
export interface RecordedDecision {
  readonly id: string;
  readonly ruleIds: readonly string[];
  readonly decision: string;
  readonly reason: string;
  readonly quote: string | null;
  readonly source: string;
}

/** Where a source is from: the seed page, or the digest item and the pages it restates (in the digest's words, not Microsoft's). */
export function sourceName(source: RuleSource): string {
  if ("quote" in source) return source.page;
  const pages = digestItem(source.label).pages;
  return `the digest [${source.label}]${pages.length > 0 ? `, restating ${pages.join(", ")}` : ""}`;
}

/** The decision recorded on a rule, if it has one, resting on the rule's own sources. */
export function ruleDecisionView(rule: Rule): DecisionView | undefined {
  if (rule.decision === undefined) return undefined;
  return {
    id: rule.id,
    ruleIds: [rule.id],
    decision: rule.decision,
    reason: null,
    quotes: sourcesOf(rule).map((source) => ({ source: sourceName(source), quote: sourceQuote(source) })),
  };
}

/** A recorded decision across rules as a view. */
export function recordedDecisionView(decision: RecordedDecision): DecisionView {
  return {
    id: decision.id,
    ruleIds: decision.ruleIds,
    decision: decision.decision,
    reason: decision.reason,
    quotes: decision.quote === null ? [] : [{ source: decision.source, quote: decision.quote }],
  };
}
