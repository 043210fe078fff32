#!/usr/bin/env bash
# The CUDA backend's one check on a GPU machine, in two steps (the GPU machine has no JDK and no network):
#
#   native/cuda/device-check.sh prepare     # here, with JDK 25 + Maven + nvcc: builds cli/target/r1.jar
#                                           # (fatbin inside) and a jlinked runtime into target/device/
#   native/cuda/device-check.sh run [ARGS]  # there: runs dev.r1.engine.cuda.DeviceCheck with that runtime
#
# With the device tool: prepare here, then run with carry ["target/device"] (runtime ~30-40 MB + the
# 12 MB jar, under the 64 MiB a call carries), e.g. timeout_s 540:
#   native/cuda/device-check.sh run --budget-s 330
# `run` finds cuBLAS in the image's Python wheels when it is not on the library path (or takes R1_CUBLAS),
# prints one line per check as it goes and the whole table last (kernels vs the CPU backend with
# poisoned outputs, greedy/KL parity on the tiny presets eager + graph replay, batch-1 bench of
# synthesized 1.5B/7B-shaped Q4_0 models with TTFT, prefill tok/s, decode p50/p99 and % of the HBM
# roofline), then `r1 bench --backends cuda` on the synthesized files (the sessions' path: recorded decode
# steps); exit 1 if a check failed, 2 if there is no usable GPU. It should finish in under 8 minutes:
# the budget (default 330 s before a model's bench starts) skips the 7B model rather than overrun.
# Models are synthesized on the GPU machine into $R1_DEVICE_DIR (default /tmp/r1-device); the 7B file
# (~4.3 GB) takes most of the time on its 16 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/device"
cmd="${1:-}"
shift || true

case "$cmd" in
  prepare)
    . "$root/native/jdk.sh"
    JAVA_HOME="$(find_jdk)"; export JAVA_HOME
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
    (cd "$root" && mvn -B -q -ntp -pl cli -am package -DskipTests)
    [ "$(unzip -l "$root/cli/target/r1.jar" | grep -c 'dev/r1/engine/cuda/r1_kernels.fatbin')" -gt 0 ] \
      || { echo "device-check: r1.jar holds no CUDA fatbin (was nvcc found at build time?)" >&2; exit 1; }
    rm -rf "$out" && mkdir -p "$out"
    # What DeviceCheck touches: the FFM/Vector API, Unsafe users among the dependencies, JMX for machine info.
    "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,jdk.unsupported,jdk.management,java.logging \
      --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$out/runtime"
    # libjvm.so ships its symbol table: dropping what the dynamic linker does not need saves ~5 MB
    if command -v objcopy >/dev/null; then
      find "$out/runtime/lib" -name '*.so' -exec objcopy --strip-unneeded {} \;
    fi
    cp "$root/cli/target/r1.jar" "$out/r1.jar"
    du -sh "$out/runtime" "$out/r1.jar"
    echo "device-check: prepared $out ($(du -sm "$out" | cut -f1) MB); on the GPU machine: native/cuda/device-check.sh run"
    ;;
  run)
    java="$out/runtime/bin/java"
    [ -x "$java" ] || java="$(command -v java || true)"
    [ -n "$java" ] && [ -f "$out/r1.jar" ] || { echo "device-check: no $out/runtime or r1.jar: run 'device-check.sh prepare' first and carry target/device" >&2; exit 2; }
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv,noheader || true
    # cuBLAS for prefill: the image's Python wheels carry it (nvidia-cublas), off the library path
    if [ -z "${R1_CUBLAS:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcublas.so.1[23] '; then
      cb="$(find /opt /usr/local /usr/lib -name 'libcublas.so.13' 2>/dev/null | head -1)"
      [ -n "$cb" ] || cb="$(find /opt /usr/local /usr/lib -name 'libcublas.so.12' 2>/dev/null | head -1)"
      if [ -n "$cb" ]; then export R1_CUBLAS="$cb" LD_LIBRARY_PATH="$(dirname "$cb")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; echo "device-check: cuBLAS $cb"; fi
    fi
    dir="${R1_DEVICE_DIR:-/tmp/r1-device}"
    rc=0
    "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -XX:+UseParallelGC \
      -cp "$out/r1.jar" dev.r1.engine.cuda.DeviceCheck --dir "$dir" "$@" || rc=$?
    [ "$rc" -eq 2 ] && exit 2 # no usable GPU
    # then what a user runs: r1 bench through sessions (recorded decode steps, one-pass prefill) on the same files
    for m in "$dir"/r1-distill-qwen-*-Q4_0.gguf; do
      [ -f "$m" ] || continue
      echo "== r1 bench $(basename "$m") --backends cuda"
      timeout 120 "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -jar "$out/r1.jar" \
        bench "$m" --backends cuda -r 3 --no-bandwidth --no-color 2>&1 | grep -v '^WARNING: Using incubator' | tail -2 || true
    done
    exit "$rc"
    ;;
  *)
    echo "usage: native/cuda/device-check.sh prepare | run [--budget-s S] [--models 1.5b,7b]" >&2
    exit 2
    ;;
esac
