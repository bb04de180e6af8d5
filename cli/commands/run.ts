/**
 * `wfp-conform run`: generated conformance runs of an implementation against the model, under every
 * completion-delivery policy and both completion IRQLs, sequential and scheduled, with the reports
 * written to the output folder (report.json, report.md, report.xml, report.html) and every
 * counterexample saved as a replay file that the next run replays first.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DELIVERY_POLICIES, type DeliveryPolicy } from "../../spec/port.ts";
import { ruleById } from "../../spec/rules.ts";
import { runConformance, type ConformanceOutcome, type Counterexample } from "../../properties/runner.ts";
import { assembleReport, buildReport, failureCounterexample, type Configuration, type Report } from "../../reports/report.ts";
import { DimensionCoverage } from "../../properties/coverage.ts";
import { renderMarkdown } from "../../reports/markdown.ts";
import { renderJunit } from "../../reports/junit.ts";
import { renderHtml } from "../../reports/html.ts";
import { loadTarget, type Identity, type Target } from "../targets.ts";
import { startProgress } from "../progress.ts";
import { REPLAY_FORMAT, checkReplayStamp, replayStamp } from "../replay-format.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";

export const summary = "run generated conformance checks of an implementation and write the reports (json, md, xml, html)";

export const HELP = `usage: wfp-conform run (--impl TARGET | --impl-cmd "COMMAND") [options]

  --impl TARGET          builtin | builtin:mutant/<name> | ./module.js|.ts exporting createPort (default builtin)
  --impl-cmd "COMMAND"   an implementation in any language, over the JSON Lines protocol (docs/protocol.md)
  --seed N               base seed (default 1); the same seed gives the same runs, verdicts and report
  --runs N               generated runs in all, exactly, split over the configurations (default 100;
                         with --shard, over the configurations of every shard)
  --max-commands N       operations per generated run (default 80)
  --policy P             all | immediate | fifo | lifo | random | batch (default all)
  --irql L               all | PASSIVE_LEVEL | DISPATCH_LEVEL: the IRQL completions run at (default all)
  --no-scheduled         no scheduled (asynchronous interleaving) runs
  --scheduled-only       only scheduled runs
  --time-limit SECONDS   stop generating after this long and report what was covered
  --call-timeout MS      how long one call into the implementation may take (default 5000)
  --out DIR              where the reports go (default wfp-report); an existing report is kept unless --force
  --force                overwrite an existing report in --out
  --junit FILE           also write the JUnit XML there
  --expect FILE          rule ids the implementation is known to fail, one per line (# comments)
  --replay FILE          replay one saved counterexample (DIR/counterexamples/*.json) and nothing else
  --path PATH            replay fast-check's path PATH for --seed (one configuration must be selected)
  --replay-path P        with --path: the command list's shrink path (printed with each counterexample)
  --shard I/N            run the I-th of N shares of the configurations (merge with wfp-conform report merge)
  --json                 print the report as JSON instead of Markdown
  --quiet                no progress on standard error (on a terminal a live line with runs done, rate
                         and ETA; otherwise a plain line every few seconds)

exit codes: 0 conformant, 1 not conformant (a rule was broken), 2 usage, input or adapter error
`;

/** A saved counterexample: everything needed to replay it. */
export const ReplayFileSchema = z.strictObject({
  tool: z.literal("wfp-conformance-replay"),
  version: z.literal(REPLAY_FORMAT),
  /** The version of wfp-conformance that wrote it: a seed/path replay needs the same one. */
  toolVersion: z.string(),
  implementation: z.string(),
  configuration: z.strictObject({ policy: z.enum(DELIVERY_POLICIES), completionIrql: z.enum(["PASSIVE_LEVEL", "DISPATCH_LEVEL"]), scheduled: z.boolean() }),
  seed: z.number().int(),
  path: z.string(),
  replayPath: z.string().nullable(),
  maxCommands: z.number().int().positive(),
  /** 0 when the run came from the generation without deliberate misuse (to shrink a rule away from misuse). */
  misusePercent: z.number().int().min(0).max(100).optional(),
  /** The rule the counterexample is about (empty for a port or harness error): the replay is judged on it. */
  ruleIds: z.array(z.string()),
  calls: z.array(z.string()),
});
export type ReplayFile = z.infer<typeof ReplayFileSchema>;

