/**
 * `wfp-conform explore`: bounded exhaustive exploration of an implementation against the model:
 * every action sequence up to --depth steps over a small scope, under each selected completion
 * policy, with the same reports as `run` (report.json, report.md, report.xml, report.html) and each
 * counterexample (a shortest diverging sequence) saved as a replay file.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DELIVERY_POLICIES, type DeliveryPolicy } from "../../spec/port.ts";
import { parseDriverCallEvent, parseTraceEvent } from "../../spec/trace.ts";
import { DEFAULT_SCOPE, type ExploreScope } from "../../properties/alphabet.ts";
import { explore, replayActions, type ExploreCounterexample, type ExploreOutcome, type ExploreProgress } from "../../properties/explore.ts";
import type { Action } from "../../properties/session.ts";
import { assembleReport, type Configuration, type CounterexampleReport, type Exploration, type Report } from "../../reports/report.ts";
import { renderEvent } from "../../reports/calls.ts";
import { renderMarkdown } from "../../reports/markdown.ts";
import { availableParallelism } from "node:os";
import { startExplorePool } from "../explore-pool.ts";
import { startProgress, type Progress } from "../progress.ts";
import { REPLAY_FORMAT, checkReplayStamp, replayStamp } from "../replay-format.ts";
import { loadTarget, type Identity } from "../targets.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";
import { handshakeFailed, nonNegativeInt, parseIrqls, parseTimeLimit, readExpectations, slug, writeAtomically, writeReports } from "./run.ts";

export const summary = "explore every operation sequence up to a depth (bounded exhaustive) and write the reports";

export const HELP = `usage: wfp-conform explore (--impl TARGET | --impl-cmd "COMMAND") [options]

Runs every sequence of driver calls, environment events and engine deliveries up to --depth steps
over a small scope against the implementation, checking each step against the model. States that
are equal up to a renaming of ids are expanded once. The search is breadth first, so the first
divergence found is a shortest one.

  --impl TARGET          builtin | builtin:mutant/<name> | ./module.js|.ts exporting createPort (default builtin)
  --impl-cmd "COMMAND"   an implementation in any language, over the JSON Lines protocol (docs/protocol.md)
  --depth K              longest sequence explored (default 6)
  --policy P[,P...]      completion policies to explore under: all | ${DELIVERY_POLICIES.join(" | ")} (default fifo:
                         completions queue until the explorer delivers them, so every delivery point is explored,
                         "right after the call" included; add immediate to also run the engine's immediate path)
  --irql L               PASSIVE_LEVEL | DISPATCH_LEVEL | all: the IRQL completions run at (default DISPATCH_LEVEL)
  --max-handles N        injection handles at once (default ${DEFAULT_SCOPE.maxHandles})
  --max-nbls N           driver-held NBLs at once (default ${DEFAULT_SCOPE.maxNbls})
  --chain N              NBLs in an indicated stream, so in a cloned chain (default ${DEFAULT_SCOPE.chainLength})
  --max-pends N          ALE classifies, so pends (default ${DEFAULT_SCOPE.maxClassifies})
  --no-misuse            only correct driver calls (no misuse a verifier must flag)
  --no-environment       no TCP/IP-stack or resource changes
  --workers N            worker threads sharing each level (default: 1 up to depth 4, else up to 2 by the CPUs);
                         the figures and counterexamples are the same for any N
  --time-limit SECONDS   stop after this long and report how deep the search got
  --call-timeout MS      how long one call into the implementation may take (default 5000)
  --out DIR              where the reports go (default wfp-explore); an existing report is kept unless --force
  --force                overwrite an existing report in --out
  --junit FILE           also write the JUnit XML there
  --expect FILE          rule ids the implementation is known to fail, one per line (# comments)
  --replay FILE          run one saved counterexample (DIR/counterexamples/*.json) and nothing else
  --json                 print the figures as one JSON object (states, distinctStates, sequences, statesPerSec, seconds, ...)
  --quiet                no progress on standard error (per level: nodes of the level expanded, rate and
                         ETA; live on a terminal, otherwise a plain line every few seconds)

exit codes: 0 conformant, 1 not conformant (a rule was broken), 2 usage, input or adapter error
`;

const ActionSchema = z.union([
  z.strictObject({ kind: z.literal("call"), call: z.record(z.string(), z.unknown()) }),
  z.strictObject({ kind: z.literal("environment"), event: z.record(z.string(), z.unknown()) }),
  z.strictObject({ kind: z.literal("deliver"), max: z.number().int().positive() }),
]);

/** A saved counterexample of `explore`: the shortest diverging sequence, replayable on its own. */
export const ExploreReplaySchema = z.strictObject({
  tool: z.literal("wfp-conformance-explore-replay"),
  version: z.literal(REPLAY_FORMAT),
  /** The version of wfp-conformance that wrote it (the actions replay with any version). */
  toolVersion: z.string(),
  implementation: z.string(),
  configuration: z.strictObject({ policy: z.enum(DELIVERY_POLICIES), completionIrql: z.enum(["PASSIVE_LEVEL", "DISPATCH_LEVEL"]) }),
  ruleIds: z.array(z.string()),
  actions: z.array(ActionSchema),
  calls: z.array(z.string()),
});
export type ExploreReplay = z.infer<typeof ExploreReplaySchema>;

