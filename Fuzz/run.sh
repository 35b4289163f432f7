#!/usr/bin/env bash
# Builds a libFuzzer target and runs it for a bounded time.
# Usage: Fuzz/run.sh [seconds=600] [frames|params|images] [extra libFuzzer flags...]
#   frames  the JSON-RPC input layer: framing, the JSON parser, envelopes, SSE (default)
#   params  execution.start / flow.validate / initialize params: decoding and validation
#   images  the image wrapper: headers, EXIF, decoding on libjpeg-turbo and libpng, downscaling
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
target="${2:-frames}"
shift $(($# < 2 ? $# : 2))
# A failing check stops the fuzzer at once, without the interactive backtracer.
export SWIFT_BACKTRACE=enable=no

case "$target" in
frames)
  out=.build-fuzz
  mkdir -p "$out" Fuzz/corpus-work
  sources=(
    Sources/JSON/JSONValue.swift Sources/JSON/JSONObject.swift Sources/JSON/JSONParser.swift
    Sources/JSON/JSONScanner+Pull.swift Sources/JSON/RawJSON.swift Sources/JSON/Whitespace.swift
    Sources/JSON/JSONSerializer.swift Sources/JSON/JSONSerializer+Pointer.swift Sources/JSONRPC/RequestIDSniffer.swift
    Sources/JSONRPC/Framing.swift
    Sources/JSONRPC/LSPFrameParser.swift Sources/JSONRPC/NDJSONFrameParser.swift Sources/JSONRPC/Message.swift
    Sources/JSONRPC/RequestID.swift Sources/JSONRPC/ErrorCode.swift Sources/JSONRPC/ParamsReader.swift
    Sources/FlowProviders/SSEParser.swift
  )
  # One module for this fuzzer: the sources are copied without their imports of each other's modules.
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
  ;;
params | images)
  # The package's own modules, built with AddressSanitizer and coverage, and libFuzzer's driver
  # linked in without its main (the target calls LLVMFuzzerRunDriver itself).
  out=.build-fuzz-params
  resource_dir="$(swiftc -print-target-info | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p')"
  driver="$(ls "$resource_dir"/../clang/*/lib/linux/libclang_rt.fuzzer_no_main-*.a 2>/dev/null | head -n 1)"
  if [[ -z "$driver" ]]; then
    echo "libclang_rt.fuzzer_no_main is not in this toolchain ($resource_dir/../clang)" >&2
    exit 1
  fi
  [[ "$target" == images ]] && out=.build-fuzz-images
  # C code (the image codecs' wrapper) is instrumented too; the system's libjpeg and libpng are not.
  FLOWRUNNER_FUZZ="$target" swift build -c release --build-path "$out" --product "flowrunner-$target-fuzz" \
    --sanitize address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xcc -fsanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker "$driver" -Xlinker -lstdc++ 2> >(grep -v "Cannot export local symbol" >&2)
  mkdir -p "Fuzz/corpus-$target-work"
  if [[ "$target" == images && -z "$(ls -A Fixtures/fuzz-corpus-images 2> /dev/null)" ]]; then
    mkdir -p Fixtures/fuzz-corpus-images
    "$out/release/flowrunner-images-fuzz" --write-seeds Fixtures/fuzz-corpus-images
  fi
  max_len=4096
  [[ "$target" == images ]] && max_len=65536
  exec "$out/release/flowrunner-$target-fuzz" "Fuzz/corpus-$target-work" "Fixtures/fuzz-corpus-$target" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@"
  ;;
*)
  echo "unknown fuzz target '$target'; use frames, params or images" >&2
  exit 2
  ;;
esac
