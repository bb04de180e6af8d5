/**
 * The header of an example trace: the comment lines before its first event. A trace written from a
 * real driver names where its calls come from and what the model should say about them:
 *
 *   # source: <owner>/<repo>@<commit> <path>: <function>, <function> (...)
 *   # expect: conforms. <why>
 *   # expect: line 9: handle/no-use-after-destroy (caller). <why>
 *
 * One or more `source` lines, then one `expect` line. The readers of the trace format skip comments
 * (spec/trace.ts); this module reads them for the tests and the generated docs/traces.md.
 */

/** What a trace's header says. */
export interface TraceHeader {
  /** The `# source:` lines, without the prefix. */
  readonly sources: readonly string[];
  /** The verdict part of the `# expect:` line: "conforms", or "line N: rule (party); ...". */
  readonly verdict: string | undefined;
  /** The rest of the `# expect:` line: why. */
  readonly reason: string | undefined;
}

/** A source line names a repository at a commit, a path, and what in it. */
export const SOURCE_LINE = /^(?<repo>[\w.-]+\/[\w.-]+)@(?<commit>[0-9a-f]{40}) (?<path>\S+): (?<what>.+)$/;

/** Reads the leading comment lines of a trace (`#` comments; blank lines allowed among them). */
export function readTraceHeader(text: string): TraceHeader {
  const sources: string[] = [];
  let verdict: string | undefined;
  let reason: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (!line.startsWith("#")) break;
    const body = line.slice(1).trim();
    if (body.startsWith("source:")) sources.push(body.slice("source:".length).trim());
    else if (body.startsWith("expect:")) {
      const expect = body.slice("expect:".length).trim();
      const end = expect.indexOf(". ");
      verdict = end === -1 ? expect.replace(/\.$/, "") : expect.slice(0, end);
      reason = end === -1 ? undefined : expect.slice(end + 2).trim();
    }
  }
  return { sources, verdict, reason };
}

/** The verdict text of a list of expected violations, as an `# expect:` line writes it. */
export function verdictText(violations: readonly { readonly line: number; readonly ruleId: string; readonly party: string }[]): string {
  if (violations.length === 0) return "conforms";
  return [...violations]
    .sort((a, b) => a.line - b.line || a.ruleId.localeCompare(b.ruleId))
    .map((violation) => `line ${violation.line}: ${violation.ruleId} (${violation.party})`)
    .join("; ");
}
