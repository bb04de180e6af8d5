#!/usr/bin/env node
// Entry point of the `wfp-conform` command. Published as dist/cli/wfp-conform.js (built by `npm run
// build`, which `npm ci` runs through `prepare`); in this repository `npm run conform` and the tests
// run this source through tsx, so they never run a stale build.
import { main } from "./main.ts";

process.exitCode = await main(process.argv.slice(2));
