/**
 * Command-line conventions shared by every command: --help and help <command> (exit 0), --version,
 * the nearest command or option suggested for a mistyped one (exit 2), --quiet, progress lines on
 * standard error, and --runs N running exactly N runs.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo, type CommandIo } from "./io.ts";
import { documentedFlags, main } from "./main.ts";
import { PLAIN_INTERVAL_MS, progressLine, startProgress } from "./progress.ts";
import { runCli } from "./fixtures/cli-process.ts";
import { TOOL_VERSION } from "../spec/tool.ts";

const COMMANDS = ["rules", "check", "schema", "run", "explore", "impls", "report", "vectors"];
const dir = mkdtempSync(join(tmpdir(), "wfp-conventions-"));

async function cli(argv: string[], io = memoryIo()) {
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("help", () => {
  it("wfp-conform --help lists every command, and exits 0", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of COMMANDS) expect(result.out).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  it.each(COMMANDS)("%s --help, -h and help %s print the command's usage and exit 0", async (command) => {
    const long = await cli([command, "--help"]);
    expect(long.code).toBe(0);
    expect(long.out).toMatch(new RegExp(`^usage: wfp-conform ${command}`));
    expect(long.err).toBe("");
    expect(await cli([command, "-h"])).toEqual(long);
    expect(await cli(["help", command])).toEqual(long);
  });

  it("every option a command accepts is in its help (so it is suggested when mistyped)", async () => {
    // An option that is not documented is refused as unknown: its help must name it.
    for (const [command, option] of [["run", "--max-commands"], ["explore", "--max-pends"], ["vectors", "--examples-only"], ["report", "--force"], ["check", "--platform"], ["schema", "--vectors"]] as const) {
      const help = (await cli([command, "--help"])).out;
      expect(documentedFlags(help), command).toContain(option);
    }
  });
});

describe("--version", () => {
  it("prints the package version, alone or after a command, and exits 0", async () => {
    expect(TOOL_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    for (const argv of [["--version"], ["-V"], ["run", "--version"]]) {
      const result = await cli(argv);
      expect(result.code).toBe(0);
      expect(result.out).toBe(`wfp-conformance ${TOOL_VERSION}\n`);
    }
  });
});

describe("mistyped commands and options", () => {
  it("an unknown command names the nearest one and exits 2", async () => {
    const result = await cli(["chekc", "x.jsonl"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown command "chekc"; did you mean "check"\?/);
    expect((await cli(["help", "explor"])).err).toMatch(/did you mean "explore"\?/);
    const far = await cli(["frobnicate"]);
    expect(far.code).toBe(2);
    expect(far.err).not.toMatch(/did you mean/);
  });

  it("an unknown option names the nearest documented one and exits 2", async () => {
    const result = await cli(["run", "--seeed", "3"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^wfp-conform run: unknown option --seeed; did you mean --seed\?/);
    expect((await cli(["explore", "--dept", "2"])).err).toMatch(/did you mean --depth\?/);
    expect((await cli(["check", "--jsno", "x"])).err).toMatch(/did you mean --json\?/);
    expect((await cli(["run", "--quite"])).err).toMatch(/did you mean --quiet\?/);
  });

  it("after --, nothing is an option", async () => {
    const result = await cli(["check", "--", "--help"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--help/);
  });
});

describe("progress on standard error", () => {
  function clockIo(errIsTty: boolean, quiet = false): CommandIo & { stderr: string } {
    return { ...memoryIo(), errIsTty, quiet, out: () => {}, stderr: "", err(text: string) { this.stderr += text; } };
  }

  it("off a terminal: a plain line every few seconds and one at the end, with done/total, rate and ETA", () => {
    let now = 0;
    const io = clockIo(false);
    const progress = startProgress(io, "run", () => now);
    for (let done = 1; done <= 100; done++) {
      now = done * 200; // 5 runs per second: 20 s in all
      progress.update({ done, total: 100, unit: "runs" });
    }
    progress.finish({ done: 100, total: 100, unit: "runs" });
    const lines = io.stderr.trimEnd().split("\n");
    expect(lines.length).toBe(20_000 / PLAIN_INTERVAL_MS + 1);
    expect(lines[0]).toBe("run: 25/100 runs (25%), 5.0 runs/s, ETA 15 s, 5 s");
    expect(lines.at(-1)).toBe("run: 100/100 runs (100%), 5.0 runs/s, 20 s");
    expect(io.stderr).not.toContain("\r");
  });

  it("on a terminal: one live line rewritten in place, ended by a newline", () => {
    let now = 0;
    const io = clockIo(true);
    const progress = startProgress(io, "run", () => now);
    for (let done = 1; done <= 10; done++) {
      now = done * 1000;
      progress.update({ done, total: 40, unit: "runs", detail: "12 rules exercised" });
    }
    progress.finish();
    expect(io.stderr.split("\r\x1b[K").filter(Boolean).length).toBe(11);
    expect(io.stderr).toContain("run: 10/40 runs (25%), 12 rules exercised, 1.0 runs/s, ETA 30 s, 10 s");
    expect(io.stderr.endsWith("\n")).toBe(true);
    expect(io.stderr.slice(0, -1)).not.toContain("\n");
  });

  it("--quiet prints nothing", () => {
    const io = clockIo(true, true);
    const progress = startProgress(io, "run", () => 10_000);
    progress.update({ done: 1, total: 2, unit: "runs" });
    progress.finish();
    expect(io.stderr).toBe("");
  });

  it("with no total, no percentage and no ETA", () => {
    expect(progressLine("explore", { done: 30, total: null, unit: "nodes" }, 3)).toBe("explore: 30 nodes, 10 nodes/s, 3 s");
  });

  it("run prints its final line off a terminal; --quiet silences it (a real process)", () => {
    const loud = runCli(["run", "--runs", "3", "--policy", "fifo", "--out", join(dir, "loud")]);
    expect(loud.code, loud.err).toBe(0);
    expect(loud.err).toMatch(/^run: 3\/3 runs \(100%\)/m);
    const quiet = runCli(["run", "--runs", "3", "--policy", "fifo", "--quiet", "--out", join(dir, "quiet")]);
    expect(quiet.code, quiet.err).toBe(0);
    expect(quiet.err).toBe("");
    expect(quiet.out).toContain("reports written to");
  });

  it("explore reports each level", async () => {
    const result = await cli(["explore", "--depth", "2", "--out", join(dir, "explore")]);
    expect(result.code, result.err).toBe(0);
    expect(result.err).toMatch(/^explore fifo at DISPATCH_LEVEL, depth 1\/2: 1\/1 nodes \(100%\), 13 sequences, 13 new states/m);
    expect(result.err).toMatch(/^explore fifo at DISPATCH_LEVEL, depth 2\/2: 13\/13 nodes \(100%\)/m);
  });
});

describe("--runs N runs exactly N", () => {
  async function counted(...argv: string[]): Promise<number> {
    const out = join(dir, `runs-${argv.join("_").replace(/[^a-z0-9]+/gi, "-")}`);
    const result = await cli(["run", "--json", "--quiet", "--out", out, ...argv]);
    expect(result.code, result.err).toBe(0);
    return (JSON.parse(result.out) as { counts: { runs: number } }).counts.runs;
  }

  it("for N below, at and above the number of configurations (18 by default)", async () => {
    for (const runs of [1, 5, 18, 23]) expect(await counted("--runs", String(runs), "--max-commands", "10")).toBe(runs);
  });

  it("the shards of one run add up to N", async () => {
    const shards = await Promise.all([1, 2, 3].map((index) => counted("--runs", "20", "--max-commands", "10", "--shard", `${index}/3`)));
    expect(shards.reduce((sum, runs) => sum + runs, 0)).toBe(20);
  });
});

describe("versions in replay files and reports", () => {
  it("a run's replay files and report carry the tool version; an older or other replay file is refused clearly", async () => {
    const { readdirSync, readFileSync, writeFileSync } = await import("node:fs");
    const out = join(dir, "versioned");
    const failing = await cli(["run", "--impl", "builtin:mutant/create-rejects-af-unspec", "--runs", "40", "--quiet", "--out", out]);
    expect(failing.code, failing.err).toBe(1);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { toolVersion: string };
    expect(report.toolVersion).toBe(TOOL_VERSION);
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain(`Report of wfp-conformance ${TOOL_VERSION}.`);
    const [name] = readdirSync(join(out, "counterexamples"));
    const file = join(out, "counterexamples", name!);
    const replay = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(replay).toMatchObject({ version: 2, toolVersion: TOOL_VERSION });
    const again = await cli(["run", "--impl", "builtin:mutant/create-rejects-af-unspec", "--replay", file, "--quiet", "--out", join(dir, "replayed")]);
    expect(again.code, again.err).toBe(1);

    writeFileSync(file, JSON.stringify({ ...replay, toolVersion: "0.0.1" }));
    const other = await cli(["run", "--replay", file, "--out", join(dir, "other")]);
    expect(other.code).toBe(2);
    expect(other.err).toContain(`written by wfp-conformance 0.0.1; a seed/path replay reproduces only with the version that generated it, and this is wfp-conformance ${TOOL_VERSION}`);
    const { toolVersion: _dropped, ...older } = replay;
    writeFileSync(file, JSON.stringify({ ...older, version: 1 }));
    const old = await cli(["run", "--replay", file, "--out", join(dir, "old")]);
    expect(old.code).toBe(2);
    expect(old.err).toContain("replay file format 1, written by wfp-conformance 0.1.0 or earlier; wfp-conformance");
  });
});
