/**
 * StrykerJS ignore-plugins for the mutation run of impl/ (see mutation/EQUIVALENT.md). Mutants in
 * the code they match are reported as "Ignored", with the reason, and do not count in the score.
 *
 * - `VerifierMessages`: the message text of a verifier finding (the second argument of a
 *   `report(ruleId, message)` or `reportLeaks(ruleId, what, names)` call, the bodies of the engine's
 *   name helpers used only inside messages or in the names of leaked objects, the locals that only
 *   build message text, and the element pushed onto a list that only becomes the names of a
 *   `reportLeaks`). `unknownName` is not one: `nblName` gives the ids of the port's events. The port carries
 *   it, but no rule and no check of the harness reads it: the conformance comparison is by rule id.
 * - `VariantOnlyCode`: code that runs only when a deliberately wrong variant's bug flag is on
 *   (the consequent of `if (this.bugs.X ...)` / `this.bugs.X ? a : b`, or the same with
 *   `this.verifierBugs.X`, where the test needs the flag). The built-in simulator has every flag
 *   off; those branches are the defects of the variants in impl/mutants/, whose detection
 *   properties/mutants.test.ts checks. Also the bodies of the methods whose every call site is such
 *   code (VARIANT_ONLY_METHODS, checked by mutation/ignorers.test.ts), and, in a conjunction:
 *   - the operand `this.bugs.X` / `!this.bugs.X` itself: with the flag false, replacing it by its
 *     value changes nothing, and every other replacement (`false`, dropping the `!`, `true` for a
 *     bare flag) gives the same program as a mutant Stryker also makes of the enclosing conjunction
 *     (`A && false` is `false`; `A && true` is `A`, as is `A || flag`);
 *   - every mutant inside the other operand of `A && this.bugs.X`: the conjunction is false
 *     whatever A is (A has no side effect: checked by mutation/ignorers.test.ts);
 *   - every mutant inside B of `this.bugs.X && B` (or `this.bugs.X && A && B`): never evaluated.
 * - `OutsideThePort`: code no port call reaches: the engine's introspection for unit tests and
 *   benchmarks (`stats`, `handleStateOf`, `nblStateOf`), and the "table full" RangeErrors, which
 *   need 2^24 live objects of one kind.
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

/**
 * The original expression of one Stryker has already instrumented. Stryker places the mutants of an
 * expression when it leaves it, so by the time the traversal enters the consequent of an `if`, its
 * test may read `stryMutAct_…("1") ? mutated : stryMutAct_…("2") ? … : (stryCov_…("1", "2"), original)`.
 */
export function unwrapInstrumented(node) {
  let at = node;
  for (;;) {
    if (at?.type === "ParenthesizedExpression") at = at.expression;
    else if (at?.type === "ConditionalExpression" && isStrykerCall(at.test, "stryMutAct_")) at = at.alternate;
    else if (at?.type === "SequenceExpression" && at.expressions.length === 2 && isStrykerCall(at.expressions[0], "stryCov_")) at = at.expressions[1];
    else return at;
  }
}

function isStrykerCall(node, prefix) {
  return node?.type === "CallExpression" && node.callee?.type === "Identifier" && node.callee.name.startsWith(prefix);
}

/** Whether a condition can only be true when a bug flag is on. */
function requiresBug(given) {
  const node = unwrapInstrumented(given);
  if (node === null || node === undefined) return false;
  if (isBugFlag(node)) return true;
  if (node.type === "LogicalExpression" && node.operator === "&&") return requiresBug(node.left) || requiresBug(node.right);
  return false;
}

/** Methods of impl/engine.ts that only build the text of verifier messages (mutation/ignorers.test.ts checks every call is inside a message). */
export const MESSAGE_HELPERS = new Set(["familyName", "whyNotLive", "handleName", "poolName", "pendName", "handleWasCreated"]);
/** Locals that only build message text (`shown` and `more` of Verifier.reportLeaks; `why`, `name` and `members` of the engine's checks and leak lists). */
export const MESSAGE_LOCALS = new Set(["shown", "more", "why", "name", "members"]);
const MESSAGE = "verifier message text: the conformance comparison is by rule id (mutation/EQUIVALENT.md)";

/**
 * Whether `call` is `names.push(x)` onto a local list that is only ever pushed to and passed as the
 * names of `reportLeaks(ruleId, what, names)`: only the list's length decides whether there is a
 * finding, and each push adds one element whatever `x` is, so `x` is message text.
 */
function isLeakNamePush(call) {
  const callee = call?.node?.callee;
  if (callee?.type !== "MemberExpression" || callee.property?.type !== "Identifier" || callee.property.name !== "push" || callee.object?.type !== "Identifier") return false;
  const uses = call.scope?.getBinding(callee.object.name)?.referencePaths ?? [];
  const isCallOf = (node, name) => node?.type === "CallExpression" && node.callee?.type === "MemberExpression" && node.callee.property?.type === "Identifier" && node.callee.property.name === name;
  return (
    uses.length > 0 &&
    uses.every((use) => (use.key === "object" && isCallOf(use.parentPath?.parentPath?.node, "push") && use.parentPath?.key === "callee") || (use.listKey === "arguments" && use.key === 2 && isCallOf(use.parentPath?.node, "reportLeaks")))
  );
}

