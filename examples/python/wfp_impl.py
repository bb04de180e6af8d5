#!/usr/bin/env python3
"""A Windows Filtering Platform packet-injection engine, in plain Python, for wfp-conformance.

This is an example port of the WFP packet-injection API's *engine side*: the part of the filter
engine a callout driver talks to (injection handles, NET_BUFFER_LIST allocation and cloning,
asynchronous injection with completion callbacks, pend/complete, the injection-state query). It
is driven by the conformance harness as a child process over JSON Lines (docs/protocol.md):

    npx wfp-conform run --impl-cmd "python3 examples/python/wfp_impl.py" --seed 1 --out py-report

The file has three layers, top to bottom:

1. the objects the engine keeps (`InjectionHandle`, `NetBufferList`, ...), plain dataclasses;
2. `Engine`: one method per API function or environment event, each returning a `Step`
   (the call's result, the engine events of the step, no verifier findings);
3. `serve`: the JSON Lines loop (one request line in, exactly one response line out, flushed).

What the engine returns follows spec/semantics.md, "The engine's result":

* a *documented* failure that applies is always returned (the first applicable one, in the
  order the page lists them), whatever else is wrong with the call;
* a call through a dead (destroyed or never created) handle fails;
* caller misuse the engine cannot carry out (a NULL, unknown, freed or in-flight NBL, an
  unknown pool, stream data or completion handle, a handle of the wrong type, an address family
  or layer it cannot route) fails with a plausible status; misuse it *can* carry out (wrong IRQL,
  non-zero reserved flags, misaligned sizes, ...) goes ahead: judging the caller is the model's
  job, so this engine declares `"verifier": false` and never reports findings;
* an allocating call fails with STATUS_INSUFFICIENT_RESOURCES while resources are exhausted;
* everything else succeeds.

A successful injection owes one completion per NBL (each NBL of a stream chain), with the call's
completionContext. Completions wait in a queue and are delivered according to the delivery policy
`hello` chose. FwpsInjectionHandleDestroy0 blocks (its step has no `ret`) while injections made
through the handle are in flight; its `return` event follows the last of their completions.

Standard library only; Python 3.8 or later.
"""

from __future__ import annotations

import json
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

PROTOCOL_VERSION = 1
ENGINE_NAME = "python-example-engine"
FAMILIES = ["handles", "network", "transport", "forward", "stream", "nbl", "pend", "query"]

# --------------------------------------------------------------------------------------------------
# The words of the API (spec/vocabulary.ts).
# --------------------------------------------------------------------------------------------------

STATUS_SUCCESS = "STATUS_SUCCESS"
STATUS_FWP_TCPIP_NOT_READY = "STATUS_FWP_TCPIP_NOT_READY"
STATUS_FWP_INJECT_HANDLE_CLOSING = "STATUS_FWP_INJECT_HANDLE_CLOSING"
STATUS_FWP_INJECT_HANDLE_STALE = "STATUS_FWP_INJECT_HANDLE_STALE"
STATUS_FWP_INVALID_PARAMETER = "STATUS_FWP_INVALID_PARAMETER"
STATUS_FWP_NULL_POINTER = "STATUS_FWP_NULL_POINTER"
STATUS_FWP_CANNOT_PEND = "STATUS_FWP_CANNOT_PEND"
STATUS_INSUFFICIENT_RESOURCES = "STATUS_INSUFFICIENT_RESOURCES"
# Not named by the pages; "any other failure status" where the pages document none.
STATUS_INVALID_HANDLE = "STATUS_INVALID_HANDLE"
STATUS_INVALID_PARAMETER = "STATUS_INVALID_PARAMETER"

AF_INET = "AF_INET"
AF_INET6 = "AF_INET6"
AF_UNSPEC = "AF_UNSPEC"
IP_FAMILIES = (AF_INET, AF_INET6)

TYPE_FORWARD = "FWPS_INJECTION_TYPE_FORWARD"
TYPE_NETWORK = "FWPS_INJECTION_TYPE_NETWORK"
TYPE_STREAM = "FWPS_INJECTION_TYPE_STREAM"
TYPE_TRANSPORT = "FWPS_INJECTION_TYPE_TRANSPORT"
INJECTION_TYPES = (TYPE_FORWARD, TYPE_NETWORK, TYPE_STREAM, TYPE_TRANSPORT)
# Defined in fwpsk.h after the seed page (MAC and vSwitch injection): accepted at create, never a
# transport, stream, forward or network handle by themselves.
HEADER_INJECTION_TYPES = ("FWPS_INJECTION_TYPE_L2", "FWPS_INJECTION_TYPE_VSWITCH_TRANSPORT")

