#!/usr/bin/env bash
# Compiles the r1 CUDA kernels into one fatbin: SASS for sm_80 (A100), sm_86, sm_89, sm_90 (H100/H200)
# plus compute_80 PTX that newer GPUs JIT. Run by Maven (engine, generate-resources) as
#   build.sh OUT.fatbin WORK_DIR
# The result is cached in WORK_DIR by a hash of the sources, flags and nvcc version, so an unchanged
# build costs nothing. Without nvcc it says so in one line and exits 0: the build goes on and the cuda
# backend reports itself unavailable. Prints ptxas' register/spill figures for the hot kernels.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUT.fatbin WORK_DIR}"
work="${2:?usage: build.sh OUT.fatbin WORK_DIR}"

nvcc="${NVCC:-}"
if [ -z "$nvcc" ]; then
  if command -v nvcc >/dev/null 2>&1; then nvcc="$(command -v nvcc)"
  elif [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc
  fi
fi
if [ -z "$nvcc" ] || ! "$nvcc" --version >/dev/null 2>&1; then
  echo "r1 cuda: nvcc not found (set NVCC or install the CUDA toolkit): CUDA kernels not built, the cuda backend will be unavailable"
  rm -f "$out"
  exit 0
fi

archs=(80 86 89 90)
# --fmad=false: a*b+c must not become a fused op on the device when the host build of r1_math.cuh (which
# the tests check) does not fuse it; kernels write fmaf where they want one. --no-compress: the tests
# read kernel names from the fatbin's ELF/PTX entries, and a compressed fatbin would hide them.
flags=(-fatbin --no-compress -O3 -std=c++17 -fmad=false -Xptxas -v)
for a in "${archs[@]}"; do flags+=(-gencode "arch=compute_$a,code=sm_$a"); done
flags+=(-gencode arch=compute_80,code=compute_80)

mkdir -p "$work" "$(dirname "$out")"
key="$( { "$nvcc" --version; printf '%s\n' "${flags[@]}"; cat "$here"/*.cu "$here"/*.cuh; } | sha256sum | cut -c1-16)"
cached="$work/r1_kernels-$key.fatbin"
if [ -f "$cached" ]; then
  cp "$cached" "$out"
  echo "r1 cuda: kernels unchanged ($key), fatbin from $cached"
  exit 0
fi

log="$work/ptxas-$key.log"
start=$(date +%s)
"$nvcc" "${flags[@]}" -o "$cached.tmp" "$here/r1_kernels.cu" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
mv "$cached.tmp" "$cached"
cp "$cached" "$out"
secs=$(( $(date +%s) - start ))
echo "r1 cuda: built $(basename "$out") ($(stat -c %s "$out") bytes, SASS sm_${archs[*]} + compute_80 PTX) in ${secs}s"
# One line per hot kernel for A100 and H100/H200 (the full log, every arch, stays in $log): registers,
# spill bytes (stores/loads), static shared memory.
awk '
  /Compiling entry function/ { match($0, /'\''[^'\'']*'\''/); fn = substr($0, RSTART+1, RLENGTH-2);
                               match($0, /for '\''[^'\'']*'\''/); arch = substr($0, RSTART+5, RLENGTH-6) }
  /spill stores/ { st = $5; ld = $9 }
  /Used [0-9]+ registers/ { regs = $5; smem = "0";
                            if (match($0, /[0-9]+ bytes smem/)) smem = substr($0, RSTART, RLENGTH - 11);
                            if (fn ~ /^r1_(mv_|mm_|gemm|attn_|quantize|add_rmsnorm)/ && (arch == "sm_80" || arch == "sm_90"))
                              printf "r1 cuda: ptxas %-18s %-6s %3d regs  spill %s/%s B  smem %s B\n", fn, arch, regs, st, ld, smem }
' "$log"
# Old cache entries go: one fatbin per source state is enough.
find "$work" -maxdepth 1 -name 'r1_kernels-*.fatbin' ! -name "$(basename "$cached")" -delete
find "$work" -maxdepth 1 -name 'ptxas-*.log' ! -name "$(basename "$log")" -delete
