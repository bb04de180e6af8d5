/**
 * The HTML report: one self-contained page (inline CSS, no scripts, no external resources) to open
 * from a CI artifact. A header with the verdict, settings and timings; the counts; the rules by
 * verdict, one table per API family; then each counterexample as the numbered WFP calls a driver
 * author would write, the diverging step highlighted.
 *
 * Tests and tools can rely on these hooks: `#summary[data-conformant]`, `#counts`,
 * `#verdict-matrix`, `section.family[data-family]`, `tr[data-rule][data-verdict]`,
 * `#counterexamples`, `article.counterexample[data-rules][data-kind]`, `pre.calls`,
 * `.line[data-step]`, `.line.diverged`, `.model`, `.implementation`, `.replay`.
 */
import { dimensionsHtml } from "./dimensions.ts";
import type { CounterexampleReport, Report, RuleResult, RuleVerdict } from "./report.ts";

/** The verdict columns of the matrix, in the order of `RuleVerdictSchema`. */
const VERDICTS: readonly { verdict: RuleVerdict; label: string; mark: string; count: keyof Report["counts"] }[] = [
  { verdict: "passed", label: "passed", mark: "✓", count: "passed" },
  { verdict: "failed", label: "failed", mark: "✗", count: "failed" },
  { verdict: "expected-failure", label: "expected failure", mark: "✗", count: "expectedFailures" },
  { verdict: "unexpected-pass", label: "unexpected pass", mark: "!", count: "unexpectedPasses" },
  { verdict: "not-implemented", label: "not implemented", mark: "–", count: "notImplemented" },
  { verdict: "not-exercised", label: "not exercised", mark: "○", count: "notExercised" },
  { verdict: "not-modelled", label: "not modelled", mark: "·", count: "notModelled" },
];

