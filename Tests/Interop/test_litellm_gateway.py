"""The provider clients against a real OpenAI- and Anthropic-compatible gateway nobody here wrote:
the LiteLLM proxy, answering with `mock_response` (no upstream is called).

LiteLLM shows the quirks the issue found: its Anthropic-compatible `/v1/messages` answers a
`stream: true` request with one JSON body (`application/json`), and its token counts are its own.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

MASTER_KEY = "sk-gateway-master-1234567890abcdef"
REPLY = "A knight rides through the gate at dawn."

CONFIG = f"""
model_list:
  - model_name: gateway-gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-upstream-unused
      mock_response: "{REPLY}"
  - model_name: gateway-claude
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_key: sk-upstream-unused
      mock_response: "{REPLY}"
general_settings:
  master_key: {MASTER_KEY}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gateway():
    executable = shutil.which("litellm")
    if executable is None:
        pytest.skip("the LiteLLM proxy is not installed (pip install 'litellm[proxy]')")
    directory = tempfile.mkdtemp(prefix="flowrunner-litellm-")
    config = os.path.join(directory, "config.yaml")
    with open(config, "w") as file:
        file.write(CONFIG)
    port = free_port()
    environment = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", HF_HUB_OFFLINE="1")
    log = open(os.path.join(directory, "proxy.log"), "w")
    proxy = subprocess.Popen(
        [executable, "--config", config, "--port", str(port), "--host", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=directory)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health/liveliness", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proxy.poll() is not None or time.monotonic() > deadline:
            proxy.kill()
            with open(os.path.join(directory, "proxy.log")) as file:
                pytest.fail("the LiteLLM proxy did not start:\n" + file.read()[-3000:])
        time.sleep(0.5)
    yield base
    proxy.terminate()
    try:
        proxy.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proxy.kill()
    log.close()
    shutil.rmtree(directory, ignore_errors=True)


def run_flow(binary: str, gateway: str, provider: str, model: str, stream: bool) -> list:
    flow = {
        "flow_id": f"gateway-{provider}",
        "options": {"stream": stream},
        "nodes": [
            {"id": "p", "type": "initialPrompt", "data": {"text": "a knight at a gate"}},
            {"id": "e", "type": "promptEnhancer", "data": {"providerId": provider, "model": model}},
            {"id": "t", "type": "translator", "data": {"language": "fr", "providerId": provider, "model": model}},
        ],
        "edges": [{"source": "p", "target": "e"}, {"source": "e", "target": "t"}],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(flow, file)
        path = file.name
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    environment.update(
        MISTRAL_API_KEY=MASTER_KEY, MISTRAL_BASE_URL=f"{gateway}/v1",
        ANTHROPIC_API_KEY=MASTER_KEY, ANTHROPIC_BASE_URL=gateway)
    try:
        result = subprocess.run(
            [binary, "run", path, "--json"], capture_output=True, text=True, timeout=120, env=environment)
    finally:
        os.unlink(path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert MASTER_KEY not in result.stdout and MASTER_KEY not in result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("provider,model", [("mistral", "gateway-gpt"), ("claude", "gateway-claude")])
@pytest.mark.parametrize("stream", [False, True])
def test_gateway_answers_every_call_once(flowrunner_binary, gateway, provider, model, stream):
    messages = run_flow(flowrunner_binary, gateway, provider, model, stream)
    terminal = messages[-1]
    assert terminal["method"] == "execution.completed", terminal
    outputs = terminal["params"]["outputs"]
    # Mistral refuses unknown body fields, so its streams do not ask for usage
    # (stream_options); this gateway then sends none, and none is reported (never zeros).
    reports_usage = not (stream and provider == "mistral")
    for node in ("e", "t"):
        assert outputs[node]["text"] == REPLY
        assert outputs[node]["model"] == {"provider_id": provider, "model": model, "source": "node"}
        if reports_usage:
            assert outputs[node]["usage"]["output_tokens"] > 0
        else:
            assert "usage" not in outputs[node]
    usage = terminal["params"]["usage"]
    # One attempt per call: a whole JSON body answering a stream is an answer, not a failure.
    assert usage["provider_calls"] == 2, usage
    assert usage["complete"] is reports_usage
    statuses = [m["params"].get("status") for m in messages if m["method"] == "execution.node.status"]
    assert "retrying" not in statuses
    if stream:
        deltas = [m["params"] for m in messages if m["method"] == "execution.node.delta"]
        for node in ("e", "t"):
            assert "".join(d["text"] for d in deltas if d["node_id"] == node) == REPLY
