/**
 * The conformance report: what a run found, as data (a zod schema, exported as JSON Schema), built
 * from the runner's outcomes, the rule coverage and the catalogue. Renderers (Markdown, JUnit, HTML)
 * read only this object, and `report merge` combines shard reports into one.
 */
import { z } from "zod";
import { RULES } from "../spec/rules.ts";
import { TOOL_VERSION } from "../spec/tool.ts";
import { sourceText, type Rule } from "../spec/catalogue.ts";
import type { ApiFamily } from "../spec/vocabulary.ts";
import { renderEvent } from "./calls.ts";
import { DECISIONS, NOTE_COVERAGE_PREFIX } from "../spec/decisions.ts";
import type { ConformanceOutcome, Counterexample } from "../properties/runner.ts";
import { DimensionsSchema, mergeDimensions, type Dimensions } from "./dimensions.ts";

export const REPORT_VERSION = 1;

export const RuleVerdictSchema = z.enum(["passed", "failed", "expected-failure", "unexpected-pass", "not-implemented", "not-exercised", "not-modelled"]);
export type RuleVerdict = z.infer<typeof RuleVerdictSchema>;

/** How the engine was configured for a run: delivery policy, completion IRQL, scheduled interleavings. */
export const ConfigurationSchema = z.strictObject({
  policy: z.string(),
  completionIrql: z.string(),
  scheduled: z.boolean(),
});
export type Configuration = z.infer<typeof ConfigurationSchema>;