STREAM_LAYERS = ("FWPS_LAYER_STREAM_V4", "FWPS_LAYER_STREAM_V6")
PENDABLE_LAYERS = (
    "FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V4",
    "FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V6",
    "FWPS_LAYER_ALE_AUTH_LISTEN_V4",
    "FWPS_LAYER_ALE_AUTH_LISTEN_V6",
    "FWPS_LAYER_ALE_AUTH_CONNECT_V4",
    "FWPS_LAYER_ALE_AUTH_CONNECT_V6",
    "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4",
    "FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V6",
)

FLAG_SEND = "FWPS_STREAM_FLAG_SEND"
FLAG_SEND_DISCONNECT = "FWPS_STREAM_FLAG_SEND_DISCONNECT"
FLAG_RECEIVE = "FWPS_STREAM_FLAG_RECEIVE"
FLAG_RECEIVE_DISCONNECT = "FWPS_STREAM_FLAG_RECEIVE_DISCONNECT"

NOT_INJECTED = "FWPS_PACKET_NOT_INJECTED"
INJECTED_BY_SELF = "FWPS_PACKET_INJECTED_BY_SELF"
INJECTED_BY_OTHER = "FWPS_PACKET_INJECTED_BY_OTHER"
PREVIOUSLY_INJECTED_BY_SELF = "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF"

# The injection type each inject function needs, and the name of its family.
INJECT_FUNCTIONS: Dict[str, Tuple[str, str]] = {
    "FwpsInjectNetworkSendAsync0": ("network", TYPE_NETWORK),
    "FwpsInjectNetworkReceiveAsync0": ("network", TYPE_NETWORK),
    "FwpsInjectTransportSendAsync0": ("transport", TYPE_TRANSPORT),
    "FwpsInjectTransportReceiveAsync0": ("transport", TYPE_TRANSPORT),
    "FwpsInjectForwardAsync0": ("forward", TYPE_FORWARD),
    "FwpsStreamInjectAsync0": ("stream", TYPE_STREAM),
}

DELIVERY_POLICIES = ("immediate", "fifo", "lifo", "random", "batch")


# --------------------------------------------------------------------------------------------------
# The objects the engine keeps.
# --------------------------------------------------------------------------------------------------


@dataclass
class InjectionHandle:
    """An injection handle from FwpsInjectionHandleCreate0.

    `state` is "open", then "closing" while a FwpsInjectionHandleDestroy0 waits for the handle's
    injections, then "destroyed". `in_flight` counts the completions still owed for injections
    made through the handle; `blocked_destroy` is the callId of the destroy waiting on them.
    """

    id: str
    address_family: str
    types: Tuple[str, ...]
    state: str = "open"
    in_flight: int = 0
    blocked_destroy: Optional[str] = None

    def accepts(self, injection_type: str) -> bool:
        """Whether an injection of this type may go through the handle (flags = 0 allows every
        type but NETWORK, which always needs its own bit)."""
        if injection_type == TYPE_NETWORK:
            return TYPE_NETWORK in self.types
        return not self.types or injection_type in self.types


@dataclass
class InjectionMark:
    """One successful injection of an NBL: through which handle, with which injectionContext."""

    handle: str
    injection_context: Optional[str]


@dataclass
class NetBufferList:
    """A NET_BUFFER_LIST the engine knows about.

    `origin` is "allocated" (FwpsAllocateNetBufferAndNetBufferList0), "clone"
    (FwpsAllocateCloneNetBufferList0), "streamClone" (a member of a FwpsCloneStreamData0 chain) or
    "indicated" (handed to the driver by the stack). `parent` is the original a clone was made
    from; `injections` is every successful injection of this NBL, oldest first (what
    FwpsQueryPacketInjectionState0 reads).
    """

    id: str
    origin: str
    net_buffer_count: int = 1
    parent: Optional[str] = None
    freed: bool = False
    in_flight: bool = False
    injections: List[InjectionMark] = field(default_factory=list)