/**
 * Controls other than tab and newline (CR included, which HTML would silently fold into LF) and
 * lone surrogates cannot be shown; they are written as `\uXXXX` so the reader sees they were there.
 */
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for element content and quoted attribute values alike. */
function escape(text: string): string {
  return text
    .replace(INVISIBLE, (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`)
    .replace(/[&<>"']/g, (char) => ENTITY[char]!);
}

/** An id attribute value: HTML ids may hold any character but whitespace. */
function idOf(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/\s+/g, "-")}`;
}

const STYLE = `
:root { color-scheme: light; --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0 auto; padding: 1.5rem 2rem 4rem; max-width: 1200px; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
.verdict { font-size: 1.1rem; font-weight: 600; padding: .5rem .75rem; border-radius: 6px; display: inline-block; margin: .5rem 0; }
.verdict.conformant { background: #dafbe1; color: var(--pass); }
.verdict.not-conformant { background: #ffebe9; color: var(--fail); }
.interrupted { color: var(--warn); font-weight: 600; }
.adapter-error { color: var(--fail); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; vertical-align: top; text-align: left; }
thead th { background: var(--bg-soft); font-weight: 600; font-size: 13px; }
#counts td { text-align: right; font-variant-numeric: tabular-nums; }
/* Fixed layout and shared column widths, so that the tables of all families line up. */
table.matrix { table-layout: fixed; }
.matrix col.rule { width: 22%; }
.matrix col.mark { width: 7.6%; }
.matrix col.num { width: 6%; }
.matrix col.obliged { width: 5.8%; }
.matrix col.source { width: 13%; }
.matrix thead th { font-size: 11px; padding: .3rem; }
.matrix th[scope="row"] { font-weight: normal; overflow-wrap: anywhere; }
.matrix th[scope="row"] code { font-weight: 600; }
.matrix td.mark { text-align: center; font-weight: 700; }
.matrix td.num { text-align: right; font-variant-numeric: tabular-nums; }
.matrix .statement { color: var(--muted); font-size: 13px; }
.matrix .source { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.matrix tr.verdict-failed th, .matrix tr.verdict-unexpected-pass th { background: #fff5f5; }
td.mark-passed { color: var(--pass); background: #dafbe1; }
td.mark-failed { color: #fff; background: var(--fail); }
td.mark-expected-failure { color: var(--warn); background: #fff8c5; }
td.mark-unexpected-pass { color: #fff; background: #bc4c00; }
td.mark-not-implemented, td.mark-not-exercised, td.mark-not-modelled { color: var(--muted); background: var(--bg-soft); }
td.mark a { color: inherit; }
.counterexample { border: 1px solid var(--line); border-radius: 6px; padding: 0 1rem 1rem; margin: 1rem 0; }
.counterexample.kind-engine-violation, .counterexample.kind-caller-violation, .counterexample.kind-error, .counterexample.kind-port-error { border-left: 4px solid var(--fail); }
.counterexample.kind-verifier-mismatch { border-left: 4px solid var(--warn); }
.counterexample .summary { font-weight: 600; }
/* Long calls wrap under their text, not under the line number (a hanging indent), so results stay in view. */
pre.calls { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px; padding: .5rem 0; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.45; }
pre.calls .line { display: inline-block; width: 100%; padding: 0 .75rem 0 calc(4rem + 2ch); text-indent: calc(-4rem - 2ch); }
pre.calls .ln { display: inline-block; width: 4rem; text-indent: 0; text-align: right; color: var(--muted); user-select: none; }
pre.calls .line.diverged { background: #ffebe9; box-shadow: inset 4px 0 0 var(--fail); }
pre.calls .line.diverged .ln { color: var(--fail); font-weight: 700; }
.observations dd { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap; }
.observations dd.implementation { color: var(--fail); }
.muted { color: var(--muted); }
@media print { .counterexample { break-inside: avoid; } }
`;

function settingsFacts(report: Report): string {
  const settings = report.settings;
  const exploration = report.exploration;
  const facts: [string, string][] = [
    ...(exploration === undefined
      ? ([
          ["seed", String(settings.seed)],
          ["runs", `${report.counts.runs} of ${settings.runs} asked for, up to ${settings.maxCommands} operations each`],
        ] as [string, string][])
      : ([
          ["exploration", `every sequence up to ${exploration.depth} steps: ${exploration.sequences} sequences, ${exploration.states} states, ${exploration.distinctStates} distinct up to renaming`],
          ["states per second", String(Math.round(exploration.statesPerSec))],
          ["scope", Object.entries(exploration.scope).map(([name, value]) => `${name} ${Array.isArray(value) ? value.join("/") : String(value)}`).join(", ")],
        ] as [string, string][])),
    ["completion policy", settings.policy],
    ["completion IRQL", settings.completionIrql],
    ["scheduled interleavings", settings.scheduled ? "yes" : "no"],
    ["shard", settings.shard ?? "none"],
    ["API families", report.families.length === 0 ? "none" : report.families.join(", ")],
    ["verifier compared", report.verifier ? "yes" : "no"],
    ["expected failures", report.expectedFailures.length === 0 ? "none" : report.expectedFailures.join(", ")],
    ["time limit", settings.timeLimitSeconds === null ? "none" : `${settings.timeLimitSeconds} s`],
    ["call timeout", `${settings.callTimeoutMs} ms`],
    ["started", report.timings.startedAt],
    ["duration", `${report.timings.seconds.toFixed(1)} s`],
  ];
  return `<dl class="facts" id="settings">\n${facts.map(([name, value]) => `<dt>${escape(name)}</dt><dd data-setting="${escape(name)}">${escape(value)}</dd>`).join("\n")}\n</dl>`;
}

function header(report: Report): string {
  const verdict = report.conformant
    ? `<p class="verdict conformant">Conformant: no rule of the catalogue was broken.</p>`
    : `<p class="verdict not-conformant">Not conformant: the implementation breaks the rules marked failed below.</p>`;
  const adapterError = report.adapterError ? `\n<p class="adapter-error">The implementation could not be driven: an adapter or harness error (see the counterexamples).</p>` : "";
  const interrupted = report.interrupted ? `\n<p class="interrupted">Stopped by the time limit: some rules may be less exercised than the settings ask for.</p>` : "";
  return `<header id="summary" data-conformant="${report.conformant}" data-adapter-error="${report.adapterError}">
<h1>WFP conformance: <span id="implementation">${escape(report.implementation)}</span></h1>
${verdict}${adapterError}${interrupted}
${settingsFacts(report)}
</header>`;
}

function counts(report: Report): string {
  const c = report.counts;
  const columns: [string, number, string][] = [["rules", c.rules, "rules"], ["runs", c.runs, "runs"], ...VERDICTS.map(({ verdict, label, count }): [string, number, string] => [label, c[count], verdict])];
  return `<section id="counts">
<h2>Counts</h2>
<table>
<thead><tr>${columns.map(([label]) => `<th scope="col">${escape(label)}</th>`).join("")}</tr></thead>
<tbody><tr>${columns.map(([, value, key]) => `<td data-count="${escape(key)}">${value}</td>`).join("")}</tr></tbody>
</table>
</section>`;
}

function matrixRow(rule: RuleResult, counterexampleIndexes: readonly number[]): string {
  const marks = VERDICTS.map(({ verdict, label, mark }) => {
    if (verdict !== rule.verdict) return `<td class="mark" data-column="${verdict}"></td>`;
    // A broken rule's mark links to its first counterexample.
    const first = counterexampleIndexes[0];
    const content = first === undefined ? escape(mark) : `<a href="#counterexample-${first + 1}">${escape(mark)}</a>`;
    return `<td class="mark mark-${verdict}" data-column="${verdict}" title="${escape(label)}">${content}</td>`;
  }).join("");
  return `<tr id="${escape(idOf("rule", rule.id))}" class="verdict-${rule.verdict}" data-rule="${escape(rule.id)}" data-verdict="${rule.verdict}">`
    + `<th scope="row"><code>${escape(rule.id)}</code><div class="statement">${escape(rule.statement)}</div></th>`
    + marks
    + `<td class="num" data-column="exercised">${rule.exercised}</td>`
    + `<td data-column="obliged">${escape(rule.obliged)}</td>`
    + `<td class="source" data-column="source">${escape(rule.source)}</td>`
    + `</tr>`;
}

function matrix(report: Report): string {
  // Families in the order they first appear in the catalogue; rules keep their catalogue order.
  const families = new Map<string, RuleResult[]>();
  for (const rule of report.rules) {
    const rules = families.get(rule.family);
    if (rules === undefined) families.set(rule.family, [rule]);
    else rules.push(rule);
  }
  const columns = `<colgroup><col class="rule">${VERDICTS.map(() => `<col class="mark">`).join("")}<col class="num"><col class="obliged"><col class="source"></colgroup>`;
  const head = `<thead><tr><th scope="col">rule</th>${VERDICTS.map(({ verdict, label }) => `<th scope="col" data-column="${verdict}">${escape(label)}</th>`).join("")}<th scope="col">exercised</th><th scope="col">obliged</th><th scope="col">source</th></tr></thead>`;
  const sections = [...families].map(([family, rules]) => {
    const rows = rules.map((rule) => matrixRow(rule, report.counterexamples.flatMap((counterexample, index) => (counterexample.ruleIds.includes(rule.id) ? [index] : []))));
    const broken = rules.filter((rule) => rule.verdict === "failed" || rule.verdict === "unexpected-pass").length;
    return `<section class="family" id="${escape(idOf("family", family))}" data-family="${escape(family)}">
<h3>${escape(family)} <span class="muted">(${rules.length} rule${rules.length === 1 ? "" : "s"}${broken === 0 ? "" : `, ${broken} broken`})</span></h3>
<table class="matrix">
${columns}
${head}
<tbody>
${rows.join("\n")}
</tbody>
</table>
</section>`;
  });
  return `<section id="verdict-matrix">
<h2>Rules by verdict</h2>
${sections.length === 0 ? `<p class="muted">The report holds no rules.</p>` : sections.join("\n")}
</section>`;
}

function callLines(counterexample: CounterexampleReport, number: number): string {
  const width = String(counterexample.calls.length).length;
  return counterexample.calls
    .map((call, position) => {
      const step = position + 1;
      const diverged = step === counterexample.step;
      // The `>>` marker is text, not only colour, so the diverging step survives copy, print and text dumps.
      const gutter = `${diverged ? "&gt;&gt; " : ""}${String(step).padStart(width)}`;
      return `<span class="line${diverged ? " diverged" : ""}" data-step="${step}"${diverged ? ` id="counterexample-${number}-step-${step}"` : ""}><span class="ln">${gutter}</span>  ${escape(call)}</span>`;
    })
    .join("\n");
}

function counterexampleArticle(report: Report, counterexample: CounterexampleReport, index: number): string {
  const number = index + 1;
  const known = new Set(report.rules.map((rule) => rule.id));
  const rules = counterexample.ruleIds.map((id) => (known.has(id) ? `<a href="#${escape(idOf("rule", id))}"><code>${escape(id)}</code></a>` : `<code>${escape(id)}</code>`)).join(", ");
  const step = counterexample.step === 0 ? "The run failed before any step diverged" : `Diverged at <a href="#counterexample-${number}-step-${counterexample.step}">step ${counterexample.step}</a>`;
  const configuration = counterexample.configuration;
  const replay: [string, string][] = [
    ["configuration", `${configuration.policy} delivery, completions at ${configuration.completionIrql}, ${configuration.scheduled ? "scheduled interleavings" : "not scheduled"}`],
    ...(counterexample.origin === "recorded"
      ? ([["found by", "wfp-conform check, in a recorded trace"]] as [string, string][])
      : counterexample.origin === "explored"
      ? ([["found by", `bounded exhaustive exploration, after ${counterexample.runsToFailure} sequences (a shortest diverging sequence, not shrunk)`]] as [string, string][])
      : ([
          ["seed", String(counterexample.seed)],
          ["path", counterexample.path],
          ["found after", `${counterexample.runsToFailure} runs, shrunk ${counterexample.shrinks} times`],
          ...(counterexample.hits === undefined ? [] : ([["runs that hit it", String(counterexample.hits)]] as [string, string][])),
          ...(counterexample.after === undefined ? [] : ([["seen only after", `${counterexample.after.join(", ")} (it may be a consequence)`]] as [string, string][])),
        ] as [string, string][])),
    ["replay file", counterexample.replayFile ?? "not saved"],
  ];
  // One line of <pre> text per call, so that the page reads (and copies) the same without the style sheet.
  return `<article class="counterexample kind-${counterexample.kind}" id="counterexample-${number}" data-rules="${escape(counterexample.ruleIds.join(" "))}" data-kind="${counterexample.kind}" data-step="${counterexample.step}">
<h3>Counterexample ${number}: ${rules === "" ? escape(counterexample.kind) : rules}</h3>
<p class="summary">${escape(counterexample.summary)}</p>
<p>${step} (${escape(counterexample.kind)}).</p>
<dl class="facts observations">
<dt>model</dt><dd class="model">${escape(counterexample.model)}</dd>
<dt>implementation</dt><dd class="implementation">${escape(counterexample.implementation)}</dd>
</dl>
<pre class="calls"><code>${callLines(counterexample, number)}</code></pre>
<dl class="facts replay">
${replay.map(([name, value]) => `<dt>${escape(name)}</dt><dd data-replay="${escape(name)}">${escape(value)}</dd>`).join("\n")}
<dt>replay</dt><dd data-replay="command"><code class="replay-command">${escape(counterexample.replay)}</code></dd>
</dl>
</article>`;
}

function portabilityNotes(report: Report): string {
  const notes = report.portabilityNotes ?? [];
  const body =
    notes.length === 0
      ? `<p class="muted">No input the pages are silent on was met.</p>`
      : `<ul>\n${notes.map((note) => `<li data-note="${escape(note.decisionId)}"><code>${escape(note.decisionId)}</code> (${note.count}&times;): ${escape(note.decision)}</li>`).join("\n")}\n</ul>`;
  return `<section id="portability-notes">
<h2>Portability notes</h2>
<p class="muted">Inputs the pages are silent on: success and a parameter error were both accepted. Never a failure.</p>
${body}
</section>`;
}

function counterexamples(report: Report): string {
  const body = report.counterexamples.length === 0 ? `<p class="muted">No counterexample: no run diverged from the model.</p>` : report.counterexamples.map((counterexample, index) => counterexampleArticle(report, counterexample, index)).join("\n");
  return `<section id="counterexamples">
<h2>Counterexamples</h2>
${body}
</section>`;
}

/** Renders a report as one self-contained HTML page. */
export function renderHtml(report: Report): string {
  const title = `WFP conformance: ${report.implementation} (${report.conformant ? "conformant" : "not conformant"})`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escape(`${report.tool} report v${report.version}`)}">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${header(report)}
${counts(report)}
${matrix(report)}
${portabilityNotes(report)}
${counterexamples(report)}
${dimensionsHtml(report.dimensions)}
</body>
</html>
`;
}
