/**
 * Portability notes (decisions silent/* of spec/decisions.ts) in every report format: counted from
 * the runs' coverage, summed by `report merge`, shown by the JSON, Markdown, JUnit and HTML reports,
 * and never a failure.
 */
import { describe, expect, it } from "vitest";
import { NOTE_COVERAGE_PREFIX } from "../spec/decisions.ts";
import { sampleReport } from "./fixtures.ts";
import { renderHtml } from "./html.ts";
import { renderJunit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { assembleReport, mergeReports, ReportSchema, type Report } from "./report.ts";

function reportWithNotes(notes: Readonly<Record<string, number>>, conformantBase = true): Report {
  const base = sampleReport();
  const coverage = new Map<string, number>([["inject/success", 10], ...Object.entries(notes).map(([id, count]) => [`${NOTE_COVERAGE_PREFIX}${id}`, count] as [string, number])]);
  return assembleReport({
    implementation: base.implementation,
    families: ["handles", "nbl", "network", "transport", "forward", "stream", "pend", "query"],
    verifier: true,
    settings: base.settings,
    expectedFailures: [],
    coverage,
    counterexamples: conformantBase ? [] : base.counterexamples,
    runs: 3,
    interrupted: false,
    startedAt: base.timings.startedAt,
    seconds: 1,
  });
}

describe("portability notes in the reports", () => {
  const report = reportWithNotes({ "silent/zero-length-stream-data": 4 });

  it("are counted from the coverage, with the decision's text, and leave the verdict alone", () => {
    expect(report.portabilityNotes).toEqual([{ decisionId: "silent/zero-length-stream-data", count: 4, decision: expect.stringContaining("dataLength 0") }]);
    expect(report.conformant).toBe(true);
    expect(ReportSchema.safeParse(JSON.parse(JSON.stringify(report))).success).toBe(true);
    expect(reportWithNotes({}).portabilityNotes).toEqual([]);
  });

  it("are summed when shard reports are merged", () => {
    const merged = mergeReports([report, reportWithNotes({ "silent/zero-length-stream-data": 1, "silent/per-call-family-differs": 2 })]);
    expect(merged.portabilityNotes?.map(({ decisionId, count }) => `${decisionId}:${count}`)).toEqual(["silent/per-call-family-differs:2", "silent/zero-length-stream-data:5"]);
  });

  it("appear in the Markdown, the JUnit (as a property and system-out, no failure) and the HTML reports", () => {
    expect(renderMarkdown(report)).toContain("## Portability notes");
    expect(renderMarkdown(report)).toContain("`silent/zero-length-stream-data` (4×)");
    expect(renderMarkdown(reportWithNotes({}))).not.toContain("Portability notes");
    const junit = renderJunit(report);
    expect(junit).toContain('<property name="portabilityNotes" value="4"/>');
    expect(junit).toMatch(/<system-out>Portability note silent\/zero-length-stream-data \(4x, not a failure\)/);
    const failures = (xml: string) => (xml.match(/<failure/g) ?? []).length;
    expect(failures(junit)).toBe(failures(renderJunit({ ...report, portabilityNotes: [] })));
    const html = renderHtml(report);
    expect(html).toContain('<section id="portability-notes">');
    expect(html).toContain('data-note="silent/zero-length-stream-data"');
  });
});
