/**
 * A realistic report for the renderer tests: rules from several API families with every verdict,
 * one counterexample for the failing rule and one for the expected failure. The text of the first
 * counterexample holds characters that every renderer must escape (`<`, `>`, `&`, both quotes), as
 * rendered calls do (`&injectionHandle`, `// engine: call 3 returns {"status":...}`).
 */
import { ReportSchema, countsOf, type CounterexampleReport, type Report, type RuleResult } from "./report.ts";

/** The rules of the sample report, one or more per verdict, in catalogue order. */
const SAMPLE_RULES: readonly RuleResult[] = [
  {
    id: "handle-create/irql",
    family: "handles",
    obliged: "caller",
    verdict: "passed",
    exercised: 412,
    statement: "FwpsInjectionHandleCreate0 is called at PASSIVE_LEVEL.",
    source: 'FwpsInjectionHandleCreate0: "IRQL PASSIVE_LEVEL"',
  },
  {
    id: "handle-create/tcpip-not-ready",
    family: "handles",
    obliged: "engine",
    verdict: "passed",
    exercised: 23,
    statement: "While the TCP/IP stack is not ready, FwpsInjectionHandleCreate0 returns STATUS_FWP_TCPIP_NOT_READY and creates no handle.",
    source: 'FwpsInjectionHandleCreate0: "The TCP/IP network stack is not ready."',
  },
  {
    id: "handle-destroy/no-completion-after-return",
    family: "handles",
    obliged: "engine",
    verdict: "failed",
    exercised: 37,
    statement: "Once FwpsInjectionHandleDestroy0 has returned, no completion function of an injection through that handle is called.",
    source: "related-rules.md [H3]",
  },
  {
    id: "inject/completion-only-on-success",
    family: "inject",
    obliged: "engine",
    verdict: "expected-failure",
    exercised: 58,
    statement: "The completion function is called only for an NBL whose inject call returned STATUS_SUCCESS: never after a failed inject call.",
    source: "related-rules.md [A1]",
  },
  {
    id: "network-inject/handle-type",
    family: "network",
    obliged: "engine",
    verdict: "unexpected-pass",
    exercised: 12,
    statement: "A network injection through a handle created without FWPS_INJECTION_TYPE_NETWORK (flags = 0 included) returns STATUS_FWP_INJECT_HANDLE_STALE and gets no completion.",
    source: "related-rules.md [N1]",
  },
  {
    id: "stream-inject/disconnect-flags",
    family: "stream",
    obliged: "engine",
    verdict: "not-implemented",
    exercised: 0,
    statement: "streamFlags with RECEIVE_DISCONNECT but not RECEIVE, or SEND_DISCONNECT but not SEND, returns STATUS_FWP_INVALID_PARAMETER.",
    source: "related-rules.md [S2]",
  },
  {
    id: "transport-inject/send-buffers-live",
    family: "transport",
    obliged: "caller",
    verdict: "not-modelled",
    exercised: 0,
    statement: "The remote-address buffer and deep-copied control data of the send parameters stay valid until the completion function has been called.",
    source: "related-rules.md [T3]",
  },
  {
    id: "allocate-nbl/irql",
    family: "nbl",
    obliged: "caller",
    verdict: "passed",
    exercised: 301,
    statement: "FwpsAllocateNetBufferAndNetBufferList0 is called at IRQL <= DISPATCH_LEVEL.",
    source: 'FwpsAllocateNetBufferAndNetBufferList0: "IRQL "<= DISPATCH_LEVEL""',
  },
  {
    id: "query/injection-context",
    family: "query",
    obliged: "engine",
    verdict: "not-exercised",
    exercised: 0,
    statement: "For the two self states, the optional out parameter receives the injectionContext passed to the inject call.",
    source: "related-rules.md [Q2]",
  },
];

