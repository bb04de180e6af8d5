/**
 * The external-process adapter: an implementation in any language, started as a child process and
 * driven over the JSON Lines protocol of spec/protocol.ts. One child serves every run of a
 * conformance run (`hello` starts a fresh engine), so a slow-starting runtime is paid for once.
 *
 * The adapter survives the child: a crash, an exit, a line that is not JSON, an answer to the wrong
 * request, a result of the wrong shape or no answer within the per-call timeout all become an
 * `AdapterError` naming the request, which the harness reports as a finding; the child's process
 * group is then ended (adapters/process-group.ts) and a new child started for the next run, except
 * after a call that got no answer: an implementation that stopped answering is not started again,
 * so that the run ends within about one call timeout instead of one per run and configuration.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import type { z } from "zod";
import type { EnvironmentEvent } from "../spec/events.ts";
import { NoAnswerError, type DriverCall, type EnginePort, type PortFactory, type PortOptions, type PortStep } from "../spec/port.ts";
import { endGroup, spawnGroup } from "./process-group.ts";
import { HelloResult, PROTOCOL_VERSION, PendingWorkResult, PortStepSchema, ResponseSchema } from "../spec/protocol.ts";

/** Something the implementation process did wrong (or the process itself failing). */
export class AdapterError extends Error {
  override readonly name = "AdapterError";
}

/** What a shell's exit status says about the command it was asked to run. */
const SHELL_STATUS: Readonly<Record<number, string>> = {
  126: "the shell found the command but could not execute it (not executable?)",
  127: "the shell could not find the command",
};

/** Settings of the external-process adapter. */
export interface ProcessAdapterOptions {
  /** Milliseconds to wait for one answer before giving up on the child. */
  readonly callTimeoutMs: number;
  /** Working directory of the child. */
  readonly cwd?: string;
}

interface Waiting {
  readonly id: number;
  readonly method: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One running child process and its request/response bookkeeping. */
class ImplementationProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private waiting: Waiting | null = null;
  private failure: Error | null = null;
  private stderrTail = "";
  private lastRequest: Promise<void> = Promise.resolve();

  constructor(
    readonly command: string,
    private readonly options: ProcessAdapterOptions,
  ) {
    this.child = spawnGroup(command, options.cwd ?? process.cwd());
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-2000);
    });
    let stderrEnded = false;
    this.child.stderr.on("close", () => (stderrEnded = true));
    this.child.stdin.on("error", () => undefined); // reported through exit / timeout instead
    this.child.on("error", (error) => this.fail(new AdapterError(`could not start "${command}": ${error.message}`)));
    this.child.on("exit", (code, signal) => {
      const waiting = this.waiting;
      const report = () => {
        const status = signal === null ? `code ${String(code)}${code !== null && SHELL_STATUS[code] !== undefined ? `: ${SHELL_STATUS[code]}` : ""}` : `signal ${signal}`;
        this.fail(new AdapterError(`the implementation process exited (${status})${waiting === null ? "" : ` while answering ${waiting.method} (request ${waiting.id})`}${this.stderrNote()}`));
        void this.end();
      };
      // What it wrote to stderr last (the shell's "not found") may still be in the pipe: read it first, briefly.
      if (stderrEnded) report();
      else {
        const timer = setTimeout(report, 200);
        this.child.stderr.once("close", () => {
          clearTimeout(timer);
          report();
        });
      }
    });
    createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on("line", (line) => this.onLine(line));
  }

  /** "; its stderr ended with: ..." (the last lines the child wrote to stderr), or "" when it wrote none. */
  stderrNote(): string {
    return this.stderrTail.trim() === "" ? "" : `; its stderr ended with: ${this.stderrTail.trim().split("\n").slice(-5).join(" | ")}`;
  }

  /** Settles once no request is waiting for its answer (answered, failed or timed out). */
  settled(): Promise<void> {
    return this.lastRequest;
  }

  /** Whether the child can still take requests. */
  get alive(): boolean {
    return this.failure === null;
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting !== null) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
  }

  private onLine(line: string): void {
    if (line.trim() === "") return;
    const waiting = this.waiting;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.fail(new AdapterError(`the implementation wrote a line that is not JSON${waiting === null ? "" : ` in answer to ${waiting.method} (request ${waiting.id})`}: ${line.slice(0, 200)}`));
      void this.end();
      return;
    }
    const parsed = ResponseSchema.safeParse(value);
    if (!parsed.success) {
      this.fail(new AdapterError(`the implementation wrote a response of the wrong shape (expected {"id", "result"} or {"id", "error"}): ${line.slice(0, 200)}`));
      void this.end();
      return;
    }
    if (waiting === null || parsed.data.id !== waiting.id) {
      this.fail(new AdapterError(`the implementation answered request ${parsed.data.id}, but ${waiting === null ? "no request was waiting" : `request ${waiting.id} (${waiting.method}) was`}`));
      void this.end();
      return;
    }
    clearTimeout(waiting.timer);
    this.waiting = null;
    if ("error" in parsed.data) waiting.reject(new AdapterError(`${waiting.method} failed in the implementation: ${parsed.data.error.message}`));
    else waiting.resolve(parsed.data.result);
  }

  /** Sends one request and waits for its answer. */
  request(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.waiting !== null) return Promise.reject(new AdapterError(`${method} sent while request ${this.waiting.id} (${this.waiting.method}) is unanswered`));
    const id = this.nextId++;
    const answer = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new NoAnswerError(`the implementation did not answer ${method} (request ${id}) within ${this.options.callTimeoutMs} ms; it is not started again`));
        void this.end();
      }, this.options.callTimeoutMs);
      this.waiting = { id, method, resolve, reject, timer };
      this.child.stdin.write(JSON.stringify({ id, method, params }) + "\n");
    });
    this.lastRequest = answer.then(
      () => undefined,
      () => undefined,
    );
    return answer;
  }

  /** Why the child can take no more requests, or null while it can. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Ends the child's process group (SIGTERM, SIGKILL after a grace period); resolves when it is gone. */
  end(): Promise<void> {
    this.fail(new AdapterError("the implementation process was ended by the harness"));
    return endGroup(this.child);
  }
}