/** Reads a saved exploration counterexample; every action is checked against the trace schema, errors name the file and field. */
export function readExploreReplay(file: string): ExploreReplay & { readonly checkedActions: readonly Action[] } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not a readable JSON replay file: ${(error as Error).message}`);
  }
  checkReplayStamp(file, value, "wfp-conformance-explore-replay", false);
  const parsed = ExploreReplaySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file}: field \`${issue.path.map(String).join(".")}\`: ${issue.message}`);
  }
  const checkedActions = parsed.data.actions.map((action, index): Action => {
    if (action.kind === "deliver") return { kind: "deliver", max: action.max };
    const event = action.kind === "call" ? { kind: "call", callId: "c0", ...action.call } : action.event;
    const result = action.kind === "call" ? parseDriverCallEvent(event, file, index + 1) : parseTraceEvent(event, file, index + 1);
    const field = action.kind === "call" ? "call" : "event";
    if (!result.ok) throw new UsageError(`${file}: field \`actions.${index}.${field}${result.error.field === "" ? "" : `.${result.error.field}`}\`: ${result.error.message}`);
    if (action.kind === "call") {
      if (result.event.kind !== "call") throw new UsageError(`${file}: field \`actions.${index}.call\`: not a driver call`);
      const { kind: _kind, callId: _callId, ret: _ret, ...call } = result.event;
      return { kind: "call", call } as Action;
    }
    const environment = ["tcpipStack", "resources", "streamIndicated", "aleClassify", "packetIndicated"];
    if (!environment.includes(result.event.kind)) throw new UsageError(`${file}: field \`actions.${index}.event.kind\`: "${result.event.kind}" is not an environment event the explorer sends`);
    return { kind: "environment", event: result.event } as Action;
  });
  return { ...parsed.data, checkedActions };
}

function parsePolicies(text: string): DeliveryPolicy[] {
  if (text === "all") return [...DELIVERY_POLICIES];
  const policies = text.split(",").map((policy) => policy.trim());
  for (const policy of policies) {
    if (!(DELIVERY_POLICIES as readonly string[]).includes(policy)) throw new UsageError(`--policy must be all or a comma-separated list of ${DELIVERY_POLICIES.join(", ")}, not "${policy}"`);
  }
  return policies as DeliveryPolicy[];
}


