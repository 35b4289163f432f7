"""The wire shapes the client hands back, as TypedDicts. The package's tests check each one's
keys against schema/flowrunner.schema.json, so they follow the engine's protocol."""
from __future__ import annotations

from typing import Any, Dict, List, TypedDict


class TokenUsage(TypedDict):
    input_tokens: int
    output_tokens: int


class NodeOutput(TypedDict, total=False):
    text: str
    personas: List[Dict[str, str]]
    image: Dict[str, Any]
    model: Dict[str, str]
    usage: TokenUsage


class RunUsage(TypedDict):
    input_tokens: int
    output_tokens: int
    provider_calls: int
    complete: bool


class Progress(TypedDict):
    done: int
    total: int


class Issue(TypedDict, total=False):
    code: str
    severity: str
    message: str
    node_id: str
    edge_id: str
    path: List[str]


class Plan(TypedDict):
    node_ids: List[str]
    levels: List[List[str]]
    reused_node_ids: List[str]


class Validation(TypedDict):
    """The `flow.validate` result."""

    valid: bool
    issues: List[Issue]
    plan: Plan


class _RunSummaryFields(TypedDict):
    run_id: str
    flow_id: str
    state: str
    total: int
    done: int
    duration_ms: int


class RunSummary(_RunSummaryFields, total=False):
    """One entry of `execution.list` (`quota_key` when the run has one)."""

    quota_key: str


class EventPage(TypedDict):
    """The `execution.events` result."""

    run_id: str
    events: List[Dict[str, Any]]
    ended: bool


class Event(TypedDict):
    """A run notification: its method and params (which carry `run_id` and `seq`)."""

    method: str
    params: Dict[str, Any]


class RunResult(TypedDict, total=False):
    """How a run ended: `state` (`completed`, `failed` or `cancelled`) and the terminal
    notification's params (`outputs`, `duration_ms`, `usage`, and `error` when failed)."""

    state: str
    outputs: Dict[str, NodeOutput]
    duration_ms: int
    usage: RunUsage
    error: Dict[str, Any]
    run_id: str
    seq: int
