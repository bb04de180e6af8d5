/**
 * The external-process protocol, version 1: how `wfp-conform run --impl-cmd "<command>"` talks to an
 * implementation written in any language. JSON Lines over the child's stdin (requests) and stdout
 * (responses), one request, one response, in order. Everything the child writes is validated here.
 *
 * Requests:  {"id": <int>, "method": "hello" | "call" | "environment" | "deliver" | "pendingWork" | "dispose", "params": {...}}
 * Responses: {"id": <same int>, "result": {...}}  or  {"id": <same int>, "error": {"message": "..."}}
 *
 * `hello` starts a run (a fresh engine: the child must forget every earlier run) and is answered
 * with the implementation's name, the protocol version and the API families it implements.
 * `call`, `environment` and `deliver` are answered with a PortStep (see port.ts): the call's result
 * (absent when the call blocks), the engine events of the step (completions, returns of blocked
 * calls) and the verifier's findings. See docs/protocol.md for a full exchange.
 */
import { z } from "zod";
import { CompletionEvent, ReturnEvent } from "./events.ts";
import { DELIVERY_POLICIES } from "./port.ts";
import { API_FAMILIES } from "./vocabulary.ts";

export const PROTOCOL_VERSION = 1;

const FamilyName = z.enum(Object.keys(API_FAMILIES) as [keyof typeof API_FAMILIES, ...(keyof typeof API_FAMILIES)[]]);

/** The settings sent with `hello` (PortOptions). */
export const HelloParams = z.strictObject({
  protocol: z.literal(PROTOCOL_VERSION),
  options: z.strictObject({
    policy: z.enum(DELIVERY_POLICIES),
    completionIrql: z.enum(["PASSIVE_LEVEL", "DISPATCH_LEVEL"]),
    seed: z.number().int(),
    batchSize: z.number().int().positive(),
    platform: z.enum(["x64", "arm64", "x86"]),
  }),
});

/** The answer to `hello`. */
export const HelloResult = z.strictObject({
  name: z.string().min(1).max(200),
  protocol: z.literal(PROTOCOL_VERSION),
  families: z.array(FamilyName),
  verifier: z.boolean(),
});
export type HelloResult = z.infer<typeof HelloResult>;

/** A verifier finding. */
export const FindingSchema = z.strictObject({ ruleId: z.string().min(1), message: z.string() });

/** The answer to `call`, `environment` and `deliver`. */
export const PortStepSchema = z.strictObject({
  ret: z.record(z.string(), z.unknown()).optional(),
  events: z.array(z.union([CompletionEvent, ReturnEvent])).max(10_000),
  findings: z.array(FindingSchema).default([]),
});

/** The answer to `pendingWork`. */
export const PendingWorkResult = z.strictObject({ count: z.number().int().nonnegative() });

/** Any response line. */
export const ResponseSchema = z.union([
  z.strictObject({ id: z.number().int(), result: z.unknown() }),
  z.strictObject({ id: z.number().int(), error: z.strictObject({ message: z.string() }) }),
]);

/** A request line (what the harness writes). */
export const RequestSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  method: z.enum(["hello", "call", "environment", "deliver", "pendingWork", "dispose"]),
  params: z.record(z.string(), z.unknown()),
});
export type Request = z.infer<typeof RequestSchema>;

/** JSON Schemas of the protocol's messages (draft 2020-12). */
export function protocolJsonSchema(): unknown {
  const schema = (type: z.ZodType) => z.toJSONSchema(type, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: `wfp-conformance external-process protocol, version ${PROTOCOL_VERSION}`,
    request: schema(RequestSchema),
    response: schema(ResponseSchema),
    helloParams: schema(HelloParams),
    helloResult: schema(HelloResult),
    portStep: schema(PortStepSchema),
    pendingWorkResult: schema(PendingWorkResult),
  };
}
