"""A run handle: its events as an async iterator, its result, its cancel."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, List, Optional

from .errors import EngineExited
from .types import Event, RunResult

if TYPE_CHECKING:
    from .engine import Engine

TERMINAL = {
    "execution.completed": "completed",
    "execution.failed": "failed",
    "execution.cancelled": "cancelled",
}


class Run:
    """One run of a flow. Iterate it (`async for event in run`) to see its notifications in
    order, from `execution.started` to the terminal one; `await run.result()` for how it ended.
    Events are kept from the moment the run was started, so nothing is missed by a consumer
    that starts iterating late; each iteration sees every event."""

    def __init__(self, engine: "Engine", run_id: str) -> None:
        self._engine = engine
        self.run_id = run_id
        self._events: List[Event] = []
        self._changed = asyncio.Event()
        self._result: "asyncio.Future[RunResult]" = asyncio.get_running_loop().create_future()

    # Called by the engine's reader.
    def _deliver(self, method: str, params: Dict[str, Any]) -> None:
        self._events.append({"method": method, "params": params})
        if method in TERMINAL and not self._result.done():
            result: RunResult = dict(params)  # type: ignore[assignment]
            result["state"] = TERMINAL[method]
            self._result.set_result(result)
        self._wake()

    def _fail(self, error: BaseException) -> None:
        if not self._result.done():
            self._result.set_exception(error)
            # Retrieved by whoever awaits it; mark it so an unawaited run does not warn.
            self._result.exception()
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def events(self) -> List[Event]:
        """The events received so far."""
        return list(self._events)

    @property
    def ended(self) -> bool:
        return self._result.done()

    async def __aiter__(self) -> AsyncIterator[Event]:
        position = 0
        while True:
            while position < len(self._events):
                event = self._events[position]
                position += 1
                yield event
                if event["method"] in TERMINAL:
                    return
            if self._result.done():
                # Ended without a terminal event: the engine went away.
                self._result.result()
                return
            await self._changed.wait()

    async def result(self, timeout: Optional[float] = None) -> RunResult:
        """How the run ended; raises `EngineExited` if the engine died first."""
        return await asyncio.wait_for(asyncio.shield(self._result), timeout)

    async def cancel(self) -> bool:
        """Asks the engine to cancel the run; `True` if it was live. The run then ends
        `cancelled` (see `result()`)."""
        answer = await self._engine.request("execution.cancel", {"run_id": self.run_id})
        return bool(answer["cancelled"])

    async def status(self) -> Dict[str, Any]:
        """`execution.status` of this run."""
        return await self._engine.request("execution.status", {"run_id": self.run_id})


__all__ = ["Run", "EngineExited"]
