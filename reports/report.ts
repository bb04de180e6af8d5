/**
 * The conformance report: what a run found, as data (a zod schema, exported as JSON Schema), built
 * from the runner's outcome, the rule coverage and the catalogue. Renderers (Markdown, JUnit, HTML)
 * read only this object.
 */
import { z } from "zod";
import { RULES } from "../spec/rules.ts";
import { sourceText, type Rule } from "../spec/catalogue.ts";
import type { ApiFamily } from "../spec/vocabulary.ts";
import { renderEvent } from "./calls.ts";
import type { ConformanceOutcome } from "../properties/runner.ts";

export const REPORT_VERSION = 1;

export const RuleVerdictSchema = z.enum(["passed", "failed", "expected-failure", "unexpected-pass", "not-implemented", "not-exercised", "not-modelled"]);
export type RuleVerdict = z.infer<typeof RuleVerdictSchema>;

export const CounterexampleSchema = z.strictObject({
  /** The rules the divergence is about (empty for an adapter or harness error). */
  ruleIds: z.array(z.string()),
  kind: z.enum(["engine-violation", "verifier-mismatch", "port-error", "error"]),
  summary: z.string(),
  /** 1-based index, in `calls`, of the step where the implementation and the model diverged. */
  step: z.number().int().nonnegative(),
  model: z.string(),
  implementation: z.string(),
  /** The shrunk run as the WFP calls a driver author would write, one line per event. */
  calls: z.array(z.string()),
  seed: z.number().int(),
  path: z.string(),
  /** File (relative to the report folder) holding the operations to replay this run. */
  replayFile: z.string().nullable(),
  runsToFailure: z.number().int().nonnegative(),
  shrinks: z.number().int().nonnegative(),
});
export type CounterexampleReport = z.infer<typeof CounterexampleSchema>;

export const RuleResultSchema = z.strictObject({
  id: z.string(),
  family: z.string(),
  obliged: z.enum(["engine", "caller"]),
  verdict: RuleVerdictSchema,
  exercised: z.number().int().nonnegative(),
  statement: z.string(),
  source: z.string(),
});
export type RuleResult = z.infer<typeof RuleResultSchema>;

export const ReportSchema = z.strictObject({
  tool: z.literal("wfp-conformance"),
  version: z.literal(REPORT_VERSION),
  implementation: z.string(),
  conformant: z.boolean(),
  settings: z.strictObject({
    seed: z.number().int(),
    runs: z.number().int().nonnegative(),
    maxCommands: z.number().int().positive(),
    policy: z.string(),
    completionIrql: z.string(),
    scheduled: z.boolean(),
    shard: z.string().nullable(),
  }),
  counts: z.strictObject({
    runs: z.number().int().nonnegative(),
    rules: z.number().int().nonnegative(),
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    expectedFailures: z.number().int().nonnegative(),
    unexpectedPasses: z.number().int().nonnegative(),
    notImplemented: z.number().int().nonnegative(),
    notExercised: z.number().int().nonnegative(),
    notModelled: z.number().int().nonnegative(),
  }),
  rules: z.array(RuleResultSchema),
  counterexamples: z.array(CounterexampleSchema),
  interrupted: z.boolean(),
  timings: z.strictObject({ startedAt: z.string(), seconds: z.number().nonnegative() }),
});
export type Report = z.infer<typeof ReportSchema>;

/** The JSON Schema of the report (draft 2020-12). */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(ReportSchema, { target: "draft-2020-12" });
}

/** Inputs of `buildReport`. */
export interface ReportInput {
  readonly implementation: string;
  readonly outcomes: readonly ConformanceOutcome[];
  readonly coverage: ReadonlyMap<string, number>;
  readonly families: readonly ApiFamily[];
  readonly expectedFailures: readonly string[];
  readonly settings: Report["settings"];
  readonly startedAt: Date;
  readonly seconds: number;
  /** Replay file name per outcome index, when the counterexample was saved. */
  readonly replayFiles?: ReadonlyMap<number, string>;
}


function implementedBy(rule: Rule, families: readonly ApiFamily[]): boolean {
  const family = rule.family as string;
  return !(["handles", "network", "transport", "forward", "stream", "nbl", "pend", "query"] as const).some((name) => name === family) || families.includes(family as ApiFamily);
}

/** Turns runner outcomes and coverage into the report object. */
export function buildReport(input: ReportInput): Report {
  const counterexamples: CounterexampleReport[] = [];
  input.outcomes.forEach((outcome, index) => {
    const found = outcome.counterexample;
    if (found === null) return;
    const divergence = found.divergence;
    counterexamples.push({
      ruleIds: divergence === null ? [] : [...divergence.ruleIds],
      kind: divergence === null ? "error" : divergence.kind,
      summary: divergence === null ? `run failed: ${found.error ?? "unknown error"}` : `${divergence.kind} at step ${divergence.position + 1}: ${divergence.ruleIds.join(", ") || "(no rule)"}`,
      step: divergence === null ? 0 : divergence.position + 1,
      model: divergence?.model ?? "",
      implementation: divergence?.implementation ?? found.error ?? "",
      calls: found.trace.map(renderEvent),
      seed: found.seed,
      path: found.path,
      replayFile: input.replayFiles?.get(index) ?? null,
      runsToFailure: found.runsToFailure,
      shrinks: found.shrinks,
    });
  });
  const failing = new Set(counterexamples.flatMap((counterexample) => counterexample.ruleIds));
  const expected = new Set(input.expectedFailures);
  const rules: RuleResult[] = RULES.map((rule) => {
    const exercised = input.coverage.get(rule.id) ?? 0;
    let verdict: RuleVerdict;
    if (!rule.modelled) verdict = "not-modelled";
    else if (!implementedBy(rule, input.families)) verdict = "not-implemented";
    else if (failing.has(rule.id)) verdict = expected.has(rule.id) ? "expected-failure" : "failed";
    else if (expected.has(rule.id)) verdict = "unexpected-pass";
    else if (exercised === 0) verdict = "not-exercised";
    else verdict = "passed";
    return { id: rule.id, family: rule.family, obliged: rule.obliged, verdict, exercised, statement: rule.statement, source: sourceText(rule) };
  });
  const count = (verdict: RuleVerdict) => rules.filter((rule) => rule.verdict === verdict).length;
  const unexplained = counterexamples.some((counterexample) => counterexample.ruleIds.length === 0 || counterexample.ruleIds.some((id) => !expected.has(id)));
  return {
    tool: "wfp-conformance",
    version: REPORT_VERSION,
    implementation: input.implementation,
    conformant: !unexplained,
    settings: input.settings,
    counts: {
      runs: input.outcomes.reduce((sum, outcome) => sum + outcome.runs, 0),
      rules: rules.length,
      passed: count("passed"),
      failed: count("failed"),
      expectedFailures: count("expected-failure"),
      unexpectedPasses: count("unexpected-pass"),
      notImplemented: count("not-implemented"),
      notExercised: count("not-exercised"),
      notModelled: count("not-modelled"),
    },
    rules,
    counterexamples,
    interrupted: input.outcomes.some((outcome) => outcome.interrupted),
    timings: { startedAt: input.startedAt.toISOString(), seconds: input.seconds },
  };
}
