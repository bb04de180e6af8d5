/**
 * Writes a conforming trace of about N events for the check benchmark: a driver that allocates,
 * injects, completes, queries and frees NBLs through two handles, with up to `live` NBLs at a time.
 * NBL ids are reused after a free, as pointers are by a real allocator.
 */
import { createWriteStream } from "node:fs";

/** Writes the trace to `path` and resolves with the number of events written. */
export async function writeConformingTrace(path: string, events: number, live = 16): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  const write = (event: unknown): Promise<void> | void => {
    written += 1;
    if (!out.write(JSON.stringify(event) + "\n")) return new Promise((resolve) => out.once("drain", () => resolve()));
  };
  const call = (fn: string, irql: string, args: unknown, ret?: unknown) => ({ kind: "call", fn, irql, args, ...(ret === undefined ? {} : { ret }) });
  await write(call("FwpsInjectionHandleCreate0", "PASSIVE_LEVEL", { addressFamily: "AF_INET", flags: ["FWPS_INJECTION_TYPE_NETWORK"] }, { status: "STATUS_SUCCESS", injectionHandle: "h1" }));
  await write(call("FwpsInjectionHandleCreate0", "PASSIVE_LEVEL", { addressFamily: "AF_UNSPEC", flags: [] }, { status: "STATUS_SUCCESS", injectionHandle: "h2" }));
  await write(call("NdisAllocateNetBufferListPool", "PASSIVE_LEVEL", {}, { status: "STATUS_SUCCESS", poolHandle: "pool1" }));
  const free: string[] = Array.from({ length: live }, (_, i) => `0xffff${(0xa000 + i * 0x100).toString(16)}`);
  const inFlight: { id: string; ctx: string }[] = [];
  let n = 0;
  while (written < events - 4) {
    n += 1;
    if (free.length > 0 && (inFlight.length < live / 2 || n % 3 !== 0)) {
      const id = free.shift()!;
      await write(call("FwpsAllocateNetBufferAndNetBufferList0", "DISPATCH_LEVEL", { poolHandle: "pool1", contextSize: 16, contextBackFill: 32, mdlChain: { byteCount: 1500 }, dataOffset: 14, dataLength: 1400 }, { status: "STATUS_SUCCESS", netBufferList: id }));
      const ctx = `ctx${n}`;
      if (n % 2 === 0) await write(call("FwpsInjectNetworkSendAsync0", "DISPATCH_LEVEL", { injectionHandle: "h1", injectionContext: `ic${n}`, flags: 0, compartmentId: 0, netBufferList: id, ipVersion: 4, completionFn: "completionFn", completionContext: ctx }, { status: "STATUS_SUCCESS" }));
      else await write(call("FwpsInjectTransportSendAsync0", "DISPATCH_LEVEL", { injectionHandle: "h2", injectionContext: `ic${n}`, flags: 0, endpointHandle: 0, addressFamily: "AF_INET", compartmentId: 0, netBufferList: id, completionFn: "completionFn", completionContext: ctx }, { status: "STATUS_SUCCESS" }));
      inFlight.push({ id, ctx });
    } else {
      const done = inFlight.shift()!;
      await write({ kind: "completion", completionContext: done.ctx, netBufferList: done.id, dispatchLevel: true, irql: "DISPATCH_LEVEL", status: "STATUS_SUCCESS" });
      await write(call("FwpsFreeNetBufferList0", "DISPATCH_LEVEL", { netBufferList: done.id }));
      free.push(done.id);
    }
  }
  for (const done of inFlight) {
    await write({ kind: "completion", completionContext: done.ctx, netBufferList: done.id, dispatchLevel: true, irql: "DISPATCH_LEVEL", status: "STATUS_SUCCESS" });
    await write(call("FwpsFreeNetBufferList0", "DISPATCH_LEVEL", { netBufferList: done.id }));
  }
  await write(call("FwpsInjectionHandleDestroy0", "PASSIVE_LEVEL", { injectionHandle: "h1" }, { status: "STATUS_SUCCESS" }));
  await write(call("FwpsInjectionHandleDestroy0", "PASSIVE_LEVEL", { injectionHandle: "h2" }, { status: "STATUS_SUCCESS" }));
  await write({ kind: "driverUnload" });
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return written;
}

if (process.argv[1]?.endsWith("trace-gen.ts")) {
  const [path, count] = process.argv.slice(2);
  console.log(await writeConformingTrace(path ?? "trace.jsonl", Number(count ?? 1_000_000)));
}
