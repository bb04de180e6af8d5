/**
 * The `wfp-conform` command line: a table of subcommands, each a module with `summary` and `run`.
 * Errors in how a command was called print one line and exit 2; nothing prints a stack trace.
 */
import { EXIT, UsageError, processIo, type CommandIo } from "./io.ts";

interface Command {
  readonly summary: string;
  readonly run: (argv: readonly string[], io: CommandIo) => Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  rules: () => import("./commands/rules.ts"),
  check: () => import("./commands/check.ts"),
  schema: () => import("./commands/schema.ts"),
  run: () => import("./commands/run.ts"),
  explore: () => import("./commands/explore.ts"),
  impls: () => import("./commands/impls.ts"),
  report: () => import("./commands/report.ts"),
  vectors: () => import("./commands/vectors.ts"),
};

/** The text of `wfp-conform --help`. */
export async function helpText(): Promise<string> {
  const lines = ["usage: wfp-conform <command> [options]", "", "commands:"];
  for (const [name, load] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  }
  lines.push("", "wfp-conform <command> --help shows a command's options (run --help lists them all).");
  lines.push("", "exit codes: 0 conformant / success, 1 a rule was broken (not conformant), 2 usage, input or adapter error");
  return lines.join("\n") + "\n";
}

/** Runs the command line and returns the process exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(await helpText());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    io.err(`wfp-conform: unknown command "${name}"; try wfp-conform --help\n`);
    return EXIT.usage;
  }
  try {
    return await (await load()).run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`wfp-conform ${name}: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    io.err(`wfp-conform ${name}: internal error: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
}
