/**
 * `wfp-conform vectors`: exports test vectors (docs/vectors.md) for implementations that cannot be
 * driven live: JSON Lines of operation sequences with every result the model allows and every
 * completion it owes, from the bounded exhaustive exploration and from the example traces.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DELIVERY_POLICIES, type DeliveryPolicy } from "../../spec/port.ts";
import { EXAMPLES_DIR, generateVectors } from "../../properties/vectors.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";
import { nonNegativeInt } from "./run.ts";

export const summary = "export test vectors (JSON Lines: calls, allowed results, owed completions) for offline runners";

export const HELP = `usage: wfp-conform vectors [--depth K] [--policy P[,P...]] [--examples-only | --no-examples] [--out FILE] [--force]

Writes test vectors, one JSON object per line (format: docs/vectors.md, schema: wfp-conform schema
--vectors): one per distinct state the bounded exhaustive exploration reaches against the built-in
simulator, under each policy, and one per example trace of examples/traces/ in which the engine
broke no rule. Each step carries the results the model allows, the names of the objects it
creates, the reference result, the caller rules it breaks and the completions owed after it.
The same options always give the same file, byte for byte.

  --depth K              longest explored sequence (default 3; 0 for none)
  --policy P[,P...]      completion policies to explore under: all | ${DELIVERY_POLICIES.join(" | ")} (default immediate,fifo)
  --examples-only        only the vectors of the example traces
  --no-examples          only the vectors of the exploration
  --examples DIR         the folder of example traces (default examples/traces)
  --out FILE             where to write (default standard output); an existing file is kept unless --force
  --force                overwrite --out

A summary (vectors written, steps, from exploration / from examples, examples skipped) goes to
standard error.

exit codes: 0 written, 2 usage error
`;

function parsePolicies(text: string): DeliveryPolicy[] {
  if (text === "all") return [...DELIVERY_POLICIES];
  const policies = text.split(",").map((policy) => policy.trim());
  for (const policy of policies) {
    if (!(DELIVERY_POLICIES as readonly string[]).includes(policy)) throw new UsageError(`--policy must be all or a comma-separated list of ${DELIVERY_POLICIES.join(", ")}, not "${policy}"`);
  }
  return [...new Set(policies)] as DeliveryPolicy[];
}

/** Generates the vectors and writes them. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      depth: { type: "string" },
      policy: { type: "string", default: "immediate,fifo" },
      "examples-only": { type: "boolean", default: false },
      "no-examples": { type: "boolean", default: false },
      examples: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (values["examples-only"] && values["no-examples"]) throw new UsageError("give --examples-only or --no-examples, not both");
  const depth = nonNegativeInt("depth", values.depth, 3);
  const policies = parsePolicies(values.policy);
  const examplesDir = values.examples ?? EXAMPLES_DIR;
  if (!values["no-examples"] && !existsSync(examplesDir)) throw new UsageError(`--examples ${examplesDir}: no such folder`);
  if (values.out !== undefined && existsSync(values.out) && !values.force) throw new UsageError(`--out ${values.out} exists; pass --force to overwrite it`);

  const started = performance.now();
  // Written as made, a line at a time: a deep exploration's vectors are never all held in memory.
  const temporary = values.out === undefined ? undefined : `${values.out}.tmp-${process.pid}`;
  let descriptor: number | undefined;
  if (temporary !== undefined) {
    mkdirSync(dirname(resolve(temporary)), { recursive: true });
    descriptor = openSync(temporary, "w");
  }
  let generated: Awaited<ReturnType<typeof generateVectors>>;
  try {
    generated = await generateVectors({ depth, policies, exploration: !values["examples-only"], examples: !values["no-examples"], examplesDir }, (vector) => {
      const line = JSON.stringify(vector) + "\n";
      if (descriptor === undefined) io.out(line);
      else writeSync(descriptor, line);
    });
  } catch (error) {
    if (descriptor !== undefined) closeSync(descriptor);
    if (temporary !== undefined) rmSync(temporary, { force: true });
    throw error;
  }
  if (descriptor !== undefined) {
    closeSync(descriptor);
    renameSync(temporary!, values.out!);
  }

  const seconds = (performance.now() - started) / 1000;
  io.err(
    `${generated.vectors} vectors, ${generated.steps} steps written to ${values.out ?? "standard output"}: ${generated.fromExploration} from exploration (depth ${values["examples-only"] ? 0 : depth}, policies ${values["examples-only"] ? "none" : policies.join(",")}), ${generated.fromExamples} from examples (${generated.skipped.length} example traces skipped: the engine breaks a rule in them), ${seconds.toFixed(1)} s\n`,
  );
  return EXIT.ok;
}
