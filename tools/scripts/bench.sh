#!/usr/bin/env bash
# make bench (end-to-end part): the simulated engine reached directly, through
# a plain httputil.ReverseProxy and through orchestratord, plus admission
# alone; benchrun starts and stops every process itself. Extra arguments go
# to benchrun, e.g. --duration 10s --repeat 3 --scenarios saturated,admit
# --out docs/benchmarks.md --json.
set -euo pipefail
BIN=${BIN:-bin}
if [[ ! -x "$BIN/benchrun" ]]; then
  echo "bench.sh: $BIN/benchrun is missing; run make build first" >&2
  exit 1
fi
exec "$BIN/benchrun" --bin "$BIN" "$@"
