/**
 * The tool's own identity: the folder the package is installed in (found from this module's place,
 * so the same in the sources and in dist/) and its version, carried by replay files and reports.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The package name, as in package.json. */
export const TOOL_NAME = "wfp-conformance";

function packageRoot(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === TOOL_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`${TOOL_NAME}: package.json not found above ${import.meta.dirname}`);
  }
}

/** The package's root folder (the one holding package.json, examples/ and docs/). */
export const PACKAGE_ROOT = packageRoot();

/** The package's version (package.json `version`). */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
