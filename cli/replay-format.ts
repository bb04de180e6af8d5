/**
 * The version stamp of replay files (saved counterexamples): the file format's version and the
 * tool's version. A file of another format, or a seed/path replay written by another version of
 * the tool (its generators may differ, so the same seed and path give another run), is refused
 * with a message that says which versions and what to do.
 */
import { TOOL_NAME, TOOL_VERSION } from "../spec/tool.ts";
import { UsageError } from "./io.ts";

/** The format of replay files this version writes and reads (1 had no toolVersion). */
export const REPLAY_FORMAT = 2;

/** The stamp written into every replay file. */
export function replayStamp(): { version: typeof REPLAY_FORMAT; toolVersion: string } {
  return { version: REPLAY_FORMAT, toolVersion: TOOL_VERSION };
}

/**
 * Checks a replay file's stamp before its fields are read. `sameTool`: the replay reproduces only
 * with the version of the tool that wrote it (seed and path replays).
 */
export function checkReplayStamp(file: string, value: unknown, tool: string, sameTool: boolean): void {
  if (typeof value !== "object" || value === null || (value as { tool?: unknown }).tool !== tool) return;
  const { version, toolVersion } = value as { version?: unknown; toolVersion?: unknown };
  const writer = typeof toolVersion === "string" ? `${TOOL_NAME} ${toolVersion}` : `${TOOL_NAME} 0.1.0 or earlier`;
  if (version !== REPLAY_FORMAT) {
    throw new UsageError(`${file}: replay file format ${String(version)}, written by ${writer}; ${TOOL_NAME} ${TOOL_VERSION} reads format ${REPLAY_FORMAT}. Delete the file and run again to find the counterexample anew, or replay it with ${writer}`);
  }
  if (sameTool && toolVersion !== TOOL_VERSION) {
    throw new UsageError(`${file}: written by ${writer}; a seed/path replay reproduces only with the version that generated it, and this is ${TOOL_NAME} ${TOOL_VERSION}. Replay it with ${writer}, or delete it and run again`);
  }
}
