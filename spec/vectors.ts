/**
 * Test vectors: operation sequences with every result the model allows and every completion it
 * owes, for implementations that cannot be driven live by the harness (docs/vectors.md). A vectors
 * file is JSON Lines, one `Vector` per line. The zod schemas below are the format; the JSON Schema
 * of a line (`wfp-conform schema --vectors`, docs/vectors.schema.json) is generated from them.
 */
import { z } from "zod";
import {
  AleClassifyEvent,
  CALLS,
  CompletionEvent,
  DriverUnloadEvent,
  Id,
  PacketIndicatedEvent,
  ResourcesEvent,
  ReturnEvent,
  StreamIndicatedEvent,
  TcpipStackEvent,
  InjectionStateSchema,
} from "./events.ts";
import { DELIVERY_POLICIES } from "./port.ts";
import { API_FAMILIES, MEMORY_ALLOCATION_ALIGNMENT, type Platform } from "./vocabulary.ts";

const PLATFORMS = Object.keys(MEMORY_ALLOCATION_ALIGNMENT) as [Platform, ...Platform[]];

/** The `format` tag of every vector line. */
export const VECTOR_FORMAT = "wfp-conformance-vector";
export const VECTOR_FORMAT_VERSION = 1;

const RuleIdSchema = z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "a rule id of the catalogue, such as completion/once-per-nbl");
const StatusName = z.string().regex(/^STATUS_[A-Z0-9_]+$/);

/** A driver call as the implementation receives it: a trace `call` event without kind, callId and ret. */
const callVariants = Object.values(CALLS).map((schema) => schema.omit({ kind: true, callId: true, ret: true })) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]];
export const VectorCall = z.discriminatedUnion("fn", callVariants);

/** The environment events a vector sends (the ones the harness sends through `environment`). */
export const VectorEnvironmentEvent = z.discriminatedUnion("kind", [TcpipStackEvent, ResourcesEvent, StreamIndicatedEvent, AleClassifyEvent, PacketIndicatedEvent, DriverUnloadEvent]);

/** An engine event of the reference path: a completion or the return of a blocked call (ids are names). */
export const VectorEngineEvent = z.discriminatedUnion("kind", [CompletionEvent, ReturnEvent]);

/** What the model allows a call to return, computed on the model's state before the call. */
export const VectorExpectation = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("status"),
    /** Statuses allowed by name. */
    allowed: z.array(StatusName),
    /** Whether any failure status (any status but STATUS_SUCCESS) is allowed besides `allowed`. */
    otherFailureAllowed: z.boolean(),
    /** The rule a status outside the allowed set breaks. */
    ruleId: RuleIdSchema,
    /** FwpsInjectionHandleDestroy0 only: the call must block (no result) because injections through the handle are in flight. */
    mustBlock: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("injectionState"),
    /** The injectionState the digest (Q1) gives. */
    injectionState: InjectionStateSchema.nullable(),
    /** The injectionContext a returned injectionContext must equal (a missing one is not judged). */
    injectionContext: Id.nullable(),
    /** Every answer accepted, the Q1 one first (decisions query/after-completion, query/clone-of-injected); absent: only `injectionState`. */
    answers: z.array(z.strictObject({ injectionState: InjectionStateSchema, injectionContext: Id.nullable() })).optional(),
    ruleId: RuleIdSchema,
  }),
  /** Nothing about the result is judged (VOID functions, and queries that are caller misuse). */
  z.strictObject({ kind: z.literal("void") }),
]);

/** A completion the engine owes: one per NBL of a successful injection not yet completed. */
export const OwedCompletion = z.strictObject({
  netBufferList: Id,
  completionContext: Id.nullable(),
  /** The handle the injection went through (its destroy may not return before this completion). */
  injectionHandle: Id,
  /** The inject function. */
  fn: z.string(),
  /** The rule broken if the completion never arrives. */
  missingRuleId: RuleIdSchema,
});

