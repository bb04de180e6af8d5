/**
 * The shape of a rule of the catalogue, the catalogue's self-check, and its renderings (table, JSON).
 * The rules themselves are data in rules.ts; this module only says what a well-formed rule is and
 * fails loudly, naming the offending entry, when one is not.
 */
import { z } from "zod";
import { DIGEST_LABELS, DIGEST_PAGE, SOURCE_PAGES, digestItem, learnPage, pagesOfApi, type LearnPage } from "./sources.ts";

export { DIGEST_LABELS, DIGEST_PAGE, SOURCE_PAGES } from "./sources.ts";

/** Who the rule obliges: the filter engine (the implementation under test) or the calling driver. */
export const Obliged = z.enum(["engine", "caller"]);
export type Obliged = z.infer<typeof Obliged>;

/**
 * What breaking or keeping the rule looks like:
 * - `status`: the engine must return a documented status;
 * - `callback`: a completion callback is required, forbidden, or constrained;
 * - `ordering`: something may only happen before or after something else;
 * - `obligation`: something must have happened by the end of the run (leaks, owed completions);
 * - `misuse`: the caller broke a precondition (Driver Verifier would flag it);
 * - `fatal`: misuse that bug-checks the machine.
 */
export const Outcome = z.enum(["status", "callback", "ordering", "obligation", "misuse", "fatal"]);
export type Outcome = z.infer<typeof Outcome>;

/** The API families a rule can govern; `inject` is the cross-cutting contract of every inject function. */
export const RuleFamily = z.enum(["handles", "inject", "network", "transport", "forward", "stream", "nbl", "pend", "query", "environment"]);
export type RuleFamily = z.infer<typeof RuleFamily>;

/** Where a rule comes from: a sentence of a source page, or a label of the digest. */
export const RuleSource = z.union([
  z.strictObject({ page: z.enum(SOURCE_PAGES), quote: z.string().min(3) }),
  z.strictObject({ page: z.literal(DIGEST_PAGE), label: z.enum(DIGEST_LABELS) }),
]);
export type RuleSource = z.infer<typeof RuleSource>;

/** One normative statement of the documentation. */
export const RuleSchema = z
  .strictObject({
    /** Stable, readable id: `<api>/<what>`. */
    id: z.string().regex(/^[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/, "an id such as stream-inject/completion-per-nbl"),
    /** The function (or callback) the rule governs, as the headers spell it. */
    api: z.string().min(1),
    family: RuleFamily,
    obliged: Obliged,
    outcome: Outcome,
    /** The documented status the engine must return, when the outcome is a status. */
    status: z.string().regex(/^STATUS_[A-Z0-9_]+$/).optional(),
    /** The rule in one sentence, in our words. */
    statement: z.string().min(10),
    source: RuleSource,
    /** Further sources the rule rests on (another seed sentence, another digest item), after `source`. */
    seeAlso: z.array(RuleSource).min(1).optional(),
    /** Whether the reference model checks it. */
    modelled: z.boolean(),
    /** Why not, when the model does not check it. */
    reason: z.string().min(10).optional(),
    /** For a rule the model does not check because another rule reports the same obligation: that rule's id. */
    reportedAs: z.string().optional(),
    /** Where the pages are silent, ambiguous or contradict themselves: what we decided, and why. */
    decision: z.string().min(10).optional(),
  })
  .refine((rule) => rule.modelled || rule.reason !== undefined, { message: "a rule the model does not check needs a `reason`", path: ["reason"] })
  .refine((rule) => !rule.modelled || rule.reason === undefined, { message: "a modelled rule takes no `reason`", path: ["reason"] })
  .refine((rule) => rule.outcome !== "status" || rule.status !== undefined, { message: "a status rule names its `status`", path: ["status"] })
  .refine((rule) => !rule.modelled || rule.reportedAs === undefined, { message: "a modelled rule reports itself: no `reportedAs`", path: ["reportedAs"] });
export type Rule = z.infer<typeof RuleSchema>;

/** Thrown when the catalogue is malformed; the message names the entry and the field. */
export class CatalogueError extends Error {
  override readonly name = "CatalogueError";
}

/** Validates a list of rules (unique ids, a source for every rule, every field well formed); throws naming the bad entry. */
export function validateCatalogue(entries: readonly unknown[]): readonly Rule[] {
  const seen = new Map<string, number>();
  const rules: Rule[] = [];
  entries.forEach((entry, index) => {
    const parsed = RuleSchema.safeParse(entry);
    const name = typeof (entry as { id?: unknown })?.id === "string" ? `"${(entry as { id: string }).id}"` : "(no id)";
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CatalogueError(`rule catalogue entry ${index} ${name}: field \`${issue.path.map(String).join(".") || "(entry)"}\`: ${issue.message}`);
    }
    const earlier = seen.get(parsed.data.id);
    if (earlier !== undefined) throw new CatalogueError(`rule catalogue entry ${index} ${name}: duplicate id (first used by entry ${earlier})`);
    seen.set(parsed.data.id, index);
    rules.push(parsed.data);
  });
  for (const [index, rule] of rules.entries()) {
    if (rule.reportedAs === undefined) continue;
    const target = rules.find((candidate) => candidate.id === rule.reportedAs);
    if (target === undefined) throw new CatalogueError(`rule catalogue entry ${index} "${rule.id}": field \`reportedAs\`: no rule has the id "${rule.reportedAs}"`);
    if (!target.modelled) throw new CatalogueError(`rule catalogue entry ${index} "${rule.id}": field \`reportedAs\`: "${rule.reportedAs}" is not modelled either`);
  }
  for (const label of DIGEST_LABELS) {
    if (!rules.some((rule) => "label" in rule.source && rule.source.label === label)) {
      throw new CatalogueError(`rule catalogue: digest label ${label} is the source of no rule`);
    }
  }
  for (const page of SOURCE_PAGES) {
    if (!rules.some((rule) => rule.source.page === page)) throw new CatalogueError(`rule catalogue: source page ${page} is the source of no rule`);
  }
  return rules;
}

