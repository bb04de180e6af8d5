/** `wfp-conform schema`: prints the JSON Schema of one trace line. */
import { traceEventJsonSchema } from "../../spec/events.ts";
import { EXIT, type CommandIo } from "../io.ts";

export const summary = "print the JSON Schema of a trace line (JSON Lines trace format)";

/** Prints the trace-event JSON Schema. */
export async function run(_argv: readonly string[], io: CommandIo): Promise<number> {
  io.out(JSON.stringify(traceEventJsonSchema(), null, 2) + "\n");
  return EXIT.ok;
}
