#!/usr/bin/env bash
# make run: the simulated engine as a llama.cpp pool, and orchestratord in
# front of it, both on loopback. Ctrl-C stops both.
set -euo pipefail
BIN=${BIN:-bin}
ENGINE_ADDR=${ENGINE_ADDR:-127.0.0.1:8081}
ORCHD_ADDR=${ORCHD_ADDR:-127.0.0.1:8080}
DATA_DIR=${DATA_DIR:-./data}
mkdir -p "$DATA_DIR"
cfg="$DATA_DIR/demo.yaml"
cat >"$cfg" <<YAML
addr: $ORCHD_ADDR
data_dir: $DATA_DIR
pools:
  - {pool_id: sim-0, engine: llamacpp, url: "http://$ENGINE_ADDR", models: [tiny], slots_total: 4, ctx_max: 4096}
YAML

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BIN/simengine" --addr "$ENGINE_ADDR" --slots 4 --model tiny --token-delay 30ms >/dev/null &
pids+=($!)
"$BIN/orchestratord" --config "$cfg" --log-format console &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fsS "http://$ORCHD_ADDR/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<MSG

orchestratord is up on http://$ORCHD_ADDR with the simulated engine (pool sim-0, model "tiny").
Enqueue a task and stream its tokens:

  curl -s http://$ORCHD_ADDR/v2/tasks -H 'Content-Type: application/json' \\
    -d '{"workload":"completion","model_ref":"tiny","prompt":"Hello","max_tokens":32}' \\
  | tee /dev/stderr | sed -E 's/.*"task_id":"([^"]+)".*/\\1/' \\
  | xargs -I{} curl -sN http://$ORCHD_ADDR/v2/tasks/{}/events

Status:   curl -s http://$ORCHD_ADDR/v2/tasks/<id>
Cancel:   curl -si -X POST http://$ORCHD_ADDR/v2/tasks/<id>/cancel
Metrics:  curl -s http://$ORCHD_ADDR/metrics | grep ^orchd_

Ctrl-C stops both processes.
MSG
wait -n "${pids[@]}"
