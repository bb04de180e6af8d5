/** `wfp-conform rules [<id>] [--json]`: prints the rule catalogue, or one rule with everything it rests on. */
import { parseArgs } from "node:util";
import { CALLER_RULE } from "../../impl/verifier.ts";
import { recordedDecisionView } from "../../spec/decision-view.ts";
import { DECISIONS } from "../../spec/decisions.ts";
import { RULES } from "../../spec/rules.ts";
import { renderRulesTable, rulesAsJson } from "../../spec/catalogue.ts";
import { EXIT, type CommandIo } from "../io.ts";
import { nearestNames } from "../nearest.ts";
import { renderRuleCard } from "../rule-card.ts";

export const summary = "print the rule catalogue (a table, or JSON with --json), or one rule: rules <id>";

export const HELP = `usage: wfp-conform rules [<id>] [--json]

Without an id: every rule of the catalogue, as a table (or a JSON array with --json).
With an id (such as completion/once-per-nbl): that rule's statement, who is obliged, the outcome,
how it is checked, its sources with what they say, its Microsoft Learn pages and its decision
(one JSON object with --json). An unknown id names the nearest ones and exits 2.
`;

const VERIFIED: ReadonlySet<string> = new Set(Object.values(CALLER_RULE));

/** Prints every rule of the catalogue, or the one named, as text or JSON. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) {
    io.err(`wfp-conform rules: one rule id at a time (got ${positionals.length})\n${HELP}`);
    return EXIT.usage;
  }
  const [id] = positionals;
  if (id === undefined) {
    if (values.json) io.out(JSON.stringify(rulesAsJson(RULES), null, 2) + "\n");
    else io.out(renderRulesTable(RULES));
    return EXIT.ok;
  }
  const rule = RULES.find((candidate) => candidate.id === id);
  if (rule === undefined) {
    const nearest = nearestNames(id, RULES.map((candidate) => candidate.id));
    const hint = nearest.length > 0 ? `; did you mean ${nearest.join(", ")}?` : "; wfp-conform rules lists every id";
    io.err(`wfp-conform rules: no rule has the id "${id}"${hint}\n`);
    return EXIT.usage;
  }
  const verifierReports = VERIFIED.has(rule.id);
  const decisions = DECISIONS.filter((decision) => decision.ruleIds.includes(rule.id));
  if (values.json) io.out(JSON.stringify({ ...(rulesAsJson([rule])[0] as object), verifier: verifierReports, decisions }, null, 2) + "\n");
  else io.out(renderRuleCard(rule, { rules: RULES, verifierReports, decisions: decisions.map(recordedDecisionView) }));
  return EXIT.ok;
}
