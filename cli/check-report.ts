/**
 * The report of `wfp-conform check`: the same report object `run` writes (report.json, .md, .xml,
 * .html), made from recorded traces. Each trace is one "run"; each rule a trace breaks gives one
 * counterexample, at its first violation, with the events that led to it.
 */
import { RULES } from "../spec/rules.ts";
import { API_FAMILIES } from "../spec/vocabulary.ts";
import { assembleReport, type CounterexampleReport, type Report } from "../reports/report.ts";
import type { Violation } from "../model/index.ts";

/** A violation as check prints it: the model's verdict plus the catalogue's source for its rule. */
export interface ReportedViolation {
  readonly line: number;
  readonly ruleId: string;
  readonly party: Violation["party"];
  readonly message: string;
  readonly fatal: boolean;
  readonly source: { readonly page: string; readonly quote?: string; readonly label?: string } | null;
}

/** What checking one trace found. */
export interface TraceVerdict {
  readonly file: string;
  readonly events: number;
  readonly conforms: boolean;
  readonly leaksJudged: boolean;
  readonly violations: readonly ReportedViolation[];
  /** Behaviours the pages leave open that the trace relies on: accepted, never a failure. */
  readonly portabilityNotes: readonly { readonly line: number; readonly decisionId: string; readonly message: string }[];
  /** The first malformed line, when the trace could not be read to its end. */
  readonly error?: string;
}

/** A rule's first violation in a trace, with the events up to it (rendered as C) for the report. */
export interface FirstViolation {
  readonly file: string;
  readonly violation: ReportedViolation;
  readonly count: number;
  readonly calls: readonly string[];
}

/** Events kept before a violation, as its context in the report. */
export const CONTEXT_EVENTS = 40;

export function checkReport(input: { readonly verdicts: readonly TraceVerdict[]; readonly firsts: readonly FirstViolation[]; readonly coverage: ReadonlyMap<string, number>; readonly platform: string; readonly startedAt: Date; readonly seconds: number }): Report {
  const counterexamples: CounterexampleReport[] = input.firsts.map(({ file, violation, count, calls }) => ({
    ruleIds: [violation.ruleId],
    kind: violation.party === "caller" ? "caller-violation" : "engine-violation",
    summary: `${file}:${violation.line}: ${violation.ruleId} broken by the ${violation.party}${count > 1 ? ` (${count} times in this trace; the first shown)` : ""}`,
    step: calls.length,
    model: violation.message,
    implementation: calls.at(-1) ?? "",
    calls: [...calls],
    configuration: { policy: "as recorded", completionIrql: "as recorded", scheduled: false },
    seed: 0,
    path: "",
    replayFile: null,
    replay: `npx wfp-conform check ${JSON.stringify(file)} --platform ${input.platform}`,
    runsToFailure: 0,
    shrinks: 0,
    origin: "recorded",
  }));
  const malformed = input.verdicts.filter((verdict) => verdict.error !== undefined);
  for (const verdict of malformed) {
    counterexamples.push({ ruleIds: [], kind: "error", summary: `${verdict.file}: malformed trace`, step: 0, model: "", implementation: verdict.error!, calls: [], configuration: { policy: "as recorded", completionIrql: "as recorded", scheduled: false }, seed: 0, path: "", replayFile: null, replay: `npx wfp-conform check ${JSON.stringify(verdict.file)}`, runsToFailure: 0, shrinks: 0, origin: "recorded" });
  }
  const files = input.verdicts.map((verdict) => verdict.file);
  return assembleReport({
    implementation: files.length === 1 ? `trace ${files[0]}` : `${files.length} traces (${files.slice(0, 3).join(", ")}${files.length > 3 ? ", ..." : ""})`,
    // A recorded trace may exercise every family: rules it never reaches are "not exercised".
    families: Object.keys(API_FAMILIES),
    verifier: false,
    settings: {
      seed: 0,
      runs: input.verdicts.length,
      maxCommands: Math.max(1, ...input.verdicts.map((verdict) => verdict.events)),
      policy: "as recorded",
      completionIrql: "as recorded",
      scheduled: false,
      shard: null,
      timeLimitSeconds: null,
      callTimeoutMs: 1,
    },
    expectedFailures: [],
    coverage: new Map([...input.coverage].filter(([id]) => RULES.some((rule) => rule.id === id))),
    counterexamples,
    runs: input.verdicts.length,
    interrupted: false,
    startedAt: input.startedAt.toISOString(),
    seconds: input.seconds,
  });
}
