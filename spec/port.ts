/**
 * The port: the one interface through which the conformance harness drives any implementation of
 * the WFP packet-injection API (the built-in simulator in impl/, its deliberately wrong variants,
 * and a user's own implementation, in process or behind an external-process adapter).
 *
 * The harness plays the callout driver and the environment; the implementation plays the filter
 * engine. Every method answers with a `PortStep`: what the call returned (if it returned), the
 * engine events that happened during the step (completion callbacks, the return of a blocked call),
 * and, when the implementation has a verifier, the caller misuse it flagged during the step.
 */
import type { CallEvent, CompletionEvent, EnvironmentEvent, ReturnEvent } from "./events.ts";
import type { ApiFamily, Platform } from "./vocabulary.ts";

/** A driver call as the harness sends it: a trace `call` event without its result. */
export type DriverCall = Omit<CallEvent, "kind" | "callId" | "ret">;

/** An event produced by the engine on its own: a completionFn call, or the return of a blocked call. */
export type EngineOutput = CompletionEvent | ReturnEvent;

/** Caller misuse flagged by an implementation's verifier, with the catalogue's rule id. */
export interface VerifierFinding {
  readonly ruleId: string;
  readonly message: string;
}

/** What one port step produced. */
export interface PortStep {
  /** The call's result (same shape as the trace's `ret`); absent when the call is blocked. */
  readonly ret?: Record<string, unknown>;
  /** Engine events that happened during the step, in order (after the call returned, for a call). */
  readonly events: readonly EngineOutput[];
  /** Misuse the implementation's verifier flagged during the step. */
  readonly findings: readonly VerifierFinding[];
}

/**
 * A port method that gave no answer within the call timeout. The implementation is taken to have
 * stopped answering: the harness ends the run instead of waiting the timeout again on every retry.
 */
export class NoAnswerError extends Error {
  override readonly name = "NoAnswerError";
}

/** When the engine delivers completion callbacks. */
export const DELIVERY_POLICIES = ["immediate", "fifo", "lifo", "random", "batch"] as const;
export type DeliveryPolicy = (typeof DELIVERY_POLICIES)[number];

/** Settings every implementation receives when the harness creates it. */
export interface PortOptions {
  /** When completions are delivered: right after the inject call returns, or queued until `deliver`. */
  readonly policy: DeliveryPolicy;
  /** The IRQL completionFn runs at; `dispatchLevel` must match it. */
  readonly completionIrql: "PASSIVE_LEVEL" | "DISPATCH_LEVEL";
  /** Seed for the "random" policy; the same seed must give the same order. */
  readonly seed: number;
  /** Completions released together by the "batch" policy. */
  readonly batchSize: number;
  /** Platform, for MEMORY_ALLOCATION_ALIGNMENT. */
  readonly platform: Platform;
}

/** One implementation under test, as seen by the harness. Methods may answer synchronously or with a promise. */
export interface EnginePort {
  /** A short name for reports. */
  readonly name: string;
  /** The API families this implementation implements; calls of other families are never sent. */
  readonly families: readonly ApiFamily[];
  /** Whether `findings` carries a verifier's verdicts (if false, caller misuse is judged by the model alone). */
  readonly verifier: boolean;
  /** Make a driver call. `callId` names it in a later `return` event if it blocks. */
  call(callId: string, call: DriverCall): PortStep | Promise<PortStep>;
  /** Tell the engine what the environment did (stack readiness, resources, indications, unload). */
  environment(event: EnvironmentEvent): PortStep | Promise<PortStep>;
  /** Let the engine deliver up to `max` queued engine events (completions, blocked returns), per its policy. */
  deliver(max: number): PortStep | Promise<PortStep>;
  /** How many engine events are queued and could be delivered now. */
  pendingWork(): number | Promise<number>;
  /** Release the implementation (end an external process, for example). */
  dispose?(): void | Promise<void>;
}

/** Creates a fresh implementation for one run. An in-process module exports one as `createPort`. */
export type PortFactory = (options: PortOptions) => EnginePort | Promise<EnginePort>;
