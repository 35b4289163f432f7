"""Shared fixtures: where the built flowrunner binary is."""
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
from locate import flowrunner_binary_path  # noqa: E402


@pytest.fixture(scope="session")
def flowrunner_binary() -> str:
    return flowrunner_binary_path()
