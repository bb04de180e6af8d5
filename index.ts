/**
 * The library entry point: the model, the rule catalogue, the port, the runner and the reports.
 * The vitest suite is the separate entry `wfp-conformance/vitest` (vitest is an optional peer).
 */
export { checkTrace, step, initialState, expectedResult, obligations, describe as describeState } from "./model/index.ts";
export { RULES, ruleById } from "./spec/rules.ts";
export type { EnginePort, PortFactory, PortOptions, PortStep, DriverCall } from "./spec/port.ts";
export { runConformance } from "./properties/runner.ts";
export { buildReport, mergeReports, ReportSchema } from "./reports/report.ts";
