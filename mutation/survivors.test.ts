/** The verdict files of mutation/verdicts/ are parsed strictly: a bad row names its file and line. */
import { describe, expect, it } from "vitest";
import { mutantKey, parseVerdicts } from "./survivors.ts";

describe("mutation verdict files", () => {
  it("read rows with escaped pipes, optional leading pipe and impl/ prefix, and skip other lines", () => {
    const text = [
      "# engine verdicts",
      "| position | mutator | replacement | verdict | reason |",
      "|---|---|---|---|---|",
      "| engine.ts:64:9 | ConditionalExpression | `true` | equivalent | slot 0 is never live |",
      "impl/queue.ts:12:3 | LogicalOperator | `a \\|\\| b` | open | needs a queue of 2^20 entries | really |",
      "| engine.ts:70:1 | BlockStatement | `{}` | killed by nbl-lifecycle | reuse of a freed slot |",
    ].join("\n");
    const verdicts = parseVerdicts(text, "v.md");
    expect(verdicts.map((verdict) => [verdict.key, verdict.verdict, verdict.reason, verdict.where])).toEqual([
      [mutantKey("impl/engine.ts", 64, 9, "ConditionalExpression", "true"), "equivalent", "slot 0 is never live", "v.md:4"],
      ["queue.ts:12:3|LogicalOperator|a || b", "open", "needs a queue of 2^20 entries | really", "v.md:5"],
      ["engine.ts:70:1|BlockStatement|{}", "killed", "reuse of a freed slot", "v.md:6"],
    ]);
  });

  it("reject a row without a reason or with an unknown verdict, naming file and line", () => {
    expect(() => parseVerdicts("x\n| engine.ts:1:1 | M | `r` | maybe | because |", "a.md")).toThrow('a.md:2: verdict must be "equivalent", "open", "killed" or "ignored", not "maybe"');
    expect(() => parseVerdicts("| engine.ts:1:1 | M | `r` | equivalent |  |", "b.md")).toThrow("b.md:1: a verdict needs its reason");
    expect(() => parseVerdicts("| engine.ts:1:1 | M | equivalent |", "c.md")).toThrow("c.md:1: a verdict row needs 5 cells");
  });
});
