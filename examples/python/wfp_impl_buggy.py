#!/usr/bin/env python3
"""wfp_impl.py with ONE deliberate bug, to see what a conformance failure looks like.

THE BUG: FwpsInjectionHandleDestroy0 returns STATUS_SUCCESS at once, even while injections made
through the handle are still in flight. Their completions are still delivered later, after the
destroy has returned.

The documentation says the destroy "does not return until every injection pending on that handle
has completed", and that no completion for the handle may follow its return. A driver that frees
its completion context (or unloads) as soon as the destroy returns would then be called back into
freed memory. The harness reports it as `handle-create/destroy-waits` (the destroy returned while
completions were owed), and, if a completion is later delivered, `handle-destroy/no-completion-after-return`.

Try it:

    npx wfp-conform run --impl-cmd "python3 examples/python/wfp_impl_buggy.py" --seed 1 --out py-buggy-report

Everything else is inherited from wfp_impl.Engine unchanged.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict

sys.dont_write_bytecode = True  # no __pycache__ beside the example
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wfp_impl import STATUS_INVALID_HANDLE, STATUS_SUCCESS, Engine, Step, main  # noqa: E402


class EarlyReturnDestroyEngine(Engine):
    """An engine whose FwpsInjectionHandleDestroy0 never waits for the handle's injections."""

    def handle_destroy(self, call_id: str, args: Dict[str, Any]) -> Step:
        """BUG: returns at once; in-flight injections keep their (now too late) completions."""
        handle = self.handles.get(args.get("injectionHandle") or "")
        if handle is None or handle.state != "open":
            return Step(ret={"status": STATUS_INVALID_HANDLE})
        handle.state = "destroyed"  # should be "closing" until handle.in_flight drops to 0
        return Step(ret={"status": STATUS_SUCCESS})


if __name__ == "__main__":
    main(EarlyReturnDestroyEngine, name="python-example-engine (buggy: destroy does not wait)")
