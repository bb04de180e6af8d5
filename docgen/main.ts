/**
 * `npm run docs` (or `docs:decisions`, `docs:traces`): writes the generated documents.
 * `--check` writes nothing and exits 1 naming each document that differs from what is committed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { DOCUMENTS, ROOT, type DocumentName } from "./documents.ts";

const args = process.argv.slice(2);
const check = args.includes("--check");
const names = args.filter((arg) => arg !== "--check");
const unknown = names.filter((name) => !(name in DOCUMENTS));
if (unknown.length > 0) {
  process.stderr.write(`docgen: unknown document ${unknown.join(", ")}; expected ${Object.keys(DOCUMENTS).join(", ")}\n`);
  process.exit(2);
}
let stale = 0;
for (const name of (names.length > 0 ? names : Object.keys(DOCUMENTS)) as DocumentName[]) {
  const { path, generate } = DOCUMENTS[name];
  const text = generate();
  const committed = existsSync(`${ROOT}${path}`) ? readFileSync(`${ROOT}${path}`, "utf8") : null;
  if (check) {
    if (committed !== text) {
      stale += 1;
      process.stderr.write(`${path} differs from what the generator produces: run npm run docs:${name}\n`);
    }
  } else if (committed !== text) {
    writeFileSync(`${ROOT}${path}`, text);
    process.stdout.write(`wrote ${path}\n`);
  } else process.stdout.write(`${path} is up to date\n`);
}
process.exit(stale > 0 ? 1 : 0);
