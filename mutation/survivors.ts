/**
 * `npm run mutation:survivors [-- --report FILE] [--markdown FILE] [--check]`: every mutant the last
 * `npm run mutation` left undetected (Survived or NoCoverage), with the verdict written for it in
 * mutation/verdicts/*.md, grouped by the function it is in; and the score counted two ways: as
 * Stryker counts it, and with the mutants whose verdict is "equivalent" left out.
 *
 * A verdict file holds markdown table rows `| file:line:col | mutator | replacement | verdict | reason |`
 * (the position as in Stryker's report; verdict `equivalent`, `open`, `killed` with the test that
 * kills it, or `ignored` when an ignore-plugin of mutation/ignorers.mjs excludes it). With `--check`,
 * exits 1 if an undetected mutant has no verdict, if a mutant said to be killed or ignored is
 * undetected, or if a mutant said to be equivalent or open is killed (a false claim); verdicts that
 * name no mutant of the report are listed as a warning.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    report: { type: "string", default: join(root, "reports", "mutation", "mutation.json") },
    verdicts: { type: "string", default: join(root, "mutation", "verdicts") },
    markdown: { type: "string" },
    check: { type: "boolean", default: false },
  },
});

interface Position {
  readonly line: number;
  readonly column: number;
}
interface Mutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { readonly start: Position; readonly end: Position };
  readonly status: string;
}
interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly Mutant[] }>;
}

export interface Verdict {
  readonly key: string;
  readonly verdict: "equivalent" | "open" | "killed" | "ignored";
  readonly reason: string;
  readonly where: string;
}

/** The key of a mutant: `engine.ts:12:5|Mutator|replacement` (whitespace in the replacement collapsed). */
export function mutantKey(file: string, line: number, column: number, mutator: string, replacement: string): string {
  return `${file.replace(/^impl\//, "")}:${line}:${column}|${mutator}|${replacement.replace(/\s+/g, " ").trim()}`;
}

/** A replacement cell without its code-span backticks (`x` is x; a bare `` is the replacement ``). */
function unquote(cell: string): string {
  return cell.length > 2 && cell.startsWith("`") && cell.endsWith("`") ? cell.slice(1, -1) : cell;
}

/** The verdict rows of one verdict file; a malformed row is an error naming the file and line. */
export function parseVerdicts(text: string, file: string): Verdict[] {
  const verdicts: Verdict[] = [];
  text.split("\n").forEach((line, index) => {
    const match = /^\|?\s*(?:impl\/)?([\w.-]+\.ts):(\d+):(\d+)\s*\|/.exec(line);
    if (match === null) return;
    // Cells are separated by " | "; a `|` inside backticks is escaped as `\|` in markdown.
    const trimmed = line.trim().replace(/^\|/, "");
    const cells = trimmed
      .slice(0, trimmed.endsWith("|") && !trimmed.endsWith("\\|") ? trimmed.length - 1 : undefined)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, "|"));
    if (cells.length < 5) throw new Error(`${file}:${index + 1}: a verdict row needs 5 cells (position | mutator | replacement | verdict | reason), found ${cells.length}`);
    const [, mutator, replacement, written, ...reason] = cells as [string, string, string, string, ...string[]];
    const verdict = /^(already )?killed\b/i.test(written) ? "killed" : /^(ignored|excluded)\b/i.test(written) ? "ignored" : written.toLowerCase();
    if (verdict !== "equivalent" && verdict !== "open" && verdict !== "killed" && verdict !== "ignored") throw new Error(`${file}:${index + 1}: verdict must be "equivalent", "open", "killed" or "ignored", not "${written}"`);
    const text = reason.join(" | ").trim();
    if (text === "") throw new Error(`${file}:${index + 1}: a verdict needs its reason`);
    verdicts.push({ key: mutantKey(match[1]!, Number(match[2]), Number(match[3]), mutator, unquote(replacement)), verdict, reason: text, where: `${file}:${index + 1}` });
  });
  return verdicts;
}

