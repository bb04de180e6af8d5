/**
 * What a command needs from the outside world: two output streams, whether they are terminals, and
 * whether progress is wanted. Commands take it as a parameter so that tests run them in process and
 * read what they printed.
 */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Standard output is a terminal. */
  readonly isTty: boolean;
  /** Standard error (where progress goes) is a terminal. */
  readonly errIsTty: boolean;
  /** `--quiet`: no progress lines. */
  readonly quiet: boolean;
}

/** Exit codes of every command: 0 conformant, 1 a rule broken, 2 a usage, input or adapter error. */
export const EXIT = { ok: 0, violations: 1, usage: 2 } as const;

/** A mistake in how the command was called or in what it was given; printed without a stack trace, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The process's real streams. */
export function processIo(): CommandIo {
  // A reader that stops early (`| head`) is not an error of ours: stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTty: process.stdout.isTTY === true,
    errIsTty: process.stderr.isTTY === true,
    quiet: false,
  };
}

/** An in-memory io for tests: everything printed is kept in `stdout` / `stderr`. */
export function memoryIo(): CommandIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTty: false,
    errIsTty: false,
    quiet: false,
    out: (text: string) => {
      io.stdout += text;
    },
    err: (text: string) => {
      io.stderr += text;
    },
  };
  return io;
}
