#!/usr/bin/env bash
# Regenerates the golden event logs: each valid fixture flow run with max_concurrency 1 (so the
# order is deterministic), notifications as NDJSON with run_id and duration_ms normalised.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="${FLOWRUNNER_BINARY:-$(swift build --show-bin-path)/flowrunner}"
for flow in Fixtures/flows/*.json; do
  name=$(basename "$flow" .json)
  "$binary" run "$flow" --json --max-concurrency 1 2>/dev/null \
    | python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    params = message["params"]
    params["run_id"] = "RUN"
    if "duration_ms" in params:
        params["duration_ms"] = 0
    print(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
' > "Fixtures/golden/$name.ndjson"
  echo "Fixtures/golden/$name.ndjson: $(wc -l < "Fixtures/golden/$name.ndjson") notifications"
done
