/**
 * The command line, run in process (and once as a real process): exit codes, what it prints, and
 * errors that name the file, line and field.
 */
import { runCli } from "./fixtures/cli-process.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo } from "./io.ts";
import { main } from "./main.ts";

const dir = mkdtempSync(join(tmpdir(), "wfp-cli-"));
function traceFile(name: string, lines: readonly unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n") + "\n");
  return path;
}

const create = { kind: "call", fn: "FwpsInjectionHandleCreate0", irql: "PASSIVE_LEVEL", args: { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] }, ret: { status: "STATUS_SUCCESS", injectionHandle: "h1" } };
const destroy = { kind: "call", fn: "FwpsInjectionHandleDestroy0", irql: "PASSIVE_LEVEL", args: { injectionHandle: "h1" }, ret: { status: "STATUS_SUCCESS" } };

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("wfp-conform check", () => {
  it("exits 0 on a conforming trace", async () => {
    const result = await run("check", traceFile("ok.jsonl", [create, destroy, { kind: "driverUnload" }]));
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/conforms \(3 events\)/);
  });

  it("exits 1 and prints line, rule id, who broke it and the source sentence", async () => {
    const file = traceFile("leak.jsonl", [create, { kind: "driverUnload" }]);
    const result = await run("check", file);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`${file}:2: handle-create/destroy-when-done (caller): injection handle h1 is still open at unload`);
    expect(result.out).toContain('source: FwpsInjectionHandleCreate0: "After a callout driver has finished using an injection handle, it must call the FwpsInjectionHandleDestroy0 function to destroy the handle."');
  });

  it("prints the verdicts as JSON with --json", async () => {
    const file = traceFile("destroy-twice.jsonl", [create, destroy, { ...destroy, ret: { status: "STATUS_INVALID_HANDLE" } }]);
    const result = await run("check", file, "--json");
    expect(result.code).toBe(1);
    const verdict = JSON.parse(result.out) as { conforms: boolean; violations: { line: number; ruleId: string; party: string }[] };
    expect(verdict.conforms).toBe(false);
    expect(verdict.violations.map(({ line, ruleId, party }) => ({ line, ruleId, party }))).toEqual([{ line: 3, ruleId: "handle-destroy/once", party: "caller" }]);
  });

  it("exits 2 on a malformed line, naming the line and the field", async () => {
    const file = traceFile("bad-field.jsonl", [create, { ...destroy, irql: "HIGH_LEVEL" }]);
    const result = await run("check", file);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: field \`irql\`: `));
  });

  it("exits 2 on a line that is not JSON, and on an unknown function", async () => {
    const notJson = await run("check", traceFile("not-json.jsonl", [create, "{oops"]));
    expect(notJson.code).toBe(2);
    expect(notJson.err).toMatch(/not-json.jsonl:2: not valid JSON/);
    const unknown = await run("check", traceFile("unknown-fn.jsonl", [{ ...create, fn: "FwpsMadeUp0" }]));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown-fn.jsonl:1: field `fn`: unknown function "FwpsMadeUp0"/);
  });

  it("exits 2 on a missing file and on bad options", async () => {
    expect((await run("check", join(dir, "nope.jsonl"))).code).toBe(2);
    const badPlatform = await run("check", traceFile("p.jsonl", [create]), "--platform", "mips");
    expect(badPlatform.code).toBe(2);
    expect(badPlatform.err).toMatch(/--platform must be one of/);
    expect((await run("check")).code).toBe(2);
  });
});

describe("wfp-conform rules and schema", () => {
  it("prints the catalogue as a table and as JSON", async () => {
    const table = await run("rules");
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/completion\/once-per-nbl\s+engine/);
    const json = await run("rules", "--json");
    const rules = JSON.parse(json.out) as { id: string; obliged: string; source: { page: string }; modelled: boolean }[];
    expect(rules.find((rule) => rule.id === "handle-destroy/closing")).toMatchObject({ obliged: "engine", source: { page: "related-rules.md", label: "D5" }, modelled: true });
  });

  it("prints a JSON Schema of a trace line", async () => {
    const schema = JSON.parse((await run("schema")).out) as { $schema: string };
    expect(schema.$schema).toMatch(/json-schema.org/);
  });

  it("rejects an unknown command with exit 2", async () => {
    const result = await run("frobnicate");
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown command "frobnicate"/);
  });
});

describe("the bin, as a process", () => {
  it("runs from its source (the tests never run a stale dist/)", () => {
    const result = runCli(["rules", "--json"]);
    expect(result.code, result.err).toBe(0);
    expect((JSON.parse(result.out) as unknown[]).length).toBeGreaterThan(90);
  });
});

describe("wfp-conform check on the shipped example traces", () => {
  const traces = join(import.meta.dirname, "..", "examples", "traces");
  it("exits 0 on every ok-* trace and 1 on every bad-* trace", async () => {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync(traces).filter((name) => name.endsWith(".jsonl"));
    expect(files.length).toBeGreaterThan(100);
    for (const name of files) {
      const result = await run("check", join(traces, name));
      expect(result.code, `${name}: ${result.out}${result.err}`).toBe(name.startsWith("ok-") ? 0 : 1);
    }
  });
});
