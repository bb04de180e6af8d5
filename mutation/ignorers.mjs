/**
 * StrykerJS ignore-plugins for the mutation run of impl/ (see mutation/EQUIVALENT.md). Mutants in
 * the code they match are reported as "Ignored", with the reason, and do not count in the score.
 *
 * - `VerifierMessages`: the message text of a verifier finding (the second argument of a
 *   `report(ruleId, message)` call). The port carries it, but no rule and no check of the harness
 *   reads it: the conformance comparison is by rule id. Mutating it changes no observable verdict.
 * - `VariantOnlyCode`: code that runs only when a deliberately wrong variant's bug flag is on
 *   (the consequent of `if (this.bugs.X ...)` / `this.bugs.X ? a : b`, where the test needs the
 *   flag). The built-in simulator has every flag off; those branches are the defects of the
 *   variants in impl/mutants/, whose detection properties/mutants.test.ts checks.
 */
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

/** `this.bugs.X`. */
function isBugFlag(node) {
  return (
    node?.type === "MemberExpression" &&
    node.object?.type === "MemberExpression" &&
    node.object.object?.type === "ThisExpression" &&
    node.object.property?.type === "Identifier" &&
    node.object.property.name === "bugs"
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

const verifierMessages = {
  shouldIgnore(path) {
    const parent = path.parentPath?.node;
    if (parent?.type !== "CallExpression" || path.listKey !== "arguments" || path.key !== 1) return undefined;
    const callee = parent.callee;
    if (callee?.type === "MemberExpression" && callee.property?.type === "Identifier" && callee.property.name === "report") {
      return "verifier message text: the conformance comparison is by rule id (mutation/EQUIVALENT.md)";
    }
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
