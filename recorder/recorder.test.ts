/**
 * The C trace recorder (recorder/include/wfp_trace.h): its examples compiled with gcc (warnings as
 * errors), run, and their traces judged by `wfp-conform check`: the example driver conforms, the
 * deliberately wrong one is reported with a caller violation, and a completion run inside the
 * inject call is written after the call. Skipped, saying so, where gcc is missing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { parseTraceText } from "../spec/trace.ts";

const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "wfp-recorder-"));
const gcc = spawnSync("gcc", ["--version"]).status === 0;
if (!gcc) console.warn("recorder/recorder.test.ts: skipping: gcc is not installed (apt-get install gcc)");

/** Compiles a C file of the recorder with gcc and runs it; returns what it printed. */
function compileAndRun(source: string): string {
  const binary = join(dir, source.replace(/[^a-z0-9]+/gi, "-"));
  const compiled = spawnSync("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", join(root, "recorder", "include"), "-o", binary, join(root, source)], { encoding: "utf8" });
  expect(compiled.status, compiled.stderr).toBe(0);
  const ran = spawnSync(binary, [], { encoding: "utf8" });
  expect(ran.status, ran.stderr).toBe(0);
  return ran.stdout;
}

async function check(trace: string) {
  const file = join(dir, `trace-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, trace);
  const io = memoryIo();
  const code = await main(["check", file, "--json"], io);
  return { code, verdict: JSON.parse(io.stdout) as { conforms: boolean; events: number; leaksJudged: boolean; violations: { line: number; ruleId: string; party: string }[] }, err: io.stderr };
}

describe.skipIf(!gcc)("the C trace recorder", () => {
  it("the example callout driver's trace is well formed and conforms", async () => {
    const trace = compileAndRun("recorder/examples/callout_driver.c");
    const parsed = parseTraceText(trace);
    expect("events" in parsed ? parsed.events.length : parsed).toBe(22);
    const { code, verdict } = await check(trace);
    expect(code).toBe(0);
    expect(verdict).toMatchObject({ conforms: true, events: 22, leaksJudged: true });
    // The destroy that waits is written when it starts, its return after the completion it waited for.
    const kinds = trace.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { kind: string; fn?: string });
    const destroy = kinds.findIndex((event) => event.fn === "FwpsInjectionHandleDestroy0");
    expect(kinds.slice(destroy + 1, destroy + 4).map((event) => event.kind)).toEqual(["completion", "call", "return"]);
  });

  it("the deliberately wrong driver: check reports the caller freeing an NBL in flight", async () => {
    const { code, verdict } = await check(compileAndRun("recorder/examples/buggy_driver.c"));
    expect(code).toBe(1);
    expect(verdict.violations.map(({ line, ruleId, party }) => ({ line, ruleId, party }))).toEqual([
      { line: 6, ruleId: "nbl/not-freed-in-flight", party: "caller" },
      { line: 9, ruleId: "nbl/free-once", party: "caller" },
    ]);
  });

  it("into a buffer, with a completion run inside the inject call: written after the call", async () => {
    const trace = compileAndRun("recorder/tests/inline_buffer.c");
    const lines = trace.trimEnd().split("\n").map((line) => JSON.parse(line) as { kind: string; fn?: string });
    const inject = lines.findIndex((event) => event.fn === "FwpsInjectNetworkSendAsync0");
    expect(lines[inject + 1]?.kind).toBe("completion");
    expect(lines[inject + 2]?.fn).toBe("FwpsFreeNetBufferList0");
    const { code, verdict } = await check(trace);
    expect(code, JSON.stringify(verdict)).toBe(0);
  });

  it("npm run recorder:demo prints the example's trace on standard output", () => {
    const result = spawnSync("npm", ["run", "-s", "recorder:demo"], { cwd: root, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(compileAndRun("recorder/examples/callout_driver.c"));
  });
});