type RunConfiguration = { readonly policy: DeliveryPolicy; readonly completionIrql: "PASSIVE_LEVEL" | "DISPATCH_LEVEL"; readonly scheduled: boolean };

export function nonNegativeInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name} must be a non-negative integer, not "${text}"`);
  return value;
}

/** Writes a file atomically: a temporary file beside it, then a rename. */
export function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** Reads an expectations file: one rule id per line, `#` starts a comment. Unknown ids are errors naming file and line. */
export function readExpectations(file: string): string[] {
  if (!existsSync(file)) throw new UsageError(`--expect ${file}: no such file`);
  const ids: string[] = [];
  readFileSync(file, "utf8")
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const id = raw.replace(/#.*/, "").trim();
      if (id === "") return;
      if (ruleById(id) === undefined) throw new UsageError(`${file}:${index + 1}: "${id}" is not a rule id of the catalogue (wfp-conform rules lists them)`);
      ids.push(id);
    });
  return ids;
}

/** Reads a saved counterexample, with errors naming the file and field. */
export function readReplayFile(file: string): ReplayFile {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not a readable JSON replay file: ${(error as Error).message}`);
  }
  checkReplayStamp(file, value, "wfp-conformance-replay", true);
  const parsed = ReplayFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file}: field \`${issue.path.map(String).join(".")}\`: ${issue.message}`);
  }
  return parsed.data;
}

function parseShard(text: string | undefined): { index: number; count: number } | null {
  if (text === undefined) return null;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) throw new UsageError(`--shard must be I/N with 1 <= I <= N, not "${text}"`);
  return { index, count };
}

/** The command line that replays a counterexample. */
function replayCommand(implFlag: string, replayFile: string | null, configuration: Configuration, seed: number, path: string, replayPath: string | null, maxCommands: number): string {
  if (replayFile !== null) return `npx wfp-conform run ${implFlag} --replay ${replayFile} --out wfp-replay --force`;
  return `npx wfp-conform run ${implFlag} --policy ${configuration.policy} --irql ${configuration.completionIrql} ${configuration.scheduled ? "--scheduled-only" : "--no-scheduled"} --seed ${seed} --path "${path}"${replayPath === null ? "" : ` --replay-path "${replayPath}"`} --max-commands ${maxCommands} --out wfp-replay --force`;
}

/** A file-name-safe form of `text` (rule ids in counterexample file names). */
export function slug(text: string): string {
  return text.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").slice(0, 60) || "error";
}

/** `--irql`: all, PASSIVE_LEVEL or DISPATCH_LEVEL. */
export function parseIrqls(text: string): readonly ("PASSIVE_LEVEL" | "DISPATCH_LEVEL")[] {
  if (text === "all") return ["DISPATCH_LEVEL", "PASSIVE_LEVEL"];
  if (text === "PASSIVE_LEVEL" || text === "DISPATCH_LEVEL") return [text];
  throw new UsageError(`--irql must be all, PASSIVE_LEVEL or DISPATCH_LEVEL, not "${text}"`);
}

/** `--time-limit`: a positive number of seconds, or null when not given. */
export function parseTimeLimit(text: string | undefined): number | null {
  if (text === undefined) return null;
  const seconds = Number(text);
  if (!(seconds > 0)) throw new UsageError(`--time-limit must be a positive number of seconds, not "${text}"`);
  return seconds;
}

/** Writes the four renderings of a report into `out` (and the JUnit XML to `junit` too, if given). */
export function writeReports(out: string, report: Report, junit: string | undefined): void {
  writeAtomically(join(out, "report.json"), JSON.stringify(report, null, 2) + "\n");
  writeAtomically(join(out, "report.md"), renderMarkdown(report));
  writeAtomically(join(out, "report.xml"), renderJunit(report));
  writeAtomically(join(out, "report.html"), renderHtml(report));
  if (junit !== undefined) writeAtomically(junit, renderJunit(report));
}

