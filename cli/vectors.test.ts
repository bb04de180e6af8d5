/** `wfp-conform vectors` and `wfp-conform schema --vectors`: output, refusal to overwrite, usage errors, the committed schema. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Vector } from "../spec/vectors.ts";
import { memoryIo } from "./io.ts";
import { main } from "./main.ts";

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("wfp-conform vectors", () => {
  it("writes JSON Lines to --out and a summary to stderr; the same options give the same bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-vectors-cli-"));
    const file = join(dir, "v.jsonl");
    const first = await run("vectors", "--depth", "2", "--policy", "fifo", "--out", file);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toBe("");
    expect(first.err).toMatch(/^\d+ vectors, \d+ steps written to .*: \d+ from exploration \(depth 2, policies fifo\), \d+ from examples/);
    const text = readFileSync(file, "utf8");
    for (const line of text.trim().split("\n")) expect(Vector.safeParse(JSON.parse(line)).success).toBe(true);
    const again = await run("vectors", "--depth", "2", "--policy", "fifo");
    expect(again.out).toBe(text);
    expect(existsSync(`${file}.tmp-${process.pid}`)).toBe(false);
  });

  it("refuses to overwrite --out without --force (exit 2), and overwrites with it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-vectors-cli-"));
    const file = join(dir, "v.jsonl");
    writeFileSync(file, "keep\n");
    const refused = await run("vectors", "--examples-only", "--out", file);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--out .* exists; pass --force/);
    expect(readFileSync(file, "utf8")).toBe("keep\n");
    const forced = await run("vectors", "--examples-only", "--out", file, "--force");
    expect(forced.code).toBe(0);
    expect(readFileSync(file, "utf8").split("\n")[0]).toMatch(/"id":"example\//);
  });

  it("exits 2 with a one-line message naming the option", async () => {
    for (const [args, pattern] of [
      [["--depth", "x"], /--depth must be a non-negative integer/],
      [["--depth=-1"], /--depth must be a non-negative integer, not "-1"/],
      [["--policy", "sometimes"], /--policy must be/],
      [["--examples-only", "--no-examples"], /--examples-only or --no-examples/],
      [["--bogus"], /bogus/],
    ] as const) {
      const result = await run("vectors", ...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.err, args.join(" ")).toMatch(pattern);
      expect(result.err.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("wfp-conform schema --vectors", () => {
  it("prints the schema committed as docs/vectors.schema.json", async () => {
    const result = await run("schema", "--vectors");
    expect(result.code).toBe(0);
    const committed = readFileSync(join(import.meta.dirname, "..", "docs", "vectors.schema.json"), "utf8");
    expect(result.out).toBe(committed);
    expect(JSON.parse(result.out).$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("refuses two schema flags", async () => {
    expect((await run("schema", "--vectors", "--report")).code).toBe(2);
  });
});
