/**
 * Where the built-in simulator meets the port (spec/port.ts): the one file of impl/ that knows the
 * port's types. It turns driver calls and environment events into calls of the engine's numeric
 * direct API, engine refs into string ids ("h3", "nbl7", "pool2", "pc4") and back, and what the
 * engine reports (completions, returns of blocked destroys, verifier findings) into PortSteps.
 */
import type { EnvironmentEvent } from "../spec/events.ts";
import type { DriverCall, EngineOutput, EnginePort, PortOptions, PortStep, VerifierFinding } from "../spec/port.ts";
import { API_FAMILIES, INJECTION_STATES, STREAM_LAYERS, type ApiFamily } from "../spec/vocabulary.ts";
import {
  IRQL,
  IRQL_NAMES,
  InjectionEngine,
  SITE,
  STATUS,
  STATUS_NAMES,
  streamFlagMask,
  type EngineBugs,
  type EngineSink,
  type IrqlCode,
  type SiteCode,
  type VerifierBugs,
} from "./engine.ts";

export type { PortFactory } from "../spec/port.ts";

/** A variant of the simulator: the real engine with some bugs switched on (see impl/mutants). */
export interface EngineVariant {
  readonly name: string;
  readonly bugs?: Partial<EngineBugs>;
  readonly verifierBugs?: Partial<VerifierBugs>;
}

const FAMILIES = Object.keys(API_FAMILIES) as ApiFamily[];

/** The built-in simulator behind the port. */
export function createPort(options: PortOptions): EnginePort {
  return new BuiltinPort(options, { name: "builtin" });
}

/** A variant of the built-in simulator behind the port (used by the mutants). */
export function createVariantPort(options: PortOptions, variant: EngineVariant): EnginePort {
  return new BuiltinPort(options, variant);
}

type Args = Readonly<Record<string, unknown>>;

/** The positive integer after `prefix` in an id this engine gave out ("nbl12" -> 12), or 0. */
function parseRef(id: string, prefix: string): number {
  if (!id.startsWith(prefix)) return 0;
  const digits = id.slice(prefix.length);
  if (!/^[1-9][0-9]{0,15}$/.test(digits)) return 0;
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : 0;
}

function irqlCode(name: unknown): IrqlCode {
  const index = IRQL_NAMES.indexOf(name as (typeof IRQL_NAMES)[number]);
  return index < 0 ? IRQL.DIRQL : (index as IrqlCode);
}

function siteCode(from: unknown): SiteCode {
  const kind = (from as { kind?: unknown } | undefined)?.kind;
  return kind === "completionFn" ? SITE.completionFn : kind === "classify" ? SITE.classify : SITE.thread;
}

function uint(args: Args, key: string): number {
  const value = args[key];
  return typeof value === "number" ? value : 0;
}

function nullableString(args: Args, key: string): string | null {
  const value = args[key];
  return typeof value === "string" ? value : null;
}

class BuiltinPort implements EnginePort, EngineSink {
  readonly name: string;
  readonly families: readonly ApiFamily[] = FAMILIES;
  readonly verifier = true;
  private readonly engine: InjectionEngine;
  private events: EngineOutput[] = [];
  private findings: VerifierFinding[] = [];
  private unknownIds: string[] = [];

  constructor(options: PortOptions, variant: EngineVariant) {
    this.name = variant.name;
    this.engine = new InjectionEngine({
      policy: options.policy,
      completionIrql: options.completionIrql === "DISPATCH_LEVEL" ? IRQL.DISPATCH_LEVEL : IRQL.PASSIVE_LEVEL,
      seed: options.seed,
      batchSize: options.batchSize,
      platform: options.platform,
      sink: this,
      bugs: variant.bugs,
      verifierBugs: variant.verifierBugs,
    });
  }

  // ---- EngineSink
  completion(nblRef: number, completionContext: string | null, irql: IrqlCode, dispatchLevel: boolean, status: number): void {
    this.events.push({
      kind: "completion",
      completionContext,
      netBufferList: nblRef === 0 ? null : this.engine.nblName(nblRef),
      dispatchLevel,
      irql: IRQL_NAMES[irql],
      status: STATUS_NAMES[status] ?? "STATUS_UNSUCCESSFUL",
    });
  }

  returned(callToken: string, status: number): void {
    this.events.push({ kind: "return", callId: callToken, ret: { status: STATUS_NAMES[status] ?? "STATUS_UNSUCCESSFUL" } });
  }

  finding(ruleId: string, message: string): void {
    this.findings.push({ ruleId, message });
  }

  // ---- step plumbing
  private begin(): void {
    this.events = [];
    this.findings = [];
    this.unknownIds = [];
    this.engine.setUnknownNames(this.unknownIds);
  }

  private step(ret?: Record<string, unknown>): PortStep {
    return ret === undefined ? { events: this.events, findings: this.findings } : { ret, events: this.events, findings: this.findings };
  }

