/**
 * The `wfp-conform` command line: a table of subcommands, each a module with `summary`, `HELP` and
 * `run`. Conventions handled here for every command: `--help` / `-h` and `help <command>` print the
 * command's help (exit 0), `--version`, `--quiet` (no progress lines), and an unknown command or
 * option names the nearest known one. Errors in how a command was called print one line and exit 2;
 * nothing prints a stack trace.
 */
import { EXIT, UsageError, processIo, type CommandIo } from "./io.ts";
import { nearestNames } from "./nearest.ts";
import { TOOL_NAME, TOOL_VERSION } from "../spec/tool.ts";

interface Command {
  readonly summary: string;
  readonly HELP: string;
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

/** Options every command takes. */
const GLOBAL_HELP = `global options (every command):
  --help, -h             this command's help; also wfp-conform help <command>
  --quiet, -q            no progress lines on standard error
  --version              the tool's version`;

/** The text of `wfp-conform --help`. */
export async function helpText(): Promise<string> {
  const lines = ["usage: wfp-conform <command> [options]", "", "commands:"];
  for (const [name, load] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  }
  lines.push("", "wfp-conform <command> --help (or wfp-conform help <command>) shows a command's options.", "", GLOBAL_HELP);
  lines.push("", "exit codes: 0 conformant / success, 1 a rule was broken (not conformant), 2 usage, input or adapter error");
  return lines.join("\n") + "\n";
}

/** The long options a help text documents (`--name`), in order of first mention. */
export function documentedFlags(help: string): string[] {
  return [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])];
}

function unknownCommand(name: string): UsageError {
  const guess = nearestNames(name, Object.keys(COMMANDS), 1)[0] ?? null;
  return new UsageError(`unknown command "${name}"${guess === null ? "" : `; did you mean "${guess}"?`} (wfp-conform --help lists the commands)`);
}

/** The arguments before a `--` (after it, everything is a positional). */
function optionsPart(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf("--");
  return end === -1 ? argv : argv.slice(0, end);
}

/** node:util's parse error for an unknown option, with the nearest option the command documents. */
function unknownOption(error: Error, help: string): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  if (option === undefined) return error.message;
  const guess = option.startsWith("--") ? (nearestNames(option.split("=")[0]!, documentedFlags(`${help}\n${GLOBAL_HELP}`), 1)[0] ?? null) : null;
  return `unknown option ${option}${guess === null ? "" : `; did you mean ${guess}?`} (--help lists the options)`;
}

/** Runs the command line and returns the process exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [first, ...afterFirst] = argv;
  if (first === "--version" || first === "-V") {
    io.out(`${TOOL_NAME} ${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  if (first === undefined || first === "--help" || first === "-h" || (first === "help" && afterFirst.length === 0)) {
    io.out(await helpText());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  const asksHelp = first === "help";
  const name = asksHelp ? afterFirst[0]! : first;
  const load = COMMANDS[name];
  if (load === undefined) {
    io.err(`wfp-conform: ${unknownCommand(name).message}\n`);
    return EXIT.usage;
  }
  const command = await load();
  const options = optionsPart(afterFirst);
  if (asksHelp || options.includes("--help") || options.includes("-h")) {
    io.out(command.HELP.endsWith("\n") ? command.HELP : `${command.HELP}\n`);
    return EXIT.ok;
  }
  if (options.includes("--version")) {
    io.out(`${TOOL_NAME} ${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  const quiet = options.includes("--quiet") || options.includes("-q");
  const rest = quiet ? afterFirst.filter((arg, index) => index >= options.length || (arg !== "--quiet" && arg !== "-q")) : afterFirst;
  try {
    return await command.run(rest, quiet ? { ...io, quiet: true } : io);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      io.err(`wfp-conform ${name}: ${unknownOption(error as Error, command.HELP)}\n`);
      return EXIT.usage;
    }
    if (error instanceof UsageError || code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`wfp-conform ${name}: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    io.err(`wfp-conform ${name}: internal error: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
}
