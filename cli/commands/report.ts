/**
 * `wfp-conform report merge --out DIR REPORT...`: combines the reports of the shards of one run
 * (`run --shard I/N`) into one report, with every format written again.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mergeReports, ReportSchema, type Report } from "../../reports/report.ts";
import { renderMarkdown } from "../../reports/markdown.ts";
import { renderJunit } from "../../reports/junit.ts";
import { renderHtml } from "../../reports/html.ts";
import { writeAtomically } from "./run.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";

export const summary = "merge shard reports: report merge --out DIR REPORT.json|DIR ...";

export const HELP = `usage: wfp-conform report merge --out DIR [--force] REPORT.json|DIR ...

Merges the reports of the shards of one run (run --shard I/N, one job each) into one report:
rule verdicts combined, runs and coverage added up, every counterexample kept. Each input is a
report.json or the folder holding it. Writes report.json, report.md, report.xml and report.html
into --out and prints the Markdown summary.

  --out DIR              where the merged report goes
  --force                overwrite an existing report in --out

exit codes: 0 conformant, 1 not conformant (a rule was broken), 2 usage, input or adapter error
`;

function readReport(input: string): Report {
  const file = existsSync(input) && statSync(input).isDirectory() ? join(input, "report.json") : input;
  if (!existsSync(file)) throw new UsageError(`${file}: no such report`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file}: not a wfp-conformance report: field \`${issue.path.map(String).join(".")}\`: ${issue.message}`);
  }
  return parsed.data;
}

/** Merges shard reports and writes the merged one. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "merge") throw new UsageError(`report takes a subcommand: report merge --out DIR REPORT.json|DIR ... (got ${sub === undefined ? "nothing" : `"${sub}"`})`);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: "string" }, force: { type: "boolean", default: false } }, strict: true });
  if (values.out === undefined) throw new UsageError("report merge needs --out DIR");
  if (positionals.length === 0) throw new UsageError("report merge needs at least one report (a report.json or the folder holding it)");
  const reports = positionals.map(readReport);
  const names = new Set(reports.map((report) => report.implementation));
  if (names.size > 1) throw new UsageError(`the reports are of different implementations (${[...names].join(", ")}); merge the shards of one run`);
  const out = join(values.out, "report.json");
  if (existsSync(out) && !values.force) throw new UsageError(`${out} exists; pass --force to overwrite it`);
  const merged = mergeReports(reports);
  writeAtomically(out, JSON.stringify(merged, null, 2) + "\n");
  writeAtomically(join(values.out, "report.md"), renderMarkdown(merged));
  writeAtomically(join(values.out, "report.xml"), renderJunit(merged));
  writeAtomically(join(values.out, "report.html"), renderHtml(merged));
  io.out(renderMarkdown(merged));
  if (merged.adapterError) return EXIT.usage;
  return merged.conformant ? EXIT.ok : EXIT.violations;
}
