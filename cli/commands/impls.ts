/** `wfp-conform impls`: lists every built-in target, one per line. */
import { builtinTargets } from "../targets.ts";
import { EXIT, type CommandIo } from "../io.ts";

export const summary = "list the built-in implementation targets (builtin and every mutant), one per line";

/** Prints every built-in target name. */
export async function run(_argv: readonly string[], io: CommandIo): Promise<number> {
  io.out((await builtinTargets()).join("\n") + "\n");
  return EXIT.ok;
}
