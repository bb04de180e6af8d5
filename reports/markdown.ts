/**
 * The Markdown report: short enough for a CI job summary. A verdict line, the counts, the failing
 * rules, and each counterexample as the WFP calls a driver author would write.
 */
import { provenance, type Report } from "./report.ts";
import { dimensionsMarkdown } from "./dimensions.ts";

const ICON: Record<string, string> = {
  passed: "pass",
  failed: "FAIL",
  "expected-failure": "expected failure",
  "unexpected-pass": "UNEXPECTED PASS",
  "not-implemented": "not implemented",
  "not-exercised": "not exercised",
  "not-modelled": "not modelled",
};

/** Renders a report as Markdown. */
export function renderMarkdown(report: Report): string {
  const lines: string[] = [];
  const c = report.counts;
  lines.push(`# WFP conformance: ${report.implementation}`);
  lines.push("");
  lines.push(report.conformant ? "**Conformant**: no rule of the catalogue was broken." : "**Not conformant**: the implementation breaks the rules below.");
  lines.push("");
  if (report.adapterError) lines.push("**The implementation could not be driven** (an adapter or harness error; see the counterexamples).", "");
  const exploration = report.exploration;
  if (exploration !== undefined) {
    lines.push(`Bounded exhaustive exploration to depth ${exploration.depth}: ${exploration.sequences} sequences checked, ${exploration.states} states reached, ${exploration.distinctStates} distinct up to renaming, ${Math.round(exploration.statesPerSec)} states/s${report.interrupted ? " (stopped by the time limit)" : ""}; ${report.timings.seconds.toFixed(1)} s.`);
    lines.push("", "| configuration | sequences | distinct states | depth completed | shortest divergence | seconds |", "|---|---:|---:|---:|---:|---:|");
    for (const entry of exploration.configurations) {
      lines.push(`| ${entry.configuration.policy} at ${entry.configuration.completionIrql} | ${entry.sequences} | ${entry.distinctStates} | ${entry.depthCompleted}${entry.interrupted ? " (time limit)" : ""} | ${entry.divergenceAtDepth ?? "none"} | ${entry.seconds.toFixed(1)} |`);
    }
  } else lines.push(`Seed ${report.settings.seed}, ${c.runs} runs of up to ${report.settings.maxCommands} operations, completions ${report.settings.policy} at ${report.settings.completionIrql}${report.settings.scheduled ? ", scheduled interleavings" : ""}${report.settings.shard === null ? "" : `, shard ${report.settings.shard}`}${report.interrupted ? " (stopped by the time limit)" : ""}; ${report.timings.seconds.toFixed(1)} s.`);
  lines.push("");
  lines.push("| rules | passed | failed | expected failures | unexpected passes | not implemented | not exercised | not modelled |");
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|");
  lines.push(`| ${c.rules} | ${c.passed} | ${c.failed} | ${c.expectedFailures} | ${c.unexpectedPasses} | ${c.notImplemented} | ${c.notExercised} | ${c.notModelled} |`);
  const notable = report.rules.filter((rule) => rule.verdict === "failed" || rule.verdict === "unexpected-pass" || rule.verdict === "expected-failure");
  if (notable.length > 0) {
    lines.push("", "## Rules", "", "| rule | obliged | verdict | source |", "|---|---|---|---|");
    for (const rule of notable) lines.push(`| \`${rule.id}\` | ${rule.obliged} | ${ICON[rule.verdict]} | ${rule.source.replaceAll("|", "\\|")} |`);
  }
  const notes = report.portabilityNotes ?? [];
  if (notes.length > 0) {
    lines.push("", "## Portability notes", "", "Inputs the pages are silent on: the model accepted success and a parameter error alike (never a failure).", "");
    for (const note of notes) lines.push(`- \`${note.decisionId}\` (${note.count}×): ${note.decision}`);
  }
  report.counterexamples.forEach((counterexample, index) => {
    lines.push("", `## Counterexample ${index + 1}: ${counterexample.ruleIds.map((id) => `\`${id}\``).join(", ") || counterexample.kind}`, "");
    lines.push(`Diverged at step ${counterexample.step} (${counterexample.kind})${counterexample.hits === undefined ? "" : `; ${counterexample.hits} ${counterexample.hits === 1 ? "run" : "runs"} hit it`}.`, "");
    if (counterexample.after !== undefined) lines.push(`Seen only after ${counterexample.after.map((id) => `\`${id}\``).join(", ")} broke earlier in the same run: it may be a consequence.`, "");
    lines.push(`- model: ${counterexample.model}`);
    lines.push(`- implementation: ${counterexample.implementation}`);
    lines.push("", "```c");
    counterexample.calls.forEach((call, step) => lines.push(`${step + 1 === counterexample.step ? ">>" : "  "} ${call}`));
    lines.push("```", "");
    if (counterexample.origin === "recorded") lines.push(provenance(counterexample), "");
    else if (counterexample.origin === "explored") lines.push(`${counterexample.configuration.policy} delivery at ${counterexample.configuration.completionIrql}. ${provenance(counterexample)}`, "");
    else lines.push(`Seed ${counterexample.seed}, path \`${counterexample.path}\`, ${counterexample.configuration.policy} delivery at ${counterexample.configuration.completionIrql}${counterexample.configuration.scheduled ? ", scheduled" : ""}; ${counterexample.runsToFailure} runs to the first failure, ${counterexample.shrinks} shrinks.`, "");
    lines.push(`Replay: \`${counterexample.replay}\``);
  });
  lines.push(...dimensionsMarkdown(report.dimensions));
  if (report.toolVersion !== undefined) lines.push("", `Report of wfp-conformance ${report.toolVersion}.`);
  return lines.join("\n") + "\n";
}