/** A destroy that has not returned yet. */
export const BlockedCall = z.strictObject({
  callId: Id,
  injectionHandle: Id.nullable(),
  /** Completions still owed through the handle. */
  waitingFor: z.number().int().nonnegative(),
});

/** What the engine owes after a step of the reference path. */
export const VectorObligations = z.strictObject({
  completions: z.array(OwedCompletion),
  blockedCalls: z.array(BlockedCall),
});

/** What the reference implementation did at a step: the path the rest of the vector follows. */
const Reference = {
  /** Engine events of the step, in the order the reference produced them (the order is not judged). */
  events: z.array(VectorEngineEvent),
};

const stepCommon = {
  /** 1-based position of the step in the vector. */
  step: z.number().int().positive(),
  /** Caller rules the step breaks: misuse an implementation's verifier must flag (empty for correct use). */
  callerViolations: z.array(RuleIdSchema),
  /** Completions owed and calls blocked after the step (model obligations once the reference's engine events are applied). */
  after: VectorObligations,
};

export const VectorCallStep = z.strictObject({
  kind: z.literal("call"),
  ...stepCommon,
  /** Names the call for a later `return` event (passed to the implementation as its callId). */
  callId: Id,
  call: VectorCall,
  expect: VectorExpectation,
  /** The names the reference result gives the call's new objects, by result field ({"injectionHandle":"h1"}, {"netBufferListChain":["nbl3","nbl4"]}). */
  names: z.record(z.string(), z.union([Id, z.array(Id)])),
  /** Completions the call makes owed when it returns the reference result (one per NBL of a successful injection). */
  owes: z.array(OwedCompletion),
  reference: z.strictObject({
    /** The reference result (ids are names); null when the call blocked. */
    ret: z.record(z.string(), z.unknown()).nullable(),
    ...Reference,
  }),
});

export const VectorEnvironmentStep = z.strictObject({
  kind: z.literal("environment"),
  ...stepCommon,
  event: VectorEnvironmentEvent,
  reference: z.strictObject(Reference),
});

export const VectorDeliverStep = z.strictObject({
  kind: z.literal("deliver"),
  ...stepCommon,
  /** Deliver up to this many queued engine events. */
  max: z.number().int().positive(),
  reference: z.strictObject(Reference),
});

export const VectorStep = z.discriminatedUnion("kind", [VectorCallStep, VectorEnvironmentStep, VectorDeliverStep]);

/** One line of a vectors file. */
export const Vector = z.strictObject({
  format: z.literal(VECTOR_FORMAT),
  version: z.literal(VECTOR_FORMAT_VERSION),
  /** Stable id: "explore/<policy>/<irql>/<n>" or "example/<trace file name without .jsonl>". */
  id: z.string().min(1),
  source: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("explore"), depth: z.number().int().nonnegative(), policy: z.enum(DELIVERY_POLICIES), index: z.number().int().positive() }),
    z.strictObject({ kind: z.literal("example"), file: z.string() }),
  ]),
  /** The options the implementation must be created with (PortOptions). */
  configuration: z.strictObject({
    policy: z.enum(DELIVERY_POLICIES),
    completionIrql: z.enum(["PASSIVE_LEVEL", "DISPATCH_LEVEL"]),
    seed: z.number().int(),
    batchSize: z.number().int().positive(),
    platform: z.enum(PLATFORMS),
  }),
  /** API families the vector's calls use: an implementation without one of them cannot run it ("not applicable"). */
  families: z.array(z.enum(Object.keys(API_FAMILIES) as [keyof typeof API_FAMILIES, ...(keyof typeof API_FAMILIES)[]])),
  steps: z.array(VectorStep),
});
export type Vector = z.infer<typeof Vector>;
export type VectorStep = z.infer<typeof VectorStep>;
export type VectorObligations = z.infer<typeof VectorObligations>;

/** The JSON Schema of one vector line (draft 2020-12), generated from the zod schemas. */
export function vectorJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(Vector, { target: "draft-2020-12", io: "input" }),
    title: "wfp-conformance test vector (one line of a vectors file)",
  };
}
