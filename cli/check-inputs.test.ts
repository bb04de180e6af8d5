/** `wfp-conform check` over several traces: files, glob patterns, standard input, and the reports it writes. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo } from "./io.ts";
import { main } from "./main.ts";
import { expandGlob } from "./inputs.ts";
import { runCli } from "./fixtures/cli-process.ts";
import { ReportSchema } from "../reports/report.ts";

const traces = join(import.meta.dirname, "..", "examples", "traces");
const ok = join(traces, "ok-allocate-and-clone.jsonl");
const freeTwice = join(traces, "bad-nbl--free-once.jsonl");
const dir = mkdtempSync(join(tmpdir(), "wfp-check-"));

async function check(...argv: string[]) {
  const io = memoryIo();
  const code = await main(["check", ...argv], io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("several traces", () => {
  it("checks each file given, and exits 1 when one breaks a rule", async () => {
    const result = await check(ok, freeTwice);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`${ok}: conforms (`);
    expect(result.out).toMatch(/bad-nbl--free-once\.jsonl:\d+: nbl\/free-once \(caller\)/);
    expect(result.out).toContain("2 traces: 1 conform, 1 break a rule");
  });

  it("expands a glob pattern itself (quoted in a CI file), in name order", async () => {
    const matched = expandGlob(join(traces, "ok-*.jsonl"));
    expect(matched.length).toBeGreaterThan(10);
    expect(matched).toEqual([...matched].sort());
    expect(matched.every((file) => /\/ok-[^/]*\.jsonl$/.test(file))).toBe(true);
    const result = await check(join(traces, "ok-*.jsonl"));
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain(`${matched.length} traces: ${matched.length} conform, 0 break a rule`);
    expect(expandGlob(join(import.meta.dirname, "..", "**", "ok-allocate-and-clone.jsonl"))).toEqual([ok]);
  });

  it("a pattern that matches nothing, or a missing file, is a usage error naming it", async () => {
    const none = await check(join(traces, "nothing-*.jsonl"));
    expect(none.code).toBe(2);
    expect(none.err).toContain("no trace file matches");
    expect((await check(ok, join(dir, "missing.jsonl"))).err).toContain(`no such trace file: ${join(dir, "missing.jsonl")}`);
  });

  it("a malformed trace among good ones: the others are checked, exit 2", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"kind": "call", "fn": "FwpsNoSuchFunction0"}\n');
    const result = await check(ok, bad);
    expect(result.code).toBe(2);
    expect(result.out).toContain(`${ok}: conforms`);
    expect(result.err).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1: field`));
  });

  it("--json: one object for one trace, an array for several", async () => {
    const one = JSON.parse((await check(ok, "--json")).out) as { file: string; conforms: boolean };
    expect(one).toMatchObject({ file: ok, conforms: true });
    const both = JSON.parse((await check(ok, freeTwice, "--json")).out) as { file: string; conforms: boolean }[];
    expect(both.map(({ file, conforms }) => [file, conforms])).toEqual([[ok, true], [freeTwice, false]]);
  });
});

describe("standard input", () => {
  it("- reads the trace from standard input (a real process)", () => {
    const result = runCli(["check", "-"], { input: readFileSync(freeTwice, "utf8") });
    expect(result.code, result.err).toBe(1);
    expect(result.out).toMatch(/^<stdin>:\d+: nbl\/free-once \(caller\)/m);
    const good = runCli(["check", "-", "--json"], { input: readFileSync(ok, "utf8") });
    expect(good.code, good.err).toBe(0);
    expect(JSON.parse(good.out)).toMatchObject({ file: "<stdin>", conforms: true });
  });
});

describe("the reports of check", () => {
  it("--out writes report.json (the run report's schema), .md, .xml and .html; --junit the XML", async () => {
    const out = join(dir, "report");
    const junit = join(dir, "junit.xml");
    const result = await check(ok, freeTwice, "--out", out, "--junit", junit);
    expect(result.code).toBe(1);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, "report.json"), "utf8")));
    expect(report.conformant).toBe(false);
    expect(report.counts.runs).toBe(2);
    expect(report.rules.find((rule) => rule.id === "nbl/free-once")?.verdict).toBe("failed");
    expect(report.rules.filter((rule) => rule.verdict === "passed").length).toBeGreaterThan(3);
    const [found] = report.counterexamples;
    expect(found).toMatchObject({ ruleIds: ["nbl/free-once"], kind: "caller-violation", origin: "recorded" });
    expect(found!.calls.at(-1)).toMatch(/FwpsFreeNetBufferList0/);
    expect(found!.step).toBe(found!.calls.length);
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain("nbl/free-once");
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("kind-caller-violation");
    expect(readFileSync(junit, "utf8")).toContain("nbl/free-once");
    expect((await check(ok, "--out", out)).err).toContain("exists; pass --force");
  });

  it("conforming traces give a conformant report", async () => {
    const out = join(dir, "conformant");
    expect((await check(join(traces, "ok-*.jsonl"), "--out", out)).code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, "report.json"), "utf8")));
    expect(report.conformant).toBe(true);
    expect(report.counterexamples).toEqual([]);
  });
});
