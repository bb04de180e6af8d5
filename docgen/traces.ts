/**
 * docs/traces.md, rendered from the headers of examples/traces/*.jsonl: every trace written from a
 * real driver or sample, its expected verdict and where its calls come from. `npm run docs:traces`
 * regenerates the file and docgen/docgen.test.ts fails when the committed one differs.
 */
import { SOURCE_LINE, type TraceHeader } from "../spec/trace-header.ts";

/** One source line, shortened for the list: the commit to 12 hex digits. */
function shortSource(source: string): string {
  const match = SOURCE_LINE.exec(source);
  if (match?.groups === undefined) return source;
  const { repo, commit, path, what } = match.groups as { repo: string; commit: string; path: string; what: string };
  return `${repo}@${commit.slice(0, 12)} \`${path}\`: ${what}`;
}

/** The document, from each driver trace's file name and header (file names sorted). */
export function renderTraces(traces: readonly { readonly file: string; readonly header: TraceHeader }[]): string {
  const fromDrivers = traces.filter((trace) => trace.header.sources.length > 0).sort((a, b) => a.file.localeCompare(b.file));
  const repos = new Set(fromDrivers.flatMap((trace) => trace.header.sources.map((source) => SOURCE_LINE.exec(source)?.groups?.["repo"] ?? "?")));
  const lines = [
    "# Example traces from real drivers",
    "",
    `${fromDrivers.length} traces of \`examples/traces/\` are written from the call sequences of public callout drivers`,
    `and Microsoft samples (${[...repos].sort().join(", ")}). Each names, in its first`,
    "lines (`# source:` comments), the repository, commit, file and functions it follows, and (`# expect:`)",
    "the verdict the model must give with the reason; `model/examples.test.ts` checks every one against",
    "`examples/traces/expected.json`. This list is generated from those lines by `npm run docs:traces`.",
    "",
  ];
  for (const { file, header } of fromDrivers) {
    lines.push(`- [\`${file}\`](../examples/traces/${file}): **${header.verdict ?? "no verdict"}**`);
    for (const source of header.sources) lines.push(`  - ${shortSource(source)}`);
  }
  return lines.join("\n") + "\n";
}
