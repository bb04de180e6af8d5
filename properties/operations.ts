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

/**
 * The completionContext an inject call passes: a fresh one, NULL, or one of two shared values that
 * other injections of the run pass too (an engine that files completions by context mixes them up).
 */
export type ContextChoice = "distinct" | "null" | "shared0" | "shared1";

/** The completionContext argument for a choice (absent: a fresh one, as before choices existed). */
export function completionContextFor(choice: ContextChoice | undefined, fresh: (prefix: string) => string): string | null {
  if (choice === "null") return null;
  if (choice === "shared0" || choice === "shared1") return `ctx-${choice}`;
  return fresh("ctx");
}

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
  | {
      readonly op: "indicatePacket";
      readonly layer: "inbound" | "outbound";
      readonly ipVersion: 4 | 6;
      readonly netBufferCount: number;
      /** Indicate the packet at the id of a freed NBL the stack indicated before (memory the stack reuses). */
      readonly reuseFreedId?: boolean;
    }
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
      readonly context?: ContextChoice;
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
      readonly context?: ContextChoice;
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

/** True `percent` times in 100; shrinks towards false (so that shrinking never turns a correct call into misuse). */
function chance(percent: number): fc.Arbitrary<boolean> {
  return fc.integer({ min: 1, max: 100 }).map((n) => n > 100 - percent);
}

function pick(misusePercent: number): fc.Arbitrary<Pick> {
  return fc.record({ index, live: chance(misusePercent).map((wrong) => !wrong) });
}

/** Mostly the correct value, sometimes a wrong one (misuse); a wrong one shrinks towards a correct one. */
function mostly<T>(misusePercent: number, right: fc.Arbitrary<T>, wrong: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ withCrossShrink: true }, { weight: 100 - misusePercent, arbitrary: right }, { weight: misusePercent, arbitrary: wrong });
}

const ALE_LAYERS = [
  "FWPS_LAYER_ALE_AUTH_CONNECT_V4",
  "FWPS_LAYER_ALE_AUTH_CONNECT_V6",
  "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4",
  "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V6",
  "FWPS_LAYER_ALE_AUTH_LISTEN_V4",
  "FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V6",
] as const;

const ALL_TYPES = ["FWPS_INJECTION_TYPE_FORWARD", "FWPS_INJECTION_TYPE_NETWORK", "FWPS_INJECTION_TYPE_STREAM", "FWPS_INJECTION_TYPE_TRANSPORT"] as const;

/**
 * A generation profile: how much more (or less) often than the base weights each operation is
 * generated, and how much longer than `maxCommands` a run may be. Each run draws one profile, so
 * that a default run holds runs that pile up handles, runs that keep many injections outstanding,
 * runs of long stream chains, runs about clone lineages and queries, and runs of several hundred
 * operations, besides the balanced ones.
 */
export interface GenerationProfile {
  /** Multipliers of the base weight of each operation (1 when absent, 0 drops the operation). */
  readonly weights: Partial<Record<OperationName, number>>;
  /** Runs of this profile have up to `length` x maxCommands operations. */
  readonly length: number;
  /** Handles created with valid flags for their family (every type, or every type but network for AF_UNSPEC) half of the time. */
  readonly validHandles?: boolean;
  /** How often (weight out of 10) the profile's runs draw it. */
  readonly frequency: number;
}

export const PROFILES = {
  balanced: { weights: {}, length: 1, frequency: 3 },
  handles: { weights: { createHandle: 6, destroyHandle: 0.25, query: 1.5, deliver: 0.5 }, length: 2, validHandles: true, frequency: 2 },
  queue: { weights: { allocateNbl: 3, inject: 4, allocatePool: 2, deliver: 0, tcpipStack: 0, resources: 0, cloneNbl: 0.5, indicateStream: 0.3, cloneStream: 0.3, injectStream: 0.5, freeNbl: 0.3, freeClone: 0.3, destroyHandle: 0.2, query: 0.5, discard: 0.3, complete: 0.3, pend: 0.3, aleClassify: 0.3 }, length: 2, validHandles: true, frequency: 2 },
  streams: { weights: { indicateStream: 3, cloneStream: 4, injectStream: 4, createHandle: 1.5, destroyHandle: 0.3, discard: 0.5, inject: 0.3, deliver: 1.5 }, length: 1.5, validHandles: true, frequency: 1 },
  lineage: { weights: { cloneNbl: 3, inject: 1.5, query: 3, indicatePacket: 2, freeClone: 0.5, freeNbl: 0.5, deliver: 1.5 }, length: 2, frequency: 2 },
  long: { weights: {}, length: 4, frequency: 1 },
} as const satisfies Record<string, GenerationProfile>;
export type ProfileName = keyof typeof PROFILES;

