/**
 * The smallest depth at which `explore` tells each mutant of impl/mutants from the model: every
 * mutant is explored breadth first under each configuration until the first divergence (which, the
 * search being breadth first, is at the smallest depth that can show it within the scope).
 *
 *   npx tsx bench/explore-mutants.ts [--depth K] [--only SUBSTRING] [--markdown FILE] [--json]
 *
 * Prints one line per mutant (depth, configuration, rules, seconds) and a summary.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { MUTANTS } from "../impl/mutants/index.ts";
import { DEFAULT_SCOPE, type ExploreScope } from "../properties/alphabet.ts";
import { explore } from "../properties/explore.ts";
import type { DeliveryPolicy } from "../spec/port.ts";

const { values } = parseArgs({ options: { depth: { type: "string", default: "6" }, only: { type: "string" }, markdown: { type: "string" }, json: { type: "boolean", default: false } } });
const maxDepth = Number(values.depth);
if (!Number.isInteger(maxDepth) || maxDepth < 1) {
  console.error(`--depth must be a positive integer, not "${values.depth}"`);
  process.exit(2);
}
// fifo first: with explicit deliveries it shows most defects, and bounds how deep "immediate" must go.
const POLICIES: readonly DeliveryPolicy[] = ["fifo", "immediate"];
const OTHER_SCOPES: readonly { readonly name: string; readonly scope: ExploreScope; readonly depth: number }[] = [
  { name: "4 NBLs, chain of 4", scope: { ...DEFAULT_SCOPE, maxNbls: 4, chainLength: 4 }, depth: 5 },
  {
    name: "handles and NBLs, correct use only",
    scope: { ...DEFAULT_SCOPE, misuse: false, environment: false, maxClassifies: 0, maxPacketIndications: 0, maxStreamIndications: 0 },
    depth: 8,
  },
];

interface Row {
  readonly mutant: string;
  readonly family: string;
  readonly depth: number | null;
  readonly policy: string | null;
  /** The scope the depth was found in. */
  readonly scope: string;
  readonly rules: readonly string[];
  readonly seconds: number;
}

const rows: Row[] = [];
const started = performance.now();
for (const [name, mutant] of Object.entries(MUTANTS)) {
  if (values.only !== undefined && !name.includes(values.only)) continue;
  const begun = performance.now();
  let best: { depth: number; policy: string; rules: readonly string[] } | null = null;
  for (const policy of POLICIES) {
    // A configuration only needs to go as deep as the best depth found so far.
    const depth = best === null ? maxDepth : best.depth - 1;
    if (depth < 1) break;
    const outcome = await explore({ factory: mutant.createPort, port: { policy }, depth });
    const found = outcome.counterexample;
    if (found !== null && (best === null || found.depth < best.depth)) best = { depth: found.depth, policy, rules: found.divergence?.ruleIds ?? [found.error ?? "error"] };
  }
  let scope = "default";
  // Some defects need more objects than the default scope holds (a completion ring of 3 entries
  // overflows only with 4 completions queued), or more steps than the default depth reaches in
  // reasonable time: further searches in other scopes, each with its own depth.
  for (const other of OTHER_SCOPES) {
    if (best !== null) break;
    for (const policy of POLICIES) {
      const outcome = await explore({ factory: mutant.createPort, port: { policy }, depth: Math.min(best?.depth ?? Infinity, other.depth), scope: other.scope });
      const found = outcome.counterexample;
      if (found !== null && (best === null || found.depth < best.depth)) {
        best = { depth: found.depth, policy, rules: found.divergence?.ruleIds ?? [found.error ?? "error"] };
        scope = other.name;
      }
    }
  }
  const row: Row = { mutant: name, family: mutant.family, depth: best?.depth ?? null, policy: best?.policy ?? null, scope, rules: best?.rules ?? [], seconds: (performance.now() - begun) / 1000 };
  rows.push(row);
  if (!values.json) console.log(`${name.padEnd(52)} ${row.depth === null ? `not found up to depth ${maxDepth}` : `depth ${row.depth} (${row.policy}${row.scope === "default" ? "" : `, ${row.scope}`})`.padEnd(22)} ${row.rules.join(", ")}  ${row.seconds.toFixed(1)} s`);
}
const found = rows.filter((row) => row.depth !== null);
const seconds = (performance.now() - started) / 1000;
const histogram = new Map<number, number>();
for (const row of found) histogram.set(row.depth!, (histogram.get(row.depth!) ?? 0) + 1);
const summary = { mutants: rows.length, found: found.length, maxDepth, byDepth: Object.fromEntries([...histogram.entries()].sort(([a], [b]) => a - b)), notFound: rows.filter((row) => row.depth === null).map((row) => row.mutant), seconds: Number(seconds.toFixed(1)) };
if (values.json) console.log(JSON.stringify({ summary, rows }, null, 2));
else console.log(`\n${found.length} of ${rows.length} mutants found by explore (${rows.filter((row) => row.depth !== null && row.scope === "default").length} in the default scope up to depth ${maxDepth}; by depth: ${[...histogram.entries()].sort(([a], [b]) => a - b).map(([depth, count]) => `${depth}: ${count}`).join(", ")}) in ${seconds.toFixed(1)} s`);
if (values.markdown !== undefined) {
  const lines = ["| mutant | family | smallest depth | policy | scope | rules |", "|---|---|---:|---|---|---|"];
  for (const row of rows) lines.push(`| \`${row.mutant}\` | ${row.family} | ${row.depth ?? `> ${maxDepth}`} | ${row.policy ?? "-"} | ${row.scope} | ${row.rules.map((rule) => `\`${rule}\``).join(", ")} |`);
  writeFileSync(values.markdown, lines.join("\n") + "\n");
}