  private unknown(id: unknown): number {
    this.unknownIds.push(typeof id === "string" ? id : JSON.stringify(id));
    return -this.unknownIds.length;
  }

  // ---- id resolution: 0 is NULL, a negative ref an id the engine never gave out
  /** An absent or null id is NULL (0); a string `lookup` knows is its ref (> 0); anything else an unknown id. */
  private resolve(id: unknown, lookup: (id: string) => number): number {
    if (id === null || id === undefined) return 0;
    const ref = typeof id === "string" ? lookup(id) : 0;
    return ref > 0 ? ref : this.unknown(id);
  }

  /** An injection handle ("h"), NBL pool ("pool") or pend completion context ("pc") id. */
  private objectRef(id: unknown, prefix: "h" | "pool" | "pc"): number {
    return this.resolve(id, (text) => parseRef(text, prefix));
  }

  private handleRef(id: unknown): number {
    return this.objectRef(id, "h");
  }

  private poolRef(id: unknown): number {
    return this.objectRef(id, "pool");
  }

  private pendRef(id: unknown): number {
    return this.objectRef(id, "pc");
  }

  /** An NBL id: the stack's name of an indicated packet, or "nbl<ref>" of one the driver allocated or cloned. */
  private nblRef(id: unknown): number {
    return this.resolve(id, (text) => {
      const external = this.engine.externalNblRef(text);
      if (external > 0) return external;
      // "nbl<ref>" never names an indicated packet, even one whose slot number it spells.
      const ref = parseRef(text, "nbl");
      return this.engine.isExternalNbl(ref) ? 0 : ref;
    });
  }

  private nblList(value: unknown): number[] | null {
    return Array.isArray(value) ? value.map((id) => this.nblRef(id)) : null;
  }

  private status(code: number): Record<string, unknown> {
    return { status: STATUS_NAMES[code] ?? "STATUS_UNSUCCESSFUL" };
  }

  /** The return of a call that creates an object: its id on success (a ref > 0), else the failure status (-result). */
  private created(result: number, key: string, prefix: string): Record<string, unknown> {
    return result > 0 ? { status: "STATUS_SUCCESS", [key]: `${prefix}${result}` } : this.status(-result);
  }

