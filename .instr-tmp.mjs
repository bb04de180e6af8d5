import { Instrumenter } from "@stryker-mutator/instrumenter";
import { readFileSync, writeFileSync } from "node:fs";
import { strykerPlugins } from "./mutation/ignorers.mjs";
const logger = { debug(){}, info(){}, warn(){}, error(){}, isDebugEnabled(){return false;}, isTraceEnabled(){return false;}, trace(){} };
const out = [];
for (const name of ["impl/engine.ts","impl/verifier.ts","impl/queue.ts","impl/port-adapter.ts"]) {
  const r = await new Instrumenter(logger).instrument([{ name, mutate: true, content: readFileSync(name, "utf8") }], { plugins: null, excludedMutations: [], ignorers: strykerPlugins.map(p=>p.value), noHeader: false });
  for (const m of r.mutants) out.push({ file: name.replace("impl/",""), line: m.location.start.line+1, col: m.location.start.column+1, mut: m.mutatorName, rep: (m.replacement??"").replace(/\s+/g," ").trim(), status: m.status ?? "", reason: m.statusReason ?? "" });
}
writeFileSync("/tmp/instr.json", JSON.stringify(out));
