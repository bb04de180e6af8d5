/** `wfp-conform schema [--report | --protocol | --vectors]`: prints a JSON Schema (by default, of one trace line). */
import { parseArgs } from "node:util";
import { traceEventJsonSchema } from "../../spec/events.ts";
import { protocolJsonSchema } from "../../spec/protocol.ts";
import { reportJsonSchema } from "../../reports/report.ts";
import { vectorJsonSchema } from "../../spec/vectors.ts";
import { EXIT, UsageError, type CommandIo } from "../io.ts";

export const summary = "print a JSON Schema: a trace line (default), --report, --protocol (external-process messages), or --vectors (a test vector line)";

export const HELP = `usage: wfp-conform schema [--report | --protocol | --vectors]

Prints a JSON Schema (draft 2020-12) on standard output:
  (no option)            one line of a trace (JSON Lines: wfp-conform check's input)
  --report               report.json, as run, explore and check write it
  --protocol             the external-process protocol's requests and responses (docs/protocol.md)
  --vectors              one line of a test-vector file (docs/vectors.md)

exit codes: 0 printed, 2 usage error
`;

/** Prints the requested JSON Schema. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { report: { type: "boolean", default: false }, protocol: { type: "boolean", default: false }, vectors: { type: "boolean", default: false } }, strict: true });
  if ([values.report, values.protocol, values.vectors].filter(Boolean).length > 1) throw new UsageError("give one of --report, --protocol and --vectors");
  const schema = values.report ? reportJsonSchema() : values.protocol ? protocolJsonSchema() : values.vectors ? vectorJsonSchema() : traceEventJsonSchema();
  io.out(JSON.stringify(schema, null, 2) + "\n");
  return EXIT.ok;
}
