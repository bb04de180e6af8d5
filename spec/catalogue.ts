/**
 * The shape of a rule of the catalogue, the catalogue's self-check, and its renderings (table, JSON).
 * The rules themselves are data in rules.ts; this module only says what a well-formed rule is and
 * fails loudly, naming the offending entry, when one is not.
 */
import { z } from "zod";

/** The five source pages the project was created from, and the digest of the related pages. */
export const SOURCE_PAGES = [
  "FwpsInjectionHandleCreate0",
  "FWPS_INJECT_COMPLETE0",
  "FwpsAllocateNetBufferAndNetBufferList0",
  "FwpsCloneStreamData0",
  "FwpsCompleteOperation0",
] as const;
export const DIGEST_PAGE = "related-rules.md";

/** Every label of the digest; each must be the source of at least one rule. */
export const DIGEST_LABELS = [
  "cross-cutting",
  "A1", "A2", "A3", "A4",
  "D1", "D2", "D3", "D4", "D5",
  "N1", "N2", "N3", "N4",
  "T1", "T2", "T3", "T4",
  "F1", "F2", "F3",
  "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9",
  "FR1", "FR2", "FR3", "FR4",
  "CL1", "CL2",
  "P1", "P2", "P3", "P4", "P5", "P6",
  "Q1", "Q2", "Q3",
  "platform",
] as const;

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
    /** Whether the reference model checks it. */
    modelled: z.boolean(),
    /** Why not, when the model does not check it. */
    reason: z.string().min(10).optional(),
    /** Where the pages are silent, ambiguous or contradict themselves: what we decided, and why. */
    decision: z.string().min(10).optional(),
  })
  .refine((rule) => rule.modelled || rule.reason !== undefined, { message: "a rule the model does not check needs a `reason`", path: ["reason"] })
  .refine((rule) => !rule.modelled || rule.reason === undefined, { message: "a modelled rule takes no `reason`", path: ["reason"] })
  .refine((rule) => rule.outcome !== "status" || rule.status !== undefined, { message: "a status rule names its `status`", path: ["status"] });
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
  const source = rule.source;
  return "quote" in source ? `${source.page}: "${source.quote}"` : `${source.page} [${source.label}]`;
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
    modelled: rule.modelled,
    ...(rule.reason === undefined ? {} : { reason: rule.reason }),
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
    if (rule.reason !== undefined) lines.push(`${" ".repeat(idWidth)}  not modelled: ${rule.reason}`);
    if (rule.decision !== undefined) lines.push(`${" ".repeat(idWidth)}  decision: ${rule.decision}`);
  }
  const modelled = rules.filter((rule) => rule.modelled).length;
  lines.push("", `${rules.length} rules, ${modelled} modelled, ${rules.length - modelled} not modelled`);
  return lines.join("\n") + "\n";
}
