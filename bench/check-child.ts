/** Runs `wfp-conform check` on one trace in this process and prints {events, seconds, maxRssMiB} as JSON (for the benchmark). */
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";

const file = process.argv[2]!;
const io = memoryIo();
const start = performance.now();
const code = await main(["check", file, "--json"], io);
const seconds = (performance.now() - start) / 1000;
const verdict = JSON.parse(io.stdout) as { events: number; conforms: boolean };
console.log(JSON.stringify({ code, events: verdict.events, conforms: verdict.conforms, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
