/**
 * Prints a counterexample for a person: the shrunk run as WFP calls, the step where the model and
 * the implementation diverged with both sides' observations, and how to replay it.
 */
import { renderEvent } from "../reports/calls.ts";
import type { Counterexample } from "./runner.ts";

/** How to run the same configuration again from the command line. */
export interface ReplayHint {
  readonly impl: string;
  readonly policy: string;
  readonly completionIrql: string;
  readonly scheduled: boolean;
}

/** The replay command for a counterexample. */
export function replayCommand(counterexample: Counterexample, hint: ReplayHint): string {
  return `npx wfp-conform run --impl ${hint.impl} --policy ${hint.policy} --irql ${hint.completionIrql}${hint.scheduled ? " --scheduled-only" : ""} --seed ${counterexample.seed} --path "${counterexample.path}"${counterexample.replayPath === null ? "" : ` --replay-path "${counterexample.replayPath}"`} --max-commands 80 --runs 1 --out wfp-replay --force`;
}

/** A multi-line description of a counterexample. */
export function formatCounterexample(counterexample: Counterexample, hint?: ReplayHint): string {
  const lines: string[] = [];
  const divergence = counterexample.divergence;
  if (divergence === null) {
    lines.push(`run failed: ${counterexample.error ?? "unknown error"}`);
  } else {
    lines.push(`${divergence.kind} at step ${divergence.position + 1}: ${divergence.ruleIds.join(", ") || "(no rule)"}`);
    lines.push(`  model:          ${divergence.model}`);
    lines.push(`  implementation: ${divergence.implementation}`);
  }
  lines.push("", "shrunk run, as WFP calls:");
  counterexample.trace.forEach((event, index) => {
    const marker = divergence !== null && index === divergence.position ? ">>" : "  ";
    lines.push(`${marker} ${String(index + 1).padStart(3)}  ${renderEvent(event)}`);
  });
  lines.push("", `seed ${counterexample.seed}, path "${counterexample.path}" (${counterexample.runsToFailure} runs to the first failure, ${counterexample.shrinks} shrinks)`);
  if (hint !== undefined) lines.push(`replay: ${replayCommand(counterexample, hint)}`);
  return lines.join("\n");
}
