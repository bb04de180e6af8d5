#!/usr/bin/env python3
"""Replays wfp-conformance test vectors (docs/vectors.md) against a Python engine, in process.

    npx wfp-conform vectors --out vectors.jsonl
    python3 examples/python/run_vectors.py vectors.jsonl                       # wfp_impl.Engine
    python3 examples/python/run_vectors.py --impl examples/python/wfp_impl_buggy.py vectors.jsonl

`--impl` names a module (a file path, or a module name on sys.path) holding the engine class: the
one named by `--impl module:Class`, else the module's `ENGINE_CLASS`, else the one class defined
in the module with `call`, `environment`, `deliver` and `pending_work` methods. The engine is
built as `Engine(options)` and its methods return steps with `ret` (None while a call blocks) and
`events`, as wfp_impl.Engine does (dicts with the same keys are accepted too).

Prints one line per failing vector (vector id, step, what was expected, what happened) and a final
line `N vectors passed, N failed, N not applicable`. Exit 1 if any vector failed, 2 on bad input.
Standard library only.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
DRAIN_ROUNDS = 10000
STATUS_SUCCESS = "STATUS_SUCCESS"


class Stop(Exception):
    """Ends the replay of one vector with a verdict."""

    def __init__(self, verdict: str, step: int, rule: str, expected: str, actual: str) -> None:
        super().__init__(actual)
        self.verdict, self.step, self.rule, self.expected, self.actual = verdict, step, rule, expected, actual


def load_engine_class(spec: str):
    """The engine class of `--impl`: path/to/module.py[:Class] or module.name[:Class]."""
    module_spec, _, class_name = spec.partition(":")
    if module_spec.endswith(".py") or os.sep in module_spec:
        path = os.path.abspath(module_spec)
        sys.path.insert(0, os.path.dirname(path))
        name = os.path.splitext(os.path.basename(path))[0]
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise SystemExit(f"run_vectors: --impl {spec}: cannot load {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        loader_spec.loader.exec_module(module)
    else:
        sys.path.insert(0, HERE)
        module = importlib.import_module(module_spec)
    if class_name:
        return getattr(module, class_name), module
    if hasattr(module, "ENGINE_CLASS"):
        return module.ENGINE_CLASS, module
    candidates = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and value.__module__ == module.__name__
        and all(callable(getattr(value, method, None)) for method in ("call", "environment", "deliver", "pending_work"))
    ]
    if len(candidates) != 1:
        names = ", ".join(candidate.__name__ for candidate in candidates) or "none"
        raise SystemExit(f"run_vectors: --impl {spec}: expected one engine class in the module (found {names}); name it as module:Class")
    return candidates[0], module


def step_parts(result: Any) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, Any]]]:
    """(ret, events) of an engine step: a wfp_impl.Step, or a dict {ret?, events}."""
    if isinstance(result, dict):
        return result.get("ret"), list(result.get("events") or [])
    return getattr(result, "ret", None), list(getattr(result, "events", []) or [])


def owed_key(entry: Dict[str, Any]) -> Tuple[str, str]:
    return (entry["netBufferList"], entry.get("completionContext") or "")


def replay(vector: Dict[str, Any], engine_class, families: Optional[List[str]]) -> Tuple[str, int, str, str, str]:
    """Replays one vector; returns (verdict, step, rule, expected, actual)."""
    if families is not None:
        missing = [family for family in vector.get("families", []) if family not in families]
        if missing:
            return ("not-applicable", 0, "", "", "the engine lacks " + ", ".join(missing))
    engine = engine_class(dict(vector["configuration"]))
    ids: Dict[str, str] = {}  # name -> the engine's own id
    owed: List[Dict[str, Any]] = []
    blocked: Dict[str, Optional[str]] = {}  # callId -> handle name
    returned_handles = set()
    completed = set()
    at = 0

    def impl(name: Any) -> Any:
        return ids.get(name, name) if isinstance(name, str) else name

    def translate(value: Any) -> Any:
        if isinstance(value, str):
            return impl(value)
        if isinstance(value, list):
            return [translate(item) for item in value]
        if isinstance(value, dict):
            return {key: translate(item) for key, item in value.items()}
        return value

    def fail(rule: str, expected: str, actual: str) -> None:
        raise Stop("fail", at, rule, expected, actual)

    def diverged(expected: str, actual: str) -> None:
        raise Stop("diverged", at, "", expected, actual)

    def absorb(events: List[Dict[str, Any]]) -> None:
        nonlocal owed
        for event in events:
            kind = event.get("kind") if isinstance(event, dict) else None
            if kind == "completion":
                irql = event.get("irql")
                if irql == "DIRQL":
                    fail("completion/irql", "completionFn at PASSIVE_LEVEL or DISPATCH_LEVEL", f"at {irql}")
                if event.get("dispatchLevel") != (irql == "DISPATCH_LEVEL"):
                    fail("completion/dispatch-level-flag", f"dispatchLevel {irql == 'DISPATCH_LEVEL'}", f"dispatchLevel {event.get('dispatchLevel')} at {irql}")
                nbl, context = event.get("netBufferList"), event.get("completionContext")
                match = next((i for i, entry in enumerate(owed) if impl(entry["netBufferList"]) == nbl and entry.get("completionContext") == context), None)
                shown = f"completion({nbl}, context {context})"
                if match is None:
                    expected = "completions owed: " + (", ".join(f"{e['netBufferList']}={impl(e['netBufferList'])} (context {e.get('completionContext')})" for e in owed) or "none")
                    same = next((entry for entry in owed if impl(entry["netBufferList"]) == nbl), None)
                    if same is not None:
                        fail("completion/once-per-nbl" if same["fn"] == "FwpsStreamInjectAsync0" else "completion/context", expected, shown)
                    if nbl in completed:
                        fail("completion/once-per-nbl", expected, shown + ": a second completion")
                    fail("inject/completion-only-on-success", expected, shown + ": no successful injection owes it")
                entry = owed[match]
                if entry["injectionHandle"] in returned_handles:
                    fail("handle-destroy/no-completion-after-return", f"no completion through {entry['injectionHandle']} after its destroy returned", shown)
                owed = owed[:match] + owed[match + 1 :]
                completed.add(nbl)
            elif kind == "return":
                call_id = event.get("callId")
                if call_id not in blocked:
                    fail("handle-destroy/returns", "a return only for a blocked call (" + (", ".join(blocked) or "none") + ")", f"return of {call_id}")
                handle = blocked[call_id]
                status = (event.get("ret") or {}).get("status")
                if status != STATUS_SUCCESS:
                    fail("handle-destroy/returns", STATUS_SUCCESS, str(status))
                waiting = [entry["netBufferList"] for entry in owed if entry["injectionHandle"] == handle]
                if waiting:
                    fail("handle-create/destroy-waits", f"the destroy of {handle} returns after {len(waiting)} more completion(s)", "returned with " + ", ".join(waiting) + " in flight")
                del blocked[call_id]
                if handle is not None:
                    returned_handles.add(handle)
            else:
                fail("port", "a completion or return event", json.dumps(event))

    def same_as_reference(after: Dict[str, Any]) -> None:
        nonlocal owed
        mine, theirs = sorted(map(owed_key, owed)), sorted(map(owed_key, after["completions"]))
        blocked_mine, blocked_theirs = sorted(blocked), sorted(call["callId"] for call in after["blockedCalls"])
        if mine != theirs or blocked_mine != blocked_theirs:
            diverged(f"owed {theirs or 'nothing'}, blocked {blocked_theirs or 'none'}", f"owed {mine or 'nothing'}, blocked {blocked_mine or 'none'}")
        owed = [dict(entry) for entry in after["completions"]]

    try:
        for step in vector["steps"]:
            at = step["step"]
            kind = step["kind"]
            if kind == "call":
                call = translate(step["call"])
                fn = call["fn"]
                ret, events = step_parts(engine.call(step["callId"], call))
                expect, reference = step["expect"], step["reference"]["ret"]
                if ret is None and fn != "FwpsInjectionHandleDestroy0":
                    fail("port", f"{fn} returns", "the call did not return (no ret)")
                if expect["kind"] == "status" and ret is not None:
                    status = ret.get("status")
                    if not (status is None and fn == "FwpsCompleteOperation0"):
                        allowed = isinstance(status, str) and (status in expect["allowed"] or (expect["otherFailureAllowed"] and status != STATUS_SUCCESS))
                        if not allowed:
                            fail(expect["ruleId"], " | ".join(expect["allowed"] + (["a failure status"] if expect["otherFailureAllowed"] else [])), str(status))
                    if expect.get("mustBlock"):
                        fail("handle-create/destroy-waits", "the destroy blocks (injections through the handle are in flight)", f"returned {status}")
                if expect["kind"] == "injectionState" and ret is not None:
                    answers = expect.get("answers") or [{"injectionState": expect["injectionState"], "injectionContext": expect["injectionContext"]}]
                    answer = next((a for a in answers if a["injectionState"] == ret.get("injectionState")), None)
                    if answer is None:
                        fail(expect["ruleId"], " | ".join(str(a["injectionState"]) for a in answers), str(ret.get("injectionState")))
                    elif str(answer["injectionState"]).endswith("BY_SELF") and "injectionContext" in ret and ret["injectionContext"] != answer["injectionContext"]:
                        fail("query/injection-context", str(answer["injectionContext"]), str(ret["injectionContext"]))
                # Another allowed result than the reference's: the rest of the vector does not apply.
                if (reference is None) != (ret is None):
                    diverged("the call blocks" if reference is None else f"returns {json.dumps(reference)}", "the call blocks" if ret is None else f"returned {json.dumps(ret)}")
                if reference is not None and ret is not None and fn != "FwpsCompleteOperation0" and reference.get("status") != ret.get("status"):
                    diverged(f"status {reference.get('status')}", f"status {ret.get('status')}")
                for field, name in step["names"].items():
                    value = (ret or {}).get(field)
                    if isinstance(name, str):
                        if not isinstance(value, str):
                            fail(expect.get("ruleId", "port"), f"ret.{field}: the new object's id", json.dumps(value))
                        ids[name] = value
                    else:
                        if not isinstance(value, list) or len(value) != len(name):
                            fail("clone-stream/entire-chain", f"ret.{field}: {len(name)} new ids", json.dumps(value))
                        for item, implementation_id in zip(name, value):
                            ids[item] = implementation_id
                owed = owed + [dict(entry) for entry in step["owes"]]
                if ret is None:
                    blocked[step["callId"]] = step["call"]["args"].get("injectionHandle")
                absorb(events)
            elif kind == "environment":
                # Environment events are sent as they are: their ids are the harness's own.
                _, events = step_parts(engine.environment(step["event"]))
                absorb(events)
            elif kind == "deliver":
                _, events = step_parts(engine.deliver(step["max"]))
                absorb(events)
            else:
                fail("format", "a call, environment or deliver step", str(kind))
            same_as_reference(step["after"])
        # The end: drain what is queued, then the engine is idle.
        at = len(vector["steps"]) + 1
        for _ in range(DRAIN_ROUNDS):
            pending = engine.pending_work()
            if not pending or pending <= 0:
                break
            _, events = step_parts(engine.deliver(pending))
            absorb(events)
        if owed:
            fail(owed[0]["missingRuleId"], "every owed completion delivered by the time the engine is idle", "never delivered: " + ", ".join(f"{e['netBufferList']} (context {e.get('completionContext')})" for e in owed))
        if blocked:
            fail("handle-destroy/returns", "every blocked destroy returns", "still blocked: " + ", ".join(blocked))
        return ("pass", 0, "", "", "")
    except Stop as stop:
        return (stop.verdict, stop.step, stop.rule, stop.expected, stop.actual)
    except Exception as error:  # the engine raised: a failure of the vector, not of the runner
        return ("fail", at, "port", "a step", f"raised {type(error).__name__}: {error}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Replay wfp-conformance test vectors against a Python engine, in process.")
    parser.add_argument("vectors", help="a vectors file (JSON Lines), from `npx wfp-conform vectors --out FILE`")
    parser.add_argument("--impl", default=os.path.join(HERE, "wfp_impl.py"), help="the engine's module: path.py or module name, optionally :Class (default wfp_impl.py)")
    parser.add_argument("--verbose", action="store_true", help="also print a line per vector that diverged on an allowed result")
    args = parser.parse_args(argv)

    engine_class, module = load_engine_class(args.impl)
    families = getattr(module, "FAMILIES", None)
    passed = failed = not_applicable = diverged = 0
    try:
        source = open(args.vectors, encoding="utf-8")
    except OSError as error:
        print(f"run_vectors: {args.vectors}: {error.strerror}", file=sys.stderr)
        return 2
    with source:
        for number, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                vector = json.loads(line)
                if vector.get("format") != "wfp-conformance-vector" or vector.get("version") != 1:
                    raise ValueError("not a wfp-conformance-vector line of version 1")
            except ValueError as error:
                print(f"run_vectors: {args.vectors}:{number}: {error}", file=sys.stderr)
                return 2
            verdict, step, rule, expected, actual = replay(vector, engine_class, families)
            if verdict == "pass":
                passed += 1
            elif verdict == "fail":
                failed += 1
                print(f"FAIL {vector['id']} step {step}: {rule}: expected {expected}; got {actual}")
            else:
                not_applicable += 1
                if verdict == "diverged":
                    diverged += 1
                if args.verbose:
                    what = "diverged on an allowed result" if verdict == "diverged" else "not applicable"
                    print(f"{what}: {vector['id']} step {step}: reference {expected}; got {actual}")
    note = f" ({diverged} diverged on an allowed result)" if diverged else ""
    print(f"{passed} vectors passed, {failed} failed, {not_applicable} not applicable{note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
