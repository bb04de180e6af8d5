import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "./html.ts";
import { sampleReport } from "./fixtures.ts";
import type { Report } from "./report.ts";

// ---------------------------------------------------------------------------------------- helpers

const VOID_ELEMENTS = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', nbsp: "\u00A0" };

/** Decodes the entities our renderer and Chromium's serializer write. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (all, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return NAMED_ENTITIES[entity] ?? all;
  });
}

/** The text content of an HTML fragment: tags removed, entities decoded. */
function textOf(fragment: string): string {
  return decodeEntities(fragment.replace(/<[^>]*>/g, ""));
}

/** The attributes of one start tag, decoded. */
function attributesOf(startTag: string): Record<string, string> {
  return Object.fromEntries([...startTag.matchAll(/\s([a-zA-Z-]+)="([^"]*)"/g)].map(([, name = "", value = ""]) => [name, decodeEntities(value)]));
}

/**
 * Checks that `html` is well formed in the XHTML sense, which is stricter than HTML needs: every
 * non-void element is closed, in order; text and attribute values hold no raw `<` or `>`, and every
 * `&` starts an entity. Returns the problems found (empty when none).
 */
function wellFormednessProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<!DOCTYPE html>|<(\/?)([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9-]*(?:="[^"<>]*")?)*)\s*>/iy;
  const checkText = (text: string, where: string) => {
    if (/[<>]/.test(text)) problems.push(`raw < or > in ${where}: ${JSON.stringify(text.slice(0, 60))}`);
    for (const [ampersand] of text.matchAll(/&[^;\s]*;?/g)) if (!/^&(amp|lt|gt|quot|#39|#[0-9]+);$/.test(ampersand)) problems.push(`bare or unknown entity ${JSON.stringify(ampersand)} in ${where}`);
  };
  let position = 0;
  while (position < html.length) {
    const next = html.indexOf("<", position);
    checkText(html.slice(position, next === -1 ? html.length : next), `text inside <${stack.at(-1) ?? "(root)"}>`);
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(html);
    if (match === null) {
      problems.push(`stray < at offset ${next}: ${JSON.stringify(html.slice(next, next + 40))}`);
      position = next + 1;
      continue;
    }
    position = tag.lastIndex;
    const [, closing = "", name = "", attributes = ""] = match;
    if (name === "") continue; // the doctype
    for (const [, value = ""] of attributes.matchAll(/="([^"]*)"/g)) checkText(value, `an attribute of <${name}>`);
    if (closing !== "") {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? "nothing"}>`);
    } else if (name === "style") {
      // Raw text: skip to its end tag (the style sheet holds `>` in no selector, but may in future).
      const end = html.indexOf("</style>", position);
      if (end === -1) problems.push("<style> is never closed");
      position = end === -1 ? html.length : end + "</style>".length;
    } else if (!VOID_ELEMENTS.has(name)) {
      stack.push(name);
    }
  }
  if (stack.length > 0) problems.push(`never closed: ${stack.join(" > ")}`);
  return problems;
}

/** The start tags of the matrix rows: one per `<tr data-rule=...>`. */
function matrixRows(html: string): Record<string, string>[] {
  return [...html.matchAll(/<tr\s[^>]*data-rule="[^"]*"[^>]*>/g)].map(([startTag]) => attributesOf(startTag));
}

/** The numbered lines of a counterexample's `<pre class="calls">`, as text. */
function callsBlock(html: string, number: number): string[] {
  const article = new RegExp(`<article[^>]*id="counterexample-${number}"[^>]*>([\\s\\S]*?)</article>`).exec(html);
  const pre = /<pre class="calls"><code>([\s\S]*?)<\/code><\/pre>/.exec(article?.[1] ?? "");
  if (pre === null) throw new Error(`no calls block in counterexample ${number}`);
  return textOf(pre[1]!).split("\n");
}

/** The line of the calls block a call is expected on (`>>` marks the diverging step). */
function expectedLine(report: Report, counterexampleIndex: number, callIndex: number): string {
  const counterexample = report.counterexamples[counterexampleIndex]!;
  const width = String(counterexample.calls.length).length;
  const step = callIndex + 1;
  return `${step === counterexample.step ? ">> " : ""}${String(step).padStart(width)}  ${counterexample.calls[callIndex]!}`;
}

// ------------------------------------------------------------------------------- the HTML string

describe("renderHtml (the string)", () => {
  const report = sampleReport();
  const html = renderHtml(report);

  it("is well formed: every element closed in order, every text escaped", () => {
    expect(wellFormednessProblems(html)).toEqual([]);
    expect((html.match(/<tr[\s>]/g) ?? []).length).toBe((html.match(/<\/tr>/g) ?? []).length);
  });

  it("the checker catches what it is meant to catch", () => {
    expect(wellFormednessProblems("<table><tr><td>a</td></table>")).not.toEqual([]);
    expect(wellFormednessProblems("<p>a < b</p>")).not.toEqual([]);
    expect(wellFormednessProblems("<p>a & b</p>")).not.toEqual([]);
    expect(wellFormednessProblems('<p title="a>b">x</p>')).not.toEqual([]);
  });

  it("is self-contained: no script, no external resource", () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|@import|url\(/i);
    expect(html).not.toMatch(/href="(?!#)/);
  });

  it("has one matrix row per rule, with its verdict and a mark in the verdict's column only", () => {
    expect(matrixRows(html).map((row) => [row["data-rule"], row["data-verdict"]])).toEqual(report.rules.map((rule) => [rule.id, rule.verdict]));
    for (const rule of report.rules) {
      const row = new RegExp(`<tr[^>]*data-rule="${rule.id}"[^>]*>([\\s\\S]*?)</tr>`).exec(html)![1]!;
      const marked = [...row.matchAll(/<td class="mark[^"]*" data-column="([^"]+)"[^>]*>([\s\S]*?)<\/td>/g)].filter(([, , content]) => textOf(content ?? "") !== "");
      expect(marked.map(([, column]) => column), rule.id).toEqual([rule.verdict]);
      expect(row).toContain(`<td class="num" data-column="exercised">${rule.exercised}</td>`);
      expect(row).toContain(`<td data-column="obliged">${rule.obliged}</td>`);
    }
  });

  it("groups the matrix by API family, one section with a heading each", () => {
    const families = [...html.matchAll(/<section class="family" id="family-([^"]+)" data-family="([^"]+)">\s*<h3>([^<]+)/g)].map(([, , family, heading]) => [family, heading?.trim()]);
    expect(families).toEqual(["handles", "inject", "network", "stream", "transport", "nbl", "query"].map((family) => [family, family]));
  });

  it("shows each counterexample's calls numbered, escaped, with the diverging step marked", () => {
    report.counterexamples.forEach((counterexample, index) => {
      expect(callsBlock(html, index + 1)).toEqual(counterexample.calls.map((_, call) => expectedLine(report, index, call)));
    });
    expect(html).toContain('<span class="line diverged" data-step="7" id="counterexample-1-step-7">');
    expect(html).toContain("/* &lt;freed&gt; */");
    expect(html).toContain("&amp;injectionHandle1");
    expect(html).not.toContain("<freed>");
    expect(html).not.toContain("<done>");
  });

  it("escapes the implementation name and neutralises control characters", () => {
    const hostile = renderHtml(
      sampleReport({
        implementation: `<script>alert("x")</script> & 'friends'`,
        counterexamples: [{ ...report.counterexamples[0]!, summary: "nul\u0000 esc\u001B cr\r lone \uD800 pair \u{1F600}" }],
      }),
    );
    expect(wellFormednessProblems(hostile)).toEqual([]);
    expect(hostile).not.toContain("<script");
    expect(hostile).toContain("<title>WFP conformance: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39; (not conformant)</title>");
    expect(hostile).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F]/);
    expect(hostile).toContain("nul\\u0000 esc\\u001B cr\\u000D lone \\uD800 pair \u{1F600}");
  });

  it("says whether the implementation is conformant, and shows the settings", () => {
    expect(html).toContain('<header id="summary" data-conformant="false" data-adapter-error="false">');
    expect(renderHtml(sampleReport({ conformant: true }))).toContain('<p class="verdict conformant">');
    expect(textOf(/<dl class="facts" id="settings">([\s\S]*?)<\/dl>/.exec(html)![1]!)).toContain("20240917");
  });
});

// ------------------------------------------------------------------------ in a real browser

/** Debian's Chromium, or whichever `chromium`/`chromium-browser` is on the PATH; null when none. */
function findChromium(): string | null {
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  // `which` exits non-zero when any name is missing, but still prints the ones it found.
  const which = spawnSync("which", ["chromium", "chromium-browser"], { encoding: "utf8" });
  return which.stdout?.split("\n").find((line) => line.trim() !== "")?.trim() ?? null;
}

const chromium = findChromium();
const NO_CHROMIUM = "chromium is not installed: apt-get install chromium";
if (chromium === null) console.warn(`reports/html.test.ts: skipping the browser tests: ${NO_CHROMIUM}`);

/** A browser test: skipped, with the reason in its name, when there is no Chromium. */
const browserIt = (name: string, test: () => void) => it.skipIf(chromium === null)(chromium === null ? `${name} (skipped: ${NO_CHROMIUM})` : name, test);

describe("renderHtml in headless Chromium", () => {
  // An implementation name that needs escaping, so that the title test also tests the escaping.
  const report = sampleReport({ implementation: `optimized <v2> & "fast"` });
  // Made in the hooks, which vitest does not run when every test is skipped, so nothing is left behind.
  let workDir = "";
  let page = "";
  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), "wfp-html-report-"));
    page = join(workDir, "report.html");
    writeFileSync(page, renderHtml(report));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  /** Runs Chromium on the page with a fresh profile; root-safe (no sandbox), nothing fetched from the network. */
  function runChromium(profile: string, ...action: string[]): string {
    const profileDir = mkdtempSync(join(workDir, `${profile}-profile-`));
    return execFileSync(
      chromium!,
      ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profileDir}`, ...action, pathToFileURL(page).href],
      { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] },
    );
  }

  // The DOM is dumped once and shared by the tests that read it.
  let dom: string | undefined;
  const dumpedDom = (): string => (dom ??= runChromium("dom", "--dump-dom"));

  browserIt("the title names the implementation (escaped, not parsed as markup)", () => {
    const title = /<title>([\s\S]*?)<\/title>/.exec(dumpedDom());
    expect(textOf(title?.[1] ?? "")).toBe(`WFP conformance: optimized <v2> & "fast" (not conformant)`);
    expect(dumpedDom()).not.toMatch(/<v2[\s>]/);
    expect(textOf(/<span id="implementation">([\s\S]*?)<\/span>/.exec(dumpedDom())?.[1] ?? "")).toBe(`optimized <v2> & "fast"`);
  });

  browserIt("the matrix has one row per rule with the right data-verdict", () => {
    const matrix = /<section id="verdict-matrix">([\s\S]*?)<section id="counterexamples">/.exec(dumpedDom());
    expect(matrix).not.toBeNull();
    expect(matrixRows(matrix![1]!).map((row) => [row["data-rule"], row["data-verdict"]])).toEqual(report.rules.map((rule) => [rule.id, rule.verdict]));
    expect(matrix![1]!.match(/<tr[\s>]/g)).toHaveLength(report.rules.length + 7); // plus one header row per family table
  });

  browserIt("the counterexample block shows the calls as text, the diverging step highlighted", () => {
    const dump = dumpedDom();
    expect(dump.match(/<article class="counterexample/g)).toHaveLength(report.counterexamples.length);
    // Parsed by the browser and serialized back, the calls read exactly as the fixture's.
    expect(callsBlock(dump, 1)).toEqual(report.counterexamples[0]!.calls.map((_, call) => expectedLine(report, 0, call)));
    expect(dump).not.toMatch(/<freed[\s>]|<done[\s>]/);
    expect(dump).toMatch(/<span class="line diverged" data-step="7"[^>]*><span class="ln">&gt;&gt; 7<\/span>/);
    expect(textOf(/<dd class="implementation">([\s\S]*?)<\/dd>/.exec(dump)?.[1] ?? "")).toBe(report.counterexamples[0]!.implementation);
    expect(textOf(/<dd data-replay="replay file">([\s\S]*?)<\/dd>/.exec(dump)?.[1] ?? "")).toBe(report.counterexamples[0]!.replayFile);
  });

  browserIt("renders to a non-trivial screenshot", () => {
    const screenshot = join(workDir, "page.png");
    runChromium("screenshot", `--screenshot=${screenshot}`, "--window-size=1200,2000");
    expect(existsSync(screenshot)).toBe(true);
    const png = readFileSync(screenshot);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR: width and height, big-endian, at bytes 16..23.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 2000]);
    // A page with one line of text comes to about 12 KB at this size; this one's tables, colours and text to about 250 KB.
    expect(statSync(screenshot).size).toBeGreaterThan(50_000);
  });
});
