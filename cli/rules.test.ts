/**
 * `wfp-conform rules <id>`: one rule with everything it rests on; an unknown id names the nearest
 * ones and exits 2; `rules --json` and `rules <id> --json` stay machine-readable.
 */
import { describe, expect, it } from "vitest";
import { RULES } from "../spec/rules.ts";
import { memoryIo } from "./io.ts";
import { main } from "./main.ts";

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("wfp-conform rules <id>", () => {
  it("prints a modelled rule: statement, obliged, outcome, checks, quoted sources, Learn links", async () => {
    const result = await run("rules", "completion/once-per-nbl");
    expect(result.code).toBe(0);
    const out = result.out;
    expect(out.split("\n")[0]).toBe("completion/once-per-nbl");
    expect(out).toContain(RULES.find((rule) => rule.id === "completion/once-per-nbl")!.statement);
    expect(out).toMatch(/obliged: +engine: the filter engine/);
    expect(out).toMatch(/outcome: +callback:/);
    expect(out).toContain("by the reference model");
    expect(out).toContain('"If the FwpsStreamInjectAsync0 function is called to inject a chain of NET_BUFFER_LIST structures');
    expect(out).toMatch(/2\. digest \[S5\], Stream injection \(engine\)/);
    expect(out).toContain("https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/fwpsk/nc-fwpsk-fwps_inject_complete0");
    expect(out).toMatch(/decisions:\n +\(on this rule\) The pages do not say whether the completions of a chain come in chain order/);
  });

  it("prints an unmodelled rule with its reason and the id that reports it, and a verifier-checked one as such", async () => {
    const unload = await run("rules", "handle-destroy/before-unload");
    expect(unload.out).toMatch(/not modelled: The same end-of-run obligation/);
    expect(unload.out).toMatch(/reported as handle-create\/destroy-when-done: Every handle created/);
    expect(unload.out).toContain("https://learn.microsoft.com/en-us/windows-hardware/drivers/network/unloading-a-callout-driver");
    expect(unload.out).toContain('"a driver must destroy every injection handle before its unload routine returns');
    const target = await run("rules", "handle-create/destroy-when-done");
    expect(target.out).toContain("this id also reports handle-destroy/before-unload");
    expect(target.out).toContain("built-in simulator's verifier");
    const engineRule = await run("rules", "handle-destroy/closing");
    expect(engineRule.out).not.toContain("verifier");
  });

  it("names the nearest ids for an unknown one and exits 2", async () => {
    const typo = await run("rules", "handle-destroy/closng");
    expect(typo.code).toBe(2);
    expect(typo.out).toBe("");
    expect(typo.err).toMatch(/no rule has the id "handle-destroy\/closng"; did you mean handle-destroy\/closing/);
    const tail = await run("rules", "once-per-nbl");
    expect(tail.err).toMatch(/did you mean completion\/once-per-nbl\?/);
    expect((await run("rules", "a", "b")).code).toBe(2);
  });

  it("prints one rule as JSON with --json, and the whole catalogue as before without an id", async () => {
    const one = JSON.parse((await run("rules", "handle-destroy/irql", "--json")).out) as Record<string, unknown>;
    expect(one).toMatchObject({ id: "handle-destroy/irql", source: { page: "related-rules.md", label: "D2" }, verifier: true });
    expect(one["learn"]).toEqual(["https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/fwpsk/nf-fwpsk-fwpsinjectionhandledestroy0"]);
    const all = JSON.parse((await run("rules", "--json")).out) as { id: string }[];
    expect(all.map((rule) => rule.id)).toEqual(RULES.map((rule) => rule.id));
    expect((await run("rules", "--help")).out).toMatch(/usage: wfp-conform rules \[<id>\]/);
  });
});

describe("the rule card's decisions", () => {
  it("lists the decisions across rules that affect the rule, with what they rest on or that the pages are silent", async () => {
    const { renderRuleCard } = await import("./rule-card.ts");
    const rule = RULES.find((candidate) => candidate.id === "handle-destroy/closing")!;
    const card = renderRuleCard(rule, {
      rules: RULES,
      verifierReports: false,
      decisions: [
        { id: "x/quoted", ruleIds: [rule.id], decision: "Do this.", reason: "Because.", quotes: [{ source: "FwpsInjectionHandleCreate0", quote: "Some sentence." }] },
        { id: "x/silent", ruleIds: [rule.id], decision: "Do that.", reason: null, quotes: [] },
      ],
    });
    expect(card).toContain('decisions:\n    x/quoted: Do this.\n      why: Because.\n      rests on FwpsInjectionHandleCreate0: "Some sentence."\n    x/silent: Do that.\n      rests on: the pages are silent\n');
    expect(card).not.toContain("none: the rule is as the sources say");
  });
});

describe("rules <id> and spec/decisions.ts", () => {
  it("prints every decision that names the rule, in text and in --json", async () => {
    const { DECISIONS } = await import("../spec/decisions.ts");
    const decision = DECISIONS.find((candidate) => candidate.ruleIds.length > 0)!;
    const ruleId = decision.ruleIds[0]!;
    expect((await run("rules", ruleId)).out).toContain(`    ${decision.id}: ${decision.decision}`);
    const json = JSON.parse((await run("rules", ruleId, "--json")).out) as { decisions: { id: string }[] };
    expect(json.decisions.map((entry) => entry.id)).toContain(decision.id);
  });

  it("names only rules of the catalogue in the decisions", async () => {
    const { DECISIONS } = await import("../spec/decisions.ts");
    const ids = new Set(RULES.map((rule) => rule.id));
    expect(DECISIONS.flatMap((decision) => decision.ruleIds.filter((id) => !ids.has(id)).map((id) => `${decision.id}: ${id}`))).toEqual([]);
  });
});