@dataclass
class StreamData:
    """An FWPS_STREAM_DATA0 indicated at a stream layer: its chain of NBLs and data length."""

    id: str
    layer_id: str
    flow_id: str
    chain: List[str]
    data_length: int


@dataclass
class CompletionHandle:
    """The completion handle of an ALE classify, which FwpsPendOperation0 can pend."""

    id: str
    layer_id: str
    reauthorization: bool
    net_buffer_list: Optional[str]
    pended: bool = False


@dataclass
class OwedCompletion:
    """A completion the engine owes: completionFn(completionContext, netBufferList), made through a handle."""

    net_buffer_list: str
    completion_context: Optional[str]
    handle: str


@dataclass
class Step:
    """What one request produced: the call's result (None while the call blocks) and the engine
    events of the step, in order (completions, returns of blocked calls)."""

    ret: Optional[Dict[str, Any]] = None
    events: List[Dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> Dict[str, Any]:
        """The PortStep of the protocol; `ret` is left out while the call blocks."""
        out: Dict[str, Any] = {"events": self.events, "findings": []}
        if self.ret is not None:
            out["ret"] = self.ret
        return out


# --------------------------------------------------------------------------------------------------
# Completion delivery.
# --------------------------------------------------------------------------------------------------


class Mulberry32:
    """mulberry32, a tiny seedable 32-bit PRNG: the same seed gives the same sequence on every
    Python version (and the same sequence as impl/queue.ts's `mulberry32`)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFF

    def next_float(self) -> float:
        """The next number in [0, 1)."""
        self.state = (self.state + 0x6D2B79F5) & 0xFFFFFFFF
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0


class CompletionQueue:
    """The completions owed and not yet delivered, taken in the order the delivery policy says.

    * fifo: oldest first;  lifo: newest first;
    * random: a uniformly chosen one each time (seeded PRNG, swap-remove);
    * batch: oldest first, at most one batch of `batch_size` per delivery (as impl/engine.ts does);
    * immediate: never queues anything; the engine delivers each injection's completions in the
      inject call's own step.
    """

    def __init__(self, policy: str, seed: int, batch_size: int) -> None:
        self.policy = policy
        self.batch_size = max(1, batch_size)
        self.random = Mulberry32(seed)
        self.entries: List[OwedCompletion] = []

    def __len__(self) -> int:
        return len(self.entries)

    def push(self, owed: OwedCompletion) -> None:
        self.entries.append(owed)

    def take(self, maximum: int) -> List[OwedCompletion]:
        """Removes and returns at most `maximum` completions, in delivery order."""
        count = min(maximum, len(self.entries))
        if count <= 0:
            return []
        if self.policy == "lifo":
            taken = self.entries[len(self.entries) - count :]
            del self.entries[len(self.entries) - count :]
            taken.reverse()
            return taken
        if self.policy == "random":
            taken = []
            for _ in range(count):
                at = int(self.random.next_float() * len(self.entries))
                taken.append(self.entries[at])
                self.entries[at] = self.entries[-1]
                self.entries.pop()
            return taken
        if self.policy == "batch":
            count = min(count, self.batch_size)
        taken = self.entries[:count]
        del self.entries[:count]
        return taken


# --------------------------------------------------------------------------------------------------
# The engine.
# --------------------------------------------------------------------------------------------------


class Engine:
    """The filter engine's injection side, for one run (a `hello` makes a new one).

    `call`, `environment` and `deliver` return a Step; `pending_work` the number of queued
    completions. Object ids are "h1", "pool1", "nbl1", "pc1", ... and are never reused, so an id
    always names one object (a freed NBL stays known as freed).
    """

    def __init__(self, options: Dict[str, Any]) -> None:
        policy = options.get("policy", "fifo")
        if policy not in DELIVERY_POLICIES:
            raise ValueError(f"unknown delivery policy {policy!r}")
        self.policy: str = policy
        self.completion_irql: str = options.get("completionIrql", "DISPATCH_LEVEL")
        # `platform` only sets MEMORY_ALLOCATION_ALIGNMENT, which judges the caller, not the engine.
        self.platform: str = options.get("platform", "x64")
        self.queue = CompletionQueue(policy, int(options.get("seed", 1)), int(options.get("batchSize", 1)))

        self.stack_ready = True
        self.resources_exhausted = False

        self.handles: Dict[str, InjectionHandle] = {}
        self.pools: Dict[str, bool] = {}  # pool id -> live
        self.nbls: Dict[str, NetBufferList] = {}
        self.stream_data: Dict[str, StreamData] = {}
        self.completion_handles: Dict[str, CompletionHandle] = {}
        self.pends: Dict[str, bool] = {}  # completion context -> completed
        self.counters: Dict[str, int] = {}

    # ---------------------------------------------------------------------------------------------
    # Dispatch.
    # ---------------------------------------------------------------------------------------------

    def call(self, call_id: str, call: Dict[str, Any]) -> Step:
        """Makes one driver call; `call_id` names it in a later `return` event if it blocks."""
        fn = call.get("fn")
        args = call.get("args") or {}
        if fn in INJECT_FUNCTIONS:
            return self.inject(fn, args)
        if fn == "FwpsInjectionHandleDestroy0":
            return self.handle_destroy(call_id, args)
        handler: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = {
            "FwpsInjectionHandleCreate0": self.handle_create,
            "NdisAllocateNetBufferListPool": self.allocate_pool,
            "NdisFreeNetBufferListPool": self.free_pool,
            "FwpsAllocateNetBufferAndNetBufferList0": self.allocate_nbl,
            "FwpsAllocateCloneNetBufferList0": self.clone_nbl,
            "FwpsCloneStreamData0": self.clone_stream_data,
            "FwpsFreeCloneNetBufferList0": self.free_clone_nbl,
            "FwpsFreeNetBufferList0": self.free_nbl,
            "FwpsDiscardClonedStreamData0": self.discard_cloned_stream_data,
            "FwpsPendOperation0": self.pend_operation,
            "FwpsCompleteOperation0": self.complete_operation,
            "FwpsQueryPacketInjectionState0": self.query_injection_state,
        }.get(fn)
        if handler is None:
            raise ValueError(f"unknown function {fn!r}")
        return Step(ret=handler(args))

    def environment(self, event: Dict[str, Any]) -> Step:
        """Takes note of what the stack or the system did; never produces engine events."""
        kind = event.get("kind")
        if kind == "tcpipStack":
            self.stack_ready = bool(event["ready"])
        elif kind == "resources":
            self.resources_exhausted = bool(event["exhausted"])
        elif kind == "packetIndicated":
            self.indicate(event["netBufferList"], int(event.get("netBufferCount", 1)))
        elif kind == "streamIndicated":
            chain = list(event["netBufferListChain"])
            for nbl_id in chain:
                self.indicate(nbl_id, 1)
            self.stream_data[event["streamData"]] = StreamData(
                event["streamData"], event["layerId"], event["flowId"], chain, int(event["dataLength"])
            )
        elif kind == "aleClassify":
            packet = event.get("netBufferList")
            if packet is not None:
                self.indicate(packet, 1)
            self.completion_handles[event["completionHandle"]] = CompletionHandle(
                event["completionHandle"], event["layerId"], bool(event.get("reauthorization", False)), packet
            )
        # driverUnload and engineIdle change nothing here: the harness drains the queue first, and
        # a completion delivered after the unload would be a completion for an unloaded driver.
        return Step(ret=None)

    def deliver(self, maximum: int) -> Step:
        """Delivers at most `maximum` queued completions, in the order of the delivery policy."""
        step = Step()
        for owed in self.queue.take(maximum):
            self.complete(owed, step)
        return step

    def pending_work(self) -> int:
        """How many completions are queued and deliverable now."""
        return len(self.queue)

    # ---------------------------------------------------------------------------------------------
    # Helpers.
    # ---------------------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh id such as "nbl7"; ids are never reused within a run."""
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]}"

    def live_handle(self, handle_id: Optional[str]) -> Optional[InjectionHandle]:
        """The handle `handle_id` names if it is live (open or closing), else None."""
        handle = self.handles.get(handle_id) if handle_id is not None else None
        return handle if handle is not None and handle.state != "destroyed" else None

    def live_nbl(self, nbl_id: Optional[str]) -> Optional[NetBufferList]:
        """The NBL `nbl_id` names if it is live (known and not freed), else None."""
        nbl = self.nbls.get(nbl_id) if nbl_id is not None else None
        return nbl if nbl is not None and not nbl.freed else None

    def indicate(self, nbl_id: str, net_buffer_count: int) -> None:
        """The stack hands an NBL to the driver. An id naming a live NBL is the same NBL indicated
        again (it keeps its injection history); otherwise it is a new, stack-owned NBL."""
        if self.live_nbl(nbl_id) is None:
            self.nbls[nbl_id] = NetBufferList(nbl_id, "indicated", max(1, net_buffer_count))

    def free(self, nbl_id: Optional[str]) -> None:
        """Frees a live NBL whatever else is wrong with the call. A completion still owed for it is
        still delivered: the engine made a promise to the driver, not to the memory."""
        nbl = self.live_nbl(nbl_id)
        if nbl is not None:
            nbl.freed = True
            nbl.in_flight = False

    def completion_event(self, owed: OwedCompletion) -> Dict[str, Any]:
        """The `completion` event of the protocol for one owed completion."""
        return {
            "kind": "completion",
            "completionContext": owed.completion_context,
            "netBufferList": owed.net_buffer_list,
            "dispatchLevel": self.completion_irql == "DISPATCH_LEVEL",
            "irql": self.completion_irql,
            "status": STATUS_SUCCESS,
        }

    def complete(self, owed: OwedCompletion, step: Step) -> None:
        """Calls the driver's completionFn for one NBL; when that was the last injection in flight
        through a closing handle, the destroy waiting on it returns right after."""
        step.events.append(self.completion_event(owed))
        nbl = self.nbls.get(owed.net_buffer_list)
        if nbl is not None:
            nbl.in_flight = False
        handle = self.handles[owed.handle]
        handle.in_flight -= 1
        if handle.state == "closing" and handle.in_flight == 0:
            self.finish_destroy(handle, step)

    def finish_destroy(self, handle: InjectionHandle, step: Step) -> None:
        """The handle's blocked FwpsInjectionHandleDestroy0 returns STATUS_SUCCESS."""
        handle.state = "destroyed"
        if handle.blocked_destroy is not None:
            step.events.append({"kind": "return", "callId": handle.blocked_destroy, "ret": {"status": STATUS_SUCCESS}})
            handle.blocked_destroy = None

    # ---------------------------------------------------------------------------------------------
    # FwpsInjectionHandleCreate0 and FwpsInjectionHandleDestroy0.
    # ---------------------------------------------------------------------------------------------

    def handle_create(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsInjectionHandleCreate0: a new open handle of the given family and injection types."""
        family = args.get("addressFamily")
        flags = list(args.get("flags") or [])
        if not self.stack_ready:
            return {"status": STATUS_FWP_TCPIP_NOT_READY}
        if family not in (AF_UNSPEC,) + IP_FAMILIES or any(flag not in INJECTION_TYPES + HEADER_INJECTION_TYPES for flag in flags):
            return {"status": STATUS_INVALID_PARAMETER}
        if TYPE_NETWORK in flags and family not in IP_FAMILIES:
            # Network handles are per address family (the IP header decides nothing for the handle).
            return {"status": STATUS_INVALID_PARAMETER}
        if self.resources_exhausted:
            return {"status": STATUS_INSUFFICIENT_RESOURCES}
        handle = InjectionHandle(self.new_id("h"), family, tuple(dict.fromkeys(flags)))
        self.handles[handle.id] = handle
        return {"status": STATUS_SUCCESS, "injectionHandle": handle.id}

    def handle_destroy(self, call_id: str, args: Dict[str, Any]) -> Step:
        """FwpsInjectionHandleDestroy0: the handle starts closing; the call returns once no
        injection made through it is in flight (at once if none is), else it blocks."""
        handle = self.handles.get(args.get("injectionHandle") or "")
        if handle is None or handle.state != "open":
            # NULL, never created, already closing or destroyed: misuse, refused at once.
            return Step(ret={"status": STATUS_INVALID_HANDLE})
        handle.state = "closing"
        if handle.in_flight == 0:
            handle.state = "destroyed"
            return Step(ret={"status": STATUS_SUCCESS})
        handle.blocked_destroy = call_id
        return Step(ret=None)

    # ---------------------------------------------------------------------------------------------
    # The inject functions.
    # ---------------------------------------------------------------------------------------------

    def inject(self, fn: str, args: Dict[str, Any]) -> Step:
        """FwpsInject*Async0 and FwpsStreamInjectAsync0: on success, every NBL goes in flight and a
        completion is owed for each, with the call's completionContext."""
        handle = self.live_handle(args.get("injectionHandle"))
        if fn == "FwpsStreamInjectAsync0":
            chain = args.get("netBufferList")
            nbl_ids: List[Optional[str]] = [] if chain is None else list(chain)
        else:
            nbl_ids = [args.get("netBufferList")]

        status = self.inject_status(fn, args, handle, nbl_ids)
        step = Step(ret={"status": status})
        if status != STATUS_SUCCESS or handle is None:
            return step  # the caller keeps its NBLs; nothing is owed

        mark = InjectionMark(handle.id, args.get("injectionContext"))
        fresh: List[OwedCompletion] = []
        for nbl_id in dict.fromkeys(nbl_ids):  # one completion per NBL (a NULL disconnect: none)
            nbl = self.nbls[nbl_id]
            nbl.in_flight = True
            nbl.injections.append(mark)
            handle.in_flight += 1
            fresh.append(OwedCompletion(nbl_id, args.get("completionContext"), handle.id))

        for owed in fresh:
            if self.policy == "immediate":
                self.complete(owed, step)  # after the call returned, in the same step
            else:
                self.queue.push(owed)
        return step

    def inject_status(self, fn: str, args: Dict[str, Any], handle: Optional[InjectionHandle], nbl_ids: List[Optional[str]]) -> str:
        """The status an inject call returns, checks in the order of spec/semantics.md."""
        family, injection_type = INJECT_FUNCTIONS[fn]
        stream_flags = list(args.get("streamFlags") or [])

        # Documented failures, first applicable one wins.
        if handle is not None and handle.state == "closing":
            return STATUS_FWP_INJECT_HANDLE_CLOSING
        if family == "network" and handle is not None and TYPE_NETWORK not in handle.types:
            return STATUS_FWP_INJECT_HANDLE_STALE
        if not self.stack_ready:
            return STATUS_FWP_TCPIP_NOT_READY
        if family == "stream":
            if (FLAG_RECEIVE_DISCONNECT in stream_flags and FLAG_RECEIVE not in stream_flags) or (
                FLAG_SEND_DISCONNECT in stream_flags and FLAG_SEND not in stream_flags
            ):
                return STATUS_FWP_INVALID_PARAMETER
            if args.get("completionFn", "completionFn") is None:
                return STATUS_FWP_NULL_POINTER
            disconnect = FLAG_SEND_DISCONNECT in stream_flags or FLAG_RECEIVE_DISCONNECT in stream_flags
            if args.get("netBufferList") is None and not disconnect:
                return STATUS_FWP_NULL_POINTER

        # A dead handle: the injection cannot go anywhere.
        if handle is None:
            return STATUS_INVALID_HANDLE

        # Misuse the engine cannot carry out.
        if not handle.accepts(injection_type):
            return STATUS_FWP_INJECT_HANDLE_STALE
        if family in ("transport", "forward") and args.get("addressFamily") not in IP_FAMILIES:
            return STATUS_INVALID_PARAMETER
        if family == "stream" and args.get("layerId") not in STREAM_LAYERS:
            return STATUS_FWP_INVALID_PARAMETER
        for nbl_id in nbl_ids:
            if nbl_id is None:
                return STATUS_FWP_NULL_POINTER
            nbl = self.live_nbl(nbl_id)
            if nbl is None or nbl.in_flight:
                return STATUS_INVALID_PARAMETER
        return STATUS_SUCCESS

    # ---------------------------------------------------------------------------------------------
    # NBL pools, allocation, cloning and freeing.
    # ---------------------------------------------------------------------------------------------

    def allocate_pool(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """NdisAllocateNetBufferListPool: a new pool."""
        if self.resources_exhausted:
            return {"status": STATUS_INSUFFICIENT_RESOURCES}
        pool_id = self.new_id("pool")
        self.pools[pool_id] = True
        return {"status": STATUS_SUCCESS, "poolHandle": pool_id}

    def free_pool(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """NdisFreeNetBufferListPool: the pool is no longer live (VOID)."""
        pool_id = args.get("poolHandle")
        if pool_id in self.pools:
            self.pools[pool_id] = False
        return {}

    def allocate_nbl(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsAllocateNetBufferAndNetBufferList0: a new NBL with one NET_BUFFER, from a live pool."""
        if not self.pools.get(args.get("poolHandle") or ""):
            return {"status": STATUS_INVALID_PARAMETER}
        mdl = args.get("mdlChain")
        offset, length = int(args.get("dataOffset", 0)), int(args.get("dataLength", 0))
        if (mdl is None and (offset or length)) or (mdl is not None and offset + length > int(mdl.get("byteCount", 0))):
            return {"status": STATUS_INVALID_PARAMETER}  # the data would lie outside the MDL chain
        # contextSize / contextBackFill alignment (MEMORY_ALLOCATION_ALIGNMENT) is the caller's
        # duty; this engine rounds nothing and proceeds.
        if self.resources_exhausted:
            return {"status": STATUS_INSUFFICIENT_RESOURCES}
        nbl = NetBufferList(self.new_id("nbl"), "allocated")
        self.nbls[nbl.id] = nbl
        return {"status": STATUS_SUCCESS, "netBufferList": nbl.id}

    def clone_nbl(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsAllocateCloneNetBufferList0: a clone of a live NBL, remembering its original."""
        original = self.live_nbl(args.get("originalNetBufferList"))
        if original is None:
            return {"status": STATUS_INVALID_PARAMETER}
        if self.resources_exhausted:
            return {"status": STATUS_INSUFFICIENT_RESOURCES}
        clone = NetBufferList(self.new_id("nbl"), "clone", original.net_buffer_count, parent=original.id)
        self.nbls[clone.id] = clone
        return {"status": STATUS_SUCCESS, "netBufferList": clone.id}

    def clone_stream_data(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsCloneStreamData0: one new NBL per NBL of the indicated chain; the cloned chain
        describes as many bytes as the indicated stream data."""
        stream_data_id = args.get("calloutStreamData")
        if stream_data_id is None:
            return {"status": STATUS_FWP_NULL_POINTER}
        stream_data = self.stream_data.get(stream_data_id)
        if stream_data is None:
            return {"status": STATUS_INVALID_PARAMETER}
        if self.resources_exhausted:
            return {"status": STATUS_INSUFFICIENT_RESOURCES}
        chain = []
        for _ in stream_data.chain:
            nbl = NetBufferList(self.new_id("nbl"), "streamClone")
            self.nbls[nbl.id] = nbl
            chain.append(nbl.id)
        return {"status": STATUS_SUCCESS, "netBufferListChain": chain, "dataLength": stream_data.data_length}

    def free_clone_nbl(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsFreeCloneNetBufferList0 (VOID)."""
        self.free(args.get("netBufferList"))
        return {}

    def free_nbl(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsFreeNetBufferList0 (VOID)."""
        self.free(args.get("netBufferList"))
        return {}

    def discard_cloned_stream_data(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsDiscardClonedStreamData0: frees each NBL of the list (VOID)."""
        for nbl_id in args.get("clonedNetBufferListChain") or []:
            self.free(nbl_id)
        return {}

    # ---------------------------------------------------------------------------------------------
    # Pend and complete.
    # ---------------------------------------------------------------------------------------------

    def pend_operation(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsPendOperation0: pends an ALE classify; returns a new completion context."""
        handle_id = args.get("completionHandle")
        if handle_id is None:
            return {"status": STATUS_FWP_NULL_POINTER}
        handle = self.completion_handles.get(handle_id)
        if handle is not None and handle.reauthorization:
            return {"status": STATUS_FWP_CANNOT_PEND}
        if not self.stack_ready:
            return {"status": STATUS_FWP_TCPIP_NOT_READY}
        if handle is None or handle.pended:
            return {"status": STATUS_INVALID_PARAMETER}
        if handle.layer_id not in PENDABLE_LAYERS:
            return {"status": STATUS_FWP_CANNOT_PEND}
        handle.pended = True
        context = self.new_id("pc")
        self.pends[context] = False
        return {"status": STATUS_SUCCESS, "completionContext": context}

    def complete_operation(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsCompleteOperation0: resumes a pended classify (VOID in the current page)."""
        context = args.get("completionContext")
        if context in self.pends:
            self.pends[context] = True
        return {}

    # ---------------------------------------------------------------------------------------------
    # FwpsQueryPacketInjectionState0.
    # ---------------------------------------------------------------------------------------------

    def query_injection_state(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """FwpsQueryPacketInjectionState0: whether the NBL (or an original it was cloned from) was
        injected through the queried handle, and that injection's injectionContext."""
        handle = self.live_handle(args.get("injectionHandle"))
        nbl = self.live_nbl(args.get("netBufferList"))
        if handle is None or nbl is None:
            return {"injectionState": NOT_INJECTED, "injectionContext": None}  # misuse: nothing to report
        if not nbl.injections:
            return {"injectionState": NOT_INJECTED, "injectionContext": None}
        last = nbl.injections[-1]
        if last.handle == handle.id:
            return {"injectionState": INJECTED_BY_SELF, "injectionContext": last.injection_context}
        seen = {nbl.id}
        ancestor = self.nbls.get(nbl.parent) if nbl.parent is not None else None
        while ancestor is not None and ancestor.id not in seen:
            seen.add(ancestor.id)
            for mark in reversed(ancestor.injections):
                if mark.handle == handle.id:
                    return {"injectionState": PREVIOUSLY_INJECTED_BY_SELF, "injectionContext": mark.injection_context}
            ancestor = self.nbls.get(ancestor.parent) if ancestor.parent is not None else None
        return {"injectionState": INJECTED_BY_OTHER, "injectionContext": None}


# --------------------------------------------------------------------------------------------------
# The JSON Lines server.
# --------------------------------------------------------------------------------------------------


class Server:
    """Answers the harness's requests, one response line per request line, in order."""

    def __init__(self, engine_class: Callable[[Dict[str, Any]], Engine] = Engine, name: str = ENGINE_NAME) -> None:
        self.engine_class = engine_class
        self.name = name
        self.engine: Optional[Engine] = None

    def handle(self, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        """The `result` of one request."""
        if method == "hello":
            if params.get("protocol") != PROTOCOL_VERSION:
                raise ValueError(f"unsupported protocol {params.get('protocol')!r}; this engine speaks {PROTOCOL_VERSION}")
            self.engine = self.engine_class(params.get("options") or {})  # a new run forgets everything
            return {"name": self.name, "protocol": PROTOCOL_VERSION, "families": FAMILIES, "verifier": False}
        if method == "dispose":
            return {}
        engine = self.engine
        if engine is None:
            raise ValueError(f"{method} before hello")
        if method == "call":
            return engine.call(params["callId"], params["call"]).to_json()
        if method == "environment":
            return engine.environment(params["event"]).to_json()
        if method == "deliver":
            return engine.deliver(int(params.get("max", 1))).to_json()
        if method == "pendingWork":
            return {"count": engine.pending_work()}
        raise ValueError(f"unknown method {method!r}")

    def serve(self, stdin=sys.stdin, stdout=sys.stdout) -> int:
        """Reads requests until EOF or `dispose`; returns the exit code."""
        while True:
            line = stdin.readline()
            if line == "":
                return 0  # EOF: the harness closed our stdin
            if line.strip() == "":
                continue
            request_id: Any = 0
            method = ""
            try:
                request = json.loads(line)
                request_id = request.get("id", 0)
                method = request.get("method", "")
                response = {"id": request_id, "result": self.handle(method, request.get("params") or {})}
            except Exception as error:  # report, do not die: the harness names the request
                traceback.print_exc(file=sys.stderr)
                response = {"id": request_id if isinstance(request_id, int) else 0, "error": {"message": f"{type(error).__name__}: {error}"}}
            stdout.write(json.dumps(response, separators=(",", ":")) + "\n")
            stdout.flush()
            if method == "dispose":
                return 0


def main(engine_class: Callable[[Dict[str, Any]], Engine] = Engine, name: str = ENGINE_NAME) -> None:
    """Runs the server on stdin/stdout."""
    try:
        code = Server(engine_class, name).serve()
    except (BrokenPipeError, KeyboardInterrupt):
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    main()
