/**
 * `wfp-conform check TRACE`: checks a JSON Lines trace against the reference model and prints every
 * violation with its line, rule id, who broke it and the source sentence. The file is streamed.
 */
import { existsSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { initialState, step, type PortabilityNote, type Violation } from "../../model/index.ts";
import { ruleById } from "../../spec/rules.ts";
import { formatTraceInputError, readTraceFileBatches } from "../../spec/trace.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";
import type { Platform } from "../../spec/vocabulary.ts";

export const summary = "check a trace (JSON Lines) against the model: exit 0 conforms, 1 breaks a rule, 2 malformed";

export const HELP = `usage: wfp-conform check TRACE.jsonl [--json] [--platform x64|arm64|x86]

Checks a recorded trace (JSON Lines, one event per line: wfp-conform schema) against the reference
model and prints every violation with its line, rule id, who broke it (the engine or the caller)
and the source sentence. Leaks are judged only when the trace ends with a driverUnload event.

  --json                 print the verdict as one JSON object (file, events, conforms, violations)
  --platform P           x64 | arm64 | x86: the platform the trace was recorded on (default x64)

exit codes: 0 conforms, 1 a rule was broken, 2 malformed trace or usage error
`;

const PLATFORMS: readonly Platform[] = ["x64", "arm64", "x86"];

/** A violation as printed: the model's verdict plus the catalogue's source for its rule. */
interface ReportedViolation {
  readonly line: number;
  readonly ruleId: string;
  readonly party: Violation["party"];
  readonly message: string;
  readonly fatal: boolean;
  readonly source: { readonly page: string; readonly quote?: string; readonly label?: string } | null;
}

function sourceLine(source: ReportedViolation["source"]): string {
  if (source === null) return "source: (rule not in the catalogue)";
  if (source.quote !== undefined) return `source: ${source.page}: "${source.quote}"`;
  return `source: ${source.page} [digest ${source.label ?? "?"}]`;
}

/** Checks one trace file and prints its verdicts. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      platform: { type: "string", default: "x64" },
    },
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError("check takes exactly one trace file: wfp-conform check TRACE.jsonl");
  const file = positionals[0]!;
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such trace file: ${file}`);
  const platform = values.platform as Platform;
  if (!PLATFORMS.includes(platform)) throw new UsageError(`--platform must be one of ${PLATFORMS.join(", ")}, not ${values.platform}`);

  let state = initialState({ platform });
  const violations: ReportedViolation[] = [];
  const notes: PortabilityNote[] = [];
  let events = 0;
  let sawUnload = false;
  for await (const batch of readTraceFileBatches(file)) {
    for (const { line, parsed } of batch) {
      if (!parsed.ok) {
        io.err(`${formatTraceInputError(parsed.error)}\n`);
        return EXIT.usage;
      }
      events += 1;
      if (parsed.event.kind === "driverUnload") sawUnload = true;
      const result = step(state, parsed.event, line);
      state = result.state;
      notes.push(...result.notes);
      for (const violation of result.violations) {
        const rule = ruleById(violation.ruleId);
        violations.push({
          line: violation.position,
          ruleId: violation.ruleId,
          party: violation.party,
          message: violation.message,
          fatal: violation.fatal === true,
          source: rule === undefined ? null : rule.source,
        });
      }
    }
  }

  const conforms = violations.length === 0;
  if (values.json) {
    const portabilityNotes = notes.map(({ position, decisionId, message }) => ({ line: position, decisionId, message }));
    io.out(JSON.stringify({ file, events, conforms, leaksJudged: sawUnload, violations, portabilityNotes }, null, 2) + "\n");
  } else {
    for (const violation of violations) {
      io.out(`${file}:${violation.line}: ${violation.ruleId} (${violation.party}${violation.fatal ? ", fatal" : ""}): ${violation.message}\n`);
      io.out(`    ${sourceLine(violation.source)}\n`);
    }
    // Portability notes: accepted either way, never a failure (spec/decisions.ts, silent/*).
    for (const note of notes) io.out(`${file}:${note.position}: portability note [${note.decisionId}]: ${note.message}\n`);
    const byParty = (party: string) => violations.filter((violation) => violation.party === party).length;
    io.out(
      conforms
        ? `${file}: conforms (${events} events${notes.length > 0 ? `, ${notes.length} portability note(s)` : ""})\n`
        : `${file}: ${violations.length} violation(s) in ${events} events: ${byParty("engine")} by the engine, ${byParty("caller")} by the caller${byParty("model") > 0 ? `, ${byParty("model")} model errors` : ""}\n`,
    );
    if (!sawUnload) io.out(`note: the trace has no driverUnload event, so leaks (handles, NBLs, pends) were not judged\n`);
  }
  return conforms ? EXIT.ok : EXIT.violations;
}
