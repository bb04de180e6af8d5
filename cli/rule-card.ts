/**
 * One rule of the catalogue as `wfp-conform rules <id>` prints it: its statement, who is obliged,
 * the outcome, how it is checked, every source with what it says, its Microsoft Learn pages, and
 * the decision taken where the pages are silent. Text only; the command decides what to print.
 */
import { learnPagesOf, sourceQuote, sourcesOf, type Obliged, type Outcome, type Rule, type RuleSource } from "../spec/catalogue.ts";
import type { DecisionView } from "../spec/decision-view.ts";
import { digestItem } from "../spec/sources.ts";

const OBLIGED: Record<Obliged, string> = {
  engine: "the filter engine (the implementation under test)",
  caller: "the callout driver (the caller; Driver Verifier's side)",
};

const OUTCOME: Record<Outcome, string> = {
  status: "the engine must return a documented status",
  callback: "a completion callback is required, forbidden or constrained",
  ordering: "something may only happen before or after something else",
  obligation: "something must have happened by the end of the run",
  misuse: "the caller broke a precondition",
  fatal: "misuse that bug-checks the machine",
};

/** What `rules <id>` needs besides the rule: the catalogue (for cross references), whether the built-in verifier reports the rule, and the decisions across rules that affect it. */
export interface RuleCardContext {
  readonly rules: readonly Rule[];
  readonly verifierReports: boolean;
  readonly decisions: readonly DecisionView[];
}

function sourceHeading(source: RuleSource): string {
  if ("quote" in source) return `${source.page} (seed page)`;
  const item = digestItem(source.label);
  const pages = item.pages.length > 0 ? item.pages.join(", ") : "every function of the table";
  return `digest [${source.label}], ${item.section}${item.obliged === undefined ? "" : ` (${item.obliged === "E" ? "engine" : "caller"})`}: restates ${pages}`;
}

/** Indents every line of a text block. */
function indent(text: string, prefix: string): string[] {
  return text.split("\n").map((line) => `${prefix}${line}`);
}

/** The text of one rule, ending with a newline. */
export function renderRuleCard(rule: Rule, context: RuleCardContext): string {
  const lines: string[] = [rule.id, `  ${rule.statement}`, ""];
  lines.push(`  function:  ${rule.api}`);
  lines.push(`  family:    ${rule.family}`);
  lines.push(`  obliged:   ${rule.obliged}: ${OBLIGED[rule.obliged]}`);
  lines.push(`  outcome:   ${rule.outcome}: ${OUTCOME[rule.outcome]}${rule.status === undefined ? "" : ` (${rule.status})`}`);
  lines.push("  checked:");
  if (rule.modelled) {
    lines.push("    by the reference model: wfp-conform check, run and explore report it under this id");
  } else {
    lines.push(`    not modelled: ${rule.reason ?? ""}`);
    if (rule.reportedAs !== undefined) {
      const target = context.rules.find((candidate) => candidate.id === rule.reportedAs);
      lines.push(`    reported as ${rule.reportedAs}${target === undefined ? "" : `: ${target.statement}`}`);
    }
  }
  if (context.verifierReports) lines.push("    by the built-in simulator's verifier (impl/verifier.ts) too, as caller misuse");
  const alsoReporting = context.rules.filter((candidate) => candidate.reportedAs === rule.id);
  for (const other of alsoReporting) lines.push(`    this id also reports ${other.id} (not modelled on its own)`);
  lines.push("  sources:");
  sourcesOf(rule).forEach((source, index) => {
    lines.push(`    ${index + 1}. ${sourceHeading(source)}`);
    lines.push(...indent(`"${sourceQuote(source)}"`, "       "));
  });
  lines.push("  Microsoft Learn:");
  for (const page of learnPagesOf(rule)) {
    lines.push(`    ${page.name}: ${page.url}`);
    if (page.seedUrl !== undefined) lines.push(`      (the seed edition: ${page.seedUrl})`);
  }
  lines.push("  decisions:");
  if (rule.decision !== undefined) lines.push(`    (on this rule) ${rule.decision}`);
  for (const decision of context.decisions) {
    lines.push(`    ${decision.id}: ${decision.decision}`);
    if (decision.reason !== null) lines.push(`      why: ${decision.reason}`);
    if (decision.quotes.length === 0) lines.push("      rests on: the pages are silent");
    for (const { source, quote } of decision.quotes) lines.push(`      rests on ${source}: "${quote}"`);
  }
  if (rule.decision === undefined && context.decisions.length === 0) lines.push("    none: the rule is as the sources say");
  return lines.join("\n") + "\n";
}
