/**
 * `wfp-conform check TRACE...`: checks JSON Lines traces (files, glob patterns, `-` for standard
 * input) against the reference model and prints every violation with its line, rule id, who broke
 * it and the source sentence; with --out / --junit, writes the same reports as `run`. Each trace is
 * streamed.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initialState, step, type PortabilityNote } from "../../model/index.ts";
import { ruleById } from "../../spec/rules.ts";
import { formatTraceInputError, readTraceFileBatches } from "../../spec/trace.ts";
import type { Platform } from "../../spec/vocabulary.ts";
import { renderEvent } from "../../reports/calls.ts";
import { renderJunit } from "../../reports/junit.ts";
import { CONTEXT_EVENTS, checkReport, type FirstViolation, type ReportedViolation, type TraceVerdict } from "../check-report.ts";
import { resolveInputs, type TraceInput } from "../inputs.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";
import { writeAtomically, writeReports } from "./run.ts";

export const summary = "check traces (JSON Lines files, globs, - for stdin) against the model: exit 0 conforms, 1 breaks a rule, 2 malformed";

export const HELP = `usage: wfp-conform check TRACE... [--json] [--platform x64|arm64|x86] [--out DIR] [--junit FILE] [--force]

Checks recorded traces (JSON Lines, one event per line: wfp-conform schema) against the reference
model and prints every violation with its line, rule id, who broke it (the engine or the caller)
and the source sentence. Leaks are judged only when a trace ends with a driverUnload event.
TRACE is a file, a glob pattern ("traces/**/*.jsonl", quoted so that the shell leaves it), or -
for standard input; give as many as you like.

  --json                 print the verdicts as JSON: one object (file, events, conforms, leaksJudged,
                         violations) for one trace, an array of them for several
  --platform P           x64 | arm64 | x86: the platform the traces were recorded on (default x64)
  --out DIR              also write report.json, report.md, report.xml (JUnit) and report.html there,
                         as run does: each trace a run, each rule a trace breaks a counterexample
  --junit FILE           also write the JUnit XML there
  --force                overwrite an existing report in --out, or --junit

