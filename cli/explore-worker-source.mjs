// Entry point of an explore worker thread when the command runs from the TypeScript sources (tests,
// `npm run conform`): tsx's loader is registered in the worker before the worker's module is loaded.
// The published build starts dist/cli/explore-worker.js directly; this file is not shipped.
import { register } from "tsx/esm/api";

register();
await import("./explore-worker.ts");
