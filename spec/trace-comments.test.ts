/**
 * Comment lines in traces: a line whose first non-blank characters are `#` or `//` carries no event.
 * Both readers (the string parser and the streaming file reader) skip them, keep counting lines, and
 * still reject anything else that is not JSON, naming the line.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isSkippedTraceLine, parseTraceText, readTraceFile, type TraceLine } from "./trace.ts";

const CREATE = `{"kind":"call","fn":"FwpsInjectionHandleCreate0","irql":"PASSIVE_LEVEL","args":{"addressFamily":"AF_UNSPEC","flags":[]},"ret":{"status":"STATUS_SUCCESS","injectionHandle":"h1"}}`;
const UNLOAD = `{"kind":"driverUnload"}`;

const WITH_COMMENTS = [
  "# source: microsoft/Windows-driver-samples network/trans/inspect/sys/inspect.c",
  "// expected: conforms",
  CREATE,
  "   # an indented comment",
  "",
  "\t// another one",
  UNLOAD,
].join("\n");

const dir = mkdtempSync(join(tmpdir(), "wfp-trace-comments-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(text: string): Promise<TraceLine[]> {
  const path = join(dir, `t${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, text);
  const lines: TraceLine[] = [];
  for await (const line of readTraceFile(path)) lines.push(line);
  return lines;
}

describe("comment lines in traces", () => {
  it("isSkippedTraceLine: blank, # and // lines carry no event; JSON and other text do", () => {
    for (const text of ["", "   ", "#", "# x", "  // y", "//"]) expect(isSkippedTraceLine(text), JSON.stringify(text)).toBe(true);
    for (const text of [CREATE, "/* c */", "; c", "x # y", `${UNLOAD} # trailing`]) expect(isSkippedTraceLine(text), JSON.stringify(text)).toBe(false);
  });

  it("the string parser skips them and keeps the real line numbers", () => {
    const parsed = parseTraceText(WITH_COMMENTS, "c.jsonl");
    if ("error" in parsed) throw new Error(parsed.error.message);
    expect(parsed.events.map((event) => event.kind)).toEqual(["call", "driverUnload"]);
    expect(parsed.lines).toEqual([3, 7]);
  });

  it("the streaming reader skips them and keeps the real line numbers", async () => {
    const lines = await readAll(WITH_COMMENTS);
    expect(lines.map((line) => line.line)).toEqual([3, 7]);
    expect(lines.every((line) => line.parsed.ok)).toBe(true);
  });

  it("both readers reject a block comment or a trailing comment, naming the line", async () => {
    for (const bad of ["/* not a comment */", `${UNLOAD} # trailing`]) {
      const text = `# head\n${CREATE}\n${bad}\n`;
      const parsed = parseTraceText(text, "bad.jsonl");
      expect("error" in parsed && parsed.error, bad).toMatchObject({ file: "bad.jsonl", line: 3, field: "" });
      const streamed = await readAll(text);
      const failure = streamed.find((line) => !line.parsed.ok);
      expect(failure?.line, bad).toBe(3);
    }
  });
});

describe("event kinds and function names are looked up as own names only", () => {
  it("rejects a kind or fn that names an Object.prototype member, naming the field, without throwing", () => {
    for (const [line, field] of [
      ['{"kind":"__proto__"}', "kind"],
      ['{"kind":"toString"}', "kind"],
      ['{"kind":"call","fn":"constructor","irql":"PASSIVE_LEVEL","args":{}}', "fn"],
      ['{"kind":"call","fn":"__proto__","irql":"PASSIVE_LEVEL","args":{}}', "fn"],
    ] as const) {
      const parsed = parseTraceText(line, "proto.jsonl");
      expect("error" in parsed && parsed.error, line).toMatchObject({ file: "proto.jsonl", line: 1, field });
    }
  });
});
