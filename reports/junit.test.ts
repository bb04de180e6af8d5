import { describe, expect, it } from "vitest";
import { renderJunit } from "./junit.ts";
import { sampleReport } from "./fixtures.ts";
import type { Report } from "./report.ts";

/** An element of the parsed XML: its attributes and text decoded, its child elements in order. */
interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes character data, refusing what a renderer must have escaped (raw `<`, `>`, a bare `&`). */
function decode(text: string, where: string): string {
  if (/[<>]/.test(text)) throw new Error(`unescaped < or > in ${where}: ${JSON.stringify(text.slice(0, 80))}`);
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+)?;?/g, (all, entity: string | undefined) => {
    if (entity === undefined || !all.endsWith(";")) throw new Error(`bare & in ${where}: ${JSON.stringify(text.slice(0, 80))}`);
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const decoded = PREDEFINED[entity];
    if (decoded === undefined) throw new Error(`unknown entity &${entity}; in ${where}`);
    return decoded;
  });
}

/** A deliberately small XML parser: elements, double-quoted attributes, text and the five entities; throws on anything else. */
function parseXml(xml: string): XmlElement {
  const illegal = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.exec(xml);
  if (illegal !== null) throw new Error(`character U+${illegal[0].codePointAt(0)!.toString(16)} is not allowed in XML 1.0`);
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (declaration === null) throw new Error("no XML declaration");
  const document: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [document];
  const tag = /<(\/?)([A-Za-z][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"]*")*)\s*(\/?)>/y;
  let position = declaration[0].length;
  while (position < xml.length) {
    const top = stack.at(-1)!;
    const next = xml.indexOf("<", position);
    top.text += decode(xml.slice(position, next === -1 ? xml.length : next), `<${top.name}>`);
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(xml);
    if (match === null) throw new Error(`not a tag at offset ${next}: ${JSON.stringify(xml.slice(next, next + 40))}`);
    const [, closing = "", name = "", attributeText = "", selfClosing = ""] = match;
    if (closing !== "") {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const attributes: Record<string, string> = {};
      for (const [, key = "", value = ""] of attributeText.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
        if (key in attributes) throw new Error(`duplicate attribute ${key} on <${name}>`);
        attributes[key] = decode(value, `${name}@${key}`);
      }
      const element: XmlElement = { name, attributes, children: [], text: "" };
      top.children.push(element);
      if (selfClosing === "") stack.push(element);
    }
    position = tag.lastIndex;
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (document.children.length !== 1 || document.text.trim() !== "") throw new Error("not exactly one root element");
  return document.children[0]!;
}

const childrenNamed = (element: XmlElement, name: string): XmlElement[] => element.children.filter((child) => child.name === name);

function suiteOf(report: Report): XmlElement {
  const root = parseXml(renderJunit(report));
  expect(root.name).toBe("testsuites");
  const suites = childrenNamed(root, "testsuite");
  expect(suites).toHaveLength(1);
  return suites[0]!;
}

function testCase(suite: XmlElement, ruleId: string): XmlElement {
  const found = childrenNamed(suite, "testcase").filter((element) => element.attributes["name"] === ruleId);
  expect(found, ruleId).toHaveLength(1);
  return found[0]!;
}

describe("renderJunit", () => {
  it("writes one suite named after the implementation, with totals that match its test cases", () => {
    const report = sampleReport();
    const root = parseXml(renderJunit(report));
    const suite = suiteOf(report);
    expect(suite.attributes).toMatchObject({ name: "wfp-conformance: optimized", tests: "9", failures: "2", errors: "0", skipped: "3", time: "12.345", timestamp: "2024-09-17T08:30:00.000Z" });
    expect(root.attributes).toMatchObject({ tests: "9", failures: "2", errors: "0", skipped: "3" });
    const cases = childrenNamed(suite, "testcase");
    expect(cases.filter((element) => childrenNamed(element, "failure").length > 0)).toHaveLength(Number(suite.attributes["failures"]));
    expect(cases.filter((element) => childrenNamed(element, "skipped").length > 0)).toHaveLength(Number(suite.attributes["skipped"]));
  });

  it("has one test case per rule, classname = family and name = rule id, in report order", () => {
    const report = sampleReport();
    const cases = childrenNamed(suiteOf(report), "testcase");
    expect(cases.map((element) => [element.attributes["classname"], element.attributes["name"]])).toEqual(report.rules.map((rule) => [rule.family, rule.id]));
  });

  it("records the settings as suite properties", () => {
    const properties = childrenNamed(childrenNamed(suiteOf(sampleReport()), "properties")[0]!, "property");
    const byName = Object.fromEntries(properties.map((property) => [property.attributes["name"], property.attributes["value"]]));
    expect(byName).toMatchObject({ seed: "20240917", runs: "874", policy: "fifo,lifo", conformant: "false", expectedFailures: "inject/completion-only-on-success,network-inject/handle-type" });
  });

  it("fails the failing rule with its counterexample: summary, the calls, seed, path, replay file and command", () => {
    const report = sampleReport();
    const counterexample = report.counterexamples[0]!;
    const failures = childrenNamed(testCase(suiteOf(report), "handle-destroy/no-completion-after-return"), "failure");
    expect(failures).toHaveLength(1);
    const failure = failures[0]!;
    expect(failure.attributes).toEqual({ message: counterexample.summary, type: "engine-violation" });
    // Every call appears verbatim (once decoded), on its own numbered line; the diverging one is marked.
    const lines = failure.text.split("\n");
    counterexample.calls.forEach((call, index) => {
      const marker = index + 1 === counterexample.step ? ">>" : "  ";
      expect(lines).toContain(`${marker} ${index + 1}  ${call}`);
    });
    expect(failure.text).toContain(counterexample.model);
    expect(failure.text).toContain(counterexample.implementation);
    expect(failure.text).toContain('Seed 20240917, path "41:3:3:0"');
    expect(failure.text).toContain(`replay file ${counterexample.replayFile}`);
    expect(failure.text).toContain(`Replay: ${counterexample.replay}`);
    expect(failure.text).toContain("lifo delivery, completions at DISPATCH_LEVEL, scheduled interleavings");
  });

  it("fails an unexpected pass, and passes an expected failure with a note holding its counterexample", () => {
    const report = sampleReport();
    const suite = suiteOf(report);
    const unexpected = childrenNamed(testCase(suite, "network-inject/handle-type"), "failure");
    expect(unexpected).toHaveLength(1);
    expect(unexpected[0]!.attributes["type"]).toBe("unexpected-pass");
    expect(unexpected[0]!.attributes["message"]).toMatch(/listed as an expected failure/);

    const expected = testCase(suite, "inject/completion-only-on-success");
    expect(childrenNamed(expected, "failure")).toHaveLength(0);
    expect(childrenNamed(expected, "skipped")).toHaveLength(0);
    const note = childrenNamed(expected, "system-out");
    expect(note).toHaveLength(1);
    expect(note[0]!.text).toMatch(/^Expected failure/);
    expect(note[0]!.text).toContain(report.counterexamples[1]!.calls[2]!);
  });

  it("passes passed rules with no child elements", () => {
    const suite = suiteOf(sampleReport());
    for (const id of ["handle-create/irql", "handle-create/tcpip-not-ready", "allocate-nbl/irql"]) expect(testCase(suite, id).children).toEqual([]);
  });

  it("skips not-implemented, not-exercised and not-modelled rules with the reason", () => {
    const suite = suiteOf(sampleReport());
    const reasons = Object.fromEntries(
      ["stream-inject/disconnect-flags", "query/injection-context", "transport-inject/send-buffers-live"].map((id) => {
        const skipped = childrenNamed(testCase(suite, id), "skipped");
        expect(skipped, id).toHaveLength(1);
        return [id, skipped[0]!.attributes["message"]];
      }),
    );
    expect(reasons).toEqual({
      "stream-inject/disconnect-flags": expect.stringMatching(/^not implemented/),
      "query/injection-context": expect.stringMatching(/^not exercised/),
      "transport-inject/send-buffers-live": expect.stringMatching(/^not modelled/),
    });
  });

  it("escapes &, <, >, quotes and apostrophes in text and attributes", () => {
    const report = sampleReport({ implementation: `optimized <v2> & "fast" 'n' loose` });
    const xml = renderJunit(report);
    expect(xml).not.toContain("<v2>");
    expect(xml).not.toContain("<freed>");
    expect(xml).toContain("/* &lt;freed&gt; */");
    expect(xml).toContain("&amp;injectionHandle1");
    expect(xml).toContain("&quot;injectionHandle1&quot; &amp; &apos;nbl1&apos;");
    // The parser refuses raw < > & in text and attributes, so a round trip proves the escaping.
    expect(suiteOf(report).attributes["name"]).toBe(`wfp-conformance: optimized <v2> & "fast" 'n' loose`);
    const failure = childrenNamed(testCase(suiteOf(report), "handle-destroy/no-completion-after-return"), "failure")[0]!;
    expect(failure.text).toContain(report.counterexamples[0]!.implementation);
    expect(failure.text).toContain(report.counterexamples[0]!.calls[5]!);
  });

  it("writes characters XML 1.0 cannot carry as visible \\u escapes, and keeps tabs and line breaks in attributes", () => {
    const report = sampleReport();
    const counterexample = report.counterexamples[0]!;
    const hostile: Report = {
      ...report,
      counterexamples: [{ ...counterexample, summary: "nul\u0000 esc\u001B bell\u0007 tab\there\nnext\rcr \uFFFE \uD800 lone, pair \u{1F600}", calls: ["FwpsFreeNetBufferList0(nbl\u0001);", ...counterexample.calls.slice(1)] }, ...report.counterexamples.slice(1)],
    };
    const xml = renderJunit(hostile);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE]/);
    const failure = childrenNamed(testCase(suiteOf(hostile), "handle-destroy/no-completion-after-return"), "failure")[0]!;
    expect(failure.attributes["message"]).toBe("nul\\u0000 esc\\u001B bell\\u0007 tab\there\nnext\rcr \\uFFFE \\uD800 lone, pair \u{1F600}");
    expect(failure.text).toContain("FwpsFreeNetBufferList0(nbl\\u0001);");
    expect(failure.text).toContain("next\rcr");
  });

  it("gives a counterexample that names no rule (an adapter error) a test case of its own", () => {
    const report = sampleReport();
    const adapterError: Report = {
      ...report,
      adapterError: true,
      counterexamples: [...report.counterexamples, { ...report.counterexamples[1]!, ruleIds: [], kind: "port-error", summary: "run failed: the port timed out after 5000 ms", step: 0 }],
    };
    const suite = suiteOf(adapterError);
    expect(suite.attributes).toMatchObject({ tests: "10", errors: "1" });
    const harness = childrenNamed(suite, "testcase").filter((element) => element.attributes["classname"] === "harness");
    expect(harness).toHaveLength(1);
    expect(harness[0]!.attributes["name"]).toBe("counterexample 3 (port-error)");
    expect(childrenNamed(harness[0]!, "error")[0]!.attributes["message"]).toBe("run failed: the port timed out after 5000 ms");
  });

  it("notes a run stopped by the time limit", () => {
    const suite = suiteOf(sampleReport({ interrupted: true }));
    expect(childrenNamed(suite, "system-out")[0]!.text).toMatch(/time limit/);
    expect(childrenNamed(suiteOf(sampleReport()), "system-out")).toEqual([]);
  });
});
