/**
 * Implementation targets of `wfp-conform run`: the built-in simulator, its mutants, or a user's
 * module that exports a port factory (`createPort`, or a default export).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { PortFactory } from "../spec/port.ts";
import { UsageError } from "./io.ts";

/** A resolved implementation: a display name and a factory of fresh ports. */
export interface Target {
  readonly name: string;
  readonly factory: PortFactory;
}

/** Every built-in target name: `builtin` and one `builtin:mutant/<name>` per mutant. */
export async function builtinTargets(): Promise<string[]> {
  const { MUTANTS } = await import("../impl/mutants/index.ts");
  return ["builtin", ...Object.keys(MUTANTS).map((name) => `builtin:mutant/${name}`)];
}

/** Resolves `--impl` into a target, or throws a UsageError naming what is wrong. */
export async function loadTarget(spec: string): Promise<Target> {
  if (spec === "builtin") {
    const { createPort } = await import("../impl/port-adapter.ts");
    return { name: "builtin", factory: createPort };
  }
  if (spec.startsWith("builtin:mutant/")) {
    const name = spec.slice("builtin:mutant/".length);
    const { MUTANTS } = await import("../impl/mutants/index.ts");
    const mutant = (MUTANTS as Record<string, { createPort: PortFactory }>)[name];
    if (mutant === undefined) throw new UsageError(`unknown mutant "${name}"; \`wfp-conform impls\` lists them`);
    return { name: spec, factory: mutant.createPort };
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new UsageError(`--impl ${spec}: no such file (expected builtin, builtin:mutant/<name>, or a .js/.ts module exporting createPort)`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--impl ${spec}: the module failed to load: ${(error as Error).message}`);
  }
  const factory = module["createPort"] ?? module["default"];
  if (typeof factory !== "function") throw new UsageError(`--impl ${spec}: the module exports no function \`createPort\` (nor a default export)`);
  return { name: spec, factory: factory as PortFactory };
}
