#!/usr/bin/env bash
# Builds the libFuzzer target over the JSON-RPC input layer and runs it for a bounded time.
# Usage: Fuzz/run.sh [seconds=600] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
out=.build-fuzz
mkdir -p "$out" Fuzz/corpus-work
sources=(
  Sources/JSON/JSONValue.swift Sources/JSON/JSONObject.swift Sources/JSON/JSONParser.swift
  Sources/JSON/JSONScanner+Pull.swift Sources/JSON/RawJSON.swift Sources/JSON/Whitespace.swift
  Sources/JSON/JSONSerializer.swift Sources/JSONRPC/RequestIDSniffer.swift Sources/JSONRPC/Framing.swift Sources/JSONRPC/LSPFrameParser.swift
  Sources/JSONRPC/NDJSONFrameParser.swift Sources/JSONRPC/Message.swift Sources/JSONRPC/RequestID.swift
  Sources/JSONRPC/ErrorCode.swift Sources/JSONRPC/ParamsReader.swift Sources/FlowProviders/SSEParser.swift
)
# One module for the fuzzer: the sources are copied without their imports of each other's modules.
flat="$out/sources"
rm -rf "$flat" && mkdir -p "$flat"
for source in "${sources[@]}"; do
  sed -e '/^import JSON$/d' -e '/^import JSONRPC$/d' "$source" > "$flat/$(basename "$source")"
done
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name JSONRPCFuzz \
  "$flat"/*.swift Fuzz/FrameFuzzer.swift -o "$out/frame-fuzzer" 2> >(grep -v "Cannot export local symbol" >&2)
# New inputs go to corpus-work (ignored by git); the committed seeds stay as they are.
exec "$out/frame-fuzzer" Fuzz/corpus-work Fixtures/fuzz-corpus \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@"
