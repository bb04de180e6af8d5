/**
 * Reading traces: one JSON object per line, validated against the event schemas, with errors that
 * name the file, the line and the field. Reading is streaming: a trace is never held in memory whole.
 */
import { createReadStream } from "node:fs";
import type { z } from "zod";
import {
  AleClassifyEvent,
  CALL_SITE_IRQLS,
  CALLS,
  CompletionEvent,
  DriverUnloadEvent,
  EngineIdleEvent,
  PacketIndicatedEvent,
  ResourcesEvent,
  ReturnEvent,
  StreamIndicatedEvent,
  TcpipStackEvent,
  type TraceEvent,
} from "./events.ts";
import { compileFastParser, NOT_FAST, type FastParser } from "./fast-parse.ts";

/** A malformed trace line: where it is and what is wrong with it. */
export interface TraceInputError {
  readonly file: string;
  readonly line: number;
  /** Dotted path of the offending field ("args.flags"), or "" for the line as a whole. */
  readonly field: string;
  readonly message: string;
}

export type ParsedLine =
  | { readonly ok: true; readonly event: TraceEvent }
  | { readonly ok: false; readonly error: TraceInputError };

/** The schema of each event kind other than `call` (calls have one schema per function: CALLS). */
export const NON_CALL_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  return: ReturnEvent,
  completion: CompletionEvent,
  tcpipStack: TcpipStackEvent,
  resources: ResourcesEvent,
  streamIndicated: StreamIndicatedEvent,
  aleClassify: AleClassifyEvent,
  packetIndicated: PacketIndicatedEvent,
  engineIdle: EngineIdleEvent,
  driverUnload: DriverUnloadEvent,
};

/**
 * The one function whose return may come after later events (decision trace/deferred-return): its
 * page says it waits for the pending injections. Every other call returns before the next event.
 */
export const DEFERRED_RETURN_FUNCTIONS: ReadonlySet<string> = new Set(["FwpsInjectionHandleDestroy0"]);

/** Functions that return nothing: their calls need neither `ret` nor `callId`. */
const VOID_FUNCTIONS: ReadonlySet<string> = new Set([
  "NdisFreeNetBufferListPool",
  "FwpsFreeCloneNetBufferList0",
  "FwpsFreeNetBufferList0",
  "FwpsDiscardClonedStreamData0",
  "FwpsCompleteOperation0",
]);

/** The fast parser of each schema (spec/fast-parse.ts), compiled on first use; null when zod parses every value. */
const fastParsers = new Map<z.ZodType, FastParser | null>();

/** The schema's parse of `value`: the fast path when it accepts, zod otherwise (so errors are always zod's). */
function parseWith(schema: z.ZodType, value: unknown): { success: true; data: unknown } | { success: false; error: z.ZodError } {
  let fast = fastParsers.get(schema);
  if (fast === undefined) {
    fast = compileFastParser(schema) ?? null;
    fastParsers.set(schema, fast);
  }
  if (fast !== null) {
    const data = fast(value);
    if (data !== NOT_FAST) return { success: true, data };
  }
  return schema.safeParse(value);
}

function fail(file: string, line: number, field: string, message: string): ParsedLine {
  return { ok: false, error: { file, line, field, message } };
}

/** Validates one decoded JSON value as a trace event, choosing the schema by `kind` (and `fn` for calls). */
export function parseTraceEvent(value: unknown, file = "<input>", line = 1): ParsedLine {
  return parseEvent(value, file, line, true);
}

/** parseTraceEvent with zod alone (no fast path): the reference the fast path is tested against. */
export function parseTraceEventWithZod(value: unknown, file = "<input>", line = 1): ParsedLine {
  return parseEvent(value, file, line, false);
}

/**
 * Validates a driver call as it is sent, before it returns (a replay file's actions): a call event
 * whose `ret` is not required yet. Every other check of parseTraceEvent applies.
 */
export function parseDriverCallEvent(value: unknown, file = "<input>", line = 1): ParsedLine {
  return parseEvent(value, file, line, true, false);
}

function parseEvent(value: unknown, file: string, line: number, fast: boolean, returned = true): ParsedLine {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(file, line, "", "expected a JSON object (one event per line)");
  }
  const record = value as Record<string, unknown>;
  const kind = record["kind"];
  let schema: z.ZodType | undefined;
  if (kind === "call") {
    const fn = record["fn"];
    if (typeof fn !== "string" || !Object.hasOwn(CALLS, fn)) {
      return fail(file, line, "fn", `unknown function ${JSON.stringify(fn)}; expected one of ${Object.keys(CALLS).join(", ")}`);
    }
    schema = CALLS[fn as keyof typeof CALLS];
  } else if (typeof kind === "string" && Object.hasOwn(NON_CALL_SCHEMAS, kind)) {
    schema = NON_CALL_SCHEMAS[kind];
  } else {
    return fail(file, line, "kind", `unknown event kind ${JSON.stringify(kind)}; expected call, ${Object.keys(NON_CALL_SCHEMAS).join(", ")}`);
  }
  const parsed = fast ? parseWith(schema!, value) : schema!.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(file, line, issue.path.map(String).join("."), issue.message);
  }
  const event = parsed.data as TraceEvent;
  if (event.kind === "call") {
    const problem = callProblem(event, returned);
    if (problem !== null) return fail(file, line, problem.field, problem.message);
  }
  return { ok: true, event };
}

