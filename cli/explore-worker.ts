/**
 * An explore worker thread: loads the implementation named by the main thread (`--impl` or
 * `--impl-cmd`, so every worker has its own instances, or its own child process), then expands the
 * runs of frontier nodes it is sent with an `Expander` and answers with what it found.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Expander, type ExpanderSettings } from "../properties/explore.ts";
import { loadTarget } from "./targets.ts";
import type { WorkerData, WorkerRequest, WorkerResponse } from "./explore-pool.ts";

const data = workerData as WorkerData;
const target = await loadTarget(data.target.impl ?? "builtin", data.target.implCmd, data.settings.callTimeoutMs ?? 5000);
const coverage = new Map<string, number>();
const expander = new Expander({ ...(data.settings as Omit<ExpanderSettings, "factory">), factory: target.factory, coverage });
const visited = new Set<string>();

parentPort!.on("message", (request: WorkerRequest | "close") => {
  if (request === "close") {
    void target.close().then(() => parentPort!.close());
    return;
  }
  void (async () => {
    let response: WorkerResponse;
    try {
      for (const digest of request.visitedAdd) visited.add(digest);
      const deadline = request.deadlineEpochMs === null ? Infinity : request.deadlineEpochMs - performance.timeOrigin;
      const result = await expander.expand(request.nodes.map((actions) => ({ actions, snapshot: null })), request.depth, visited, { deadline, keepSnapshots: 0 });
      response = { id: request.id, result: { ...result, next: result.next.map(({ actions, digest }) => ({ actions, digest, snapshot: null })) }, coverage: [...coverage.entries()], error: null };
    } catch (error) {
      response = { id: request.id, result: null, coverage: [...coverage.entries()], error: String((error as Error)?.message ?? error) };
    }
    coverage.clear();
    parentPort!.postMessage(response);
  })();
});