function counterexampleReport(found: ExploreCounterexample, configuration: Configuration, sequences: number, replay: string, replayFile: string | null): CounterexampleReport {
  const divergence = found.divergence;
  return {
    ruleIds: divergence === null ? [] : [...divergence.ruleIds],
    kind: divergence === null ? "error" : divergence.kind,
    summary:
      divergence === null
        ? `sequence of ${found.depth} steps failed: ${found.error ?? "unknown error"}`
        : `${divergence.kind} at step ${divergence.position + 1} of a shortest sequence (${found.depth} actions): ${divergence.ruleIds.join(", ") || "(no rule)"}`,
    step: divergence === null ? 0 : divergence.position + 1,
    model: divergence?.model ?? "",
    implementation: divergence?.implementation ?? found.error ?? "",
    calls: found.trace.map(renderEvent),
    configuration,
    seed: 0,
    path: "",
    replayFile,
    replay,
    runsToFailure: sequences,
    shrinks: 0,
    origin: "explored",
  };
}

/** Explores an implementation and writes the reports. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      impl: { type: "string" },
      "impl-cmd": { type: "string" },
      depth: { type: "string" },
      policy: { type: "string", default: "fifo" },
      irql: { type: "string", default: "DISPATCH_LEVEL" },
      "max-handles": { type: "string" },
      "max-nbls": { type: "string" },
      chain: { type: "string" },
      "max-pends": { type: "string" },
      "no-misuse": { type: "boolean", default: false },
      "no-environment": { type: "boolean", default: false },
      "time-limit": { type: "string" },
      workers: { type: "string" },
      "call-timeout": { type: "string" },
      out: { type: "string", default: "wfp-explore" },
      force: { type: "boolean", default: false },
      junit: { type: "string" },
      expect: { type: "string" },
      replay: { type: "string" },
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
  const depth = nonNegativeInt("depth", values.depth, 6);
  const scope: ExploreScope = {
    ...DEFAULT_SCOPE,
    maxHandles: nonNegativeInt("max-handles", values["max-handles"], DEFAULT_SCOPE.maxHandles),
    maxNbls: nonNegativeInt("max-nbls", values["max-nbls"], DEFAULT_SCOPE.maxNbls),
    chainLength: Math.max(1, nonNegativeInt("chain", values.chain, DEFAULT_SCOPE.chainLength)),
    maxClassifies: nonNegativeInt("max-pends", values["max-pends"], DEFAULT_SCOPE.maxClassifies),
    misuse: !values["no-misuse"],
    environment: !values["no-environment"],
  };
  const policies = parsePolicies(values.policy);
  const irqls = parseIrqls(values.irql);
  const callTimeoutMs = Math.max(1, nonNegativeInt("call-timeout", values["call-timeout"], 5000));
  const workers = Math.max(1, nonNegativeInt("workers", values.workers, depth <= 4 ? 1 : Math.min(2, availableParallelism())));
  const timeLimitSeconds = parseTimeLimit(values["time-limit"]);
  const expectedFailures = values.expect === undefined ? [] : readExpectations(values.expect);
  const replayOnly = values.replay === undefined ? null : readExploreReplay(values.replay);

  const out = values.out;
  const reportPath = join(out, "report.json");
  if (existsSync(reportPath) && !values.force) throw new UsageError(`${reportPath} exists; pass --force to overwrite it, or choose another --out`);
  if (values.junit !== undefined && existsSync(values.junit) && !values.force) throw new UsageError(`${values.junit} exists; pass --force to overwrite it`);

  const target = await loadTarget(values.impl ?? "builtin", values["impl-cmd"], callTimeoutMs);
  try {
    const implFlag = values["impl-cmd"] !== undefined ? `--impl-cmd ${JSON.stringify(values["impl-cmd"])}` : `--impl ${values.impl ?? "builtin"}`;
    let identity: Identity;
    try {
      identity = await target.identify();
    } catch (error) {
      const settings = { seed: 0, runs: 0, maxCommands: Math.max(1, depth), policy: policies.join(","), completionIrql: irqls.join(","), scheduled: false, shard: null, timeLimitSeconds, callTimeoutMs };
      return handshakeFailed({ command: "explore", io, target, error, out, junit: values.junit, settings, expectedFailures, replay: `npx wfp-conform explore ${implFlag} --depth 1` });
    }
    const started = new Date();
    const startedMs = performance.now();
    const deadline = timeLimitSeconds === null ? null : startedMs + timeLimitSeconds * 1000;
    const coverage = new Map<string, number>();
    const results: { configuration: Configuration; outcome: ExploreOutcome }[] = [];

    if (replayOnly !== null) {
      const configuration = { ...replayOnly.configuration, scheduled: false };
      const outcome = await replayActions({ factory: target.factory, port: replayOnly.configuration, actions: replayOnly.checkedActions, coverage, callTimeoutMs });
      results.push({ configuration, outcome });
    } else {
      for (const policy of policies) {
        for (const completionIrql of irqls) {
          const configuration: Configuration = { policy, completionIrql, scheduled: false };
          const left = deadline === null ? undefined : deadline - performance.now();
          if (left !== undefined && left < 100) break;
          const pool =
            workers > 1
              ? startExplorePool(workers, {
                  target: { ...(values.impl === undefined ? {} : { impl: values.impl }), ...(values["impl-cmd"] === undefined ? {} : { implCmd: values["impl-cmd"] }) },
                  settings: { port: { policy, completionIrql }, scope, families: identity.families, callTimeoutMs },
                })
              : undefined;
          let levelProgress: Progress | null = null;
          let levelDepth = 0;
          let lastReached: ExploreProgress | null = null;
          try {
            const outcome = await explore({
              factory: target.factory,
              port: { policy, completionIrql },
              depth,
              scope,
              coverage,
              callTimeoutMs,
              families: identity.families,
              ...(pool === undefined ? {} : { pool }),
              ...(left === undefined ? {} : { timeLimitMs: left }),
              onProgress: (reached) => {
                if (reached.depth !== levelDepth) {
                  levelProgress?.finish();
                  levelProgress = startProgress(io, `explore ${policy} at ${completionIrql}, depth ${reached.depth}/${depth}`);
                  levelDepth = reached.depth;
                }
                lastReached = reached;
                levelProgress!.update({ done: reached.expanded, total: reached.frontier, unit: "nodes", detail: `${reached.sequences} sequences` });
              },
              onLevel: (level) => {
                const frontier = lastReached?.frontier ?? 0;
                levelProgress?.finish({ done: frontier, total: frontier, unit: "nodes", detail: `${level.sequences} sequences, ${level.newStates} new states` });
                levelProgress = null;
              },
            });
            results.push({ configuration, outcome });
          } finally {
            // (Assigned in the callbacks: TypeScript cannot see it.)
            (levelProgress as Progress | null)?.finish();
            await pool?.close();
          }
        }
      }
    }

    const seconds = (performance.now() - startedMs) / 1000;
    const totals = results.reduce((sum, { outcome }) => ({ states: sum.states + outcome.states, distinct: sum.distinct + outcome.distinctStates, sequences: sum.sequences + outcome.sequences }), { states: 0, distinct: 0, sequences: 0 });
    const exploration: Exploration = {
      depth: replayOnly === null ? depth : replayOnly.checkedActions.length,
      scope: { ...scope, addressFamilies: [...scope.addressFamilies] },
      states: totals.states,
      distinctStates: totals.distinct,
      sequences: totals.sequences,
      statesPerSec: seconds > 0 ? totals.states / seconds : 0,
      seconds,
      configurations: results.map(({ configuration, outcome }) => ({
        configuration,
        states: outcome.states,
        distinctStates: outcome.distinctStates,
        sequences: outcome.sequences,
        seconds: outcome.seconds,
        depthCompleted: outcome.depthCompleted,
        divergenceAtDepth: outcome.counterexample?.depth ?? null,
        interrupted: outcome.interrupted,
        levels: outcome.levels.map((level) => ({ ...level })),
      })),
    };

    // Counterexamples: one replay file each (the folder is rewritten).
    const savedDir = join(out, "counterexamples");
    const saved: { name: string; content: ExploreReplay }[] = [];
    const counterexamples: CounterexampleReport[] = [];
    results.forEach(({ configuration, outcome }, index) => {
      const found = outcome.counterexample;
      if (found === null) return;
      const ruleIds = found.divergence?.ruleIds ?? [];
      const name = `${String(index + 1).padStart(3, "0")}-${slug(ruleIds.join("-") || found.divergence?.kind || "error")}.json`;
      const file = join(savedDir, name);
      const report = counterexampleReport(found, configuration, outcome.sequences, `npx wfp-conform explore ${implFlag} --replay ${replayOnly === null ? file : values.replay} --out wfp-replay --force`, replayOnly === null ? join("counterexamples", name) : null);
      counterexamples.push(report);
      saved.push({
        name,
        content: {
          tool: "wfp-conformance-explore-replay",
          ...replayStamp(),
          implementation: target.name,
          configuration: { policy: configuration.policy as DeliveryPolicy, completionIrql: configuration.completionIrql as "PASSIVE_LEVEL" | "DISPATCH_LEVEL" },
          ruleIds: [...ruleIds],
          actions: found.actions as ExploreReplay["actions"],
          calls: report.calls,
        },
      });
    });

    const report: Report = {
      ...assembleReport({
        implementation: identity.name,
        families: identity.families,
        verifier: identity.verifier,
        settings: {
          seed: 0,
          runs: totals.sequences,
          maxCommands: Math.max(1, exploration.depth),
          policy: policies.join(","),
          completionIrql: irqls.join(","),
          scheduled: false,
          shard: null,
          timeLimitSeconds,
          callTimeoutMs,
        },
        expectedFailures,
        coverage,
        counterexamples,
        runs: totals.sequences,
        interrupted: results.some(({ outcome }) => outcome.interrupted) || (replayOnly === null && results.length < policies.length * irqls.length),
        startedAt: started.toISOString(),
        seconds,
      }),
      exploration,
    };

    mkdirSync(out, { recursive: true });
    if (replayOnly === null) {
      rmSync(savedDir, { recursive: true, force: true });
      for (const file of saved) writeAtomically(join(savedDir, file.name), JSON.stringify(file.content, null, 2) + "\n");
    }
    writeReports(out, report, values.junit);

    if (values.json) {
      io.out(
        JSON.stringify(
          {
            implementation: report.implementation,
            conformant: report.conformant,
            depth: exploration.depth,
            states: exploration.states,
            distinctStates: exploration.distinctStates,
            sequences: exploration.sequences,
            statesPerSec: Math.round(exploration.statesPerSec),
            seconds: Number(seconds.toFixed(3)),
            interrupted: report.interrupted,
            configurations: exploration.configurations,
            counterexamples: report.counterexamples.map((counterexample) => ({ ruleIds: counterexample.ruleIds, summary: counterexample.summary, replay: counterexample.replay })),
            report: reportPath,
          },
          null,
          2,
        ) + "\n",
      );
    } else {
      io.out(renderMarkdown(report));
      io.out(`\nstates explored ${exploration.states}, distinct states ${exploration.distinctStates}, sequences checked ${exploration.sequences}, ${Math.round(exploration.statesPerSec)} states/s, ${seconds.toFixed(1)} s\n`);
      io.out(`reports written to ${out}/ (report.json, report.md, report.xml, report.html)\n`);
    }
    if (report.adapterError) return EXIT.usage;
    return report.conformant ? EXIT.ok : EXIT.violations;
  } finally {
    await target.close();
  }
}
