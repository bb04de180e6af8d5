/**
 * docs/decisions.md, rendered from spec/: every decision taken where the pages are silent,
 * ambiguous or contradict each other, with the sentence it rests on (or "the pages are silent"),
 * the rules it affects and the reason. Nothing here is written by hand: `npm run docs:decisions`
 * regenerates the file and docgen/docgen.test.ts fails when the committed one differs.
 */
import { ruleDecisionView, type DecisionView } from "../spec/decision-view.ts";
import type { Rule } from "../spec/catalogue.ts";

export type DecisionEntry = DecisionView;

/** The decisions recorded on the rules of the catalogue (a rule's `decision`), resting on the rule's own sources. */
export function ruleDecisions(rules: readonly Rule[]): DecisionEntry[] {
  return rules.map(ruleDecisionView).filter((view): view is DecisionView => view !== undefined);
}

function block(entry: DecisionEntry): string[] {
  const lines = [`### ${entry.id}`, "", entry.decision, ""];
  if (entry.reason !== null) lines.push(`- **Why:** ${entry.reason}`);
  if (entry.quotes.length === 0) lines.push("- **Rests on:** the pages are silent.");
  for (const { source, quote } of entry.quotes) lines.push(`- **Rests on** ${source}: "${quote.replaceAll("\n", " ")}"`);
  lines.push(`- **Rules:** ${entry.ruleIds.length === 0 ? "none (a decision about the trace format)" : entry.ruleIds.map((id) => `\`${id}\``).join(", ")}`, "");
  return lines;
}

/** The whole document. */
export function renderDecisions(sections: readonly { readonly title: string; readonly intro: string; readonly entries: readonly DecisionEntry[] }[]): string {
  const total = sections.reduce((sum, section) => sum + section.entries.length, 0);
  const lines = [
    "# Decisions",
    "",
    "Where the source pages are silent, ambiguous or contradict each other, the model takes a decision.",
    "Each is listed here with the sentence it rests on (or \"the pages are silent\"), the rules it affects",
    "and why, so that a reader can disagree with it. This file is generated from `spec/` by",
    "`npm run docs:decisions`; a test fails when it differs from what the generator produces.",
    "",
    `${total} decisions.`,
    "",
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, "", section.intro, "");
    for (const entry of section.entries) lines.push(...block(entry));
  }
  return lines.join("\n").replace(/\n+$/, "\n");
}
