/**
 * The trace inputs of `wfp-conform check`: file names, glob patterns (`*`, `?`, `**`, for shells
 * and CI files that do not expand them) and `-` for standard input.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { UsageError } from "./io.ts";

/** One trace to check: a file, or standard input. */
export type TraceInput = { readonly kind: "file"; readonly name: string } | { readonly kind: "stdin"; readonly name: "<stdin>" };

const GLOB = /[*?[]/;

function segmentPattern(segment: string): RegExp {
  let source = "";
  for (const char of segment) {
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${source.replace(/\[/g, "[")}$`);
}

/** The files a glob pattern matches, sorted; `**` matches any number of folders. */
export function expandGlob(pattern: string): string[] {
  const normalized = pattern.split(sep).join("/");
  const absolute = normalized.startsWith("/");
  const segments = normalized.split("/").filter((segment, index) => segment !== "" || index === 0);
  const matches = new Set<string>();
  const walk = (dir: string, rest: readonly string[]): void => {
    if (rest.length === 0) {
      if (existsSync(dir) && statSync(dir).isFile()) matches.add(dir);
      return;
    }
    const [head, ...tail] = rest as [string, ...string[]];
    if (head === "**") {
      walk(dir, tail);
      for (const entry of safeEntries(dir)) if (entry.isDirectory() && !entry.name.startsWith(".")) walk(join(dir, entry.name), rest);
      return;
    }
    if (!GLOB.test(head)) {
      walk(dir === "" ? head : join(dir, head), tail);
      return;
    }
    const pattern = segmentPattern(head);
    for (const entry of safeEntries(dir)) {
      if (entry.name.startsWith(".") && !head.startsWith(".")) continue;
      if (pattern.test(entry.name)) walk(dir === "" ? entry.name : join(dir, entry.name), tail);
    }
  };
  if (absolute) walk("/", segments.slice(1));
  else walk("", segments);
  return [...matches].sort();
}

function safeEntries(dir: string) {
  try {
    return readdirSync(dir === "" ? "." : dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Resolves the command line's inputs, in order, each file once; errors name the input that matches nothing. */
export function resolveInputs(args: readonly string[]): TraceInput[] {
  if (args.length === 0) throw new UsageError("check needs at least one trace: a file, a glob pattern, or - for standard input");
  const inputs: TraceInput[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    if (arg === "-") {
      if (seen.has("-")) throw new UsageError("- (standard input) can be given once");
      seen.add("-");
      inputs.push({ kind: "stdin", name: "<stdin>" });
      continue;
    }
    const files = existsSync(arg) ? [arg] : GLOB.test(arg) ? expandGlob(arg) : [];
    if (files.length === 0) throw new UsageError(GLOB.test(arg) ? `no trace file matches ${arg}` : `no such trace file: ${arg}`);
    for (const file of files) {
      if (!statSync(file).isFile()) throw new UsageError(`${file}: not a file (give the traces in it, e.g. "${join(file, "*.jsonl")}")`);
      if (seen.has(file)) continue;
      seen.add(file);
      inputs.push({ kind: "file", name: file });
    }
  }
  return inputs;
}
