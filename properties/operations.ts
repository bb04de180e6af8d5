/**
 * The operation vocabulary of the conformance properties: one plain-data operation per driver call,
 * environment event or engine step. Operands are picked by index among the objects that exist when
 * the operation runs (live ones by default, any known one when the operation is deliberate misuse),
 * so that every generated sequence applies and shrinking keeps it meaningful.
 */
import fc from "fast-check";
import type { ApiFamily, Irql } from "../spec/vocabulary.ts";

/** An operand: the index-th object of a list; `live` picks among usable objects, otherwise among all known ones. */
export interface Pick {
  readonly index: number;
  readonly live: boolean;
}

export type InjectKind = "networkSend" | "networkReceive" | "transportSend" | "transportReceive" | "forward";

/** One step of a generated run. */
export type Operation =
  | { readonly op: "createHandle"; readonly addressFamily: string; readonly types: readonly string[]; readonly irql: Irql }
  | { readonly op: "destroyHandle"; readonly handle: Pick; readonly irql: Irql; readonly fromCompletion: boolean }
  | { readonly op: "allocatePool" }
  | {
      readonly op: "allocateNbl";
      readonly pool: Pick | null;
      readonly contextSize: number;
      readonly contextBackFill: number;
      readonly mdlBytes: number | null;
      readonly dataOffset: number;
      readonly dataLength: number;
      readonly irql: Irql;
    }
  | { readonly op: "cloneNbl"; readonly original: Pick; readonly allocateCloneFlags: number; readonly irql: Irql }
  | { readonly op: "indicatePacket"; readonly layer: "inbound" | "outbound"; readonly ipVersion: 4 | 6; readonly netBufferCount: number }
  | {
      readonly op: "indicateStream";
      readonly v6: boolean;
      readonly chainLength: number;
      readonly dataLength: number;
      readonly flow: number;
      readonly sendAbort: boolean;
    }
  | { readonly op: "cloneStream"; readonly streamData: Pick; readonly allocateCloneFlags: number; readonly irql: Irql }
  | {
      readonly op: "inject";
      readonly kind: InjectKind;
      readonly handle: Pick;
      readonly nbl: Pick;
      readonly addressFamily: string;
      readonly ipVersion: 4 | 6 | null;
      readonly flags: number;
      readonly nullCompletionFn: boolean;
      readonly tcpFromClassify: boolean;
      readonly irql: Irql;
    }
  | {
      readonly op: "injectStream";
      /** A whole cloned chain, one caller-owned NBL, or a NULL NBL (a disconnect). */
      readonly data: { readonly chain: Pick } | { readonly nbl: Pick } | { readonly none: true };
      readonly handle: Pick;
      readonly v6Layer: boolean | "bogus";
      readonly streamFlags: readonly string[];
      readonly flow: number;
      readonly flags: number;
      readonly nullCompletionFn: boolean;
      readonly irql: Irql;
    }
  | { readonly op: "freeClone"; readonly nbl: Pick; readonly freeCloneFlags: number; readonly fromCompletion: boolean; readonly irql: Irql }
  | { readonly op: "freeNbl"; readonly nbl: Pick; readonly irql: Irql }
  | { readonly op: "discard"; readonly chain: Pick; readonly wrongDispatchLevel: boolean; readonly partial: boolean; readonly allocateCloneFlags: number; readonly irql: Irql }
  | { readonly op: "aleClassify"; readonly layer: string; readonly reauthorization: boolean }
  | { readonly op: "pend"; readonly completionHandle: Pick | null; readonly irql: Irql }
  | { readonly op: "complete"; readonly pend: Pick; readonly nbl: Pick | null; readonly irql: Irql }
  | { readonly op: "query"; readonly handle: Pick; readonly nbl: Pick; readonly irql: Irql }
  | { readonly op: "tcpipStack"; readonly ready: boolean }
  | { readonly op: "resources"; readonly exhausted: boolean }
  | { readonly op: "deliver"; readonly max: number };

export type OperationName = Operation["op"];

/** How often deliberate misuse is generated, as a percentage of operand picks and arguments. */
export interface OperationWeights {
  readonly misusePercent: number;
  /** Only operations of these API families are generated (environment events always are). */
  readonly families?: readonly ApiFamily[];
}

/** The API family an operation exercises, or null for environment events and engine steps. */
export function familyOfOperation(operation: Operation): ApiFamily | null {
  switch (operation.op) {
    case "createHandle":
    case "destroyHandle":
      return "handles";
    case "allocatePool":
    case "allocateNbl":
    case "cloneNbl":
    case "freeClone":
    case "freeNbl":
      return "nbl";
    case "cloneStream":
    case "injectStream":
    case "discard":
    case "indicateStream":
      return "stream";
    case "inject":
      return operation.kind.startsWith("network") ? "network" : operation.kind === "forward" ? "forward" : "transport";
    case "aleClassify":
    case "pend":
    case "complete":
      return "pend";
    case "query":
      return "query";
    default:
      return null;
  }
}

