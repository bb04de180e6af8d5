/**
 * Child processes that cannot outlive the tool: each command starts in its own process group
 * (`detached`, so the shell, the engine it starts and anything the engine starts share one group),
 * and ending it ends the whole group: SIGTERM, then SIGKILL after a grace period. Every group still
 * running when the tool exits, on any path (a normal end, process.exit, an uncaught error, a
 * signal that the CLI turns into an exit), is killed synchronously from the `exit` hook.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

/** How long a group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 1000;

const POLL_MS = 20;

/** Process group ids (the leader's pid) started and not known to be gone. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

/** SIGKILLs every group still registered (synchronous: safe in an `exit` hook). */
export function killAllGroups(): void {
  for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
  liveGroups.clear();
}

/** How many groups this process started that are not ended yet (for tests and diagnostics). */
export function liveGroupCount(): number {
  return liveGroups.size;
}

/** Starts `command` through the shell as the leader of a new process group. */
export function spawnGroup(command: string, cwd: string): ChildProcessWithoutNullStreams {
  if (!exitHookInstalled) {
    process.on("exit", killAllGroups);
    exitHookInstalled = true;
  }
  const child = spawn(command, { shell: true, cwd, stdio: ["pipe", "pipe", "pipe"], detached: process.platform !== "win32" });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  return child;
}

const ended = new WeakMap<ChildProcessWithoutNullStreams, Promise<void>>();

/**
 * Ends the child's whole group: closes its stdin, SIGTERMs the group, waits up to `graceMs` for
 * every member to go, then SIGKILLs what is left. Our ends of the pipes are then destroyed, so that
 * nothing the group leaves behind keeps the tool's event loop alive. Idempotent.
 */
export function endGroup(child: ChildProcessWithoutNullStreams, graceMs = KILL_GRACE_MS): Promise<void> {
  const existing = ended.get(child);
  if (existing !== undefined) return existing;
  const pgid = child.pid;
  const done = (async () => {
    child.stdin.destroy();
    if (pgid !== undefined && liveGroups.has(pgid)) {
      if (process.platform === "win32") child.kill("SIGKILL");
      else if (signalGroup(pgid, "SIGTERM")) {
        const deadline = Date.now() + graceMs;
        // Members that exited but are not reaped yet still answer signal 0: the grace period bounds the wait.
        while (Date.now() < deadline && signalGroup(pgid, 0)) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        signalGroup(pgid, "SIGKILL");
      }
      liveGroups.delete(pgid);
    }
    child.stdout.destroy();
    child.stderr.destroy();
    child.unref();
  })();
  ended.set(child, done);
  return done;
}