/** One generated operation, weighted so that runs reach deep states and still touch every rule. */
export function operationArbitrary(weights: OperationWeights = { misusePercent: 8 }, profile: GenerationProfile = PROFILES.balanced): fc.Arbitrary<Operation> {
  const m = weights.misusePercent;
  const p = pick(m);
  const validIrql = fc.constantFrom<Irql>("PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL");
  const dispatchOrLower = mostly<Irql>(m, validIrql, fc.constant<Irql>("DIRQL"));
  const passive = mostly<Irql>(m, fc.constant<Irql>("PASSIVE_LEVEL"), fc.constantFrom<Irql>("APC_LEVEL", "DISPATCH_LEVEL"));
  const zero = mostly(m, fc.constant(0), fc.constantFrom(1, 2, 0x80));
  const aligned = mostly(m, fc.constantFrom(0, 16, 32), fc.constantFrom(8, 4, 24));
  const injectionTypes = fc.subarray([...ALL_TYPES]);
  const context = fc.constantFrom<ContextChoice>("distinct", "distinct", "distinct", "null", "shared0", "shared1");
  const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
  const anyHandle = fc.record({
    op: fc.constant("createHandle" as const),
    addressFamily: mostly(m, fc.constantFrom("AF_INET", "AF_INET6", "AF_UNSPEC"), fc.constant("AF_APPLETALK")),
    types: mostly<readonly string[]>(m, injectionTypes, fc.constant(["FWPS_INJECTION_TYPE_BOGUS"])),
    irql: passive,
  });
  // A handle of every type its family allows: AF_UNSPEC is not allowed for network injection.
  // (fast-check favours the first constants, so the family the base weights give least comes first.)
  const validHandle = fc.constantFrom("AF_INET6", "AF_UNSPEC", "AF_INET").map((addressFamily) => ({
    op: "createHandle" as const,
    addressFamily,
    types: addressFamily === "AF_UNSPEC" ? ALL_TYPES.filter((type) => type !== "FWPS_INJECTION_TYPE_NETWORK") : [...ALL_TYPES],
    irql: "PASSIVE_LEVEL" as Irql,
  }));

  const arbitraries: [number, fc.Arbitrary<Operation>][] = [
    [3, profile.validHandles === true ? fc.oneof(anyHandle, validHandle) : anyHandle],
    [2, fc.record({ op: fc.constant("destroyHandle" as const), handle: p, irql: passive, fromCompletion: chance(m) })],
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
      reuseFreedId: chance(25),
    })],
    [3, fc.record({
      op: fc.constant("indicateStream" as const),
      v6: fc.boolean(),
      // Chains of up to 8 NBLs, short ones more often.
      chainLength: fc.oneof(weighted(3, fc.integer({ min: 1, max: 3 })), weighted(2, fc.integer({ min: 4, max: 8 }))),
      dataLength: fc.constantFrom(100, 1460, 3000),
      flow: fc.nat({ max: 2 }),
      sendAbort: chance(Math.max(2 * m, 5)),
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
        nullCompletionFn: chance(m),
        tcpFromClassify: chance(m),
        irql: dispatchOrLower,
        context,
      })],
    [5, fc.record({
        op: fc.constant("injectStream" as const),
        data: fc.oneof(
          weighted(6, fc.record({ chain: p })),
          weighted(2, fc.record({ nbl: p })),
          weighted(2, fc.constant({ none: true as const })),
        ),
        handle: p,
        v6Layer: mostly<boolean | "bogus">(m, fc.boolean(), fc.constant("bogus" as const)),
        streamFlags: fc.oneof(
          weighted(8, fc.constantFrom(["FWPS_STREAM_FLAG_SEND"], ["FWPS_STREAM_FLAG_RECEIVE"], ["FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_DISCONNECT"], ["FWPS_STREAM_FLAG_RECEIVE", "FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"])),
          weighted(1, fc.constantFrom(["FWPS_STREAM_FLAG_SEND_DISCONNECT"], ["FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"])),
        ),
        flow: fc.nat({ max: 2 }),
        flags: zero,
        nullCompletionFn: chance(m),
        irql: dispatchOrLower,
        context,
      })],
    [3, fc.record({ op: fc.constant("freeClone" as const), nbl: p, freeCloneFlags: zero, fromCompletion: fc.boolean(), irql: dispatchOrLower })],
    [3, fc.record({ op: fc.constant("freeNbl" as const), nbl: p, irql: dispatchOrLower })],
    [3, fc.record({
      op: fc.constant("discard" as const),
      chain: p,
      wrongDispatchLevel: chance(m),
      partial: chance(m),
      allocateCloneFlags: zero,
      irql: dispatchOrLower,
    })],
    [3, fc.record({
      op: fc.constant("aleClassify" as const),
      layer: mostly(m, fc.constantFrom(...ALE_LAYERS), fc.constant("FWPS_LAYER_OUTBOUND_TRANSPORT_V4")),
      reauthorization: chance(15),
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
  // families, so it is filtered value by value instead. Weights are scaled by the profile's.
  const kept = arbitraries.flatMap(([base, arbitrary]): { weight: number; arbitrary: fc.Arbitrary<Operation> }[] => {
    const sample = fc.sample(arbitrary, { numRuns: 1, seed: 0 })[0]!;
    const multiplier: number = (profile.weights as Partial<Record<OperationName, number>>)[sample.op] ?? 1;
    const weight = Math.round(base * multiplier * 4);
    if (weight <= 0) return [];
    if (families === undefined) return [{ weight, arbitrary }];
    if (sample.op === "inject") return families.some((family) => family === "network" || family === "transport" || family === "forward") ? [{ weight, arbitrary: arbitrary.filter(allowed) }] : [];
    return allowed(sample) ? [{ weight, arbitrary }] : [];
  });
  return fc.oneof(...kept);
}

/**
 * The operation list of one generated run: a profile drawn by its frequency (PROFILES), then up to
 * `maxCommands` x the profile's length operations of that profile, as fast-check commands.
 */
export function runCommands<C extends fc.AsyncCommand<object, R>, R>(
  weights: OperationWeights,
  maxCommands: number,
  toCommand: (operation: Operation) => C,
  replayPath?: string,
): fc.Arbitrary<Iterable<C>> {
  const byProfile = Object.fromEntries(
    Object.entries(PROFILES).map(([name, profile]) => [
      name,
      fc.commands([operationArbitrary(weights, profile).map(toCommand)], {
        maxCommands: Math.max(1, Math.round(maxCommands * profile.length)),
        // Without this fast-check's default size keeps runs to a handful of commands; deep states
        // (a destroy waiting on several injections, chains completing one by one) need long runs.
        size: "max",
        ...(replayPath === undefined ? {} : { replayPath }),
      }),
    ]),
  ) as Record<ProfileName, fc.Arbitrary<Iterable<C>>>;
  const profiles = (Object.keys(PROFILES) as ProfileName[]).map((name) => ({ weight: PROFILES[name].frequency, arbitrary: fc.constant(name) }));
  return fc.oneof(...profiles).chain((name) => byProfile[name]);
}

/** A short, readable description of an operation, for fast-check's counterexample output. */
export function describeOperation(operation: Operation): string {
  const { op, ...rest } = operation;
  return `${op}(${JSON.stringify(rest)})`;
}
