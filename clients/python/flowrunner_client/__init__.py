"""asyncio client for the flowrunner engine: spawn it, validate and run flows, follow runs.

    async with Engine.spawn("flowrunner") as engine:
        run = await engine.start(flow, stream=True)
        async for event in run:
            print(event["method"], event["params"].get("node_id"))
        result = await run.result()
"""
from .engine import Engine
from .errors import EngineExited, FlowrunnerError, RpcError
from .run import Run

__all__ = ["Engine", "Run", "EngineExited", "FlowrunnerError", "RpcError"]
