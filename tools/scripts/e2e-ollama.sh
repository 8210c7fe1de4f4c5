#!/usr/bin/env bash
# e2e-ollama.sh: the end-to-end suite against real inference (make e2e).
#
# Builds or reuses the Ollama binary (ollama-build.sh, cached per version and
# stub-header hash), generates the tiny llama model, and runs
# orchestratord/e2e/realengine (build tag realengine), which starts
# `ollama serve` on a free loopback port with 2 parallel slots, imports the
# model (num_thread 1, num_ctx 256), and puts orchestratord and a node agent
# (engine "ollama" and engine "openai" on the same Ollama) in front of it.
#
# Env: BIN (default bin: orchestratord, node-agent, gguf-gen from make build),
# GO, E2E_RUN (a -run pattern), MODEL_SEED (default 1).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
GO="${GO:-go}"
bin="$(cd "${BIN:-bin}" && pwd)"
start=$(date +%s)

ollama="$(GO="$GO" tools/scripts/ollama-build.sh)"
echo "e2e: ollama $ollama ($("$ollama" --version 2>/dev/null | tail -1))"

work="$(mktemp -d "${TMPDIR:-/tmp}/orchd-e2e.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$bin/gguf-gen" --out "$work/tiny.gguf" --seed "${MODEL_SEED:-1}"
echo "e2e: model $(sha256sum "$work/tiny.gguf" | cut -c1-16)… $(stat -c %s "$work/tiny.gguf") bytes"

cd orchestratord
"$GO" vet -tags realengine ./e2e/realengine
ORCHD_E2E_OLLAMA="$ollama" ORCHD_E2E_MODEL="$work/tiny.gguf" ORCHD_E2E_BIN="$bin" \
	"$GO" test -tags realengine -count=1 -v -timeout 8m ${E2E_RUN:+-run "$E2E_RUN"} ./e2e/realengine
echo "e2e: passed in $(($(date +%s) - start))s"