/** A rule's source as one line: the page and the quoted sentence, or the digest label. */
export function sourceText(rule: Pick<Rule, "source">): string {
  return sourceLine(rule.source);
}

/** One source as one line: `Page: "quote"`, or `related-rules.md [label]`. */
export function sourceLine(source: RuleSource): string {
  return "quote" in source ? `${source.page}: "${source.quote}"` : `${source.page} [${source.label}]`;
}

/** Every source of a rule: `source`, then `seeAlso`. */
export function sourcesOf(rule: Pick<Rule, "source" | "seeAlso">): RuleSource[] {
  return [rule.source, ...(rule.seeAlso ?? [])];
}

/** What a source says: the quoted sentence of a seed page, or the digest's text of the item. */
export function sourceQuote(source: RuleSource): string {
  return "quote" in source ? source.quote : digestItem(source.label).text;
}

/**
 * The Microsoft Learn pages of a rule, most specific first: the pages of the functions its `api`
 * names, then the pages its sources rest on (a seed page, or the pages a digest item restates).
 */
export function learnPagesOf(rule: Pick<Rule, "api" | "source" | "seeAlso">): LearnPage[] {
  const pages: LearnPage[] = [...pagesOfApi(rule.api)];
  for (const source of sourcesOf(rule)) {
    if ("quote" in source) pages.push(learnPage(source.page)!);
    else for (const name of digestItem(source.label).pages) pages.push(learnPage(name)!);
  }
  return [...new Map(pages.map((page) => [page.name, page])).values()];
}

/** The catalogue as plain JSON objects (one per rule), as `wfp-conform rules --json` prints it. */
export function rulesAsJson(rules: readonly Rule[]): unknown[] {
  return rules.map((rule) => ({
    id: rule.id,
    api: rule.api,
    family: rule.family,
    obliged: rule.obliged,
    outcome: rule.outcome,
    ...(rule.status === undefined ? {} : { status: rule.status }),
    statement: rule.statement,
    source: rule.source,
    ...(rule.seeAlso === undefined ? {} : { seeAlso: rule.seeAlso }),
    learn: learnPagesOf(rule).map((page) => page.url),
    modelled: rule.modelled,
    ...(rule.reason === undefined ? {} : { reason: rule.reason }),
    ...(rule.reportedAs === undefined ? {} : { reportedAs: rule.reportedAs }),
    ...(rule.decision === undefined ? {} : { decision: rule.decision }),
  }));
}

/** The catalogue as a readable text table, one block per rule. */
export function renderRulesTable(rules: readonly Rule[]): string {
  const lines: string[] = [];
  const idWidth = Math.max(...rules.map((rule) => rule.id.length));
  lines.push(`${"id".padEnd(idWidth)}  ${"obliged".padEnd(7)}  ${"outcome".padEnd(10)}  modelled  statement`);
  lines.push("-".repeat(idWidth + 44));
  for (const rule of rules) {
    lines.push(`${rule.id.padEnd(idWidth)}  ${rule.obliged.padEnd(7)}  ${rule.outcome.padEnd(10)}  ${(rule.modelled ? "yes" : "no").padEnd(8)}  ${rule.statement}`);
    lines.push(`${" ".repeat(idWidth)}  source: ${sourceText(rule)}`);
    for (const source of rule.seeAlso ?? []) lines.push(`${" ".repeat(idWidth)}  see also: ${sourceLine(source)}`);
    if (rule.reason !== undefined) lines.push(`${" ".repeat(idWidth)}  not modelled: ${rule.reason}`);
    if (rule.reportedAs !== undefined) lines.push(`${" ".repeat(idWidth)}  reported as: ${rule.reportedAs}`);
    if (rule.decision !== undefined) lines.push(`${" ".repeat(idWidth)}  decision: ${rule.decision}`);
  }
  const modelled = rules.filter((rule) => rule.modelled).length;
  lines.push("", `${rules.length} rules, ${modelled} modelled, ${rules.length - modelled} not modelled`);
  return lines.join("\n") + "\n";
}
