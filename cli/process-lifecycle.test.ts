/**
 * The life of an implementation's processes, with `wfp-conform` run as a real process: it exits
 * once the report is written, whatever the implementation's shell and children do; nothing it
 * started (directly or through the implementation) is left running; an implementation that stops
 * answering ends the whole run within a few call timeouts; a command that cannot run is named with
 * the shell's message and exit status.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReportSchema } from "../reports/report.ts";

const root = join(import.meta.dirname, "..");
const cli = join(root, "cli", "wfp-conform.ts");
const python = `python3 ${join(root, "examples", "python", "wfp_impl.py")}`;
const broken = join(import.meta.dirname, "fixtures", "broken-process.mjs");
const ONE_CONFIGURATION = ["--policy", "fifo", "--irql", "DISPATCH_LEVEL", "--no-scheduled"];

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly seconds: number;
  readonly out: string;
  readonly err: string;
  readonly dir: string;
}

/** Runs the CLI as a child process; kills it (and fails the test) if it has not exited after `limitMs`. */
export function runCli(argv: readonly string[], limitMs: number, options: { readonly onStart?: (pid: number) => void } = {}): Promise<Finished> {
  const dir = mkdtempSync(join(tmpdir(), "wfp-life-"));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...argv.map((arg) => arg.replaceAll("$DIR", dir))], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`wfp-conform ${argv.join(" ")} had not exited after ${limitMs} ms; stdout: ${out.slice(-500)}; stderr: ${err.slice(-500)}`));
    }, limitMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, seconds: (performance.now() - started) / 1000, out, err, dir });
    });
    if (child.pid !== undefined) options.onStart?.(child.pid);
  });
}

/** Whether `pid` names a process that still runs (a zombie waiting to be reaped does not). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function pidIn(file: string): number {
  return Number(readFileSync(file, "utf8").trim());
}

describe("the implementation's processes", () => {
  it("the tool exits after the report although the implementation's shell keeps running, and its child is gone", async () => {
    const result = await runCli(["run", "--impl-cmd", `sleep 600 & echo $! > $DIR/child.pid; ${python}; sleep 600`, "--runs", "4", ...ONE_CONFIGURATION, "--out", "$DIR/out"], 60_000);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/Conformant/i);
    expect(running(pidIn(join(result.dir, "child.pid"))), "the implementation's own child process").toBe(false);
  });

  it("a group that ignores SIGTERM is killed after the grace period", async () => {
    const result = await runCli(["run", "--impl-cmd", `trap '' TERM; sleep 600 & echo $! > $DIR/child.pid; ${python}; sleep 600`, "--runs", "4", ...ONE_CONFIGURATION, "--out", "$DIR/out"], 60_000);
    expect(result.code, result.err).toBe(0);
    expect(running(pidIn(join(result.dir, "child.pid")))).toBe(false);
  });

  it("an implementation that stops answering ends every configuration's runs within a few call timeouts (exit 2, the call named)", async () => {
    // Every configuration (9) and shrinking would each wait the 500 ms timeout again without the stop.
    const result = await runCli(["run", "--impl-cmd", `node ${broken} silent`, "--runs", "90", "--call-timeout", "500", "--out", "$DIR/out"], 60_000);
    expect(result.code, result.err).toBe(2);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(result.dir, "out", "report.json"), "utf8")));
    expect(report.counterexamples).toHaveLength(1);
    expect(report.counterexamples[0]!.implementation).toMatch(/did not (answer \w+ \(request \d+\)|return) within 500 ms/);
    // The CLI's own start (tsx) and the 1 s kill grace aside, about one timeout.
    expect(result.seconds).toBeLessThan(12);
  });

  it("a command the shell cannot find: exit 2 with the shell's message and exit status", async () => {
    const result = await runCli(["run", "--impl-cmd", "/nonexistent/engine --serve", "--runs", "2", "--out", "$DIR/out"], 30_000);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/could not be started/);
    expect(result.err).toMatch(/code 127: the shell could not find the command/);
    expect(result.err).toMatch(/\/nonexistent\/engine: (\d+: )?not found|No such file/);
  });

  it("a file that is not executable: exit 2 with the shell's message and exit status 126", async () => {
    const result = await runCli(["run", "--impl-cmd", `${join(root, "README.md")}`, "--runs", "2", "--out", "$DIR/out"], 30_000);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/code 126: the shell found the command but could not execute it/);
    expect(result.err).toMatch(/Permission denied/);
  });
});