function validated<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".");
  throw new AdapterError(`${what}: the result has the wrong shape: ${field === "" ? "" : `field \`${field}\`: `}${issue.message} (it answered ${JSON.stringify(value)?.slice(0, 200)})`);
}

/** The settings `hello` is sent with when the harness only wants to know who the implementation is. */
const IDENTIFY_OPTIONS: PortOptions = { policy: "fifo", completionIrql: "DISPATCH_LEVEL", seed: 1, batchSize: 2, platform: "x64" };

/** The external-process port factory: every call starts a run (`hello`); `restart` makes the next one start a new process. */
export interface ProcessPortFactory extends PortFactory {
  /** Ends the child's process group; resolves when it is gone. */
  close(): Promise<void>;
  /** Ends the child's process group; the next run starts a new one (a clean instance for a new configuration). */
  restart(): Promise<void>;
  /** Why no more runs can start (the implementation stopped answering), or null. */
  stopped(): string | null;
  /** The implementation's hello answer (starting it if needed); an AdapterError saying what went wrong when it cannot start or answers badly. */
  hello(): Promise<HelloResult>;
}

/**
 * A PortFactory that drives `command` over the external-process protocol. Call `close` when done.
 * A child that failed is replaced by a new one for the next run, except one that stopped answering:
 * from then on every run is refused with that error.
 *
 * Only the port of the latest run talks to the child: a request of an earlier run (a scheduled
 * delivery of a run that failed) is refused, and a new run first lets a request still waiting
 * settle, so that the stray events of a finished run never reach the next.
 */
export function processPortFactory(command: string, options: ProcessAdapterOptions): ProcessPortFactory {
  let child: ImplementationProcess | null = null;
  let lastHello: HelloResult | null = null;
  let generation = 0;
  let noAnswer: Error | null = null;
  const stopped = (): Error | null => {
    if (child !== null && child.failed instanceof NoAnswerError) noAnswer ??= child.failed;
    return noAnswer;
  };
  const live = (): ImplementationProcess => {
    const refused = stopped();
    if (refused !== null) throw refused;
    if (child === null || !child.alive) {
      void child?.end();
      child = new ImplementationProcess(command, options);
    }
    return child;
  };
  const start = async (portOptions: PortOptions): Promise<{ process: ImplementationProcess; hello: HelloResult; run: number }> => {
    const run = ++generation;
    const earlier = child;
    if (earlier !== null) await earlier.settled();
    const process = live();
    let hello: HelloResult;
    try {
      hello = validated(HelloResult, await process.request("hello", { protocol: PROTOCOL_VERSION, options: portOptions }), "hello");
    } catch (error) {
      // What the child wrote to stderr just before may still be on its way.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const message = (error as Error).message;
      const detail = `the handshake failed: ${message}${message.includes("its stderr ended with") ? "" : process.stderrNote()}`;
      throw error instanceof NoAnswerError ? new NoAnswerError(detail) : new AdapterError(detail);
    }
    lastHello = hello;
    return { process, hello, run };
  };
  const factory = async (portOptions: PortOptions): Promise<EnginePort> => {
    const { process, hello, run } = await start(portOptions);
    const request = (method: string, params: Record<string, unknown>): Promise<unknown> =>
      run === generation ? process.request(method, params) : Promise.reject(new AdapterError(`${method} of a run that has ended (a newer run owns the implementation)`));
    const step = async (method: string, params: Record<string, unknown>, what: string): Promise<PortStep> => {
      const result = validated(PortStepSchema, await request(method, params), what);
      return result as PortStep;
    };
    return {
      name: hello.name,
      families: hello.families,
      verifier: hello.verifier,
      call: (callId: string, call: DriverCall) => step("call", { callId, call }, call.fn),
      environment: (event: EnvironmentEvent) => step("environment", { event }, `environment(${event.kind})`),
      deliver: (max: number) => step("deliver", { max }, "deliver"),
      pendingWork: async () => validated(PendingWorkResult, await request("pendingWork", {}), "pendingWork").count,
    };
  };
  const stop = async (): Promise<void> => {
    generation += 1;
    stopped();
    const ending = child;
    child = null;
    await ending?.end();
  };
  return Object.assign(factory, {
    close: stop,
    restart: async () => {
      const earlier = child;
      await stop();
      if (earlier !== null) await earlier.settled();
    },
    stopped: () => stopped()?.message ?? null,
    hello: async (): Promise<HelloResult> => lastHello ?? (await start(IDENTIFY_OPTIONS)).hello,
  });
}
