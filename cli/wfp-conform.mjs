#!/usr/bin/env node
// Entry point of the `wfp-conform` command. The project is TypeScript run in place: tsx's loader
// is registered here so that `npx wfp-conform` works right after `npm ci`, with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
