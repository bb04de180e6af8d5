/**
 * Implementation targets of `wfp-conform run`: the built-in simulator, its mutants, a user's module
 * that exports a port factory (`createPort`, or a default export), or a command started as a child
 * process and driven over the external-process protocol.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { processPortFactory } from "../adapters/process.ts";
import { DEFAULT_PORT_OPTIONS } from "../properties/runner.ts";
import type { PortFactory } from "../spec/port.ts";
import { API_FAMILIES, type ApiFamily } from "../spec/vocabulary.ts";
import { UsageError } from "./io.ts";

/** What an implementation says about itself. */
export interface Identity {
  readonly name: string;
  readonly families: readonly ApiFamily[];
  readonly verifier: boolean;
}

/** A resolved implementation: a display name, a factory of fresh ports, and how to release it. */
export interface Target {
  readonly name: string;
  readonly factory: PortFactory;
  /** Starts the implementation once to learn its name, families and whether it has a verifier; throws saying why when it cannot start. */
  identify(): Promise<Identity>;
  /** Makes the next run start from a clean instance (a new process); for the first run of a configuration. */
  restart(): Promise<void>;
  /** Why the implementation must not be driven again (it stopped answering), or null. */
  stopped(): string | null;
  /** Releases it (ends an external process's whole process group); resolves when that is done. */
  close(): Promise<void>;
}

/** Every built-in target name: `builtin` and one `builtin:mutant/<name>` per mutant. */
export async function builtinTargets(): Promise<string[]> {
  const { MUTANTS } = await import("../impl/mutants/index.ts");
  return ["builtin", ...Object.keys(MUTANTS).map((name) => `builtin:mutant/${name}`)];
}

const ALL_FAMILIES = Object.keys(API_FAMILIES) as ApiFamily[];

function inProcess(name: string, factory: PortFactory): Target {
  return {
    name,
    factory,
    async identify() {
      let port: Awaited<ReturnType<PortFactory>>;
      try {
        port = await factory(DEFAULT_PORT_OPTIONS);
      } catch (error) {
        throw new Error(`createPort threw: ${(error as Error)?.message ?? String(error)}`);
      }
      const families = Array.isArray(port.families) ? port.families.filter((family): family is ApiFamily => ALL_FAMILIES.includes(family)) : ALL_FAMILIES;
      const identity = { name: typeof port.name === "string" && port.name !== "" ? port.name : name, families, verifier: port.verifier === true };
      await port.dispose?.();
      return identity;
    },
    // Every run creates its own port: nothing outlives a run.
    async restart() {},
    stopped: () => null,
    async close() {},
  };
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

/** Whether this process loads TypeScript already: it does when this module itself runs from its .ts source (tsx, vitest). */
const LOADS_TYPESCRIPT = import.meta.url.endsWith(".ts");

/**
 * Imports a user's module. Plain Node cannot load TypeScript: for a .ts module, when this runs from
 * the build, tsx is looked up from the module's own folder (the user's project) and its loader
 * registered first (first, because a failed import of a CommonJS module cannot be retried).
 */
async function importModule(path: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.test(path) && !LOADS_TYPESCRIPT) await registerTsx(path);
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

let tsxRegistered = false;

async function registerTsx(path: string): Promise<void> {
  if (tsxRegistered) return;
  let api: string;
  try {
    // tsx's ESM API (its `exports["./esm/api"].import`), found from the user's folder.
    const manifest = createRequire(path).resolve("tsx/package.json");
    const entry = (JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, { import: { default: string } }> }).exports["./esm/api"]!.import.default;
    api = join(dirname(manifest), entry);
  } catch {
    throw new UsageError(`--impl ${path}: a TypeScript module needs tsx to load (npm install --save-dev tsx in your project), or compile it to .js first`);
  }
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
  tsxRegistered = true;
}

/** Resolves `--impl` / `--impl-cmd` into a target, or throws a UsageError naming what is wrong. */
export async function loadTarget(spec: string, command?: string, callTimeoutMs = 5000): Promise<Target> {
  if (command !== undefined) {
    if (command.trim() === "") throw new UsageError("--impl-cmd needs a command");
    const factory = processPortFactory(command, { callTimeoutMs });
    return {
      name: command,
      factory,
      identify: async () => {
        const hello = await factory.hello();
        return { name: hello.name, families: hello.families, verifier: hello.verifier };
      },
      restart: () => factory.restart(),
      stopped: () => factory.stopped(),
      close: () => factory.close(),
    };
  }
  if (spec === "builtin") {
    const { createPort } = await import("../impl/port-adapter.ts");
    return inProcess("builtin", createPort);
  }
  if (spec.startsWith("builtin:mutant/")) {
    const name = spec.slice("builtin:mutant/".length);
    const { MUTANTS } = await import("../impl/mutants/index.ts");
    const mutant = (MUTANTS as Record<string, { createPort: PortFactory }>)[name];
    if (mutant === undefined) throw new UsageError(`unknown mutant "${name}"; \`wfp-conform impls\` lists them`);
    return inProcess(spec, mutant.createPort);
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new UsageError(`--impl ${spec}: no such file (expected builtin, builtin:mutant/<name>, or a .js/.ts module exporting createPort)`);
  let module: Record<string, unknown>;
  try {
    module = await importModule(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--impl ${spec}: the module failed to load: ${(error as Error).message}`);
  }
  // A CommonJS module (a .ts compiled as CommonJS too) has its exports under `default`.
  const commonJs = module["default"] as Record<string, unknown> | undefined;
  const factory = module["createPort"] ?? (typeof commonJs === "object" && commonJs !== null ? commonJs["createPort"] : undefined) ?? module["default"];
  if (typeof factory !== "function") throw new UsageError(`--impl ${spec}: the module exports no function \`createPort\` (nor a default export)`);
  return inProcess(spec, factory as PortFactory);
}
