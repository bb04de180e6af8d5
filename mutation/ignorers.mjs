/**
 * StrykerJS ignore-plugins for the mutation run of impl/ (see mutation/EQUIVALENT.md). Mutants in
 * the code they match are reported as "Ignored", with the reason, and do not count in the score.
 *
 * - `VerifierMessages`: the message text of a verifier finding (the second argument of a
 *   `report(ruleId, message)` or `reportLeaks(ruleId, what, names)` call, the bodies of the engine's
 *   name helpers used only inside messages, the message locals of `reportLeaks`). The port carries
 *   it, but no rule and no check of the harness reads it: the conformance comparison is by rule id.
 * - `VariantOnlyCode`: code that runs only when a deliberately wrong variant's bug flag is on
 *   (the consequent of `if (this.bugs.X ...)` / `this.bugs.X ? a : b`, or the same with
 *   `this.verifierBugs.X`, where the test needs the flag). The built-in simulator has every flag
 *   off; those branches are the defects of the variants in impl/mutants/, whose detection
 *   properties/mutants.test.ts checks.
 */
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

/** `this.bugs.X` or `this.verifierBugs.X`. */
function isBugFlag(node) {
  return (
    node?.type === "MemberExpression" &&
    node.object?.type === "MemberExpression" &&
    node.object.object?.type === "ThisExpression" &&
    node.object.property?.type === "Identifier" &&
    (node.object.property.name === "bugs" || node.object.property.name === "verifierBugs")
  );
}

/** Whether a condition can only be true when a bug flag is on. */
function requiresBug(node) {
  if (node === null || node === undefined) return false;
  if (isBugFlag(node)) return true;
  if (node.type === "LogicalExpression" && node.operator === "&&") return requiresBug(node.left) || requiresBug(node.right);
  if (node.type === "ParenthesizedExpression") return requiresBug(node.expression);
  return false;
}

/** Methods of impl/engine.ts that only build the text of verifier messages (checked by hand: every call is inside a message). */
const MESSAGE_HELPERS = new Set(["familyName", "whyNotLive", "handleName", "poolName", "pendName", "unknownName"]);
/** Locals of Verifier.reportLeaks that only build its message text. */
const MESSAGE_LOCALS = new Set(["shown", "more"]);
const MESSAGE = "verifier message text: the conformance comparison is by rule id (mutation/EQUIVALENT.md)";

const verifierMessages = {
  shouldIgnore(path) {
    const node = path.node;
    const parent = path.parentPath?.node;
    if (parent?.type === "CallExpression" && path.listKey === "arguments" && path.key === 1) {
      const callee = parent.callee;
      if (callee?.type === "MemberExpression" && callee.property?.type === "Identifier" && (callee.property.name === "report" || callee.property.name === "reportLeaks")) return MESSAGE;
    }
    if (node.type === "BlockStatement" && parent?.type === "ClassMethod" && parent.key?.type === "Identifier" && MESSAGE_HELPERS.has(parent.key.name)) return MESSAGE;
    if (node.type === "VariableDeclarator" && node.id?.type === "Identifier" && MESSAGE_LOCALS.has(node.id.name)) return MESSAGE;
    return undefined;
  },
};

const variantOnlyCode = {
  shouldIgnore(path) {
    const parent = path.parentPath?.node;
    if (path.key === "consequent" && (parent?.type === "IfStatement" || parent?.type === "ConditionalExpression") && requiresBug(parent.test)) {
      return "runs only in a deliberately wrong variant of impl/mutants (a bug flag is on) (mutation/EQUIVALENT.md)";
    }
    return undefined;
  },
};

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "VerifierMessages", verifierMessages),
  declareValuePlugin(PluginKind.Ignore, "VariantOnlyCode", variantOnlyCode),
];
