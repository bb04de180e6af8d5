/**
 * The rule catalogue checks itself when it loads; these tests show it fails loudly, naming the bad
 * entry, and that the shipped catalogue covers every source page and every digest label.
 */
import { describe, expect, it } from "vitest";
import { CatalogueError, DIGEST_LABELS, SOURCE_PAGES, learnPagesOf, rulesAsJson, sourceQuote, sourcesOf, validateCatalogue } from "./catalogue.ts";
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

describe("the catalogue's traceability", () => {
  it("gives every rule at least one Microsoft Learn page, the page of its function first when it names one", () => {
    for (const rule of RULES) {
      const pages = learnPagesOf(rule);
      expect(pages.length, rule.id).toBeGreaterThan(0);
      for (const page of pages) expect(page.url, `${rule.id}: ${page.name}`).toMatch(/^https:\/\/learn\.microsoft\.com\/en-us\/windows-hardware\/drivers\//);
    }
    expect(learnPagesOf(RULES.find((rule) => rule.id === "handle-destroy/closing")!)[0]!.url).toMatch(/nf-fwpsk-fwpsinjectnetworksendasync0$/);
    expect(learnPagesOf(RULES.find((rule) => rule.id === "completion/irql")!).map((page) => page.url)).toEqual([
      "https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/fwpsk/nc-fwpsk-fwps_inject_complete0",
    ]);
  });

  it("ships the text of every source a rule cites: the seed quote, or the digest item's text", () => {
    for (const rule of RULES) {
      for (const source of sourcesOf(rule)) expect(sourceQuote(source).length, rule.id).toBeGreaterThan(10);
    }
    expect(sourceQuote({ page: "related-rules.md", label: "D5" })).toMatch(/STATUS_FWP_INJECT_HANDLE_CLOSING/);
  });

  it("cites several sources where a rule rests on several, and points unmodelled rules at the id that reports them", () => {
    const rule = RULES.find((candidate) => candidate.id === "handle-destroy/before-unload")!;
    expect(sourcesOf(rule).map((source) => ("label" in source ? source.label : source.page))).toEqual(["D4", "FwpsInjectionHandleCreate0"]);
    expect(rule.reportedAs).toBe("handle-create/destroy-when-done");
    for (const candidate of RULES.filter((entry) => entry.reportedAs !== undefined)) {
      expect(RULES.find((entry) => entry.id === candidate.reportedAs)?.modelled, candidate.id).toBe(true);
    }
  });

  it("rejects a reportedAs naming no rule, or an unmodelled one, or set on a modelled rule", () => {
    const unmodelled = RULES.find((rule) => rule.id === "handle-destroy/before-unload")!;
    const index = RULES.indexOf(unmodelled);
    const swap = (entry: unknown) => RULES.map((rule, at) => (at === index ? entry : rule));
    expect(() => validateCatalogue(swap({ ...unmodelled, reportedAs: "handle/made-up" }))).toThrow(/"handle-destroy\/before-unload": field `reportedAs`: no rule has the id "handle\/made-up"/);
    expect(() => validateCatalogue(swap({ ...unmodelled, reportedAs: "query/permit-self" }))).toThrow(/field `reportedAs`: "query\/permit-self" is not modelled either/);
    expect(() => validateCatalogue([{ ...good, reportedAs: "handle-create/flags" }])).toThrow(/entry 0 .*field `reportedAs`: a modelled rule reports itself/);
  });

  it("rejects a seeAlso citing an unknown digest label", () => {
    expect(() => validateCatalogue([{ ...good, seeAlso: [{ page: "related-rules.md", label: "Z9" }] }])).toThrow(/entry 0 .*field `seeAlso/);
  });

  it("prints the Learn URLs and the extra sources in --json", () => {
    const entry = (rulesAsJson(RULES) as Record<string, unknown>[]).find((candidate) => candidate["id"] === "handle-destroy/before-unload")!;
    expect(entry["learn"]).toContain("https://learn.microsoft.com/en-us/windows-hardware/drivers/network/unloading-a-callout-driver");
    expect(entry["seeAlso"]).toEqual([expect.objectContaining({ page: "FwpsInjectionHandleCreate0" })]);
    expect(entry["reportedAs"]).toBe("handle-create/destroy-when-done");
  });
});