export const CounterexampleSchema = z.strictObject({
  /** The rules the divergence is about (empty for an adapter or harness error). */
  ruleIds: z.array(z.string()),
  /** caller-violation: in a recorded trace (`check`), the driver broke a caller rule. */
  kind: z.enum(["engine-violation", "caller-violation", "verifier-mismatch", "port-error", "error"]),
  summary: z.string(),
  /** 1-based index, in `calls`, of the step where the implementation and the model diverged. */
  step: z.number().int().nonnegative(),
  model: z.string(),
  implementation: z.string(),
  /** The shrunk run as the WFP calls a driver author would write, one line per event. */
  calls: z.array(z.string()),
  configuration: ConfigurationSchema,
  seed: z.number().int(),
  path: z.string(),
  /** File (relative to the report folder) holding everything needed to replay this run. */
  replayFile: z.string().nullable(),
  /** The command that replays it. */
  replay: z.string(),
  runsToFailure: z.number().int().nonnegative(),
  shrinks: z.number().int().nonnegative(),
  /** Generated runs that broke this rule (or had this failure), in every configuration. */
  hits: z.number().int().nonnegative().optional(),
  /** Rules the shrunk run broke at earlier steps: this failure was never seen without them and may be their consequence. */
  after: z.array(z.string()).optional(),
  /** "explored" for a shortest sequence found by `explore`, "recorded" for a trace `check` read (seed and path then mean nothing). */
  origin: z.enum(["generated", "explored", "recorded"]).optional(),
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

/**
 * A portability note: an input the pages are silent on met during the runs, where the model accepted
 * success and a parameter error alike (spec/decisions.ts, silent/*). Never a failure.
 */
export const PortabilityNoteSchema = z.strictObject({
  decisionId: z.string(),
  /** How many times the runs met it. */
  count: z.number().int().positive(),
  /** The decision's text. */
  decision: z.string(),
});
export type PortabilityNoteReport = z.infer<typeof PortabilityNoteSchema>;

export const SettingsSchema = z.strictObject({
  seed: z.number().int(),
  runs: z.number().int().nonnegative(),
  maxCommands: z.number().int().positive(),
  policy: z.string(),
  completionIrql: z.string(),
  scheduled: z.boolean(),
  shard: z.string().nullable(),
  timeLimitSeconds: z.number().positive().nullable(),
  callTimeoutMs: z.number().int().positive(),
});

/** What a bounded exhaustive exploration (`wfp-conform explore`) checked, per configuration and in all. */
export const ExplorationSchema = z.strictObject({
  depth: z.number().int().nonnegative(),
  scope: z.record(z.string(), z.union([z.number(), z.boolean(), z.array(z.string())])),
  states: z.number().int().nonnegative(),
  distinctStates: z.number().int().nonnegative(),
  sequences: z.number().int().nonnegative(),
  statesPerSec: z.number().nonnegative(),
  seconds: z.number().nonnegative(),
  configurations: z.array(
    z.strictObject({
      configuration: ConfigurationSchema,
      states: z.number().int().nonnegative(),
      distinctStates: z.number().int().nonnegative(),
      sequences: z.number().int().nonnegative(),
      seconds: z.number().nonnegative(),
      /** Deepest level explored completely. */
      depthCompleted: z.number().int().nonnegative(),
      /** Length of the shortest diverging sequence, or null when none was found. */
      divergenceAtDepth: z.number().int().nonnegative().nullable(),
      interrupted: z.boolean(),
      /** Each completed level: sequences of that length run, new states found, seconds. */
      levels: z.array(z.strictObject({ depth: z.number().int().positive(), sequences: z.number().int().nonnegative(), newStates: z.number().int().nonnegative(), seconds: z.number().nonnegative() })),
    }),
  ),
});
export type Exploration = z.infer<typeof ExplorationSchema>;

export const ReportSchema = z.strictObject({
  tool: z.literal("wfp-conformance"),
  version: z.literal(REPORT_VERSION),
  /** The version of wfp-conformance that made the report (absent in reports of 0.1.0 and earlier). */
  toolVersion: z.string().optional(),
  implementation: z.string(),
  /** API families the implementation implements; rules of the others are "not implemented". */
  families: z.array(z.string()),
  /** Whether its verifier's findings were compared with the model's caller verdicts. */
  verifier: z.boolean(),
  conformant: z.boolean(),
  /** Whether the implementation could not be driven (an adapter or harness error): exit code 2. */
  adapterError: z.boolean(),
  settings: SettingsSchema,
  expectedFailures: z.array(z.string()),
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
  /** Inputs where engines may differ (never failures); absent in reports written before version 1 had it. */
  portabilityNotes: z.array(PortabilityNoteSchema).optional(),
  counterexamples: z.array(CounterexampleSchema),
  interrupted: z.boolean(),
  timings: z.strictObject({ startedAt: z.string(), seconds: z.number().nonnegative() }),
  /** Present in the reports of `wfp-conform explore`. */
  exploration: ExplorationSchema.optional(),
  /** Coverage of the state dimensions (properties/coverage.ts), in the reports of `wfp-conform run`. */
  dimensions: DimensionsSchema.optional(),
});
export type Report = z.infer<typeof ReportSchema>;

/** The JSON Schema of the report (draft 2020-12). */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(ReportSchema, { target: "draft-2020-12" });
}

const FAMILIES_OF_INJECT: readonly string[] = ["network", "transport", "forward", "stream"];

/** Whether an implementation of `families` implements what `rule` governs. */
function implementedBy(rule: Rule | RuleResult, families: readonly string[]): boolean {
  if (rule.family === "environment") return true;
  if (rule.family === "inject") return FAMILIES_OF_INJECT.some((family) => families.includes(family));
  return families.includes(rule.family);
}

/** Everything a report is made of, before verdicts. */
export interface ReportParts {
  readonly implementation: string;
  readonly families: readonly string[];
  readonly verifier: boolean;
  readonly settings: Report["settings"];
  readonly expectedFailures: readonly string[];
  readonly coverage: ReadonlyMap<string, number>;
  readonly counterexamples: readonly CounterexampleReport[];
  readonly runs: number;
  readonly interrupted: boolean;
  readonly startedAt: string;
  readonly seconds: number;
  readonly dimensions?: Dimensions | undefined;
}

/** The counts of a report, derived from its rules' verdicts. */
export function countsOf(rules: readonly RuleResult[], runs: number): Report["counts"] {
  const count = (verdict: RuleVerdict) => rules.filter((rule) => rule.verdict === verdict).length;
  return {
    runs,
    rules: rules.length,
    passed: count("passed"),
    failed: count("failed"),
    expectedFailures: count("expected-failure"),
    unexpectedPasses: count("unexpected-pass"),
    notImplemented: count("not-implemented"),
    notExercised: count("not-exercised"),
    notModelled: count("not-modelled"),
  };
}

/** Gives each rule of the catalogue its verdict and counts them. */
export function assembleReport(parts: ReportParts): Report {
  const failing = new Set(parts.counterexamples.flatMap((counterexample) => counterexample.ruleIds));
  const expected = new Set(parts.expectedFailures);
  const rules: RuleResult[] = RULES.map((rule) => {
    const exercised = parts.coverage.get(rule.id) ?? 0;
    let verdict: RuleVerdict;
    if (!rule.modelled) verdict = "not-modelled";
    else if (!implementedBy(rule, parts.families)) verdict = "not-implemented";
    else if (failing.has(rule.id)) verdict = expected.has(rule.id) ? "expected-failure" : "failed";
    else if (exercised === 0) verdict = "not-exercised";
    else if (expected.has(rule.id)) verdict = "unexpected-pass";
    else verdict = "passed";
    return { id: rule.id, family: rule.family, obliged: rule.obliged, verdict, exercised, statement: rule.statement, source: sourceText(rule) };
  });
  const portabilityNotes = [...parts.coverage]
    .filter(([key]) => key.startsWith(NOTE_COVERAGE_PREFIX))
    .map(([key, count]) => {
      const decisionId = key.slice(NOTE_COVERAGE_PREFIX.length);
      return { decisionId, count, decision: DECISIONS.find((decision) => decision.id === decisionId)?.decision ?? "(decision not in spec/decisions.ts)" };
    })
    .sort((a, b) => a.decisionId.localeCompare(b.decisionId));
  const adapterError = parts.counterexamples.some((counterexample) => counterexample.kind === "port-error" || counterexample.kind === "error");
  const unexplained = parts.counterexamples.some((counterexample) => counterexample.ruleIds.length === 0 || counterexample.ruleIds.some((id) => !expected.has(id)));
  return {
    tool: "wfp-conformance",
    version: REPORT_VERSION,
    toolVersion: TOOL_VERSION,
    implementation: parts.implementation,
    families: [...parts.families],
    verifier: parts.verifier,
    conformant: !unexplained && !rules.some((rule) => rule.verdict === "unexpected-pass"),
    adapterError,
    settings: parts.settings,
    expectedFailures: [...parts.expectedFailures],
    counts: countsOf(rules, parts.runs),
    rules,
    portabilityNotes,
    counterexamples: [...parts.counterexamples],
    interrupted: parts.interrupted,
    timings: { startedAt: parts.startedAt, seconds: parts.seconds },
    ...(parts.dimensions === undefined ? {} : { dimensions: parts.dimensions }),
  };
}

/** Where a counterexample came from, in one sentence. */
export function provenance(counterexample: CounterexampleReport): string {
  if (counterexample.origin === "recorded") return `Found in a recorded trace by \`wfp-conform check\`: the last ${counterexample.calls.length} events up to the violation are shown.`;
  if (counterexample.origin === "explored") {
    return `Found by bounded exhaustive exploration after ${counterexample.runsToFailure} sequences: a shortest diverging sequence, so not shrunk${counterexample.replayFile === null ? "" : `; replay file ${counterexample.replayFile}`}.`;
  }
  const hits = counterexample.hits === undefined ? "" : ` ${counterexample.hits} ${counterexample.hits === 1 ? "run" : "runs"} hit it.`;
  const after = counterexample.after === undefined ? "" : ` Seen only after ${counterexample.after.join(", ")} broke earlier in the same run (it may be a consequence).`;
  return `Seed ${counterexample.seed}, path "${counterexample.path}"${counterexample.replayFile === null ? "" : `, replay file ${counterexample.replayFile}`}; found after ${counterexample.runsToFailure} runs, shrunk ${counterexample.shrinks} times.${hits}${after}`;
}

/** One runner counterexample (a rule broken, or a port or harness error), as the report shows it. */
export function counterexampleReport(found: Counterexample, configuration: Configuration, replay: string, replayFile: string | null, hits: number): CounterexampleReport {
  const divergence = found.divergence;
  const rule = found.failure === "port-error" || found.failure === "error" ? null : found.failure;
  const others = divergence === null ? [] : divergence.ruleIds.filter((id) => id !== rule);
  return {
    ruleIds: rule === null ? [] : [rule],
    kind: divergence === null ? "error" : divergence.kind,
    summary:
      divergence === null
        ? `run failed: ${found.error ?? "unknown error"}`
        : `${divergence.kind} at step ${divergence.position + 1}: ${rule ?? (divergence.ruleIds.join(", ") || "(no rule)")}${others.length === 0 ? "" : ` (with ${others.join(", ")})`}`,
    step: divergence === null ? 0 : divergence.position + 1,
    model: divergence?.model ?? "",
    implementation: divergence?.implementation ?? found.error ?? "",
    calls: found.trace.map(renderEvent),
    configuration,
    seed: found.seed,
    path: found.path,
    replayFile,
    replay,
    runsToFailure: found.runsToFailure,
    shrinks: found.shrinks,
    hits,
    ...(found.after.length === 0 ? {} : { after: [...found.after] }),
  };
}

/** A harness or adapter failure that happened before any run (the handshake), as a counterexample without calls. */
export function failureCounterexample(summary: string, detail: string, replay: string): CounterexampleReport {
  return { ruleIds: [], kind: "error", summary, step: 0, model: "", implementation: detail, calls: [], configuration: { policy: "", completionIrql: "", scheduled: false }, seed: 0, path: "", replayFile: null, replay, runsToFailure: 0, shrinks: 0 };
}

/** Inputs of `buildReport`. */
export interface ReportInput {
  readonly implementation: string;
  readonly families: readonly ApiFamily[];
  readonly verifier: boolean;
  /** Every configuration's outcome (for the run counts). */
  readonly outcomes: readonly { readonly outcome: ConformanceOutcome }[];
  /** Each failure once: its counterexample, the configuration it was found in, how to replay it. */
  readonly counterexamples: readonly { readonly counterexample: Counterexample; readonly configuration: Configuration; readonly replay: string; readonly replayFile: string | null }[];
  /** Failure -> generated runs that had it, over every configuration. */
  readonly hits: ReadonlyMap<string, number>;
  readonly coverage: ReadonlyMap<string, number>;
  readonly expectedFailures: readonly string[];
  readonly settings: Report["settings"];
  readonly startedAt: Date;
  readonly seconds: number;
  readonly dimensions?: Dimensions;
}

/** Turns runner outcomes and coverage into the report object. */
export function buildReport(input: ReportInput): Report {
  return assembleReport({
    implementation: input.implementation,
    families: input.families,
    verifier: input.verifier,
    settings: input.settings,
    expectedFailures: input.expectedFailures,
    coverage: input.coverage,
    counterexamples: input.counterexamples.map(({ counterexample, configuration, replay, replayFile }) => counterexampleReport(counterexample, configuration, replay, replayFile, input.hits.get(counterexample.failure) ?? counterexample.hits)),
    runs: input.outcomes.reduce((sum, { outcome }) => sum + outcome.runs, 0),
    interrupted: input.outcomes.some(({ outcome }) => outcome.interrupted),
    startedAt: input.startedAt.toISOString(),
    seconds: input.seconds,
    dimensions: input.dimensions,
  });
}

/** Counterexamples with each rule once: the first one found for it, with the runs of every other that hit it added. */
function oncePerRule(counterexamples: readonly CounterexampleReport[]): CounterexampleReport[] {
  const kept: CounterexampleReport[] = [];
  for (const counterexample of counterexamples) {
    const key = counterexample.ruleIds.join(",");
    const earlier = key === "" ? -1 : kept.findIndex((candidate) => candidate.ruleIds.join(",") === key);
    if (earlier === -1) kept.push(counterexample);
    else {
      const first = kept[earlier]!;
      if (first.hits !== undefined || counterexample.hits !== undefined) kept[earlier] = { ...first, hits: (first.hits ?? 0) + (counterexample.hits ?? 0) };
    }
  }
  return kept;
}

/** Combines the reports of the shards of one run (same implementation) into one. */
export function mergeReports(reports: readonly Report[]): Report {
  const first = reports[0];
  if (first === undefined) throw new Error("nothing to merge");
  const coverage = new Map<string, number>();
  for (const report of reports) for (const rule of report.rules) coverage.set(rule.id, (coverage.get(rule.id) ?? 0) + rule.exercised);
  for (const report of reports) {
    for (const note of report.portabilityNotes ?? []) coverage.set(`${NOTE_COVERAGE_PREFIX}${note.decisionId}`, (coverage.get(`${NOTE_COVERAGE_PREFIX}${note.decisionId}`) ?? 0) + note.count);
  }
  const startedAt = reports.map((report) => report.timings.startedAt).sort()[0]!;
  return assembleReport({
    implementation: first.implementation,
    families: first.families,
    verifier: first.verifier,
    settings: { ...first.settings, runs: reports.reduce((sum, report) => sum + report.settings.runs, 0), shard: `merged from ${reports.map((report) => report.settings.shard ?? "all").join(", ")}` },
    expectedFailures: first.expectedFailures,
    coverage,
    counterexamples: oncePerRule(reports.flatMap((report) => report.counterexamples)),
    runs: reports.reduce((sum, report) => sum + report.counts.runs, 0),
    interrupted: reports.some((report) => report.interrupted),
    startedAt,
    seconds: reports.reduce((sum, report) => Math.max(sum, report.timings.seconds), 0),
    dimensions: mergeDimensions(reports.map((report) => report.dimensions)),
  });
}
