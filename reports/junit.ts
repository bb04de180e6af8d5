/**
 * The JUnit XML report, for CI test dashboards: one test case per rule of the catalogue (class name
 * = the rule's API family, name = the rule id), failures carrying the counterexamples that name the
 * rule as the WFP calls a driver author would write, with seed, path and replay file.
 */
import { provenance, type CounterexampleReport, type Report, type RuleResult, type RuleVerdict } from "./report.ts";

/** Why a rule with a skipped verdict was not checked. */
const SKIP_REASON: Partial<Record<RuleVerdict, string>> = {
  "not-implemented": "not implemented: the implementation under test does not provide this API family",
  "not-exercised": "not exercised: no run reached a state where this rule applies",
  "not-modelled": "not modelled: the reference model does not check this rule",
};

/**
 * Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF and CR; lone surrogates;
 * U+FFFE and U+FFFF), not even as character references; they are written out as `\uXXXX` so the
 * report stays well-formed and the reader still sees that something was there.
 */
const NOT_IN_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function visible(text: string): string {
  return text.replace(NOT_IN_XML, (char) => `\\u${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`);
}

/** Escapes character data; CR is a reference because parsers would otherwise turn it into LF. */
function xmlText(text: string): string {
  return visible(text).replace(/[&<>"'\r]/g, (char) => ENTITY[char]!);
}

/** Escapes an attribute value; tab and newlines are references because parsers normalise them to spaces. */
function xmlAttribute(text: string): string {
  return visible(text).replace(/[&<>"'\t\n\r]/g, (char) => ENTITY[char]!);
}

const ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${xmlAttribute(String(value))}"`)
    .join("");
}

function configurationText(counterexample: CounterexampleReport): string {
  const configuration = counterexample.configuration;
  return `${configuration.policy} delivery, completions at ${configuration.completionIrql}, ${configuration.scheduled ? "scheduled interleavings" : "not scheduled"}`;
}

/** A counterexample as plain text: what diverged, the numbered calls (`>>` at the diverging step), how to replay it. */
function counterexampleText(counterexample: CounterexampleReport, index: number): string {
  const width = String(counterexample.calls.length).length;
  const lines = [
    `Counterexample ${index + 1}: ${counterexample.summary}`,
    `Diverged at step ${counterexample.step} (${counterexample.kind}).`,
    `  model:          ${counterexample.model}`,
    `  implementation: ${counterexample.implementation}`,
    "",
    ...counterexample.calls.map((call, position) => `${position + 1 === counterexample.step ? ">>" : "  "} ${String(position + 1).padStart(width)}  ${call}`),
    "",
    `Configuration: ${configurationText(counterexample)}.`,
    provenance(counterexample),
    `Replay: ${counterexample.replay}`,
  ];
  return lines.join("\n");
}

/** The counterexamples naming a rule, with their index in the report (numbered as in the other renderers). */
function counterexamplesOf(report: Report, ruleId: string): { counterexample: CounterexampleReport; index: number }[] {
  return report.counterexamples.flatMap((counterexample, index) => (counterexample.ruleIds.includes(ruleId) ? [{ counterexample, index }] : []));
}

function ruleHeader(rule: RuleResult): string {
  return `${rule.id} (obliged: ${rule.obliged}, exercised ${rule.exercised} times)\n${rule.statement}\nSource: ${rule.source}`;
}

function ruleTestCase(report: Report, rule: RuleResult): string[] {
  const open = `    <testcase${attributes({ classname: rule.family, name: rule.id })}`;
  const found = counterexamplesOf(report, rule.id);
  const evidence = found.map(({ counterexample, index }) => counterexampleText(counterexample, index)).join("\n\n");
  switch (rule.verdict) {
    case "passed":
      return [`${open}/>`];
    case "failed": {
      const message = found[0]?.counterexample.summary ?? `${rule.id} failed`;
      const more = found.length > 1 ? ` (and ${found.length - 1} more counterexample${found.length > 2 ? "s" : ""})` : "";
      return [
        `${open}>`,
        `      <failure${attributes({ message: `${message}${more}`, type: found[0]?.counterexample.kind ?? "failed" })}>${xmlText(`${ruleHeader(rule)}\n\n${evidence}`)}</failure>`,
        "    </testcase>",
      ];
    }
    case "unexpected-pass":
      // No counterexample names a rule that passed: the failure is that the expected-failure list is stale.
      return [
        `${open}>`,
        `      <failure${attributes({ message: `unexpected pass: ${rule.id} is listed as an expected failure but no run broke it`, type: "unexpected-pass" })}>${xmlText(`${ruleHeader(rule)}\n\nRemove ${rule.id} from the expected failures if the implementation now keeps it.`)}</failure>`,
        "    </testcase>",
      ];
    case "expected-failure":
      return [
        `${open}>`,
        `      <system-out>${xmlText(`Expected failure: ${rule.id} is listed as an expected failure and still fails.\n${ruleHeader(rule)}${evidence === "" ? "" : `\n\n${evidence}`}`)}</system-out>`,
        "    </testcase>",
      ];
    case "not-implemented":
    case "not-exercised":
    case "not-modelled":
      return [`${open}>`, `      <skipped${attributes({ message: SKIP_REASON[rule.verdict] ?? rule.verdict })}/>`, "    </testcase>"];
  }
}

/**
 * Counterexamples that name no rule are adapter or harness errors; they make the report
 * non-conformant, so they get a test case of their own rather than vanishing from the dashboard.
 */
function harnessTestCase(counterexample: CounterexampleReport, index: number): string[] {
  return [
    `    <testcase${attributes({ classname: "harness", name: `counterexample ${index + 1} (${counterexample.kind})` })}>`,
    `      <error${attributes({ message: counterexample.summary, type: counterexample.kind })}>${xmlText(counterexampleText(counterexample, index))}</error>`,
    "    </testcase>",
  ];
}

/** Renders a report as JUnit XML: one test suite, one test case per rule. */
export function renderJunit(report: Report): string {
  const harnessErrors = report.counterexamples.flatMap((counterexample, index) => (counterexample.ruleIds.length === 0 ? [{ counterexample, index }] : []));
  // The totals are counted from the test cases written here, so that they always agree with them.
  const failures = report.rules.filter((rule) => rule.verdict === "failed" || rule.verdict === "unexpected-pass").length;
  const skipped = report.rules.filter((rule) => SKIP_REASON[rule.verdict] !== undefined).length;
  const totals = {
    tests: report.rules.length + harnessErrors.length,
    failures,
    errors: harnessErrors.length,
    skipped,
    time: report.timings.seconds.toFixed(3),
  };
  const name = `wfp-conformance: ${report.implementation}`;
  const settings = report.settings;
  const properties: Record<string, string | number> = {
    implementation: report.implementation,
    families: report.families.join(","),
    verifier: String(report.verifier),
    conformant: String(report.conformant),
    adapterError: String(report.adapterError),
    interrupted: String(report.interrupted),
    seed: settings.seed,
    runs: report.counts.runs,
    maxRuns: settings.runs,
    maxCommands: settings.maxCommands,
    policy: settings.policy,
    completionIrql: settings.completionIrql,
    scheduled: String(settings.scheduled),
    shard: settings.shard ?? "",
    timeLimitSeconds: settings.timeLimitSeconds ?? "",
    callTimeoutMs: settings.callTimeoutMs,
    expectedFailures: report.expectedFailures.join(","),
    // Portability notes never fail a test: a count here, and each note in the suite's system-out.
    portabilityNotes: (report.portabilityNotes ?? []).reduce((sum, note) => sum + note.count, 0),
  };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: "wfp-conformance", ...totals })}>`,
    `  <testsuite${attributes({ name, ...totals, timestamp: report.timings.startedAt })}>`,
    "    <properties>",
    ...Object.entries(properties).map(([key, value]) => `      <property${attributes({ name: key, value })}/>`),
    "    </properties>",
    ...report.rules.flatMap((rule) => ruleTestCase(report, rule)),
    ...harnessErrors.flatMap(({ counterexample, index }) => harnessTestCase(counterexample, index)),
  ];
  const out: string[] = [];
  if (report.interrupted) out.push("The run was stopped by the time limit: rules may be less exercised than the settings ask for.");
  for (const note of report.portabilityNotes ?? []) out.push(`Portability note ${note.decisionId} (${note.count}x, not a failure): ${note.decision}`);
  if (out.length > 0) lines.push(`    <system-out>${xmlText(out.join("\n"))}</system-out>`);
  lines.push("  </testsuite>", "</testsuites>");
  return lines.join("\n") + "\n";
}
