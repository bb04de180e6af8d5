/**
 * `npm run mutation [-- --parts K] [-- <stryker options>]`: runs StrykerJS over impl/ with the
 * conformance-properties suite (mutation/stryker.config.json, mutation/vitest.config.ts), then prints
 * a one-line summary read from Stryker's JSON report (reports/mutation/mutation.json; the HTML
 * report is next to it).
 *
 * With `--parts K` the mutants are tested in K successive Stryker runs (impl/engine.ts split into
 * line ranges, the other files together), each writing reports/mutation/parts/part-I.{json,html},
 * and merged into reports/mutation/mutation.json as they finish: a run stopped early (a CI time
 * limit, a closed laptop) keeps the parts it finished, and the summary says which are missing.
 * `--only I[,J]` (with `--parts K`) runs only those parts again and merges them with the other parts'
 * reports of an earlier `--parts K` run: after a change to code in one part, or to a part that did
 * not finish. Other arguments go to `stryker run` (for example `--incremental`, `--concurrency 1`).
 * Exits with Stryker's exit code (non-zero if a Stryker run failed).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const reportDir = join(root, "reports", "mutation");
const report = join(reportDir, "mutation.json");
const stryker = join(root, "node_modules", ".bin", "stryker");
const baseConfig = JSON.parse(readFileSync(join(root, "mutation", "stryker.config.json"), "utf8")) as { mutate: string[]; [key: string]: unknown };

interface MutantResult {
  readonly status: string;
}
interface MutationReport {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly MutantResult[] }>;
  readonly [key: string]: unknown;
}

const args = process.argv.slice(2);
const partsAt = args.indexOf("--parts");
const parts = partsAt < 0 ? 1 : Number(args[partsAt + 1]);
if (!Number.isInteger(parts) || parts < 1) {
  console.error(`mutation: --parts takes a positive integer, not "${args[partsAt + 1] ?? ""}"`);
  process.exit(2);
}
const onlyAt = args.indexOf("--only");
const only = onlyAt < 0 ? null : new Set((args[onlyAt + 1] ?? "").split(",").map(Number));
if (only !== null && (partsAt < 0 || [...only].some((part) => !Number.isInteger(part) || part < 1 || part > parts))) {
  console.error(`mutation: --only takes part numbers from 1 to the --parts count, comma-separated (e.g. --parts 5 --only 1,3), not "${args[onlyAt + 1] ?? ""}"`);
  process.exit(2);
}
const strykerArgs = args.filter((_, index) => index !== partsAt && index !== partsAt + 1 && index !== onlyAt && index !== onlyAt + 1);
const started = Date.now();

function summarise(missing: readonly string[]): void {
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(report)) {
    console.error(`mutation: no report at ${report}`);
    return;
  }
  const counts = new Map<string, number>();
  for (const file of Object.values((JSON.parse(readFileSync(report, "utf8")) as MutationReport).files)) {
    for (const mutant of file.mutants) counts.set(mutant.status, (counts.get(mutant.status) ?? 0) + 1);
  }
  const count = (status: string): number => counts.get(status) ?? 0;
  const detected = count("Killed") + count("Timeout");
  const undetected = count("Survived") + count("NoCoverage");
  const score = detected + undetected === 0 ? 0 : (100 * detected) / (detected + undetected);
  const details = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${status} ${n}`).join(", ");
  console.log(`mutation score: ${score.toFixed(2)}% (${detected} detected / ${detected + undetected} valid mutants; ${details}) in ${Math.floor(seconds / 60)} min ${seconds % 60} s`);
  if (missing.length > 0) console.log(`INCOMPLETE: not tested: ${missing.join(", ")}`);
  console.log(`report: reports/mutation/mutation.html, reports/mutation/mutation.json${parts > 1 ? ", reports/mutation/parts/" : ""}`);
}

if (parts === 1) {
  const result = spawnSync(stryker, ["run", "mutation/stryker.config.json", ...strykerArgs], { cwd: root, stdio: "inherit" });
  summarise([]);
  process.exit(result.status ?? 2);
}

// K parts: the files other than engine.ts together, engine.ts in K - 1 line ranges of about equal
// length, each ending at the end of a top-level declaration or class member (a line "}" or "  }"),
// so that no mutant spans two ranges (Stryker tests a mutant only if a range holds it whole).
const engine = "impl/engine.ts";
const engineSource = readFileSync(join(root, engine), "utf8").split("\n");
const ends = [0];
for (let part = 1; part < parts - 1; part++) {
  let line = Math.max(ends[ends.length - 1]! + 1, Math.floor((part * engineSource.length) / (parts - 1)));
  while (line < engineSource.length && !/^ ?}$|^  }$/.test(engineSource[line - 1]!)) line++;
  ends.push(line);
}
ends.push(engineSource.length);
const ranges = ends.slice(1).map((end, i) => [ends[i]! + 1, end] as const);
const partMutate: string[][] = [baseConfig.mutate.filter((file) => file !== engine), ...ranges.map(([from, to]) => [`${engine}:${from}-${to}`])];
const partsDir = join(reportDir, "parts");
// With --only, the other parts keep the reports of an earlier run (of the same --parts count).
if (only === null) rmSync(partsDir, { recursive: true, force: true });
mkdirSync(partsDir, { recursive: true });

let merged: MutationReport | null = null;
const missing = partMutate.map((mutate) => mutate.join(" "));
let status = 0;
for (const [index, mutate] of partMutate.entries()) {
  const config = join(root, "mutation", `.stryker-part-${index + 1}.json`);
  const partReport = join(partsDir, `part-${index + 1}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      ...baseConfig,
      mutate,
      jsonReporter: { fileName: `reports/mutation/parts/part-${index + 1}.json` },
      htmlReporter: { fileName: `reports/mutation/parts/part-${index + 1}.html` },
      incrementalFile: `reports/mutation/parts/stryker-incremental-${index + 1}.json`,
    }),
  );
  if (only === null || only.has(index + 1)) {
    console.log(`mutation: part ${index + 1} of ${partMutate.length}: ${mutate.join(" ")}`);
    rmSync(partReport, { force: true });
    const result = spawnSync(stryker, ["run", config, ...strykerArgs], { cwd: root, stdio: "inherit" });
    if (result.status !== 0) status = result.status ?? 2;
  } else console.log(`mutation: part ${index + 1} of ${partMutate.length}: ${mutate.join(" ")}: the report of an earlier run${existsSync(partReport) ? "" : " (none)"}`);
  rmSync(config, { force: true });
  if (!existsSync(partReport)) continue;
  const part = JSON.parse(readFileSync(partReport, "utf8")) as MutationReport;
  const previous: MutationReport | null = merged;
  if (previous === null) merged = part;
  else {
    const files: Record<string, MutationReport["files"][string]> = { ...previous.files };
    for (const [file, entry] of Object.entries(part.files)) files[file] = files[file] === undefined ? entry : { ...files[file]!, mutants: [...files[file]!.mutants, ...entry.mutants] };
    merged = { ...previous, files } as MutationReport;
  }
  missing.splice(missing.indexOf(mutate.join(" ")), 1);
  writeFileSync(report, JSON.stringify(merged));
}
summarise(missing);
process.exit(status);
