"""The engine as a child process, spoken to over stdio with LSP framing."""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import uuid
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .errors import EngineExited, RpcError
from .run import Run
from .types import EventPage, RunSummary, Validation

LOG = logging.getLogger("flowrunner.engine")


class Engine:
    """A running `flowrunner serve` process.

    Use `async with Engine.spawn(binary) as engine:`. Requests are answered in any order;
    notifications go to their `Run`. When the process ends, every pending call and every
    live run raises `EngineExited`. The engine's stderr goes to the `flowrunner.engine` logger,
    line by line, so an unread pipe never stalls it."""

    def __init__(self, launch: "_Launch") -> None:
        self._launch = launch
        self._process: asyncio.subprocess.Process
        self._ids = itertools.count(1)
        self._pending: Dict[Any, "asyncio.Future[Any]"] = {}
        self._runs: Dict[str, Run] = {}
        self._exited: Optional[EngineExited] = None
        self._closing = False
        self._ready = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._restarter: Optional["asyncio.Task[None]"] = None
        self.restarts = 0
        self.server_info: Dict[str, Any] = {}
        self.capabilities: Dict[str, Any] = {}
        self.protocol_version = ""

    async def _start(self) -> None:
        """Spawns the process and sends `initialize`, then `initialized`."""
        launch = self._launch
        self._process = await asyncio.create_subprocess_exec(
            launch.binary, "serve", "--framing", "lsp", *launch.arguments,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=dict(os.environ, **launch.env) if launch.env is not None else None,
            limit=1 << 20,
        )
        self._exited = None
        self._reader = asyncio.create_task(self._read_loop())
        self._stderr = asyncio.create_task(self._drain_stderr())
        result = await self._call(
            "initialize", {**launch.settings, "client_info": {"name": launch.client_name}})
        self.server_info = result["server_info"]
        self.capabilities = result["capabilities"]
        self.protocol_version = result["protocol_version"]
        await self.notify("initialized", {})
        # Only now: calls made meanwhile (during a restart) go to an initialized engine.
        self._ready.set()

    async def _restart(self) -> None:
        try:
            await self._start()
        except BaseException as error:  # the new process did not come up: callers fail
            LOG.error("the engine could not be started again: %s", error)
            if self._exited is None:
                self._exited = EngineExited(getattr(self, "_process", None) and self._process.returncode)
            self._ready.set()

    @classmethod
    def spawn(
        cls,
        binary: str,
        *arguments: str,
        settings: Optional[Mapping[str, Any]] = None,
        env: Optional[Mapping[str, str]] = None,
        client_name: str = "flowrunner-client",
        restarts: int = 0,
    ) -> "_Spawn":
        """An async context manager that starts the engine, sends `initialize` (with
        `settings`: `providers`, `model_defaults`, `limits`, ...) and, on exit, shuts it down.

        `restarts`: how many times an engine that dies is started again (and initialized with
        the same settings). The runs it had still fail with `EngineExited`; calls made while
        it restarts wait for the new process."""
        return _Spawn(cls, _Launch(binary, list(arguments), dict(settings or {}), env, client_name, restarts))

    # ----- requests

    async def request(self, method: str, params: Any = None) -> Any:
        """Sends a request and returns its result; raises `RpcError` for an error answer."""
        await self._ready.wait()
        return await self._call(method, params)

    async def _call(self, method: str, params: Any = None) -> Any:
        if self._exited:
            raise self._exited
        request_id = next(self._ids)
        future: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        message: Dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        try:
            await self._send(message)
            return await future
        finally:
            self._pending.pop(request_id, None)

    async def notify(self, method: str, params: Any = None) -> None:
        message: Dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self._send(message)

    async def validate(self, flow: Mapping[str, Any]) -> Validation:
        """`flow.validate`: every issue, and the plan when the flow is valid."""
        return await self.request("flow.validate", dict(flow))

    async def start(
        self, flow: Mapping[str, Any], run_id: Optional[str] = None, quota_key: Optional[str] = None, **options: Any
    ) -> Run:
        """Starts a run of `flow` and returns its handle at once. `run_id` defaults to a fresh
        one chosen here, so no event of the run can arrive before its handle exists; `quota_key`
        is the user the run counts against; keyword arguments go into `options` (`stream=True`,
        `max_concurrency=4`, `events="nodes"`, `budget={"max_provider_calls": 10}`, ...)."""
        params = dict(flow)
        params["run_id"] = run_id or f"py-{uuid.uuid4().hex[:16]}"
        if quota_key is not None:
            params["quota_key"] = quota_key
        if options:
            params["options"] = {**params.get("options", {}), **options}
        run = Run(self, params["run_id"])
        self._runs[run.run_id] = run
        try:
            await self.request("execution.start", params)
        except BaseException:
            self._runs.pop(run.run_id, None)
            raise
        return run

    async def runs(
        self, state: Optional[str] = None, limit: Optional[int] = None, quota_key: Optional[str] = None
    ) -> List[RunSummary]:
        """`execution.list`: live runs, then remembered ended ones, most recent first."""
        params: Dict[str, Any] = {}
        if state is not None:
            params["state"] = state
        if quota_key is not None:
            params["quota_key"] = quota_key
        if limit is not None:
            params["limit"] = limit
        return (await self.request("execution.list", params))["runs"]

    async def events(self, run_id: str, after_seq: int = 0, limit: Optional[int] = None) -> EventPage:
        """`execution.events`: a run's notifications after `after_seq`, as they were sent."""
        params: Dict[str, Any] = {"run_id": run_id, "after_seq": after_seq}
        if limit is not None:
            params["limit"] = limit
        return await self.request("execution.events", params)

    async def quota_status(self, quota_key: str) -> Dict[str, Any]:
        """`quota.status`: the key's counters now and its limits."""
        return await self.request("quota.status", {"quota_key": quota_key})

    async def ping(self) -> None:
        await self.request("ping")

    # ----- lifecycle

    @property
    def returncode(self) -> Optional[int]:
        return self._process.returncode

    @property
    def pid(self) -> int:
        return self._process.pid

    async def close(self, timeout: float = 5.0) -> int:
        """`shutdown` (live runs end cancelled), `exit`, and waits for the process."""
        self._closing = True
        if self._restarter is not None:
            await asyncio.gather(self._restarter, return_exceptions=True)
        if self._exited is None:
            try:
                await asyncio.wait_for(self.request("shutdown"), timeout)
                await self.notify("exit")
            except (EngineExited, asyncio.TimeoutError, ConnectionError):
                pass
        try:
            await asyncio.wait_for(self._process.wait(), timeout)
        except asyncio.TimeoutError:
            self._process.kill()
            await self._process.wait()
        await asyncio.gather(self._reader, self._stderr, return_exceptions=True)
        return self._process.returncode if self._process.returncode is not None else -1

    # ----- plumbing

    async def _send(self, message: Mapping[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        stdin = self._process.stdin
        assert stdin is not None
        async with self._write_lock:
            if self._exited:
                raise self._exited
            try:
                stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
                await stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                await self._wait_exited()
                raise self._exited or EngineExited(self._process.returncode)

    async def _wait_exited(self) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), 5)
        except asyncio.TimeoutError:
            pass

    async def _read_loop(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                length = None
                # Headers, then exactly Content-Length bytes: no line-length limit applies.
                while True:
                    line = await stdout.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        if length is not None:
                            break
                        continue
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = await stdout.readexactly(length)
                self._dispatch(json.loads(body))
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        except Exception:
            # Output that is not the protocol (or a fault while handling it): nothing after it
            # can be trusted, so the engine is stopped and everything waiting fails.
            LOG.exception("unreadable output from the engine; stopping it")
            if self._process.returncode is None:
                self._process.kill()
        finally:
            returncode = await self._process.wait()
            self._exited = EngineExited(returncode)
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(self._exited)
            for run in self._runs.values():
                run._fail(self._exited)
            self._runs.clear()
            if not self._closing and self.restarts < self._launch.restarts:
                self.restarts += 1
                self._ready.clear()
                LOG.warning("the engine exited with status %s; starting it again (%d of %d)",
                            returncode, self.restarts, self._launch.restarts)
                self._restarter = asyncio.create_task(self._restart())

    def _dispatch(self, message: Any) -> None:
        for element in message if isinstance(message, list) else [message]:
            if "method" in element and "id" not in element:
                params = element.get("params") or {}
                run = self._runs.get(params.get("run_id", ""))
                if run is not None:
                    run._deliver(element["method"], params)
                    if run.ended:
                        self._runs.pop(run.run_id, None)
                continue
            future = self._pending.get(element.get("id"))
            if future is None or future.done():
                continue
            if "error" in element:
                error = element["error"]
                future.set_exception(RpcError(error.get("code", 0), error.get("message", ""), error.get("data")))
            else:
                future.set_result(element.get("result"))

    async def _drain_stderr(self) -> None:
        stderr = self._process.stderr
        assert stderr is not None
        while True:
            line = await stderr.readline()
            if not line:
                return
            LOG.info("%s", line.decode(errors="replace").rstrip())


class _Launch:
    """How the engine is started, kept for restarts."""

    def __init__(self, binary: str, arguments: Sequence[str], settings: Dict[str, Any],
                 env: Optional[Mapping[str, str]], client_name: str, restarts: int) -> None:
        self.binary = binary
        self.arguments = list(arguments)
        self.settings = settings
        self.env = env
        self.client_name = client_name
        self.restarts = restarts


class _Spawn:
    def __init__(self, cls: type, launch: _Launch) -> None:
        self._cls = cls
        self._launch = launch
        self.engine: Optional[Engine] = None

    async def __aenter__(self) -> Engine:
        engine: Engine = self._cls(self._launch)
        try:
            await engine._start()
        except BaseException:
            if hasattr(engine, "_process") and engine._process.returncode is None:
                engine._process.kill()
            if hasattr(engine, "_process"):
                await engine.close()
            raise
        self.engine = engine
        return engine

    async def __aexit__(self, *exc: object) -> None:
        if self.engine is not None:
            await self.engine.close()
