#!/usr/bin/env bash
# Builds flowrunner and the benchmark driver in release mode (Swift runtime linked statically,
# as deployed) and runs the benchmarks over real pipes. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
for product in flowrunner flowrunner-bench; do
  swift build -c release --static-swift-stdlib --scratch-path .build-release --product "$product" >&2
done
exec .build-release/release/flowrunner-bench .build-release/release/flowrunner