const index = fc.nat({ max: 7 });

function pick(misusePercent: number): fc.Arbitrary<Pick> {
  return fc.record({ index, live: fc.integer({ min: 1, max: 100 }).map((n) => n > misusePercent) });
}

/** Mostly the correct value, sometimes a wrong one (misuse). */
function mostly<T>(misusePercent: number, right: fc.Arbitrary<T>, wrong: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 100 - misusePercent, arbitrary: right }, { weight: misusePercent, arbitrary: wrong });
}

const ALE_LAYERS = [
  "FWPS_LAYER_ALE_AUTH_CONNECT_V4",
  "FWPS_LAYER_ALE_AUTH_CONNECT_V6",
  "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4",
  "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V6",
  "FWPS_LAYER_ALE_AUTH_LISTEN_V4",
  "FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V6",
] as const;

/** One generated operation, weighted so that runs reach deep states and still touch every rule. */
export function operationArbitrary(weights: OperationWeights = { misusePercent: 8 }): fc.Arbitrary<Operation> {
  const m = weights.misusePercent;
  const p = pick(m);
  const dispatchOrLower = mostly<Irql>(m, fc.constantFrom<Irql>("PASSIVE_LEVEL", "DISPATCH_LEVEL"), fc.constant<Irql>("DIRQL"));
  const passive = mostly<Irql>(m, fc.constant<Irql>("PASSIVE_LEVEL"), fc.constantFrom<Irql>("APC_LEVEL", "DISPATCH_LEVEL"));
  const zero = mostly(m, fc.constant(0), fc.constantFrom(1, 2, 0x80));
  const aligned = mostly(m, fc.constantFrom(0, 16, 32), fc.constantFrom(8, 4, 24));
  const injectionTypes = fc.subarray([
    "FWPS_INJECTION_TYPE_FORWARD",
    "FWPS_INJECTION_TYPE_NETWORK",
    "FWPS_INJECTION_TYPE_STREAM",
    "FWPS_INJECTION_TYPE_TRANSPORT",
  ]);
  const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

  const arbitraries: [number, fc.Arbitrary<Operation>][] = [
    [3, fc.record({
        op: fc.constant("createHandle" as const),
        addressFamily: mostly(m, fc.constantFrom("AF_INET", "AF_INET6", "AF_UNSPEC"), fc.constant("AF_APPLETALK")),
        types: mostly<readonly string[]>(m, injectionTypes, fc.constant(["FWPS_INJECTION_TYPE_BOGUS"])),
        irql: passive,
      })],
    [2, fc.record({ op: fc.constant("destroyHandle" as const), handle: p, irql: passive, fromCompletion: fc.integer({ min: 1, max: 100 }).map((n) => n <= m) })],
    [1, fc.constant({ op: "allocatePool" as const })],
    [4, fc.record({
      op: fc.constant("allocateNbl" as const),
      pool: mostly<Pick | null>(m, p, fc.constant(null)),
      contextSize: aligned,
      contextBackFill: aligned,
      mdlBytes: fc.option(fc.constantFrom(64, 1500), { nil: null, freq: 8 }),
      dataOffset: fc.constantFrom(0, 0, 14, 40),
      dataLength: mostly(m, fc.constantFrom(0, 20, 60), fc.constant(4000)),
      irql: dispatchOrLower,
    })],
    [3, fc.record({ op: fc.constant("cloneNbl" as const), original: p, allocateCloneFlags: zero, irql: dispatchOrLower })],
    [2, fc.record({
      op: fc.constant("indicatePacket" as const),
      layer: fc.constantFrom("inbound" as const, "outbound" as const),
      ipVersion: fc.constantFrom(4 as const, 6 as const),
      // Packets of two NET_BUFFERs are legitimate on the send path; injecting one inbound is fatal (N4).
      netBufferCount: fc.constantFrom(1, 1, 2),
    })],
    [3, fc.record({
      op: fc.constant("indicateStream" as const),
      v6: fc.boolean(),
      chainLength: fc.integer({ min: 1, max: 4 }),
      dataLength: fc.constantFrom(100, 1460, 3000),
      flow: fc.nat({ max: 2 }),
      sendAbort: fc.integer({ min: 1, max: 100 }).map((n) => n <= 2 * m),
    })],
    [3, fc.record({ op: fc.constant("cloneStream" as const), streamData: p, allocateCloneFlags: zero, irql: dispatchOrLower })],
    [7, fc.record({
        op: fc.constant("inject" as const),
        kind: fc.constantFrom<InjectKind>("networkSend", "networkReceive", "transportSend", "transportReceive", "forward"),
        handle: p,
        nbl: p,
        addressFamily: mostly(m, fc.constantFrom("AF_INET", "AF_INET6"), fc.constant("AF_UNSPEC")),
        ipVersion: fc.constantFrom<4 | 6 | null>(4, 6, null),
        flags: zero,
        nullCompletionFn: fc.integer({ min: 1, max: 100 }).map((n) => n <= m),
        tcpFromClassify: fc.integer({ min: 1, max: 100 }).map((n) => n <= m),
        irql: dispatchOrLower,
      })],
    [5, fc.record({
        op: fc.constant("injectStream" as const),
        data: fc.oneof(
          weighted(6, fc.record({ chain: p })),
          weighted(2, fc.record({ nbl: p })),
          weighted(1, fc.constant({ none: true as const })),
        ),
        handle: p,
        v6Layer: mostly<boolean | "bogus">(m, fc.boolean(), fc.constant("bogus" as const)),
        streamFlags: fc.oneof(
          weighted(8, fc.constantFrom(["FWPS_STREAM_FLAG_SEND"], ["FWPS_STREAM_FLAG_RECEIVE"], ["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_DISCONNECT"], ["FWPS_STREAM_FLAG_RECEIVE", "FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"])),
          weighted(1, fc.constantFrom(["FWPS_STREAM_FLAG_SEND_DISCONNECT"], ["FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"])),
        ),
        flow: fc.nat({ max: 2 }),
        flags: zero,
        nullCompletionFn: fc.integer({ min: 1, max: 100 }).map((n) => n <= m),
        irql: dispatchOrLower,
      })],
    [3, fc.record({ op: fc.constant("freeClone" as const), nbl: p, freeCloneFlags: zero, fromCompletion: fc.boolean(), irql: dispatchOrLower })],
    [3, fc.record({ op: fc.constant("freeNbl" as const), nbl: p, irql: dispatchOrLower })],
    [3, fc.record({
      op: fc.constant("discard" as const),
      chain: p,
      wrongDispatchLevel: fc.integer({ min: 1, max: 100 }).map((n) => n <= m),
      partial: fc.integer({ min: 1, max: 100 }).map((n) => n <= m),
      allocateCloneFlags: zero,
      irql: dispatchOrLower,
    })],
    [3, fc.record({
      op: fc.constant("aleClassify" as const),
      layer: mostly(m, fc.constantFrom(...ALE_LAYERS), fc.constant("FWPS_LAYER_OUTBOUND_TRANSPORT_V4")),
      reauthorization: fc.integer({ min: 1, max: 100 }).map((n) => n <= 15),
    })],
    [3, fc.record({ op: fc.constant("pend" as const), completionHandle: mostly<Pick | null>(m, p, fc.constant(null)), irql: dispatchOrLower })],
    [3, fc.record({ op: fc.constant("complete" as const), pend: p, nbl: fc.option(p, { nil: null, freq: 3 }), irql: dispatchOrLower })],
    [4, fc.record({ op: fc.constant("query" as const), handle: p, nbl: p, irql: dispatchOrLower })],
    [1, fc.record({ op: fc.constant("tcpipStack" as const), ready: fc.boolean() })],
    [1, fc.record({ op: fc.constant("resources" as const), exhausted: fc.boolean() })],
    [6, fc.record({ op: fc.constant("deliver" as const), max: fc.integer({ min: 1, max: 3 }) })],
  ];
  const families = weights.families;
  const allowed = (operation: Operation): boolean => {
    if (families === undefined) return true;
    const family = familyOfOperation(operation);
    return family === null || families.includes(family);
  };
  // Drop the operations of families the implementation does not implement; inject mixes three
  // families, so it is filtered value by value instead.
  const kept = arbitraries.flatMap(([weight, arbitrary]): { weight: number; arbitrary: fc.Arbitrary<Operation> }[] => {
    if (families === undefined) return [{ weight, arbitrary }];
    const sample = fc.sample(arbitrary, { numRuns: 1, seed: 0 })[0]!;
    if (sample.op === "inject") return families.some((family) => family === "network" || family === "transport" || family === "forward") ? [{ weight, arbitrary: arbitrary.filter(allowed) }] : [];
    return allowed(sample) ? [{ weight, arbitrary }] : [];
  });
  return fc.oneof(...kept);
}

/** A short, readable description of an operation, for fast-check's counterexample output. */
export function describeOperation(operation: Operation): string {
  const { op, ...rest } = operation;
  return `${op}(${JSON.stringify(rest)})`;
}
