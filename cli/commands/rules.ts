/** `wfp-conform rules [--json]`: prints the rule catalogue. */
import { parseArgs } from "node:util";
import { RULES } from "../../spec/rules.ts";
import { renderRulesTable, rulesAsJson } from "../../spec/catalogue.ts";
import { EXIT, type CommandIo } from "../io.ts";

export const summary = "print the rule catalogue as a table, or as JSON with --json";

/** Prints every rule of the catalogue, as a table or (--json) a JSON array. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: "boolean", default: false } }, strict: true });
  if (values.json) io.out(JSON.stringify(rulesAsJson(RULES), null, 2) + "\n");
  else io.out(renderRulesTable(RULES));
  return EXIT.ok;
}