/** The counterexamples of the sample report: the failing rule's (with text to escape), then the expected failure's. */
const SAMPLE_COUNTEREXAMPLES: readonly CounterexampleReport[] = [
  {
    ruleIds: ["handle-destroy/no-completion-after-return"],
    kind: "engine-violation",
    summary: "engine-violation at step 7: handle-destroy/no-completion-after-return",
    step: 7,
    model: "no completionFn once FwpsInjectionHandleDestroy0(injectionHandle1) has returned (pending injections: 0 <= 0)",
    implementation: `completionFn(ctx1, nbl1 /* <freed> */) called after destroy returned: "injectionHandle1" & 'nbl1' are stale`,
    calls: [
      "status = FwpsInjectionHandleCreate0(AF_INET, FWPS_INJECTION_TYPE_NETWORK, &injectionHandle1);   // -> STATUS_SUCCESS",
      "poolHandle1 = NdisAllocateNetBufferListPool(NdisHandle, &poolParameters);",
      "status = FwpsAllocateNetBufferAndNetBufferList0(poolHandle1, 0, 0, mdl /* 60 bytes */, 0, 60, &nbl1);   // -> STATUS_SUCCESS",
      "status = FwpsInjectNetworkSendAsync0(injectionHandle1, ctx1, 0, 1, nbl1 /* IPv4 packet */, completionFn, ctx1);   /* at DISPATCH_LEVEL */   // -> STATUS_SUCCESS",
      "status = FwpsInjectionHandleDestroy0(injectionHandle1);   // blocks: does not return yet",
      '// engine: call 5 returns {"status":"STATUS_SUCCESS","note":"destroy <done> & \'early\'"}',
      "// engine: completionFn(ctx1, nbl1, dispatchLevel=TRUE) at DISPATCH_LEVEL, NBL Status STATUS_SUCCESS",
      "FwpsFreeNetBufferList0(nbl1);",
    ],
    configuration: { policy: "lifo", completionIrql: "DISPATCH_LEVEL", scheduled: true },
    seed: 20240917,
    path: "41:3:3:0",
    replayFile: "counterexamples/001-handle-destroy-no-completion-after-return.json",
    replay: "npx wfp-conform run --impl optimized --replay wfp-report/counterexamples/001-handle-destroy-no-completion-after-return.json --out wfp-replay --force",
    runsToFailure: 42,
    shrinks: 17,
  },
  {
    ruleIds: ["inject/completion-only-on-success"],
    kind: "verifier-mismatch",
    summary: "verifier-mismatch at step 3: inject/completion-only-on-success",
    step: 3,
    model: "no completion: FwpsInjectNetworkSendAsync0 returned STATUS_FWP_TCPIP_NOT_READY",
    implementation: "completionFn(ctx2, nbl2) with NBL Status STATUS_FWP_TCPIP_NOT_READY",
    calls: [
      "// environment: TCP/IP stack NOT ready",
      "status = FwpsInjectNetworkSendAsync0(injectionHandle2, ctx2, 0, 1, nbl2 /* IPv4 packet */, completionFn, ctx2);   // -> STATUS_FWP_TCPIP_NOT_READY",
      "// engine: completionFn(ctx2, nbl2, dispatchLevel=FALSE) at PASSIVE_LEVEL, NBL Status STATUS_FWP_TCPIP_NOT_READY",
    ],
    configuration: { policy: "fifo", completionIrql: "PASSIVE_LEVEL", scheduled: false },
    seed: 20240917,
    path: "77:1:0",
    replayFile: null,
    replay: 'npx wfp-conform run --impl optimized --policy fifo --irql PASSIVE_LEVEL --no-scheduled --seed 20240917 --path "77:1:0" --max-commands 40 --out wfp-replay --force',
    runsToFailure: 78,
    shrinks: 9,
  },
];


/**
 * Builds a validated sample report; `overrides` replace top-level fields, and the counts follow
 * the (possibly overridden) rules unless `counts` is given too.
 */
export function sampleReport(overrides: Partial<Report> = {}): Report {
  const rules = overrides.rules ?? SAMPLE_RULES.map((rule) => ({ ...rule }));
  const base: Report = {
    tool: "wfp-conformance",
    version: 1,
    implementation: "optimized",
    families: ["handles", "network", "transport", "forward", "nbl", "pend", "query"],
    verifier: true,
    conformant: false,
    adapterError: false,
    settings: { seed: 20240917, runs: 1000, maxCommands: 40, policy: "fifo,lifo", completionIrql: "PASSIVE_LEVEL,DISPATCH_LEVEL", scheduled: true, shard: null, timeLimitSeconds: 600, callTimeoutMs: 5000 },
    expectedFailures: ["inject/completion-only-on-success", "network-inject/handle-type"],
    // Fewer runs than the 1000 asked for: a configuration stops at its first counterexample.
    counts: countsOf(rules, 874),
    rules,
    counterexamples: SAMPLE_COUNTEREXAMPLES.map((counterexample) => ({ ...counterexample, ruleIds: [...counterexample.ruleIds], calls: [...counterexample.calls] })),
    interrupted: false,
    timings: { startedAt: "2024-09-17T08:30:00.000Z", seconds: 12.345 },
  };
  return ReportSchema.parse({ ...base, ...overrides, counts: overrides.counts ?? base.counts });
}
