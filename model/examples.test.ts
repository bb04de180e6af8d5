/**
 * The example traces of examples/traces/ against the reference model: each file gives exactly the
 * violations examples/traces/expected.json lists for it (line, rule id, who broke it), every
 * modelled rule has a breaking trace that reports it, and every modelled rule is exercised by some
 * example run.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../spec/events.ts";
import { RULES } from "../spec/rules.ts";
import { parseTraceText } from "../spec/trace.ts";
import { readTraceHeader, SOURCE_LINE, verdictText } from "../spec/trace-header.ts";
import { checkTrace } from "./index.ts";

const TRACES_DIR = fileURLToPath(new URL("../examples/traces/", import.meta.url));

interface ExpectedViolation {
  readonly line: number;
  readonly ruleId: string;
  readonly party: "engine" | "caller";
}

const expected = JSON.parse(readFileSync(`${TRACES_DIR}expected.json`, "utf8")) as Record<string, ExpectedViolation[]>;
const files = Object.keys(expected).sort();
const modelledIds = RULES.filter((rule) => rule.modelled).map((rule) => rule.id);

/** The file name of the breaking trace of a rule: bad-<id with "/" replaced by "--">.jsonl. */
function badFileOf(ruleId: string): string {
  return `bad-${ruleId.replaceAll("/", "--")}.jsonl`;
}

/** Reads and parses one trace of the examples; a malformed file fails the test that reads it. */
function readTrace(file: string): { events: TraceEvent[]; lines: number[] } {
  const parsed = parseTraceText(readFileSync(`${TRACES_DIR}${file}`, "utf8"), file);
  if ("error" in parsed) {
    const { line, field, message } = parsed.error;
    throw new Error(`${file}:${line}: ${field === "" ? "" : `field \`${field}\`: `}${message}`);
  }
  return parsed;
}

function byLineThenRule(a: { line: number; ruleId: string; party: string }, b: { line: number; ruleId: string; party: string }): number {
  return a.line - b.line || a.ruleId.localeCompare(b.ruleId) || a.party.localeCompare(b.party);
}

/** Runs the model on every example once; the tests below share the results. */
const runs = new Map<string, ReturnType<typeof checkTrace>>();
function run(file: string): ReturnType<typeof checkTrace> {
  let result = runs.get(file);
  if (result === undefined) {
    const { events, lines } = readTrace(file);
    result = checkTrace(events, { platform: "x64", lines });
    runs.set(file, result);
  }
  return result;
}

describe("examples/traces", () => {
  it("every trace file is listed in expected.json, and every listed file exists", () => {
    const onDisk = readdirSync(TRACES_DIR).filter((name) => name.endsWith(".jsonl")).sort();
    expect(onDisk.filter((name) => !(name in expected)), "trace files missing from expected.json").toEqual([]);
    expect(files.filter((name) => !onDisk.includes(name)), "files in expected.json that do not exist").toEqual([]);
  });

  it("file names say what they are: ok-* traces expect no violation, bad-* traces at least one", () => {
    for (const file of files) expect(file, "a trace is named ok-*.jsonl or bad-*.jsonl").toMatch(/^(ok|bad)-[a-z0-9-]+\.jsonl$/);
    expect(files.filter((file) => file.startsWith("ok-") && expected[file]!.length > 0), "ok-* traces with expected violations").toEqual([]);
    expect(files.filter((file) => file.startsWith("bad-") && expected[file]!.length === 0), "bad-* traces without expected violations").toEqual([]);
    expect(files.filter((file) => file.startsWith("ok-")).length).toBeGreaterThanOrEqual(8);
  });

  it("every trace parses against the event schemas", () => {
    for (const file of files) expect(() => readTrace(file), file).not.toThrow();
  });

  for (const file of files) {
    it(`${file} gives exactly the violations of expected.json`, () => {
      const { violations } = run(file);
      const got = violations.map(({ position, ruleId, party }) => ({ line: position, ruleId, party })).sort(byLineThenRule);
      const want = expected[file]!.map(({ line, ruleId, party }) => ({ line, ruleId, party })).sort(byLineThenRule);
      const messages = violations.map((violation) => `  ${file}:${violation.position}: ${violation.ruleId} (${violation.party}): ${violation.message}`).join("\n");
      expect(got, `violations reported by the model:\n${messages || "  (none)"}`).toEqual(want);
    });
  }

  it("every modelled rule has a bad-* trace whose expected violations include it", () => {
    const uncovered = modelledIds.filter((id) => {
      const file = badFileOf(id);
      return !(file in expected) || !expected[file]!.some((violation) => violation.ruleId === id);
    });
    expect(uncovered, `modelled rules without a breaking example (expected ${uncovered.map(badFileOf).join(", ")}):\n  ${uncovered.join("\n  ")}`).toEqual([]);
  });

  it("every rule id and party in expected.json is the catalogue's", () => {
    const wrong: string[] = [];
    for (const file of files) {
      for (const violation of expected[file]!) {
        const rule = RULES.find((candidate) => candidate.id === violation.ruleId);
        if (rule === undefined) wrong.push(`${file}:${violation.line}: unknown rule ${violation.ruleId}`);
        else if (!rule.modelled) wrong.push(`${file}:${violation.line}: ${violation.ruleId} is not modelled`);
        else if (rule.obliged !== violation.party) wrong.push(`${file}:${violation.line}: ${violation.ruleId} obliges the ${rule.obliged}, not the ${violation.party}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("every modelled rule is exercised by at least one example run", () => {
    const exercised = new Set<string>();
    for (const file of files) {
      for (const [ruleId, count] of run(file).exercised) if (count > 0) exercised.add(ruleId);
    }
    const missing = modelledIds.filter((id) => !exercised.has(id));
    expect(missing, `modelled rules no example trace exercises:\n  ${missing.join("\n  ")}`).toEqual([]);
  });
});

describe("examples/traces written from real drivers", () => {
  const headers = new Map(files.map((file) => [file, readTraceHeader(readFileSync(`${TRACES_DIR}${file}`, "utf8"))]));
  const fromDrivers = files.filter((file) => headers.get(file)!.sources.length > 0);

  it("number at least 30, each naming repository@commit, a path and its functions", () => {
    expect(fromDrivers.length).toBeGreaterThanOrEqual(30);
    const malformed = fromDrivers.flatMap((file) => headers.get(file)!.sources.filter((source) => !SOURCE_LINE.test(source)).map((source) => `${file}: ${source}`));
    expect(malformed, "source lines that are not <owner>/<repo>@<commit> <path>: <functions>").toEqual([]);
  });

  it("state their expected verdict and its reason, and the verdict is the one expected.json lists", () => {
    const wrong: string[] = [];
    for (const file of fromDrivers) {
      const { verdict, reason } = headers.get(file)!;
      if (verdict === undefined || reason === undefined || reason.length < 20) wrong.push(`${file}: no "# expect: <verdict>. <reason>" line`);
      else if (verdict !== verdictText(expected[file]!)) wrong.push(`${file}: the header says "${verdict}", expected.json "${verdictText(expected[file]!)}"`);
    }
    expect(wrong).toEqual([]);
  });
});

