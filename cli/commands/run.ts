/**
 * `wfp-conform run`: generated conformance runs of an implementation against the model, under every
 * completion-delivery policy, with a report written to the output folder.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DELIVERY_POLICIES, type DeliveryPolicy, type PortOptions } from "../../spec/port.ts";
import { runConformance, type ConformanceOutcome } from "../../properties/runner.ts";
import { buildReport, type Report } from "../../reports/report.ts";
import { renderMarkdown } from "../../reports/markdown.ts";
import { API_FAMILIES, type ApiFamily } from "../../spec/vocabulary.ts";
import { loadTarget } from "../targets.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";

export const summary = "run generated conformance checks of an implementation and write a report";

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name} must be a non-negative integer, not "${text}"`);
  return value;
}

/** Writes a file atomically: a temporary file beside it, then a rename. */
export function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** Runs the conformance properties against one implementation and writes the reports. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      impl: { type: "string", default: "builtin" },
      seed: { type: "string" },
      runs: { type: "string" },
      "max-commands": { type: "string" },
      policy: { type: "string", default: "all" },
      irql: { type: "string", default: "all" },
      "no-scheduled": { type: "boolean", default: false },
      "scheduled-only": { type: "boolean", default: false },
      path: { type: "string" },
      out: { type: "string", default: "wfp-report" },
      force: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const seed = positiveInt("seed", values.seed, 1);
  const runs = positiveInt("runs", values.runs, 100);
  const maxCommands = Math.max(1, positiveInt("max-commands", values["max-commands"], 40));
  const policies: readonly DeliveryPolicy[] = values.policy === "all" ? DELIVERY_POLICIES : [values.policy as DeliveryPolicy];
  if (!policies.every((policy) => (DELIVERY_POLICIES as readonly string[]).includes(policy))) {
    throw new UsageError(`--policy must be all or one of ${DELIVERY_POLICIES.join(", ")}, not "${values.policy}"`);
  }
  const irqls: readonly ("PASSIVE_LEVEL" | "DISPATCH_LEVEL")[] =
    values.irql === "all" ? ["DISPATCH_LEVEL", "PASSIVE_LEVEL"] : values.irql === "PASSIVE_LEVEL" || values.irql === "DISPATCH_LEVEL" ? [values.irql] : [];
  if (irqls.length === 0) throw new UsageError(`--irql must be all, PASSIVE_LEVEL or DISPATCH_LEVEL, not "${values.irql}"`);
  const out = values.out;
  const reportPath = join(out, "report.json");
  if (existsSync(reportPath) && !values.force) {
    throw new UsageError(`${reportPath} exists; pass --force to overwrite it, or choose another --out`);
  }
  const target = await loadTarget(values.impl);
  const families: ApiFamily[] = Object.keys(API_FAMILIES) as ApiFamily[];

  const started = new Date();
  const startedMs = performance.now();
  const coverage = new Map<string, number>();
  const outcomes: ConformanceOutcome[] = [];
  // Split the runs over the policies and both completion IRQLs; scheduled runs get a share too.
  const configurations: { port: Pick<PortOptions, "policy" | "completionIrql">; scheduled: boolean }[] = [];
  for (const policy of policies) {
    for (const completionIrql of irqls) {
      if (!values["scheduled-only"]) configurations.push({ port: { policy, completionIrql }, scheduled: false });
      if (!values["no-scheduled"] && policy !== "immediate") configurations.push({ port: { policy, completionIrql }, scheduled: true });
    }
  }
  if (values.path !== undefined && configurations.length !== 1) {
    throw new UsageError("--path replays one configuration: give --policy, --irql and --scheduled-only or --no-scheduled so that exactly one is selected");
  }
  const perConfiguration = Math.max(1, Math.ceil(runs / configurations.length));
  for (const [index, configuration] of configurations.entries()) {
    const outcome = await runConformance({
      factory: target.factory,
      port: configuration.port,
      seed: values.path === undefined ? seed + index : seed,
      numRuns: perConfiguration,
      maxCommands,
      scheduled: configuration.scheduled,
      coverage,
      ...(values.path === undefined ? {} : { path: values.path }),
    });
    outcomes.push(outcome);
    if (io.isTty) io.err(`\r${index + 1}/${configurations.length} configurations, ${coverage.size} rules exercised, ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
  }
  if (io.isTty) io.err("\n");

  const report: Report = buildReport({
    implementation: target.name,
    outcomes,
    coverage,
    families,
    expectedFailures: [],
    settings: { seed, runs, maxCommands, policy: policies.join(","), completionIrql: irqls.join(","), scheduled: !values["no-scheduled"], shard: null },
    startedAt: started,
    seconds: (performance.now() - startedMs) / 1000,
  });
  mkdirSync(out, { recursive: true });
  writeAtomically(reportPath, JSON.stringify(report, null, 2) + "\n");
  writeAtomically(join(out, "report.md"), renderMarkdown(report));
  if (values.json) io.out(JSON.stringify(report, null, 2) + "\n");
  else {
    io.out(renderMarkdown(report));
    io.out(`\nreports written to ${out}/ (report.json, report.md)\n`);
  }
  return report.conformant ? EXIT.ok : EXIT.violations;
}
