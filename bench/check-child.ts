/**
 * Runs `wfp-conform check` on one trace in this process and prints, as JSON: the events, the wall
 * and CPU seconds, the peak RSS, and the live heap after the check (after a full GC when the process
 * runs with --expose-gc), for the benchmark.
 */
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";

const file = process.argv[2]!;
const io = memoryIo();
const cpuBefore = process.cpuUsage();
const start = performance.now();
const code = await main(["check", file, "--json"], io);
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const verdict = JSON.parse(io.stdout) as { events: number; conforms: boolean };
(globalThis as { gc?: () => void }).gc?.();
console.log(
  JSON.stringify({
    code,
    events: verdict.events,
    conforms: verdict.conforms,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    heapAfterGcMiB: process.memoryUsage().heapUsed / 2 ** 20,
  }),
);
