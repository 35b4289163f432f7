"""Fixtures: the built flowrunner binary, and the fake provider server next to it."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
from locate import flowrunner_binary_path  # noqa: E402


@pytest.fixture(scope="session")
def binary() -> str:
    return flowrunner_binary_path()


@pytest.fixture()
def slow_provider(binary):
    """The fake provider answering every call after 30 s: `providers` settings for mistral."""
    fake = os.path.join(os.path.dirname(binary), "flowrunner-fake-provider")
    process = subprocess.Popen([fake, "--port", "0", "--latency-ms", "30000"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"MISTRAL_BASE_URL=(\S+)", line).group(1)
        yield {"providers": {"mistral": {"api_key": "sk-fake", "base_url": url}}}
    finally:
        process.kill()
        process.wait()


def fixture_flows():
    return sorted((ROOT / "Fixtures" / "flows").glob("*.json"))


def slow_flow(count: int) -> dict:
    """`count` prompt → enhancer pairs on mistral: each enhancer waits on the slow provider."""
    nodes, edges = [], []
    for index in range(count):
        nodes.append({"id": f"p{index}", "type": "initialPrompt", "data": {"text": f"scene {index}"}})
        nodes.append({"id": f"e{index}", "type": "promptEnhancer", "data": {"providerId": "mistral"}})
        edges.append({"source": f"p{index}", "target": f"e{index}"})
    return {"flow_id": "slow", "nodes": nodes, "edges": edges}


@pytest.fixture(autouse=True)
def every_message_validates(monkeypatch):
    """Every result and every run notification the client receives in these tests is checked
    against schema/flowrunner.schema.json (when jsonschema is installed, as in CI)."""
    try:
        import jsonschema
    except ImportError:
        yield
        return
    import json as _json

    from flowrunner_client.engine import Engine
    from flowrunner_client.run import Run

    defs = _json.loads((ROOT / "schema" / "flowrunner.schema.json").read_text())["$defs"]
    validators = {}

    failures = []

    def check(name, value):
        if name not in validators:
            validators[name] = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": defs})
        error = jsonschema.exceptions.best_match(validators[name].iter_errors(value))
        if error is not None:  # reported at the end of the test: raising here would stop the reader
            failures.append(f"{name}: {error.message} at {list(error.path)}")

    original_call, original_deliver = Engine._call, Run._deliver

    async def call(self, method, params=None):
        result = await original_call(self, method, params)
        check(f"{method}.result", result)
        return result

    def deliver(self, method, params):
        check(method, params)
        original_deliver(self, method, params)

    monkeypatch.setattr(Engine, "_call", call)
    monkeypatch.setattr(Run, "_deliver", deliver)
    yield
    assert not failures, f"{len(failures)} messages do not validate against the schema; first: {failures[0]}"
