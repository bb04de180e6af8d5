/**
 * The external-process adapter at the message level: a run never meets the requests of a finished
 * run (they are refused, and one still waiting settles before the next `hello`), and a handshake
 * that fails says which field was wrong and what the child wrote to stderr.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_PORT_OPTIONS } from "../properties/runner.ts";
import { processPortFactory } from "./process.ts";

const broken = join(import.meta.dirname, "..", "cli", "fixtures", "broken-process.mjs");

describe("the process adapter's runs", () => {
  it("lets a request of a finished run settle before the next hello, then refuses that run's requests", async () => {
    const factory = processPortFactory(`node ${broken} slow`, { callTimeoutMs: 2000 });
    try {
      const first = await factory(DEFAULT_PORT_OPTIONS);
      const stray = Promise.resolve(first.deliver(1));
      const second = await factory(DEFAULT_PORT_OPTIONS);
      await expect(stray).resolves.toEqual({ events: [], findings: [] });
      await expect(Promise.resolve(first.deliver(1))).rejects.toThrow(/deliver of a run that has ended/);
      await expect(Promise.resolve(second.pendingWork())).resolves.toBe(0);
    } finally {
      factory.close();
    }
  });

  it("starts a new process after restart", async () => {
    const factory = processPortFactory(`node -e "process.stdout.write(JSON.stringify({id:1,result:{name:String(process.pid),protocol:1,families:[],verifier:false}})+'\\n');setInterval(()=>{},1000)"`, { callTimeoutMs: 2000 });
    try {
      const first = await factory(DEFAULT_PORT_OPTIONS);
      await factory.restart();
      const second = await factory(DEFAULT_PORT_OPTIONS);
      expect(second.name).not.toBe(first.name);
    } finally {
      factory.close();
    }
  });

  it("names the wrong field of a bad hello and quotes the child's stderr", async () => {
    const factory = processPortFactory(`node ${broken} bad-hello`, { callTimeoutMs: 2000 });
    try {
      const failure = factory.hello();
      await expect(failure).rejects.toThrow(/the handshake failed: hello: the result has the wrong shape: field `families.1`/);
      await expect(failure).rejects.toThrow(/its stderr ended with: .*no such family 'sockets'/);
    } finally {
      factory.close();
    }
  });
});
