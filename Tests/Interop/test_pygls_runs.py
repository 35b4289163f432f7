"""Runs followed with pygls, with the two fixes docs/clients.md describes: a converter that keeps
results and params as plain dicts, and an exit hook that fails what waits on an engine that died."""
import asyncio
import json
import os
import pathlib
import re
import signal
import subprocess

import pytest
from lsprotocol import converters
from pygls.client import JsonRPCClient
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage

ROOT = pathlib.Path(__file__).resolve().parents[2]
TERMINALS = ("execution.completed", "execution.failed", "execution.cancelled")


def plain_converter():
    """pygls's default converter turns unknown results and params into namedtuples (renaming
    keys such as node ids that are not identifiers); this one keeps the JSON objects."""
    converter = converters.get_converter()
    for message_type in (JsonRPCRequestMessage, JsonRPCResponseMessage, JsonRPCNotification):
        converter.register_structure_hook(message_type, lambda obj, cls: cls(**obj))
    return converter


class EngineExited(Exception):
    pass


class Runs:
    """Run ends by run id, fed by notification handlers; failed by the exit hook."""

    def __init__(self, client: JsonRPCClient) -> None:
        self.client = client
        self.events: dict[str, list] = {}
        self.ends: dict[str, asyncio.Future] = {}
        for method in ("execution.started", "execution.node.status", "execution.node.completed",
                       "execution.node.failed", *TERMINALS):
            client.feature(method)(self._handler(method))

    def _handler(self, method):
        def handle(params):
            self.events.setdefault(params["run_id"], []).append((method, params))
            if method in TERMINALS:
                self.end(params["run_id"]).set_result((method, params))
        return handle

    def end(self, run_id: str) -> asyncio.Future:
        return self.ends.setdefault(run_id, asyncio.get_running_loop().create_future())

    async def watch_exit(self) -> None:
        """The exit hook: when the process ends, every pending request and every run still
        waited on fails instead of waiting forever."""
        code = await self.client._server.wait()
        error = EngineExited(f"the engine exited with status {code}")
        for future in list(self.client.protocol._request_futures.values()) + list(self.ends.values()):
            if not future.done():
                future.set_exception(error)


async def start_client(binary: str, settings: dict):
    client = JsonRPCClient(converter_factory=plain_converter)
    await client.start_io(binary, "serve")
    runs = Runs(client)
    drain = asyncio.create_task(client._server.stderr.read())  # never leave stderr unread
    watcher = asyncio.create_task(runs.watch_exit())
    result = await asyncio.wait_for(client.protocol.send_request_async("initialize", settings), 5)
    return client, runs, [drain, watcher], result


def test_results_are_plain_dicts_and_runs_complete(flowrunner_binary):
    async def main():
        client, runs, tasks, initialized = await start_client(flowrunner_binary, {})
        assert initialized["server_info"]["name"] == "flowrunner"
        flow = json.loads((ROOT / "Fixtures" / "flows" / "fan-out-fan-in.json").read_text())
        started = await client.protocol.send_request_async("execution.start", {**flow, "run_id": "pygls-1"})
        assert started["run_id"] == "pygls-1"
        method, params = await asyncio.wait_for(runs.end("pygls-1"), 10)
        assert method == "execution.completed"
        # Node ids with a hyphen stay as they are (a namedtuple would rename them).
        assert "variant-00" in params["outputs"]
        assert [p["seq"] for _, p in runs.events["pygls-1"]] == list(range(1, len(runs.events["pygls-1"]) + 1))
        status = await client.protocol.send_request_async("execution.status", {"run_id": "pygls-1"})
        assert status["nodes"]["variant-00"] == "completed"
        await client.protocol.send_request_async("shutdown", None)
        client.protocol.notify("exit", None)
        assert await asyncio.wait_for(client._server.wait(), 5) == 0
        await asyncio.gather(*tasks, return_exceptions=True)
    asyncio.run(main())


def test_exit_hook_fails_what_waits_on_a_killed_engine(flowrunner_binary):
    fake = subprocess.Popen(
        [os.path.join(os.path.dirname(flowrunner_binary), "flowrunner-fake-provider"), "--port", "0",
         "--latency-ms", "30000"], stdout=subprocess.PIPE, text=True)
    url = re.search(r"MISTRAL_BASE_URL=(\S+)", fake.stdout.readline()).group(1)

    async def main():
        settings = {"providers": {"mistral": {"api_key": "sk-fake", "base_url": url}}}
        client, runs, tasks, _ = await start_client(flowrunner_binary, settings)
        flow = {"nodes": [{"id": "p", "type": "initialPrompt", "data": {"text": "x"}},
                          {"id": "e", "type": "promptEnhancer", "data": {"providerId": "mistral"}}],
                "edges": [{"source": "p", "target": "e"}], "run_id": "slow"}
        await client.protocol.send_request_async("execution.start", flow)
        end = runs.end("slow")
        os.kill(client._server.pid, signal.SIGKILL)
        with pytest.raises(EngineExited):
            await asyncio.wait_for(end, 10)
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        asyncio.run(main())
    finally:
        fake.kill()
        fake.wait()
