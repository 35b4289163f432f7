"""Where the built flowrunner binary is: `$FLOWRUNNER_BINARY`, or `flowrunner` in SwiftPM's
debug bin path."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def flowrunner_binary_path() -> str:
    path = os.environ.get("FLOWRUNNER_BINARY")
    if not path:
        bin_dir = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        path = os.path.join(bin_dir, "flowrunner")
    if not os.access(path, os.X_OK):
        pytest.fail(f"flowrunner binary not found at {path}; run 'swift build' first")
    return path