  // ---- EnginePort
  call(callId: string, call: DriverCall): PortStep {
    this.begin();
    const engine = this.engine;
    const args = call.args as Args;
    const irql = irqlCode(call.irql);
    switch (call.fn) {
      case "FwpsInjectionHandleCreate0": {
        const flags = Array.isArray(args["flags"]) ? (args["flags"] as unknown[]).map(String) : [];
        const { types, unknown } = InjectionEngine.injectionTypes(flags);
        const family = engine.addressFamilyCode(String(args["addressFamily"]));
        const result = engine.createHandle(irql, family, types, unknown);
        return this.step(this.created(result, "injectionHandle", "h"));
      }
      case "FwpsInjectionHandleDestroy0": {
        const result = engine.destroyHandle(irql, siteCode(call.from), this.handleRef(args["injectionHandle"]), callId);
        return result === STATUS.PENDING ? this.step() : this.step(this.status(result));
      }
      case "FwpsInjectNetworkSendAsync0":
      case "FwpsInjectNetworkReceiveAsync0": {
        const ipVersion = args["ipVersion"] === 4 || args["ipVersion"] === 6 ? args["ipVersion"] : 0;
        const result = engine.injectNetwork(
          call.fn === "FwpsInjectNetworkReceiveAsync0",
          irql,
          this.handleRef(args["injectionHandle"]),
          this.nblRef(args["netBufferList"]),
          ipVersion,
          uint(args, "flags"),
          nullableString(args, "injectionContext"),
          nullableString(args, "completionContext"),
          args["completionFn"] === null,
        );
        return this.step(this.status(result));
      }
      case "FwpsInjectTransportSendAsync0":
      case "FwpsInjectTransportReceiveAsync0": {
        const result = engine.injectTransport(
          call.fn === "FwpsInjectTransportReceiveAsync0",
          irql,
          siteCode(call.from),
          this.handleRef(args["injectionHandle"]),
          this.nblRef(args["netBufferList"]),
          engine.addressFamilyCode(String(args["addressFamily"])),
          args["ipProtocol"] === "TCP",
          uint(args, "flags"),
          nullableString(args, "injectionContext"),
          nullableString(args, "completionContext"),
          args["completionFn"] === null,
        );
        return this.step(this.status(result));
      }
      case "FwpsInjectForwardAsync0": {
        const result = engine.injectForward(
          irql,
          this.handleRef(args["injectionHandle"]),
          this.nblRef(args["netBufferList"]),
          engine.addressFamilyCode(String(args["addressFamily"])),
          uint(args, "flags"),
          nullableString(args, "injectionContext"),
          nullableString(args, "completionContext"),
          args["completionFn"] === null,
        );
        return this.step(this.status(result));
      }
      case "FwpsStreamInjectAsync0": {
        const streamFlags = Array.isArray(args["streamFlags"]) ? (args["streamFlags"] as unknown[]).map(String) : [];
        const result = engine.injectStream(
          irql,
          this.handleRef(args["injectionHandle"]),
          this.nblList(args["netBufferList"]),
          STREAM_LAYERS.includes(String(args["layerId"])),
          engine.flowIndex(String(args["flowId"])),
          streamFlagMask(streamFlags),
          args["completionFn"] === null,
          uint(args, "flags"),
          nullableString(args, "injectionContext"),
          nullableString(args, "completionContext"),
        );
        return this.step(this.status(result));
      }
      case "NdisAllocateNetBufferListPool": {
        const result = engine.allocatePool();
        return this.step(this.created(result, "poolHandle", "pool"));
      }
      case "NdisFreeNetBufferListPool":
        engine.freePool(this.poolRef(args["poolHandle"]));
        return this.step({});
      case "FwpsAllocateNetBufferAndNetBufferList0": {
        const mdl = args["mdlChain"] as { byteCount?: unknown } | null | undefined;
        const mdlBytes = mdl === null || mdl === undefined ? -1 : typeof mdl.byteCount === "number" ? mdl.byteCount : 0;
        const result = engine.allocateNbl(irql, this.poolRef(args["poolHandle"]), uint(args, "contextSize"), uint(args, "contextBackFill"), mdlBytes, uint(args, "dataOffset"), uint(args, "dataLength"));
        return this.step(this.created(result, "netBufferList", "nbl"));
      }
      case "FwpsAllocateCloneNetBufferList0": {
        const result = engine.cloneNbl(irql, this.nblRef(args["originalNetBufferList"]), uint(args, "allocateCloneFlags"));
        return this.step(this.created(result, "netBufferList", "nbl"));
      }
      case "FwpsCloneStreamData0": {
        const streamData = this.resolve(args["calloutStreamData"], (id) => engine.streamDataRef(id));
        const chain: number[] = [];
        const result = engine.cloneStream(irql, streamData, uint(args, "allocateCloneFlags"), chain);
        if (result !== STATUS.SUCCESS) return this.step(this.status(result));
        return this.step({ status: "STATUS_SUCCESS", netBufferListChain: chain.map((ref) => `nbl${ref}`), dataLength: engine.lastCloneDataLength });
      }
      case "FwpsFreeCloneNetBufferList0":
        engine.freeClone(irql, this.nblRef(args["netBufferList"]), uint(args, "freeCloneFlags"));
        return this.step({});
      case "FwpsFreeNetBufferList0":
        engine.freeNbl(irql, this.nblRef(args["netBufferList"]));
        return this.step({});
      case "FwpsDiscardClonedStreamData0":
        engine.discardClonedStream(irql, this.nblList(args["clonedNetBufferListChain"]), uint(args, "allocateCloneFlags"), args["dispatchLevel"] === true);
        return this.step({});
      case "FwpsPendOperation0": {
        const result = engine.pend(irql, this.resolve(args["completionHandle"], (id) => engine.completionHandleRef(id)));
        return this.step(this.created(result, "completionContext", "pc"));
      }
      case "FwpsCompleteOperation0": {
        const result = engine.completeOperation(irql, this.pendRef(args["completionContext"]), this.nblRef(args["netBufferList"]));
        return this.step(this.status(result));
      }
      case "FwpsQueryPacketInjectionState0": {
        const state = engine.queryInjectionState(irql, this.handleRef(args["injectionHandle"]), this.nblRef(args["netBufferList"]));
        const ret: Record<string, unknown> = { injectionState: INJECTION_STATES[state] };
        if (engine.lastQueryHasContext) ret["injectionContext"] = engine.lastQueryContext;
        return this.step(ret);
      }
      default:
        throw new Error(`the built-in simulator does not implement ${(call as { fn: string }).fn}`);
    }
  }

  environment(event: EnvironmentEvent): PortStep {
    this.begin();
    const engine = this.engine;
    switch (event.kind) {
      case "tcpipStack":
        engine.setTcpipReady(event.ready);
        break;
      case "resources":
        engine.setResourcesExhausted(event.exhausted);
        break;
      case "streamIndicated":
        engine.indicateStream(event.streamData, event.flowId, event.netBufferListChain, event.dataLength, streamFlagMask(event.streamFlags));
        break;
      case "aleClassify":
        engine.aleClassify(event.completionHandle, event.layerId, event.reauthorization, event.netBufferList ?? null);
        break;
      case "packetIndicated":
        engine.indicatePacket(event.netBufferList, event.netBufferCount ?? 1);
        break;
      case "engineIdle":
        break;
      case "driverUnload":
        engine.unload();
        break;
    }
    return this.step();
  }

  deliver(max: number): PortStep {
    this.begin();
    this.engine.deliver(max);
    return this.step();
  }

  pendingWork(): number {
    return this.engine.pendingWork();
  }
}
