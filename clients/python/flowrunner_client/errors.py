"""Errors the client raises."""
from __future__ import annotations

from typing import Any


class FlowrunnerError(Exception):
    """Base class of every error this package raises."""


class RpcError(FlowrunnerError):
    """The engine answered a request with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


class EngineExited(FlowrunnerError):
    """The engine process ended: raised by every pending call and every live run."""

    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"the flowrunner engine exited (status {returncode})")
        self.returncode = returncode
