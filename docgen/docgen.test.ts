/**
 * The generated documents are committed as the generator produces them: a change to spec/ or to
 * the example traces that is not followed by `npm run docs` fails here, naming the document.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DECISIONS } from "../spec/decisions.ts";
import { RULES } from "../spec/rules.ts";
import { readTraceHeader } from "../spec/trace-header.ts";
import { renderDecisions, ruleDecisions } from "./decisions.ts";
import { DOCUMENTS, ROOT } from "./documents.ts";
import { renderTraces } from "./traces.ts";

describe("generated documents", () => {
  for (const [name, { path, generate }] of Object.entries(DOCUMENTS)) {
    it(`${path} is what the generator produces (npm run docs:${name})`, () => {
      expect(readFileSync(`${ROOT}${path}`, "utf8"), `${path} is stale: run npm run docs:${name}`).toBe(generate());
    });
  }

  it("docs/decisions.md lists every decision of the catalogue with what it rests on and the rules it affects", () => {
    const text = DOCUMENTS.decisions.generate();
    const withDecision = RULES.filter((rule) => rule.decision !== undefined);
    expect(withDecision.length).toBeGreaterThan(10);
    for (const rule of withDecision) expect(text, rule.id).toContain(`### ${rule.id}\n\n${rule.decision}\n`);
    expect(text).toContain(`${ruleDecisions(RULES).length + DECISIONS.length} decisions.`);
    for (const decision of DECISIONS) {
      expect(text, decision.id).toContain(`### ${decision.id}\n\n${decision.decision}\n`);
      expect(text, decision.id).toContain(decision.quote === null ? "the pages are silent" : decision.quote);
    }
  });

  it("renders a decision without a quote as resting on silent pages, and one with a reason", () => {
    const text = renderDecisions([{ title: "T", intro: "I", entries: [{ id: "x/y", ruleIds: [], decision: "Do this.", reason: "Because.", quotes: [] }] }]);
    expect(text).toContain("### x/y\n\nDo this.\n\n- **Why:** Because.\n- **Rests on:** the pages are silent.\n- **Rules:** none (a decision about the trace format)\n");
  });

  it("docs/traces.md lists every trace that names a source, with its verdict and its sources", () => {
    const header = readTraceHeader("# source: a/b@0123456789abcdef0123456789abcdef01234567 sys/x.c: Fn1, Fn2\n# expect: conforms. Why it does.\n{}\n");
    const text = renderTraces([{ file: "ok-x.jsonl", header }, { file: "ok-plain.jsonl", header: readTraceHeader("{}\n") }]);
    expect(text).toContain("- [`ok-x.jsonl`](../examples/traces/ok-x.jsonl): **conforms**\n  - a/b@0123456789ab `sys/x.c`: Fn1, Fn2\n");
    expect(text).not.toContain("ok-plain.jsonl");
    expect(text).toMatch(/^1 traces of/m);
  });
});
