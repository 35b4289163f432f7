"""Drives the real flowrunner binary with python-lsp-jsonrpc, which sends
`Content-Type: application/vscode-jsonrpc; charset=utf8` and requires Content-Length first."""
import subprocess
import tempfile
import threading
from concurrent.futures import InvalidStateError

import pytest
from pylsp_jsonrpc.endpoint import Endpoint
from pylsp_jsonrpc.exceptions import JsonRpcException
from pylsp_jsonrpc.streams import JsonRpcStreamReader, JsonRpcStreamWriter


def test_python_lsp_jsonrpc_session(flowrunner_binary):
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [flowrunner_binary, "serve", "--framing", "lsp"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        notifications = []
        writer = JsonRpcStreamWriter(process.stdin)
        endpoint = Endpoint({}, writer.write)

        def consume(message):
            if "method" in message and "id" not in message:
                notifications.append(message)
            try:
                endpoint.consume(message)
            except InvalidStateError:
                # The library sets a result on the future it cancelled when the answer (ours or
                # -32800) arrives; without this guard its reader thread dies.
                pass

        reader = JsonRpcStreamReader(process.stdout)
        listener = threading.Thread(target=reader.listen, args=(consume,), daemon=True)
        listener.start()

        result = endpoint.request("initialize", {"client_info": {"name": "python-lsp-jsonrpc"}}).result(timeout=5)
        assert result["server_info"]["name"] == "flowrunner"
        assert endpoint.request("ping").result(timeout=5) == {}

        with pytest.raises(JsonRpcException) as unknown:
            endpoint.request("no.such.method", {"x": "é😀"}).result(timeout=5)
        assert unknown.value.code == -32601
        assert "no.such.method" in unknown.value.message

        with pytest.raises(JsonRpcException) as invalid:
            endpoint.request("initialize", {}).result(timeout=5)
        assert invalid.value.code == -32600

        # Cancelling the future sends $/cancelRequest; the engine must keep serving either way.
        pending = endpoint.request("providers.list")
        pending.cancel()
        assert endpoint.request("ping").result(timeout=5) == {}

        assert endpoint.request("shutdown").result(timeout=5) is None
        endpoint.notify("exit")
        assert process.wait(timeout=5) == 0
        assert notifications == []
        reader.close()
        writer.close()
