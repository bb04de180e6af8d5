/**
 * The generated documents of the repository: each path with the text the generator produces for it
 * now. Shared by the `npm run docs:*` scripts and by the test that keeps the committed files equal.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { recordedDecisionView } from "../spec/decision-view.ts";
import { DECISIONS } from "../spec/decisions.ts";
import { RULES } from "../spec/rules.ts";
import { readTraceHeader } from "../spec/trace-header.ts";
import { renderDecisions, ruleDecisions } from "./decisions.ts";
import { renderTraces } from "./traces.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** docs/decisions.md as generated from spec/. */
export function decisionsDocument(): string {
  return renderDecisions([
    {
      title: "Decisions across rules",
      intro: "The decisions of `spec/decisions.ts`: each names the rules it affects and the sentence it rests on, or says that the pages are silent.",
      entries: DECISIONS.map(recordedDecisionView),
    },
    {
      title: "Decisions recorded on the rules",
      intro: "Each rule of `spec/rules.ts` whose `decision` says how the model reads it; it rests on the rule's own sources.",
      entries: ruleDecisions(RULES),
    },
  ]);
}

/** docs/traces.md as generated from the headers of examples/traces/. */
export function tracesDocument(): string {
  const dir = `${ROOT}examples/traces/`;
  const files = readdirSync(dir).filter((file) => file.endsWith(".jsonl"));
  return renderTraces(files.map((file) => ({ file, header: readTraceHeader(readFileSync(`${dir}${file}`, "utf8")) })));
}

/** Every generated document: its path from the root, and its generator. */
export const DOCUMENTS = {
  decisions: { path: "docs/decisions.md", generate: decisionsDocument },
  traces: { path: "docs/traces.md", generate: tracesDocument },
} as const;
export type DocumentName = keyof typeof DOCUMENTS;
