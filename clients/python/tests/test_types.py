"""The client's TypedDicts name exactly the fields the schema gives each shape."""
import json
import typing

import pytest

from conftest import ROOT
from flowrunner_client import types

SCHEMA = json.loads((ROOT / "schema" / "flowrunner.schema.json").read_text())["$defs"]

PAIRS = [
    (types.TokenUsage, SCHEMA["TokenUsage"]),
    (types.NodeOutput, SCHEMA["NodeOutput"]),
    (types.RunUsage, SCHEMA["RunUsage"]),
    (types.Progress, SCHEMA["Progress"]),
    (types.Issue, SCHEMA["Issue"]),
    (types.Plan, SCHEMA["flow.validate.result"]["properties"]["plan"]),
    (types.Validation, SCHEMA["flow.validate.result"]),
    (types.RunSummary, SCHEMA["RunSummary"]),
    (types.EventPage, SCHEMA["execution.events.result"]),
]


@pytest.mark.parametrize("typed, shape", PAIRS, ids=lambda value: getattr(value, "__name__", ""))
def test_fields_match_the_schema(typed, shape):
    hints = typing.get_type_hints(typed)
    assert set(hints) == set(shape["properties"]), typed.__name__
    required = set(shape.get("required", []))
    assert typed.__required_keys__ == required or (not typed.__total__ and not typed.__required_keys__), typed.__name__
