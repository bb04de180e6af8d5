// Entry point of an explore worker thread: the project is TypeScript run in place, so tsx's loader
// is registered in the worker too before the worker's module is loaded.
import { register } from "tsx/esm/api";

register();
await import("./explore-worker.ts");
