/**
 * The coverage dimensions (issue 13, item 8) as data: each item with its goal and whether it is a
 * count of occurrences or the largest value reached. The goals are what a default `run` (100 runs)
 * is meant to reach; properties/coverage.ts measures them.
 */
import { INJECT_FUNCTIONS } from "../spec/vocabulary.ts";

export type DimensionId = "irql" | "contexts" | "live-handles" | "outstanding" | "chains" | "stream-ends" | "query" | "clones" | "reused-ids" | "run-length";

export interface DimensionItem {
  readonly item: string;
  readonly goal: number;
  readonly measure: "count" | "max";
}

export interface Dimension {
  readonly id: DimensionId;
  readonly title: string;
  readonly items: readonly DimensionItem[];
}

const count = (item: string, goal = 1): DimensionItem => ({ item, goal, measure: "count" });
const max = (item: string, goal: number): DimensionItem => ({ item, goal, measure: "max" });

/** The functions a page says may be called at IRQL <= DISPATCH_LEVEL, and the two at PASSIVE_LEVEL only. */
const UP_TO_DISPATCH = [
  "FwpsAllocateNetBufferAndNetBufferList0",
  "FwpsAllocateCloneNetBufferList0",
  "FwpsFreeNetBufferList0",
  "FwpsFreeCloneNetBufferList0",
  "FwpsCloneStreamData0",
  ...INJECT_FUNCTIONS,
  "FwpsPendOperation0",
  "FwpsCompleteOperation0",
  "FwpsQueryPacketInjectionState0",
] as const;
const PASSIVE_ONLY = ["FwpsInjectionHandleCreate0", "FwpsInjectionHandleDestroy0"] as const;
const VALID_IRQLS = ["PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL"] as const;

/** The four answers of FwpsQueryPacketInjectionState0, without the FWPS_PACKET_ prefix. */
export const QUERY_ANSWERS = ["NOT_INJECTED", "INJECTED_BY_SELF", "PREVIOUSLY_INJECTED_BY_SELF", "INJECTED_BY_OTHER"] as const;

export const DIMENSIONS: readonly Dimension[] = [
  {
    id: "irql",
    title: "every valid IRQL of each call (calls at that IRQL the model does not flag as IRQL misuse)",
    items: [
      ...PASSIVE_ONLY.map((fn) => count(`${fn} at PASSIVE_LEVEL`)),
      ...UP_TO_DISPATCH.flatMap((fn) => VALID_IRQLS.map((irql) => count(`${fn} at ${irql}`))),
      count("completionFn at PASSIVE_LEVEL"),
      count("completionFn at DISPATCH_LEVEL"),
    ],
  },
  {
    id: "contexts",
    title: "completion contexts of successful injections",
    items: [count("NULL completionContext"), count("completionContext shared with an owed injection"), count("distinct completionContext"), count("completion while its context is shared")],
  },
  {
    id: "live-handles",
    title: "open injection handles at once, per injection type and per address family",
    items: ["NETWORK", "TRANSPORT", "STREAM", "FORWARD", "AF_INET", "AF_INET6", "AF_UNSPEC"].map((item) => max(item, 8)),
  },
  { id: "outstanding", title: "completions owed at once (injections outstanding)", items: [max("completions owed at once", 16)] },
  {
    id: "chains",
    title: "stream chains injected whole and completed NBL by NBL (each NBL's completion checked)",
    items: [max("longest chain completed NBL by NBL", 8), count("chains of 2 or more completed NBL by NBL")],
  },
  {
    id: "stream-ends",
    title: "data-less disconnects and aborts",
    items: [count("send disconnect without data"), count("receive disconnect without data"), count("abort indicated")],
  },
  {
    id: "query",
    title: "answers the model owed to FwpsQueryPacketInjectionState0, of plain NBLs, clones and after completions",
    items: [
      count("NOT_INJECTED"),
      count("NOT_INJECTED of a clone"),
      count("INJECTED_BY_SELF"),
      count("INJECTED_BY_SELF of a clone"),
      count("INJECTED_BY_SELF after a completion"),
      count("PREVIOUSLY_INJECTED_BY_SELF"),
      count("PREVIOUSLY_INJECTED_BY_SELF of a clone of a clone"),
      count("PREVIOUSLY_INJECTED_BY_SELF after a completion"),
      count("INJECTED_BY_OTHER"),
      count("INJECTED_BY_OTHER of a clone"),
      count("INJECTED_BY_OTHER after a completion"),
    ],
  },
  { id: "clones", title: "clones of clones", items: [max("clone generations (a clone of a clone is 2)", 3)] },
  {
    id: "reused-ids",
    title: "ids used again: stale handles and NBLs, packets indicated at a freed NBL's id, flows indicated again",
    items: [count("destroyed handle id used"), count("freed NBL id used"), count("packet indicated at a freed NBL's id"), count("flow id indicated again")],
  },
  { id: "run-length", title: "long runs", items: [max("operations in one run", 250), count("runs of 200 operations or more", 3)] },
];
