/**
 * `npm run mutation [-- <stryker options>]`: runs StrykerJS over impl/ with the conformance-properties
 * suite (mutation/stryker.config.json, mutation/vitest.config.ts), then prints a one-line summary read
 * from Stryker's JSON report (reports/mutation/mutation.json; the HTML report is next to it).
 * Extra arguments go to `stryker run` (for example `--incremental`, or `--mutate impl/queue.ts`).
 * Exits with Stryker's exit code (non-zero if Stryker failed or the score is under its `break` threshold).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const report = join(root, "reports", "mutation", "mutation.json");
const started = Date.now();
const stryker = join(root, "node_modules", ".bin", "stryker");
const result = spawnSync(stryker, ["run", "mutation/stryker.config.json", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
const seconds = Math.round((Date.now() - started) / 1000);

interface MutantResult {
  readonly status: string;
}
interface MutationReport {
  readonly files: Record<string, { readonly mutants: readonly MutantResult[] }>;
}

if (!existsSync(report)) {
  console.error(`mutation: no report at ${report}`);
  process.exit(result.status ?? 2);
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
console.log(`report: reports/mutation/mutation.html, reports/mutation/mutation.json`);
process.exit(result.status ?? 2);