exit codes: 0 every trace conforms, 1 a rule was broken, 2 a malformed trace or usage error
`;

const PLATFORMS: readonly Platform[] = ["x64", "arm64", "x86"];

function sourceLine(source: ReportedViolation["source"]): string {
  if (source === null) return "source: (rule not in the catalogue)";
  if (source.quote !== undefined) return `source: ${source.page}: "${source.quote}"`;
  return `source: ${source.page} [digest ${source.label ?? "?"}]`;
}

function portability(notes: readonly PortabilityNote[]): TraceVerdict["portabilityNotes"] {
  return notes.map(({ position, decisionId, message }) => ({ line: position, decisionId, message }));
}

/** Checks one trace: its verdict, and each rule's first violation with the events before it. */
async function checkOne(input: TraceInput, platform: Platform, coverage: Map<string, number>): Promise<{ verdict: TraceVerdict; firsts: FirstViolation[] }> {
  let state = initialState({ platform });
  const violations: ReportedViolation[] = [];
  const notes: PortabilityNote[] = [];
  const firsts = new Map<string, { violation: ReportedViolation; count: number; calls: string[] }>();
  const recent: string[] = [];
  let events = 0;
  let sawUnload = false;
  if (input.kind === "stdin") process.stdin.setEncoding("utf8");
  const batches = readTraceFileBatches(input.name, input.kind === "stdin" ? { stream: process.stdin } : {});
  for await (const batch of batches) {
    for (const { line, parsed } of batch) {
      if (!parsed.ok) {
        const error = formatTraceInputError(parsed.error);
        return { verdict: { file: input.name, events, conforms: false, leaksJudged: false, violations, portabilityNotes: portability(notes), error }, firsts: [] };
      }
      events += 1;
      if (parsed.event.kind === "driverUnload") sawUnload = true;
      recent.push(`/* line ${line} */ ${renderEvent(parsed.event)}`);
      if (recent.length > CONTEXT_EVENTS) recent.shift();
      const result = step(state, parsed.event, line);
      state = result.state;
      notes.push(...result.notes);
      for (const ruleId of result.exercised) coverage.set(ruleId, (coverage.get(ruleId) ?? 0) + 1);
      for (const violation of result.violations) {
        const rule = ruleById(violation.ruleId);
        const reported: ReportedViolation = { line: violation.position, ruleId: violation.ruleId, party: violation.party, message: violation.message, fatal: violation.fatal === true, source: rule === undefined ? null : rule.source };
        violations.push(reported);
        const first = firsts.get(reported.ruleId);
        if (first === undefined) firsts.set(reported.ruleId, { violation: reported, count: 1, calls: [...recent] });
        else first.count += 1;
      }
    }
  }
  return {
    verdict: { file: input.name, events, conforms: violations.length === 0, leaksJudged: sawUnload, violations, portabilityNotes: portability(notes) },
    firsts: [...firsts.values()].map((first) => ({ file: input.name, ...first })),
  };
}

function printVerdict(verdict: TraceVerdict, io: CommandIo): void {
  if (verdict.error !== undefined) {
    io.err(`${verdict.error}\n`);
    return;
  }
  const file = verdict.file;
  for (const violation of verdict.violations) {
    io.out(`${file}:${violation.line}: ${violation.ruleId} (${violation.party}${violation.fatal ? ", fatal" : ""}): ${violation.message}\n`);
    io.out(`    ${sourceLine(violation.source)}\n`);
  }
  // Portability notes: accepted either way, never a failure (spec/decisions.ts, silent/*).
  for (const note of verdict.portabilityNotes) io.out(`${file}:${note.line}: portability note [${note.decisionId}]: ${note.message}\n`);
  const byParty = (party: string) => verdict.violations.filter((violation) => violation.party === party).length;
  io.out(
    verdict.conforms
      ? `${file}: conforms (${verdict.events} events${verdict.portabilityNotes.length > 0 ? `, ${verdict.portabilityNotes.length} portability note(s)` : ""})\n`
      : `${file}: ${verdict.violations.length} violation(s) in ${verdict.events} events: ${byParty("engine")} by the engine, ${byParty("caller")} by the caller${byParty("model") > 0 ? `, ${byParty("model")} model errors` : ""}\n`,
  );
  if (!verdict.leaksJudged) io.out(`note: ${file} has no driverUnload event, so leaks (handles, NBLs, pends) were not judged\n`);
}

/** Checks every trace given and prints (and, with --out / --junit, writes) the verdicts. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      platform: { type: "string", default: "x64" },
      out: { type: "string" },
      junit: { type: "string" },
      force: { type: "boolean", default: false },
    },
    strict: true,
  });
  const platform = values.platform as Platform;
  if (!PLATFORMS.includes(platform)) throw new UsageError(`--platform must be one of ${PLATFORMS.join(", ")}, not ${values.platform}`);
  const inputs = resolveInputs(positionals);
  if (values.out !== undefined && existsSync(join(values.out, "report.json")) && !values.force) throw new UsageError(`${join(values.out, "report.json")} exists; pass --force to overwrite it, or choose another --out`);
  if (values.junit !== undefined && existsSync(values.junit) && !values.force) throw new UsageError(`${values.junit} exists; pass --force to overwrite it`);

  const started = new Date();
  const startedMs = performance.now();
  const coverage = new Map<string, number>();
  const verdicts: TraceVerdict[] = [];
  const firsts: FirstViolation[] = [];
  for (const input of inputs) {
    const checked = await checkOne(input, platform, coverage);
    verdicts.push(checked.verdict);
    firsts.push(...checked.firsts);
    if (!values.json) printVerdict(checked.verdict, io);
    else if (checked.verdict.error !== undefined) io.err(`${checked.verdict.error}\n`);
  }
  const malformed = verdicts.filter((verdict) => verdict.error !== undefined).length;
  const broken = verdicts.filter((verdict) => verdict.error === undefined && !verdict.conforms).length;

  if (values.json) {
    const shown = verdicts.map(({ error: _error, ...verdict }) => verdict);
    io.out(JSON.stringify(shown.length === 1 ? shown[0] : shown, null, 2) + "\n");
  } else if (verdicts.length > 1) {
    io.out(`${verdicts.length} traces: ${verdicts.length - broken - malformed} conform, ${broken} break a rule${malformed > 0 ? `, ${malformed} malformed` : ""}\n`);
  }
  if (values.out !== undefined || values.junit !== undefined) {
    const report = checkReport({ verdicts, firsts, coverage, platform, startedAt: started, seconds: (performance.now() - startedMs) / 1000 });
    if (values.out !== undefined) {
      writeReports(values.out, report, values.junit);
      if (!values.json) io.out(`reports written to ${values.out}/ (report.json, report.md, report.xml, report.html)\n`);
    } else writeAtomically(values.junit!, renderJunit(report));
  }
  if (malformed > 0) return EXIT.usage;
  return broken > 0 ? EXIT.violations : EXIT.ok;
}