/** An implementation that could not be started or answered its handshake badly: the message on stderr, a report saying so, exit 2. */
export function handshakeFailed(failure: { command: string; io: CommandIo; target: Target; error: unknown; out: string; junit: string | undefined; settings: Report["settings"]; expectedFailures: readonly string[]; replay: string }): number {
  const message = (failure.error as Error)?.message ?? String(failure.error);
  failure.io.err(`wfp-conform ${failure.command}: the implementation could not be started or did not answer hello (${failure.target.name}): ${message}\n`);
  const report = assembleReport({
    implementation: failure.target.name,
    families: [],
    verifier: false,
    settings: failure.settings,
    expectedFailures: failure.expectedFailures,
    coverage: new Map(),
    counterexamples: [failureCounterexample("the implementation could not be started or did not answer hello", message, failure.replay)],
    runs: 0,
    interrupted: false,
    startedAt: new Date().toISOString(),
    seconds: 0,
  });
  writeReports(failure.out, report, failure.junit);
  return EXIT.usage;
}

/** Runs the conformance properties against one implementation and writes the reports. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      impl: { type: "string" },
      "impl-cmd": { type: "string" },
      seed: { type: "string" },
      runs: { type: "string" },
      "max-commands": { type: "string" },
      policy: { type: "string", default: "all" },
      irql: { type: "string", default: "all" },
      "no-scheduled": { type: "boolean", default: false },
      "scheduled-only": { type: "boolean", default: false },
      "time-limit": { type: "string" },
      "call-timeout": { type: "string" },
      path: { type: "string" },
      "replay-path": { type: "string" },
      replay: { type: "string" },
      expect: { type: "string" },
      shard: { type: "string" },
      junit: { type: "string" },
      out: { type: "string", default: "wfp-report" },
      force: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (values.impl !== undefined && values["impl-cmd"] !== undefined) throw new UsageError("give --impl or --impl-cmd, not both");
  const seed = nonNegativeInt("seed", values.seed, 1);
  const runs = Math.max(1, nonNegativeInt("runs", values.runs, 100));
  const maxCommands = Math.max(1, nonNegativeInt("max-commands", values["max-commands"], 80));
  const callTimeoutMs = Math.max(1, nonNegativeInt("call-timeout", values["call-timeout"], 5000));
  const timeLimitSeconds = parseTimeLimit(values["time-limit"]);
  const policies: readonly DeliveryPolicy[] = values.policy === "all" ? DELIVERY_POLICIES : [values.policy as DeliveryPolicy];
  if (!policies.every((policy) => (DELIVERY_POLICIES as readonly string[]).includes(policy))) {
    throw new UsageError(`--policy must be all or one of ${DELIVERY_POLICIES.join(", ")}, not "${values.policy}"`);
  }
  const irqls = parseIrqls(values.irql);
  if (values["no-scheduled"] && values["scheduled-only"]) throw new UsageError("--no-scheduled and --scheduled-only exclude each other");
  const shard = parseShard(values.shard);
  const expectedFailures = values.expect === undefined ? [] : readExpectations(values.expect);
  const replayOnly = values.replay === undefined ? null : readReplayFile(values.replay);

  const out = values.out;
  const reportPath = join(out, "report.json");
  if (existsSync(reportPath) && !values.force) throw new UsageError(`${reportPath} exists; pass --force to overwrite it, or choose another --out`);
  if (values.junit !== undefined && existsSync(values.junit) && !values.force) throw new UsageError(`${values.junit} exists; pass --force to overwrite it`);

  const target: Target = await loadTarget(values.impl ?? "builtin", values["impl-cmd"], callTimeoutMs);
  try {
    const implFlag = values["impl-cmd"] !== undefined ? `--impl-cmd ${JSON.stringify(values["impl-cmd"])}` : `--impl ${values.impl ?? "builtin"}`;
    let identity: Identity;
    try {
      identity = await target.identify();
    } catch (error) {
      const settings = { seed, runs, maxCommands, policy: policies.join(","), completionIrql: irqls.join(","), scheduled: !values["no-scheduled"], shard: shard === null ? null : `${shard.index}/${shard.count}`, timeLimitSeconds, callTimeoutMs };
      return handshakeFailed({ command: "run", io, target, error, out, junit: values.junit, settings, expectedFailures, replay: `npx wfp-conform run ${implFlag} --runs 1` });
    }

    // The configurations: every policy x completion IRQL, sequential and scheduled (a scheduler
    // interleaves deliveries with the driver's calls; "immediate" has nothing to interleave).
    let configurations: RunConfiguration[] = [];
    for (const policy of policies) {
      for (const completionIrql of irqls) {
        if (!values["scheduled-only"]) configurations.push({ policy, completionIrql, scheduled: false });
        if (!values["no-scheduled"] && policy !== "immediate") configurations.push({ policy, completionIrql, scheduled: true });
      }
    }
    // --runs N is N runs in all: configuration i of k gets floor(N/k), the first N mod k one more
    // (shares taken before sharding, so the shards of one run add up to N too).
    const shareOf = (index: number) => Math.floor(runs / configurations.length) + (index < runs % configurations.length ? 1 : 0);
    const indexed = configurations.map((configuration, index) => ({ configuration, index, share: shareOf(index) })).filter(({ share }) => share > 0 || values.path !== undefined);
    const selected = shard === null ? indexed : indexed.filter(({ index }) => index % shard.count === shard.index - 1);
    if (values.path !== undefined && selected.length !== 1) {
      throw new UsageError("--path replays one configuration: give --policy, --irql and --scheduled-only or --no-scheduled so that exactly one is selected");
    }
    configurations = selected.map(({ configuration }) => configuration);

    // Counterexamples saved by an earlier run of this output folder are replayed first.
    const savedDir = join(out, "counterexamples");
    const saved: { file: string; replay: ReplayFile }[] = [];
    if (replayOnly !== null) saved.push({ file: values.replay!, replay: replayOnly });
    else if (existsSync(savedDir)) {
      for (const name of readdirSync(savedDir).filter((name) => name.endsWith(".json")).sort()) {
        const file = join(savedDir, name);
        saved.push({ file, replay: readReplayFile(file) });
      }
    }

    const started = new Date();
    const startedMs = performance.now();
    const deadline = timeLimitSeconds === null ? null : startedMs + timeLimitSeconds * 1000;
    const coverage = new Map<string, number>();
    const dimensions = new DimensionCoverage();
    const outcomes: { outcome: ConformanceOutcome; configuration: RunConfiguration; maxCommands: number }[] = [];
    let runsDone = 0;
    const plannedRuns = saved.length + (replayOnly === null ? selected.reduce((sum, { share }) => sum + Math.max(1, share), 0) : 0);
    const progress = startProgress(io, "run");
    const reading = () => ({ done: Math.min(runsDone, plannedRuns), total: plannedRuns, unit: "runs", detail: `${coverage.size} rules exercised` });
    progress.update(reading());
    const onRun = () => {
      runsDone += 1;
      progress.update(reading());
    };
    const common = { factory: target.factory, coverage, dimensions, callTimeoutMs, families: identity.families, onRun };
    let interrupted = false;
    const remaining = (): number | undefined => (deadline === null ? undefined : Math.max(1, Math.floor(deadline - performance.now())));

    // A configuration that failed may have left the implementation in any state: the next one starts
    // from a clean instance (a new process). A configuration that passed ended drained and unloaded.
    const cleanAfter = async (outcome: ConformanceOutcome): Promise<void> => {
      if (!outcome.ok) await target.restart();
    };
    // Each failure is shrunk once, where it is first met; later configurations only count its runs.
    const found: { counterexample: Counterexample; configuration: RunConfiguration; maxCommands: number }[] = [];
    const shrunk = new Set<string>();
    const hits = new Map<string, number>();
    const record = (outcome: ConformanceOutcome, configuration: RunConfiguration, commands: number): void => {
      outcomes.push({ outcome, configuration, maxCommands: commands });
      for (const [failure, count] of outcome.hits) hits.set(failure, (hits.get(failure) ?? 0) + count);
      for (const counterexample of outcome.counterexamples) {
        if (shrunk.has(counterexample.failure)) continue;
        shrunk.add(counterexample.failure);
        found.push({ counterexample, configuration, maxCommands: commands });
      }
    };
    for (const { replay } of saved) {
      const outcome = await runConformance({
        ...common,
        port: { policy: replay.configuration.policy, completionIrql: replay.configuration.completionIrql },
        scheduled: replay.configuration.scheduled,
        seed: replay.seed,
        path: replay.path,
        replayRules: replay.ruleIds,
        ...(replay.replayPath === null ? {} : { replayPath: replay.replayPath }),
        ...(replay.misusePercent === undefined ? {} : { misusePercent: replay.misusePercent }),
        numRuns: 1,
        maxCommands: replay.maxCommands,
      });
      record(outcome, replay.configuration, replay.maxCommands);
      await cleanAfter(outcome);
      if (outcome.unanswered) break;
    }
    if (replayOnly === null && !outcomes.some(({ outcome }) => outcome.unanswered)) {
      for (const [index, configuration] of configurations.entries()) {
        // Too little time left to start another configuration: stop here, and say so in the report.
        if (deadline !== null && deadline - performance.now() < 100) {
          interrupted = true;
          break;
        }
        const configurationSeed = values.path === undefined ? seed + (selected[index]?.index ?? index) : seed;
        const timeLimitMs = remaining();
        const outcome = await runConformance({
          ...common,
          port: { policy: configuration.policy, completionIrql: configuration.completionIrql },
          scheduled: configuration.scheduled,
          seed: configurationSeed,
          numRuns: Math.max(1, selected[index]!.share),
          maxCommands,
          shrunk,
          ...(values.path === undefined ? {} : { path: values.path }),
          ...(values["replay-path"] === undefined ? {} : { replayPath: values["replay-path"] }),
          ...(timeLimitMs === undefined ? {} : { timeLimitMs }),
        });
        record(outcome, configuration, maxCommands);
        await cleanAfter(outcome);
        // An implementation that stopped answering is not driven again: the report says which call got no answer.
        if (outcome.unanswered) break;
      }
    }
    progress.finish(reading());

    // Save each counterexample as a replay file (the folder is rewritten: still-failing replays and new ones).
    const entries = found.map(({ counterexample, configuration, maxCommands: commands }, index) => {
      const ruleIds = counterexample.failure === "port-error" || counterexample.failure === "error" ? [] : [counterexample.failure];
      const name = `${String(index + 1).padStart(3, "0")}-${slug(counterexample.failure)}.json`;
      const replayFile = relative(out, join(savedDir, name)) || name;
      const content: ReplayFile = {
        tool: "wfp-conformance-replay",
        ...replayStamp(),
        implementation: target.name,
        configuration,
        seed: counterexample.seed,
        path: counterexample.path,
        replayPath: counterexample.replayPath,
        maxCommands: commands,
        ...(counterexample.misusePercent === undefined ? {} : { misusePercent: counterexample.misusePercent }),
        ruleIds,
        calls: [],
      };
      const replay = replayCommand(implFlag, join(out, replayFile), configuration, counterexample.seed, counterexample.path, counterexample.replayPath, commands);
      return { counterexample, configuration, replay, replayFile, name, content };
    });

    const report: Report = buildReport({
      implementation: identity.name,
      families: identity.families,
      verifier: identity.verifier,
      outcomes,
      counterexamples: entries,
      hits,
      coverage,
      expectedFailures,
      settings: {
        seed,
        runs,
        maxCommands,
        policy: policies.join(","),
        completionIrql: irqls.join(","),
        scheduled: !values["no-scheduled"],
        shard: shard === null ? null : `${shard.index}/${shard.count}`,
        timeLimitSeconds,
        callTimeoutMs,
      },
      startedAt: started,
      seconds: (performance.now() - startedMs) / 1000,
      dimensions: dimensions.summary(),
    });
    if (interrupted) report.interrupted = true;

    mkdirSync(out, { recursive: true });
    if (replayOnly === null) {
      rmSync(savedDir, { recursive: true, force: true });
      report.counterexamples.forEach((counterexample, index) => {
        const entry = entries[index];
        if (entry !== undefined) writeAtomically(join(savedDir, entry.name), JSON.stringify({ ...entry.content, calls: counterexample.calls }, null, 2) + "\n");
      });
    }
    writeReports(out, report, values.junit);
    if (values.json) io.out(JSON.stringify(report, null, 2) + "\n");
    else {
      io.out(renderMarkdown(report));
      io.out(`\nreports written to ${out}/ (report.json, report.md, report.xml, report.html)\n`);
    }
    if (report.adapterError) return EXIT.usage;
    return report.conformant ? EXIT.ok : EXIT.violations;
  } finally {
    await target.close();
  }
}