/**
 * Whether a line of a trace carries no event: blank, or a comment (its first non-blank characters
 * are `#` or `//`). Comments let a trace name its source and expected verdict; both readers skip
 * them, and line numbers still count them.
 */
export function isSkippedTraceLine(text: string): boolean {
  const trimmed = text.trimStart();
  return trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith("//");
}

/** What is wrong with a call event beyond its schema (the rules a zod schema of one field cannot state), or null. */
function callProblem(event: Extract<TraceEvent, { kind: "call" }>, returned: boolean): { field: string; message: string } | null {
  const irqls = CALL_SITE_IRQLS[event.from.kind];
  if (irqls !== undefined && !irqls.includes(event.irql)) {
    return { field: "irql", message: `a call from ${event.from.kind} runs at ${irqls.join(" or ")}, not ${event.irql}` };
  }
  if (event.bugCheck !== undefined) {
    if (event.ret !== undefined) return { field: "bugCheck", message: "a call that bug-checked did not return: give `bugCheck` or `ret`, not both" };
    return null;
  }
  if (!returned || event.ret !== undefined || VOID_FUNCTIONS.has(event.fn)) return null;
  if (!DEFERRED_RETURN_FUNCTIONS.has(event.fn)) {
    return { field: "ret", message: `${event.fn} returns before the next event: record its \`ret\` (only FwpsInjectionHandleDestroy0 waits, and may return later in a \`return\` event)` };
  }
  if (event.callId === undefined) return { field: "callId", message: "a call without `ret` needs a `callId` so that its later `return` event can name it" };
  return null;
}

/** Parses one line of JSON Lines text; blank and comment lines are the caller's to skip (isSkippedTraceLine). */
export function parseTraceLine(text: string, file = "<input>", line = 1): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(file, line, "", `not valid JSON: ${(error as Error).message}`);
  }
  return parseTraceEvent(value, file, line);
}

/** One non-blank line of a trace file, parsed, with its 1-based line number. */
export interface TraceLine {
  readonly line: number;
  readonly parsed: ParsedLine;
}

/**
 * Splits text into lines exactly as node:readline does with `crlfDelay: Infinity` (line breaks are
 * \n, \r\n and a lone \r), fed chunk by chunk. `push` returns the lines completed by a chunk;
 * `end` the last line, if the text does not end with a line break.
 */
export class LineSplitter {
  private pending = "";

  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const lines: string[] = [];
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
      LineSplitter.emit(text.slice(start, newline), lines);
      start = newline + 1;
    }
    this.pending = text.slice(start);
    return lines;
  }

  end(): string[] {
    const lines: string[] = [];
    if (this.pending !== "") LineSplitter.emit(this.pending, lines);
    this.pending = "";
    return lines;
  }

  /** One segment ended by \n (or the end of the text): a \r before the \n belongs to it; any other \r ends a line. */
  private static emit(segment: string, lines: string[]): void {
    const text = segment.endsWith("\r") ? segment.slice(0, -1) : segment;
    if (!text.includes("\r")) lines.push(text);
    else lines.push(...text.split("\r"));
  }
}

/**
 * Streams a JSON Lines trace file, yielding the event lines (not blank, not comments) parsed, in order, a chunk of the file
 * at a time (one array per chunk read). Memory holds one chunk, never the whole file. With `stream`
 * (standard input), that is read instead and `path` only names it in errors.
 */
export async function* readTraceFileBatches(path: string, options: { readonly chunkBytes?: number; readonly stream?: AsyncIterable<string | Buffer> } = {}): AsyncGenerator<TraceLine[]> {
  const input = options.stream ?? createReadStream(path, { encoding: "utf8", highWaterMark: options.chunkBytes ?? 1 << 18 });
  const splitter = new LineSplitter();
  let line = 0;
  const parse = (texts: readonly string[]): TraceLine[] => {
    const batch: TraceLine[] = [];
    for (const text of texts) {
      line += 1;
      if (isSkippedTraceLine(text)) continue;
      batch.push({ line, parsed: parseTraceLine(text, path, line) });
    }
    return batch;
  };
  const decoder = new TextDecoder();
  for await (const chunk of input) {
    const batch = parse(splitter.push(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true })));
    if (batch.length > 0) yield batch;
  }
  const last = parse(splitter.end());
  if (last.length > 0) yield last;
}

/** Streams a JSON Lines trace file, yielding each non-blank line parsed, in order. */
export async function* readTraceFile(path: string): AsyncGenerator<TraceLine> {
  for await (const batch of readTraceFileBatches(path)) yield* batch;
}

/** Parses JSON Lines held in a string (tests, small traces), skipping blank and comment lines, failing on the first malformed line. */
export function parseTraceText(text: string, file = "<input>"): { events: TraceEvent[]; lines: number[] } | { error: TraceInputError } {
  const events: TraceEvent[] = [];
  const lines: number[] = [];
  const rows = text.split(/\r?\n/);
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (isSkippedTraceLine(row)) continue;
    const parsed = parseTraceLine(row, file, index + 1);
    if (!parsed.ok) return { error: parsed.error };
    events.push(parsed.event);
    lines.push(index + 1);
  }
  return { events, lines };
}

/** Formats a trace input error as one line: file:line: field: message. */
export function formatTraceInputError(error: TraceInputError): string {
  const where = `${error.file}:${error.line}`;
  return error.field === "" ? `${where}: ${error.message}` : `${where}: field \`${error.field}\`: ${error.message}`;
}
