/**
 * The rule catalogue checks itself when it loads; these tests show it fails loudly, naming the bad
 * entry, and that the shipped catalogue covers every source page and every digest label.
 */
import { describe, expect, it } from "vitest";
import { CatalogueError, DIGEST_LABELS, SOURCE_PAGES, rulesAsJson, validateCatalogue } from "./catalogue.ts";
import { RULES } from "./rules.ts";

const good = RULES[0]!;

describe("the rule catalogue", () => {
  it("has unique ids and a source for every rule", () => {
    expect(new Set(RULES.map((rule) => rule.id)).size).toBe(RULES.length);
    for (const rule of RULES) expect(rule.source.page.length).toBeGreaterThan(0);
  });

  it("covers every source page with a quoted sentence and every digest label", () => {
    for (const page of SOURCE_PAGES) expect(RULES.some((rule) => rule.source.page === page && "quote" in rule.source), page).toBe(true);
    for (const label of DIGEST_LABELS) expect(RULES.some((rule) => "label" in rule.source && rule.source.label === label), label).toBe(true);
  });

  it("gives a reason for every rule the model does not check", () => {
    for (const rule of RULES.filter((candidate) => !candidate.modelled)) expect(rule.reason, rule.id).toMatch(/\w{5}/);
  });

  it("rejects a duplicate id, naming both entries", () => {
    expect(() => validateCatalogue([...RULES, { ...good }])).toThrow(new CatalogueError(`rule catalogue entry ${RULES.length} "${good.id}": duplicate id (first used by entry 0)`));
  });

  it("rejects a rule without a source, naming the entry and the field", () => {
    const { source: _source, ...withoutSource } = good;
    expect(() => validateCatalogue([withoutSource, ...RULES.slice(1)])).toThrow(/entry 0 "handle-create\/irql": field `source`/);
  });

  it("rejects a quote from a page that is not a source page, and an unknown digest label", () => {
    expect(() => validateCatalogue([{ ...good, source: { page: "FwpsMadeUp0", quote: "anything at all" } }])).toThrow(/entry 0 .*field `source/);
    expect(() => validateCatalogue([{ ...good, source: { page: "related-rules.md", label: "Z9" } }])).toThrow(/entry 0 .*field `source/);
  });

  it("rejects an unmodelled rule without a reason", () => {
    expect(() => validateCatalogue([{ ...good, modelled: false }])).toThrow(/entry 0 .*field `reason`: a rule the model does not check needs a `reason`/);
  });

  it("rejects a catalogue that leaves a digest label without a rule", () => {
    expect(() => validateCatalogue(RULES.filter((rule) => !("label" in rule.source && rule.source.label === "Q2")))).toThrow(/digest label Q2 is the source of no rule/);
  });

  it("prints as JSON with the documented fields", () => {
    for (const entry of rulesAsJson(RULES) as Record<string, unknown>[]) {
      expect(Object.keys(entry)).toEqual(expect.arrayContaining(["id", "api", "obliged", "source", "modelled"]));
      expect(["engine", "caller"]).toContain(entry["obliged"]);
      if (entry["modelled"] === false) expect(typeof entry["reason"]).toBe("string");
    }
  });
});