/** The name of the function or method whose body holds `line` (by indentation and signature). */
function enclosingFunction(lines: readonly string[], line: number): string {
  for (let i = line - 1; i >= 0; i--) {
    const match = /^\s*(?:export\s+)?(?:private\s+|public\s+|protected\s+|static\s+|readonly\s+|async\s+|get\s+|set\s+)*(?:function\s+)?([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\(.*\)\s*(?::\s*[^{]+)?\{\s*$/.exec(lines[i]!);
    if (match !== null && !["if", "for", "while", "switch", "catch", "return"].includes(match[1]!)) return match[1]!;
    if (/^(export\s+)?(class|interface|const|function)\b/.test(lines[i]!)) return "(top level)";
  }
  return "(top level)";
}

function main(): void {
  if (!existsSync(values.report)) {
    console.error(`mutation:survivors: no report at ${values.report}; run \`npm run mutation\` first`);
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(values.report, "utf8")) as Report;
  const verdicts = new Map<string, Verdict>();
  if (existsSync(values.verdicts)) {
    for (const name of readdirSync(values.verdicts).filter((entry) => entry.endsWith(".md")).sort()) {
      const path = join(values.verdicts, name);
      try {
        for (const verdict of parseVerdicts(readFileSync(path, "utf8"), `mutation/verdicts/${name}`)) verdicts.set(verdict.key, verdict);
      } catch (error) {
        console.error(`mutation:survivors: ${(error as Error).message}`);
        process.exit(2);
      }
    }
  }

  const counts = new Map<string, number>();
  const statusOf = new Map<string, string>();
  const rows: { fn: string; file: string; key: string; mutant: Mutant; original: string; verdict: Verdict | undefined }[] = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split("\n");
    for (const mutant of mutants) {
      counts.set(mutant.status, (counts.get(mutant.status) ?? 0) + 1);
      statusOf.set(mutantKey(file, mutant.location.start.line, mutant.location.start.column, mutant.mutatorName, mutant.replacement ?? ""), mutant.status);
      if (mutant.status !== "Survived" && mutant.status !== "NoCoverage") continue;
      const { line, column } = mutant.location.start;
      const key = mutantKey(file, line, column, mutant.mutatorName, mutant.replacement ?? "");
      rows.push({ fn: enclosingFunction(lines, line), file: file.replace(/^impl\//, ""), key, mutant, original: (lines[line - 1] ?? "").trim(), verdict: verdicts.get(key) });
    }
  }
  const count = (status: string): number => counts.get(status) ?? 0;
  const detected = count("Killed") + count("Timeout");
  const valid = detected + count("Survived") + count("NoCoverage");
  const equivalent = rows.filter((row) => row.verdict?.verdict === "equivalent").length;
  const open = rows.filter((row) => row.verdict?.verdict === "open").length;
  const missing = rows.filter((row) => row.verdict === undefined);
  const live = new Set(rows.map((row) => row.key));
  // A verdict must name a mutant of the report; "equivalent" or "open" on a mutant the suite killed is
  // a false claim; on a mutant an ignore-plugin now excludes, it is moot.
  // A verdict on a line where the report has no mutant at all is on code this report did not test (a
  // run of some parts only, `--parts`), counted apart; one on a tested line that names no mutant is stale.
  const lineOf = (key: string): string => key.split(":").slice(0, 2).join(":");
  const testedLines = new Set([...statusOf.keys()].map(lineOf));
  const unmatched = [...verdicts.values()].filter((verdict) => !statusOf.has(verdict.key));
  const untested = unmatched.filter((verdict) => !testedLines.has(lineOf(verdict.key)));
  const stale = unmatched.filter((verdict) => testedLines.has(lineOf(verdict.key)));
  const falseClaims = [...verdicts.values()].filter((verdict) => (verdict.verdict === "equivalent" || verdict.verdict === "open") && !live.has(verdict.key) && (statusOf.get(verdict.key) === "Killed" || statusOf.get(verdict.key) === "Timeout"));
  const notKilled = rows.filter((row) => row.verdict?.verdict === "killed" || row.verdict?.verdict === "ignored");
  const score = (100 * detected) / Math.max(1, valid);
  const scoreWithout = (100 * detected) / Math.max(1, valid - equivalent);

  const summary = [
    `mutation score ${score.toFixed(2)}% (${detected} detected of ${valid} valid mutants; ${count("Ignored")} ignored by mutation/ignorers.mjs)`,
    `undetected ${rows.length}: ${equivalent} equivalent, ${open} open, ${missing.length} without a verdict; score without the equivalent ones ${scoreWithout.toFixed(2)}%`,
  ];
  if (untested.length > 0) summary.push(`${untested.length} verdicts are on lines with no mutant in this report (not tested by it, e.g. a part of a --parts run that did not finish)`);
  for (const line of summary) console.log(line);

  if (values.markdown !== undefined) {
    const byFunction = new Map<string, typeof rows>();
    for (const row of rows) byFunction.set(`${row.file} \`${row.fn}\``, [...(byFunction.get(`${row.file} \`${row.fn}\``) ?? []), row]);
    const escape = (text: string) => text.replace(/\|/g, "\\|").replace(/`/g, "'");
    const out = [
      "# Undetected mutants of `npm run mutation`, with their verdicts",
      "",
      "Generated by `npm run mutation:survivors -- --markdown mutation/EQUIVALENT.md` from Stryker's report (reports/mutation/mutation.json) and the verdicts written in mutation/verdicts/*.md. Do not edit by hand: edit a verdict file, then generate again.",
      "",
      ...summary.map((line) => `- ${line}`),
      "",
      "| function | undetected | equivalent | open | no verdict |",
      "|---|---:|---:|---:|---:|",
      ...[...byFunction.entries()]
        .sort(([, a], [, b]) => b.length - a.length)
        .map(([fn, list]) => `| ${fn} | ${list.length} | ${list.filter((row) => row.verdict?.verdict === "equivalent").length} | ${list.filter((row) => row.verdict?.verdict === "open").length} | ${list.filter((row) => row.verdict === undefined).length} |`),
      "",
    ];
    for (const [fn, list] of [...byFunction.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`## ${fn}`, "", "| position | status | mutator | original line | replacement | verdict | reason |", "|---|---|---|---|---|---|---|");
      for (const row of list) {
        const { line, column } = row.mutant.location.start;
        out.push(`| ${row.file}:${line}:${column} | ${row.mutant.status} | ${row.mutant.mutatorName} | \`${escape(row.original.slice(0, 100))}\` | \`${escape((row.mutant.replacement ?? "").replace(/\s+/g, " ").slice(0, 80))}\` | ${row.verdict?.verdict ?? "**none**"} | ${escape(row.verdict?.reason ?? "")} |`);
      }
      out.push("");
    }
    writeFileSync(values.markdown, out.join("\n"));
    console.log(`written ${values.markdown}`);
  }

  if (values.check) {
    for (const row of missing.slice(0, 50)) console.error(`no verdict: ${row.key}  (${row.original.slice(0, 80)})`);
    if (missing.length > 50) console.error(`... and ${missing.length - 50} more without a verdict`);
    // A verdict that names no mutant of a tested line cannot hide an undetected mutant (that one would
    // have no verdict, and fail above): it is reported, not failed.
    if (stale.length > 0) console.error(`warning: ${stale.length} verdicts on tested lines name no mutant of this report (a replacement written differently, or code edited since), e.g.:`);
    for (const verdict of stale.slice(0, 10)) console.error(`  ${verdict.where}: ${verdict.key}`);
    for (const verdict of falseClaims) console.error(`said to be ${verdict.verdict} at ${verdict.where}, but the suite kills it: ${verdict.key}`);
    for (const row of notKilled) console.error(`said to be ${row.verdict!.verdict} at ${row.verdict!.where}, but ${row.mutant.status}: ${row.key}`);
    if (missing.length > 0 || notKilled.length > 0 || falseClaims.length > 0) process.exit(1);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