const verifierMessages = {
  shouldIgnore(path) {
    const node = path.node;
    const parent = path.parentPath?.node;
    if (parent?.type === "CallExpression" && path.listKey === "arguments" && path.key === 1) {
      const callee = parent.callee;
      if (callee?.type === "MemberExpression" && callee.property?.type === "Identifier" && (callee.property.name === "report" || callee.property.name === "reportLeaks")) return MESSAGE;
    }
    if (parent?.type === "CallExpression" && path.listKey === "arguments" && path.key === 0 && isLeakNamePush(path.parentPath)) return MESSAGE;
    if (node.type === "BlockStatement" && parent?.type === "ClassMethod" && parent.key?.type === "Identifier" && MESSAGE_HELPERS.has(parent.key.name)) return MESSAGE;
    if (node.type === "VariableDeclarator" && node.id?.type === "Identifier" && MESSAGE_LOCALS.has(node.id.name)) return MESSAGE;
    return undefined;
  },
};

/** Methods (and functions) whose every call site runs only when a bug flag is on. */
export const VARIANT_ONLY_METHODS = new Set(["queueGhost", "dropCompletionsOf", "pushFront", "createVariantPort", "entryIsLive"]);
/** Introspection methods no port call reaches. */
export const INTROSPECTION_METHODS = new Set(["stats", "handleStateOf", "nblStateOf"]);

/** `this.bugs.X`, or `!this.bugs.X`. */
function isFlagOperand(given) {
  const node = unwrapInstrumented(given);
  return isBugFlag(node) || (node?.type === "UnaryExpression" && node.operator === "!" && isBugFlag(node.argument));
}

/** The name of a method or function declaration whose body `path` is, if any. */
function bodyOwnerName(path) {
  const parent = path.parentPath?.node;
  if (path.node.type !== "BlockStatement" || path.key !== "body") return undefined;
  if ((parent?.type === "ClassMethod" || parent?.type === "FunctionDeclaration") && parent.key?.type === "Identifier") return parent.key.name;
  if (parent?.type === "FunctionDeclaration" && parent.id?.type === "Identifier") return parent.id.name;
  return undefined;
}

const VARIANT = "runs only in a deliberately wrong variant of impl/mutants (a bug flag is on) (mutation/EQUIVALENT.md)";
const FLAG_OPERAND = "a bug-flag operand of a conjunction: equivalent, or the same program as a mutant of the conjunction (mutation/EQUIVALENT.md)";
const DOMINATED = "inside `A && this.bugs.X`, false in the built-in whatever A is (mutation/EQUIVALENT.md)";
const UNEVALUATED = "inside `this.bugs.X && B`: B is never evaluated in the built-in (mutation/EQUIVALENT.md)";

const variantOnlyCode = {
  shouldIgnore(path) {
    const parent = path.parentPath?.node;
    if (path.key === "consequent" && (parent?.type === "IfStatement" || parent?.type === "ConditionalExpression") && requiresBug(parent.test)) return VARIANT;
    const owner = bodyOwnerName(path);
    if (owner !== undefined && VARIANT_ONLY_METHODS.has(owner)) return VARIANT;
    if (parent?.type === "LogicalExpression" && (path.key === "left" || path.key === "right") && isFlagOperand(path.node)) return FLAG_OPERAND;
    // Inside the left operand of `A && this.bugs.X` (at any depth).
    for (let at = path; at.parentPath !== null && at.parentPath !== undefined; at = at.parentPath) {
      const above = at.parentPath.node;
      if (above.type === "LogicalExpression" && above.operator === "&&" && at.key === "left" && requiresBug(above.right)) return DOMINATED;
      if (above.type === "LogicalExpression" && above.operator === "&&" && at.key === "right" && requiresBug(above.left)) return UNEVALUATED;
      if (/Statement$|Declaration$|^Class/.test(above.type)) break;
    }
    return undefined;
  },
};

const outsideThePort = {
  shouldIgnore(path) {
    const owner = bodyOwnerName(path);
    if (owner !== undefined && INTROSPECTION_METHODS.has(owner)) return "introspection for unit tests and benchmarks; no port call reaches it (mutation/EQUIVALENT.md)";
    const node = path.node;
    if (node.type === "IfStatement" && node.consequent?.type === "ThrowStatement" && node.consequent.argument?.type === "NewExpression" && node.consequent.argument.callee?.name === "RangeError") {
      return "a table-full RangeError: needs 2^24 live objects of one kind (mutation/EQUIVALENT.md)";
    }
    return undefined;
  },
};

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "VerifierMessages", verifierMessages),
  declareValuePlugin(PluginKind.Ignore, "VariantOnlyCode", variantOnlyCode),
  declareValuePlugin(PluginKind.Ignore, "OutsideThePort", outsideThePort),
];
