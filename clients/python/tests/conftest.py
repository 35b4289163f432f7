"""Fixtures: the built flowrunner binary, and the fake provider server next to it."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))


@pytest.fixture(scope="session")
def binary() -> str:
    path = os.environ.get("FLOWRUNNER_BINARY")
    if not path:
        bin_dir = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        path = os.path.join(bin_dir, "flowrunner")
    if not os.access(path, os.X_OK):
        pytest.fail(f"flowrunner binary not found at {path}; run 'swift build' first")
    return path


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
