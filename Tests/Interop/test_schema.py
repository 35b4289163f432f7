"""Every message the engine writes validates against schema/flowrunner.schema.json.

Sources of messages: the traffic the Swift suite recorded (`FLOWRUNNER_TRAFFIC_DIR`, one file
per engine, written by FlowRunnerTestSupport's TrafficLog), the golden event logs, the flow
fixtures, the JSON examples in docs/protocol.md, and a run of this test's own against the built
binary that calls every method.
"""
import json
import os
import pathlib
import re
import subprocess

import jsonschema
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "flowrunner.schema.json").read_text())
DEFS = SCHEMA["$defs"]


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": DEFS})


VALIDATORS: dict[str, jsonschema.Draft202012Validator] = {}


def check(name: str, value, where: str) -> None:
    if name not in VALIDATORS:
        VALIDATORS[name] = validator(name)
    errors = sorted(VALIDATORS[name].iter_errors(value), key=lambda e: list(e.path))
    assert not errors, f"{where}: {name}: " + "; ".join(
        f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]
    )


def check_message(message: dict, methods_by_id: dict, where: str) -> str:
    """Validates one message the engine wrote; returns what it was checked as. The command
    line's `--json` output is checked too: `validate` prints a flow.validate result, `nodes` a
    nodes.list result, and a failure `{"error": ResponseError}`."""
    if "jsonrpc" not in message and "method" not in message:
        for key, name in [("valid", "flow.validate.result"), ("node_types", "nodes.list.result")]:
            if key in message:
                check(name, message, where)
                return name
        assert list(message) == ["error"], f"{where}: output of no known shape: {message}"
        check("ResponseError", message["error"], where)
        return "command line error"
    if "method" in message and "id" in message:
        # A request (in the documented examples): its params are checked once its answer shows
        # they were accepted (an example may show a refused request).
        method = message["method"]
        methods_by_id[json.dumps(message["id"])] = method
        methods_by_id["params " + json.dumps(message["id"])] = message.get("params")
        return "request"
    if "method" in message:
        method = message["method"]
        assert method in DEFS, f"{where}: a notification the schema does not know: {method}"
        check(method, message.get("params"), where)
        return method
    check("Response", message, where)
    method = methods_by_id.get(json.dumps(message.get("id")))
    if method and "result" in message:
        if "params " + json.dumps(message.get("id")) in methods_by_id:
            check(f"{method}.params", methods_by_id["params " + json.dumps(message.get("id"))], where)
        check(f"{method}.result", message["result"], where)
        return f"{method}.result"
    return "response"


def test_recorded_traffic():
    directory = os.environ.get("FLOWRUNNER_TRAFFIC_DIR")
    if not directory:
        pytest.skip("FLOWRUNNER_TRAFFIC_DIR is not set: run `swift test` with it set to record the suite's traffic")
    files = sorted(pathlib.Path(directory).glob("*.ndjson"))
    assert files, f"no traffic recorded in {directory}"
    kinds: dict[str, int] = {}
    for path in files:
        methods_by_id: dict[str, str] = {}
        for number, line in enumerate(path.read_text().splitlines(), 1):
            entry = json.loads(line)
            if "out" in entry:
                methods_by_id[json.dumps(entry["out"]["id"])] = entry["out"]["method"]
                continue
            message = entry["in"]
            batch = message if isinstance(message, list) else [message]
            for element in batch:
                kind = check_message(element, methods_by_id, f"{path.name}:{number}")
                kinds[kind] = kinds.get(kind, 0) + 1
    # The suite exercises every notification and every method's result.
    notifications = [name for name in DEFS if name.startswith("execution.") and "." in name and not name.endswith((".params", ".result"))]
    missing = [name for name in notifications if name not in kinds]
    assert not missing, f"notifications never seen in the suite's traffic: {missing}"
    print(f"validated {sum(kinds.values())} messages from {len(files)} engines: {dict(sorted(kinds.items()))}")


def test_golden_logs():
    for path in sorted((ROOT / "Fixtures" / "golden").glob("*.ndjson")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            check_message(json.loads(line), {}, f"{path.name}:{number}")


def test_flow_fixtures():
    for path in sorted((ROOT / "Fixtures" / "flows").glob("*.json")):
        check("Flow", json.loads(path.read_text()), path.name)


def test_protocol_examples():
    """Every JSON example in docs/protocol.md says what it shows (`<!-- schema: NAME -->` on the
    line before it), parses, and validates against that definition; `messages` is a block of
    messages as the engine writes them, one per line."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    blocks = re.findall(r"(?:<!-- schema: ([\w.]+) -->\n)?```json\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/protocol.md has no JSON examples"
    for name, block in blocks:
        assert name, f"a JSON example in docs/protocol.md without a schema label: {block[:120]}"
        if name == "messages":
            methods_by_id: dict[str, str] = {}
            for line in block.splitlines():
                if line.strip():
                    check_message(json.loads(line), methods_by_id, "docs/protocol.md")
        else:
            check(name, json.loads(block), "docs/protocol.md")


def lsp(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_messages(stream, count: int) -> list:
    messages = []
    while len(messages) < count:
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            byte = stream.read(1)
            assert byte, "the engine closed its output early"
            header += byte
        length = int(re.search(rb"Content-Length: (\d+)", header).group(1))
        messages.append(json.loads(stream.read(length)))
    return messages


def send_request(process, number: int, method: str, params, methods_by_id: dict) -> None:
    message = {"jsonrpc": "2.0", "id": number, "method": method}
    if params is not None:
        message["params"] = params
    methods_by_id[json.dumps(number)] = method
    process.stdin.write(lsp(message))
    process.stdin.flush()


def test_every_method_against_the_binary(flowrunner_binary):
    """Calls every method once (and runs a flow to its end) against the built binary."""
    flow = json.loads((ROOT / "Fixtures" / "flows" / "handles.json").read_text())
    flow["run_id"] = "schema-run"
    flow["options"] = {"stream": True}
    requests = [
        ("initialize", {"client_info": {"name": "schema-test"}}),
        ("ping", None),
        ("nodes.list", None),
        ("providers.list", None),
        ("flow.validate", flow),
        ("execution.start", flow),
    ]
    process = subprocess.Popen(
        [flowrunner_binary, "serve", "--framing", "lsp"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        methods_by_id = {}
        for number, (method, params) in enumerate(requests, 1):
            send_request(process, number, method, params, methods_by_id)
        seen = set()
        ended = False
        while not ended or len([k for k in seen if k.endswith(".result")]) < len(requests):
            (message,) = read_messages(process.stdout, 1)
            seen.add(check_message(message, methods_by_id, "live"))
            ended = ended or message.get("method") == "execution.completed"
        follow_up = [
            ("execution.status", {"run_id": "schema-run"}),
            ("execution.list", {}),
            ("execution.events", {"run_id": "schema-run", "after_seq": 2}),
            ("execution.cancel", {"run_id": "schema-run"}),
            ("cache.stats", None),
            ("cache.clear", {"node_type": "translator"}),
            ("quota.status", {"quota_key": "user-1"}),
            ("shutdown", None),
        ]
        for number, (method, params) in enumerate(follow_up, 100):
            send_request(process, number, method, params, methods_by_id)
            (answer,) = read_messages(process.stdout, 1)
            seen.add(check_message(answer, methods_by_id, "live"))
        for method, _ in requests + follow_up:
            assert f"{method}.result" in seen, f"{method} was not answered with a result"
        process.stdin.write(lsp({"jsonrpc": "2.0", "method": "exit"}))
        process.stdin.close()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
