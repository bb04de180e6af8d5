/**
 * The GitHub Action (action.yml): its inputs all reach the scripts, and action/run.sh, run as the
 * action runs it (inputs as INPUT_* variables, the step summary and outputs as files), writes the
 * summary and outputs of a sharded run and of the merge of its shards.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliCommand } from "../cli/fixtures/cli-process.ts";
import { ReportSchema } from "../reports/report.ts";

const root = join(import.meta.dirname, "..");
const action = readFileSync(join(root, "action.yml"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "wfp-action-"));
const [node, nodeArgs] = cliCommand([]);
const bin = [node, ...nodeArgs].join(" ");

/** Runs action/run.sh with the given inputs; returns its step outputs and the job summary it wrote. */
function runStep(name: string, inputs: Record<string, string>) {
  const summary = join(dir, `${name}.summary.md`);
  const outputs = join(dir, `${name}.outputs`);
  writeFileSync(summary, "");
  writeFileSync(outputs, "");
  const env: Record<string, string> = { ...process.env, WFP_CONFORM_BIN: bin, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: outputs } as Record<string, string>;
  for (const [key, value] of Object.entries(inputs)) env[`INPUT_${key.toUpperCase().replaceAll("-", "_")}`] = value;
  const result = spawnSync("bash", [join(root, "action", "run.sh")], { cwd: dir, env, encoding: "utf8", timeout: 120_000 });
  expect(result.status, result.stderr).toBe(0);
  const values = Object.fromEntries(readFileSync(outputs, "utf8").trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
  return { outputs: values, summary: readFileSync(summary, "utf8") };
}

describe("action.yml", () => {
  const declared = [...action.slice(action.indexOf("\ninputs:"), action.indexOf("\noutputs:")).matchAll(/^ {2}([a-z-]+):$/gm)].map((match) => match[1]!);

  it("declares the inputs the issue asks for, and uses every one it declares", () => {
    for (const input of ["implementation-command", "seed", "runs", "shard", "expected-failures"]) expect(declared).toContain(input);
    for (const input of declared) expect(action, input).toContain(`inputs.${input}`);
  });

  it("passes every INPUT_ variable the scripts read", () => {
    const scripts = readFileSync(join(root, "action", "run.sh"), "utf8") + readFileSync(join(root, "action", "install.sh"), "utf8");
    const read = new Set([...scripts.matchAll(/INPUT_[A-Z_]+/g)].map((match) => match[0]));
    for (const variable of read) expect(action, variable).toMatch(new RegExp(`${variable}: \\$\\{\\{ inputs\\.`));
  });

  it("writes the job summary, uploads the reports, and fails the job by the exit code", () => {
    expect(action).toContain("bash \"$GITHUB_ACTION_PATH/action/run.sh\"");
    expect(action).toContain("uses: actions/upload-artifact@v4");
    expect(action).toMatch(/exit "\$code"/);
  });
});

describe("action/run.sh", () => {
  it("a sharded run, then the merge of its shards: summaries, outputs, one report of all the runs", () => {
    for (const index of [1, 2]) {
      const { outputs, summary } = runStep(`shard-${index}`, { impl: "builtin", runs: "8", seed: "3", shard: `${index}/2`, out: `shards/wfp-report-${index}-of-2` });
      expect(outputs).toMatchObject({ "exit-code": "0", conformant: "true", "artifact-name": `wfp-report-${index}-of-2`, "report-dir": `shards/wfp-report-${index}-of-2` });
      expect(summary).toMatch(/^# /m);
      expect(existsSync(join(dir, `shards/wfp-report-${index}-of-2`, "junit.xml"))).toBe(true);
    }
    const merged = runStep("merge", { merge: "shards/*", out: "merged" });
    expect(merged.outputs).toMatchObject({ "exit-code": "0", conformant: "true", "artifact-name": "wfp-report", "report-dir": "merged" });
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(dir, "merged", "report.json"), "utf8")));
    expect(report.counts.runs).toBe(8);
    expect(merged.summary).toBe(readFileSync(join(dir, "merged", "report.md"), "utf8"));
  });

  it("a broken implementation: exit code 1, not conformant, the counterexample in the summary", () => {
    const { outputs, summary } = runStep("mutant", { impl: "builtin:mutant/create-rejects-af-unspec", runs: "40", out: "mutant" });
    expect(outputs).toMatchObject({ "exit-code": "1", conformant: "false" });
    expect(summary).toContain("handle-create/af-unspec-optional");
  });

  it("a merge of nothing, and both implementation inputs at once, are errors (exit code 2)", () => {
    expect(runStep("none", { merge: "nothing/*" }).outputs["exit-code"]).toBe("2");
    expect(runStep("both", { impl: "builtin", "implementation-command": "python3 x.py" }).outputs["exit-code"]).toBe("2");
  });
});
