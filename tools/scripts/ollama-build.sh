#!/usr/bin/env bash
# ollama-build.sh: print the path of an Ollama binary built from the Go module
# proxy, building it first unless a cached one exists.
#
# Ollama's module zip leaves out llama.cpp's vendor/ headers: nlohmann/json and
# stb come from Debian packages (installed here when missing and running as
# root), miniaudio from our own stub under tools/realengine/include. The cache
# is keyed on the Ollama version and the stub header's hash, so editing the
# header or bumping OLLAMA_VERSION rebuilds. See ../shared/docs/real-engine.md.
#
# Env: OLLAMA_VERSION (default v0.17.4), ORCHD_CACHE (default ~/.cache/orchestratord), GO.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
GO="${GO:-go}"
version="${OLLAMA_VERSION:-v0.17.4}"
include="$root/tools/realengine/include"
header="$include/miniaudio/miniaudio.h"
hash="$(sha256sum "$header" | cut -c1-12)"
cache="${ORCHD_CACHE:-$HOME/.cache/orchestratord}/ollama-$version-$hash"
bin="$cache/ollama"

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

need=()
[[ -f /usr/include/nlohmann/json_fwd.hpp ]] || need+=(nlohmann-json3-dev)
[[ -f /usr/include/stb/stb_image.h ]] || need+=(libstb-dev)
if ((${#need[@]})); then
	as_root=()
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			as_root=(sudo -n)
		else
			echo "ollama-build: missing Debian packages ${need[*]} (run as root, allow sudo, or install them)" >&2
			exit 1
		fi
	fi
	echo "ollama-build: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	"${as_root[@]}" apt-get install -y -q "${need[@]}" >&2 ||
		{ "${as_root[@]}" apt-get update -q >&2 && "${as_root[@]}" apt-get install -y -q "${need[@]}" >&2; }
fi

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "ollama-build: building github.com/ollama/ollama@$version (several minutes cold)" >&2
start=$(date +%s)
(cd "$tmp" && GOWORK=off GOFLAGS="${GOFLAGS:-} -modcacherw" GOBIN="$tmp" CGO_ENABLED=1 \
	CGO_CPPFLAGS="-I$include ${CGO_CPPFLAGS:-}" "$GO" install "github.com/ollama/ollama@$version")
mv "$tmp/ollama" "$bin"
echo "ollama-build: built in $(($(date +%s) - start))s: $bin" >&2
echo "$bin"
