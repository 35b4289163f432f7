"""Drives the real flowrunner binary with pygls's JSON-RPC client (an independent LSP-framing implementation)."""
import asyncio

import pytest
from pygls.client import JsonRPCClient
from pygls.exceptions import JsonRpcMethodNotFound, JsonRpcException


async def drain(stream, sink: bytearray):
    # pygls pipes the child's stderr and never reads it: read it here so a chatty engine cannot block.
    while chunk := await stream.read(65536):
        sink.extend(chunk)


def as_dict(value):
    """pygls turns unknown result objects into namedtuples; compare through plain dicts."""
    if hasattr(value, "_asdict"):
        return {k: as_dict(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [as_dict(v) for v in value]
    return value


async def run_session(binary: str) -> tuple[int, bytes]:
    client = JsonRPCClient()
    await client.start_io(binary, "serve", "--log-level", "debug")
    stderr = bytearray()
    drainer = asyncio.create_task(drain(client._server.stderr, stderr))

    result = as_dict(await asyncio.wait_for(
        client.protocol.send_request_async("initialize", {"client_info": {"name": "pygls", "version": "2.1.1"}}), 5))
    assert result["server_info"]["name"] == "flowrunner"
    assert result["protocol_version"] == "1.1"
    assert result["capabilities"]["framing"] == "lsp"
    client.protocol.notify("initialized", {})

    ping = await asyncio.wait_for(client.protocol.send_request_async("ping", {}), 5)
    assert as_dict(ping) == {}

    with pytest.raises(JsonRpcMethodNotFound):
        await asyncio.wait_for(client.protocol.send_request_async("no.such.method", {}), 5)

    # A cancel for a request that is already answered (or never existed) is ignored, and the
    # engine keeps serving.
    future = client.protocol.send_request_async("providers.list", {}, msg_id="to-cancel")
    client.protocol.notify("$/cancelRequest", {"id": "to-cancel"})
    client.protocol.notify("$/cancelRequest", {"id": "never-sent"})
    try:
        providers = as_dict(await asyncio.wait_for(future, 5))
        assert any(p["id"] == "echo" for p in providers["providers"])
    except JsonRpcException as error:
        assert error.code == -32800

    assert await asyncio.wait_for(client.protocol.send_request_async("shutdown", None), 5) is None
    client.protocol.notify("exit", None)
    code = await asyncio.wait_for(client._server.wait(), 5)
    await asyncio.wait_for(drainer, 5)
    await client.stop() if hasattr(client, "stop") else None
    return code, bytes(stderr)


def test_pygls_session(flowrunner_binary):
    code, stderr = asyncio.run(run_session(flowrunner_binary))
    assert code == 0
    assert b"Shutdown requested" in stderr
