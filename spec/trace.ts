/**
 * Reading traces: one JSON object per line, validated against the event schemas, with errors that
 * name the file, the line and the field. Reading is streaming: a trace is never held in memory whole.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { z } from "zod";
import {
  AleClassifyEvent,
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

const NON_CALL_SCHEMAS: Record<string, z.ZodType> = {
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

/** Functions that return nothing: their calls need neither `ret` nor `callId`. */
const VOID_FUNCTIONS: ReadonlySet<string> = new Set([
  "NdisFreeNetBufferListPool",
  "FwpsFreeCloneNetBufferList0",
  "FwpsFreeNetBufferList0",
  "FwpsDiscardClonedStreamData0",
  "FwpsCompleteOperation0",
]);

function fail(file: string, line: number, field: string, message: string): ParsedLine {
  return { ok: false, error: { file, line, field, message } };
}

/** Validates one decoded JSON value as a trace event, choosing the schema by `kind` (and `fn` for calls). */
export function parseTraceEvent(value: unknown, file = "<input>", line = 1): ParsedLine {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(file, line, "", "expected a JSON object (one event per line)");
  }
  const record = value as Record<string, unknown>;
  const kind = record["kind"];
  let schema: z.ZodType | undefined;
  if (kind === "call") {
    const fn = record["fn"];
    if (typeof fn !== "string" || !(fn in CALLS)) {
      return fail(file, line, "fn", `unknown function ${JSON.stringify(fn)}; expected one of ${Object.keys(CALLS).join(", ")}`);
    }
    schema = CALLS[fn as keyof typeof CALLS];
  } else if (typeof kind === "string" && kind in NON_CALL_SCHEMAS) {
    schema = NON_CALL_SCHEMAS[kind];
  } else {
    return fail(file, line, "kind", `unknown event kind ${JSON.stringify(kind)}; expected call, ${Object.keys(NON_CALL_SCHEMAS).join(", ")}`);
  }
  const parsed = schema!.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(file, line, issue.path.map(String).join("."), issue.message);
  }
  const event = parsed.data as TraceEvent;
  if (event.kind === "call" && event.ret === undefined && event.callId === undefined && !VOID_FUNCTIONS.has(event.fn)) {
    return fail(file, line, "callId", "a call without `ret` needs a `callId` so that its later `return` event can name it");
  }
  return { ok: true, event };
}

/** Parses one line of JSON Lines text; blank lines are the caller's to skip. */
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

/** Streams a JSON Lines trace file, yielding each non-blank line parsed, in order. */
export async function* readTraceFile(path: string): AsyncGenerator<TraceLine> {
  const input = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of input) {
    line += 1;
    if (text.trim() === "") continue;
    yield { line, parsed: parseTraceLine(text, path, line) };
  }
}

/** Parses JSON Lines held in a string (tests, small traces), failing on the first malformed line. */
export function parseTraceText(text: string, file = "<input>"): { events: TraceEvent[]; lines: number[] } | { error: TraceInputError } {
  const events: TraceEvent[] = [];
  const lines: number[] = [];
  const rows = text.split(/\r?\n/);
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (row.trim() === "") continue;
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
