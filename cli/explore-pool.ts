/**
 * Worker threads for `wfp-conform explore --workers N`: each level's frontier is cut into runs,
 * expanded in parallel, and put back in order by properties/explore.ts, so the figures and the
 * counterexample are the ones a sequential search gives.
 */
import { Worker } from "node:worker_threads";
import type { ExpanderSettings, ExplorePool, LevelResult } from "../properties/explore.ts";
import type { Action } from "../properties/session.ts";

/** What a worker is started with: how to load the implementation, and the exploration's settings. */
export interface WorkerData {
  readonly target: { readonly impl?: string; readonly implCmd?: string };
  readonly settings: Omit<ExpanderSettings, "factory" | "coverage">;
}

export interface WorkerRequest {
  readonly id: number;
  readonly nodes: readonly (readonly Action[])[];
  readonly depth: number;
  readonly visitedAdd: readonly string[];
  /** The deadline as epoch milliseconds (each thread has its own performance.now() origin), or null. */
  readonly deadlineEpochMs: number | null;
}

export interface WorkerResponse {
  readonly id: number;
  readonly result: LevelResult | null;
  readonly coverage: readonly [string, number][];
  readonly error: string | null;
}

/**
 * The worker's entry: explore-worker.js beside this module in the build, or, when this module runs
 * from the TypeScript sources, a loader that registers tsx in the worker first.
 */
const WORKER_ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./explore-worker-source.mjs" : "./explore-worker.js", import.meta.url);

/** How long a worker gets to end its implementation when the pool closes (a process group takes up to KILL_GRACE_MS). */
const CLOSE_GRACE_MS = 3000;

/** Starts `size` workers; `close()` ends them. */
export function startExplorePool(size: number, data: WorkerData): ExplorePool & { close(): Promise<void> } {
  const workers = Array.from({ length: size }, () => new Worker(WORKER_ENTRY, { workerData: data }));
  /** Requests waiting for an answer, per worker. */
  const waiting = workers.map(() => new Map<number, { resolve: (response: WorkerResponse) => void; reject: (error: Error) => void }>());
  /** Why a worker can take no more requests, once it cannot. */
  const gone: (string | null)[] = workers.map(() => null);
  let closing = false;
  let nextId = 0;
  const fail = (index: number, why: string): void => {
    gone[index] ??= why;
    for (const entry of waiting[index]!.values()) entry.reject(new Error(`explore worker ${index + 1} ${gone[index]}`));
    waiting[index]!.clear();
  };
  workers.forEach((worker, index) => {
    worker.on("message", (response: WorkerResponse) => {
      const entry = waiting[index]!.get(response.id);
      waiting[index]!.delete(response.id);
      entry?.resolve(response);
    });
    worker.on("error", (error) => fail(index, `failed: ${error.message}`));
    worker.on("exit", (code) => {
      if (!closing) fail(index, `exited (code ${code})${waiting[index]!.size > 0 ? " while expanding a level" : ""}`);
    });
  });
  return {
    size,
    async expand(index, request) {
      const id = nextId++;
      const response = await new Promise<WorkerResponse>((resolve, reject) => {
        const why = gone[index];
        if (why !== null && why !== undefined) return reject(new Error(`explore worker ${index + 1} ${why}`));
        waiting[index]!.set(id, { resolve, reject });
        workers[index]!.postMessage({ id, nodes: request.nodes, depth: request.depth, visitedAdd: request.visitedAdd, deadlineEpochMs: Number.isFinite(request.deadline) ? performance.timeOrigin + request.deadline : null } satisfies WorkerRequest);
      });
      if (response.result === null) throw new Error(`explore worker ${index + 1}: ${response.error ?? "failed"}`);
      return { ...response.result, coverage: response.coverage };
    },
    async close() {
      closing = true;
      // Each worker ends its implementation first (an external one's process group), or is terminated.
      await Promise.all(
        workers.map(async (worker, index) => {
          if (gone[index] !== null) return;
          const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
          worker.postMessage("close");
          const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
