/**
 * The sources shipped with the package: every digest label has its item and text, every page a
 * rule or an item names has a Microsoft Learn URL, and validateSources fails loudly on a gap.
 */
import { describe, expect, it } from "vitest";
import { INJECT_FUNCTIONS } from "./vocabulary.ts";
import { DIGEST, DIGEST_LABELS, LEARN_PAGES, SOURCE_PAGES, SourcesError, digestItem, learnPage, pagesOfApi, validateSources } from "./sources.ts";

describe("spec/sources.ts", () => {
  it("has one digest item per label, in order, each with its text and known pages", () => {
    expect(DIGEST.map((item) => item.label)).toEqual([...DIGEST_LABELS]);
    for (const item of DIGEST) for (const name of item.pages) expect(learnPage(name), `${item.label}: ${name}`).toBeDefined();
    expect(digestItem("N4").pages).toContain("Bug Check 0x1D3");
    expect(digestItem("D4").pages).toContain("Unloading a Callout Driver");
  });

  it("gives every seed page and every fwpsk function its learn.microsoft.com reference page", () => {
    for (const page of SOURCE_PAGES) expect(learnPage(page)?.url).toMatch(/^https:\/\/learn\.microsoft\.com\/en-us\/windows-hardware\/drivers\/ddi\/fwpsk\/n[cf]-fwpsk-/);
    expect(learnPage("FwpsInjectionHandleCreate0")!.url).toBe("https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/fwpsk/nf-fwpsk-fwpsinjectionhandlecreate0");
    expect(learnPage("FWPS_STREAM_DATA0")!.url).toBe("https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/fwpsk/ns-fwpsk-fwps_stream_data0_");
    expect(learnPage("Bug Check 0x1D3")!.url).toBe("https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/bug-check-0x1d3--wfp-invalid-operation");
    expect(learnPage("FwpsCompleteOperation0")!.seedUrl).toMatch(/previous-versions\/windows\/embedded/);
  });

  it("expands FwpsInject*Async0 in an api field to the five inject functions", () => {
    expect(pagesOfApi("FwpsInject*Async0, FwpsStreamInjectAsync0").map((page) => page.name)).toEqual([...INJECT_FUNCTIONS]);
    expect(pagesOfApi("FwpsInject*Async0").map((page) => page.name)).not.toContain("FwpsStreamInjectAsync0");
    expect(pagesOfApi("every function that takes a NET_BUFFER_LIST")).toEqual([]);
  });

  it("fails loudly on a missing item, an unknown page, a duplicate page or a URL off Learn", () => {
    expect(() => validateSources(LEARN_PAGES, DIGEST.filter((item) => item.label !== "S3"))).toThrow(new SourcesError("sources: the digest items must be one per label, in order; missing S3"));
    expect(() => validateSources(LEARN_PAGES, DIGEST.map((item) => (item.label === "D4" ? { ...item, pages: ["Unloading"] } : item)))).toThrow(/digest item D4 names page "Unloading", which has no Learn page/);
    expect(() => validateSources([...LEARN_PAGES, LEARN_PAGES[0]!], DIGEST)).toThrow(/page "FwpsInjectionHandleCreate0" listed twice/);
    expect(() => validateSources(LEARN_PAGES.map((page, index) => (index === 1 ? { ...page, url: "https://example.com/x" } : page)), DIGEST)).toThrow(/is not a Microsoft Learn page/);
    expect(() => validateSources(LEARN_PAGES.filter((page) => page.name !== "FwpsCloneStreamData0"), DIGEST)).toThrow(/seed page "FwpsCloneStreamData0" has no Learn page/);
    expect(() => validateSources(LEARN_PAGES, DIGEST.map((item) => (item.label === "A1" ? { ...item, text: "" } : item)))).toThrow(/digest item A1 has no text/);
  });
});
