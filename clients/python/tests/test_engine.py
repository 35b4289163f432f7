"""The Python client against the real binary: no wrapper code of the test's own."""
import asyncio
import json
import logging
import signal

import pytest

from conftest import fixture_flows, slow_flow
from flowrunner_client import Engine, EngineExited, RpcError

TERMINALS = {"execution.completed", "execution.failed", "execution.cancelled"}


async def until_a_call_runs(run):
    """Reads the run's events until one of its enhancers (the nodes that call the slow
    provider) is running."""
    async for event in run:
        if event["params"].get("status") == "running" and event["params"]["node_id"].startswith("e"):
            return


def check_log(events, total=None):
    assert events[0]["method"] == "execution.started"
    assert events[-1]["method"] in TERMINALS
    assert [e["params"]["seq"] for e in events] == list(range(1, len(events) + 1))
    ends = [e["params"]["progress"] for e in events if "progress" in e["params"]]
    total = total or len(events[0]["params"]["node_ids"])
    assert [p["done"] for p in ends] == list(range(1, total + 1))


@pytest.mark.parametrize("path", fixture_flows(), ids=lambda p: p.stem)
def test_every_fixture(binary, path):
    async def main():
        async with Engine.spawn(binary) as engine:
            flow = json.loads(path.read_text())
            validation = await engine.validate(flow)
            assert validation["valid"], validation["issues"]
            run = await engine.start(flow, stream=True)
            events = [event async for event in run]
            check_log(events)
            result = await run.result()
            assert result["state"] == "completed"
            assert set(result["outputs"]) <= set(events[0]["params"]["node_ids"])
            # The same log, replayed by the engine.
            page = await engine.events(run.run_id)
            assert page["ended"] and page["events"] == events
            assert engine.protocol_version in ("1.0", "1.1")
    asyncio.run(main())


def test_twenty_concurrent_runs(binary):
    async def main():
        flow = json.loads((fixture_flows()[0].parent / "long-chain.json").read_text())
        async with Engine.spawn(binary) as engine:
            runs = await asyncio.gather(*(engine.start(flow, run_id=f"r{index}") for index in range(20)))
            results = await asyncio.gather(*(run.result(timeout=60) for run in runs))
            assert [r["state"] for r in results] == ["completed"] * 20
            assert len({json.dumps(r["outputs"], sort_keys=True) for r in results}) == 1
            for run in runs:
                check_log(run.events)
            listed = await engine.runs(state="completed")
            assert {f"r{index}" for index in range(20)} <= {entry["run_id"] for entry in listed}
    asyncio.run(main())


def test_cancel(binary, slow_provider):
    async def main():
        async with Engine.spawn(binary, settings=slow_provider) as engine:
            run = await engine.start(slow_flow(2))
            await until_a_call_runs(run)
            assert await run.cancel() is True
            result = await run.result(timeout=10)
            assert result["state"] == "cancelled"
            check_log(run.events)
            assert (await run.status())["state"] == "cancelled"
            assert await run.cancel() is False
    asyncio.run(main())


def test_errors_are_rpc_errors(binary):
    async def main():
        async with Engine.spawn(binary) as engine:
            with pytest.raises(RpcError) as refused:
                await engine.start({"nodes": [{"id": "a", "type": "translater"}]})
            assert refused.value.code == -32602
            assert any("translator" in issue["message"] for issue in refused.value.data["issues"])
            with pytest.raises(RpcError) as unknown:
                await engine.events("no-such-run")
            assert unknown.value.code == -32004
    asyncio.run(main())


def test_killed_engine_fails_every_pending_call_and_run(binary, slow_provider):
    async def main():
        async with Engine.spawn(binary, settings=slow_provider) as engine:
            run = await engine.start(slow_flow(1))
            await until_a_call_runs(run)
            engine._process.send_signal(signal.SIGKILL)
            with pytest.raises(EngineExited) as exited:
                await run.result(timeout=10)
            assert exited.value.returncode == -signal.SIGKILL
            with pytest.raises(EngineExited):
                async for _ in run:
                    pass
            with pytest.raises(EngineExited):
                await engine.ping()
    asyncio.run(main())


def test_twenty_thousand_nodes(binary):
    """A 20,000-node flow: one message of several MB each way, no line limit in the way."""
    count = 20_000
    nodes = [{"id": "n0", "type": "initialPrompt", "data": {"text": "start"}}]
    nodes += [{"id": f"n{i}", "type": "textOutput"} for i in range(1, count)]
    edges = [{"source": f"n{i - 1 if i % 100 else 0}", "target": f"n{i}"} for i in range(1, count)]

    async def main():
        async with Engine.spawn(binary) as engine:
            run = await engine.start({"flow_id": "big", "nodes": nodes, "edges": edges})
            result = await run.result(timeout=120)
            assert result["state"] == "completed"
            assert len(result["outputs"]) == count
            assert len(run.events) == 3 * count + 2
    asyncio.run(main())


def test_stderr_goes_to_logging(binary, caplog):
    async def main():
        async with Engine.spawn(binary, "--log-level", "debug") as engine:
            await engine.ping()
    with caplog.at_level(logging.INFO, logger="flowrunner.engine"):
        asyncio.run(main())
    assert any("Shutdown requested" in record.getMessage() for record in caplog.records)


def test_restart_policy(binary, slow_provider):
    """With `restarts`, a killed engine is started again: its runs fail, later calls work."""
    async def main():
        async with Engine.spawn(binary, settings=slow_provider, restarts=1) as engine:
            first_pid = engine.pid
            run = await engine.start(slow_flow(1))
            engine._process.send_signal(signal.SIGKILL)
            with pytest.raises(EngineExited):
                await run.result(timeout=10)
            await asyncio.wait_for(engine.ping(), 10)  # waits for the new process
            assert engine.restarts == 1 and engine.pid != first_pid
            # The settings came along: the slow provider is configured again.
            providers = await engine.request("providers.list")
            assert next(p for p in providers["providers"] if p["id"] == "mistral")["configured"]
            again = await engine.start(json.loads((fixture_flows()[0]).read_text()))
            assert (await again.result(timeout=10))["state"] == "completed"
            # The second death is past the policy: calls fail.
            engine._process.send_signal(signal.SIGKILL)
            await asyncio.sleep(0)
            with pytest.raises(EngineExited):
                for _ in range(100):
                    await engine.ping()
                    await asyncio.sleep(0.05)
    asyncio.run(main())


def test_output_that_is_not_the_protocol_stops_the_engine(binary, tmp_path):
    """A process that writes something other than the protocol: the client stops it and every
    waiting call fails, instead of waiting forever."""
    script = tmp_path / "not-an-engine"
    script.write_text("#!/bin/sh\nprintf 'Content-Length: 5\\r\\n\\r\\nhello'\nexec sleep 60\n")
    script.chmod(0o755)

    async def main():
        with pytest.raises(EngineExited):
            async with Engine.spawn(str(script)):
                pass
    asyncio.run(asyncio.wait_for(main(), 20))
