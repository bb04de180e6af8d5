/** `wfp-conform impls`: lists every built-in target, one per line. */
import { parseArgs } from "node:util";
import { builtinTargets } from "../targets.ts";
import { EXIT, type CommandIo } from "../io.ts";

export const summary = "list the built-in implementation targets (builtin and every mutant), one per line";

export const HELP = `usage: wfp-conform impls

Lists every built-in target of --impl, one per line: builtin (the optimized simulator of impl/)
and builtin:mutant/<name> for each deliberately wrong variant (impl/mutants/).

exit codes: 0 listed
`;

/** Prints every built-in target name. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  parseArgs({ args: [...argv], options: {}, strict: true });
  io.out((await builtinTargets()).join("\n") + "\n");
  return EXIT.ok;
}
