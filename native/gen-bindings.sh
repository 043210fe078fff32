#!/usr/bin/env bash
# Regenerates the committed Panama bindings in bindings/src/main/java with a jextract found on PATH:
#   dev.r1.bindings.llama  <- llama.h (+ the few ggml functions we call), pinned headers in .deps/llama-include
#                             (native/fetch-deps.sh puts them there; llama.cpp tag v0.4.0)
#   dev.r1.bindings.cuda   <- the CUDA driver API from cuda.h ($CUDA_HOME, default /usr/local/cuda)
# Only what r1 calls is generated (jextract --include-* filters), so a header bump shows up as a small diff.
# Usage: native/gen-bindings.sh [llama|cuda]...   (default: both); R1_GEN_OUT=DIR writes there instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="${R1_DEPS:-$root/.deps}"
out="${R1_GEN_OUT:-$root/bindings/src/main/java}"
cuda_home="${CUDA_HOME:-/usr/local/cuda}"

command -v jextract >/dev/null || {
  echo "gen-bindings: jextract is not on PATH. Get a jextract build for JDK 25 (https://jdk.java.net/jextract/" >&2
  echo "  or build openjdk/jextract against libclang) and put its bin/ on PATH." >&2; exit 1; }

# args_for KIND NAME... : one --include-KIND option per name.
args_for() { local k="$1"; shift; local n; for n in "$@"; do printf -- '--include-%s\n%s\n' "$k" "$n"; done; }

gen_llama() {
  local inc="$deps/llama-include"
  [ -f "$inc/llama.h" ] || { echo "gen-bindings: $inc/llama.h missing; run native/fetch-deps.sh" >&2; exit 1; }
  local fns=(
    llama_backend_init llama_backend_free llama_log_set llama_print_system_info
    llama_model_default_params llama_context_default_params
    llama_model_load_from_file llama_model_free llama_init_from_model llama_free
    llama_n_ctx llama_n_batch llama_set_n_threads llama_n_threads
    llama_batch_init llama_batch_get_one llama_batch_free llama_decode
    llama_get_logits llama_get_logits_ith
    llama_get_memory llama_memory_clear llama_memory_seq_rm llama_memory_seq_pos_max
    llama_model_get_vocab llama_vocab_n_tokens llama_vocab_type llama_tokenize llama_token_to_piece llama_detokenize
    llama_vocab_bos llama_vocab_eos llama_vocab_is_eog llama_vocab_get_add_bos
    llama_model_n_params llama_model_size llama_model_desc llama_model_n_ctx_train llama_model_n_embd
    llama_model_n_layer llama_model_meta_val_str llama_model_meta_count llama_model_meta_key_by_index
    llama_model_meta_val_str_by_index llama_model_chat_template llama_model_n_head llama_model_n_head_kv
    ggml_backend_load ggml_backend_load_all_from_path ggml_backend_reg_count ggml_backend_reg_get
    ggml_backend_reg_name ggml_backend_dev_count ggml_backend_dev_get ggml_backend_dev_name
    ggml_backend_dev_description ggml_backend_dev_type ggml_backend_reg_dev_count
    ggml_quantize_init ggml_quantize_requires_imatrix ggml_quantize_chunk ggml_type_size ggml_blck_size
    ggml_row_size ggml_type_name
  )
  local structs=(llama_model_params llama_context_params llama_batch)
  local typedefs=(ggml_log_callback llama_progress_callback llama_token llama_pos llama_seq_id)
  local consts=(
    GGML_LOG_LEVEL_NONE GGML_LOG_LEVEL_DEBUG GGML_LOG_LEVEL_INFO GGML_LOG_LEVEL_WARN GGML_LOG_LEVEL_ERROR
    GGML_LOG_LEVEL_CONT
    GGML_TYPE_F32 GGML_TYPE_F16 GGML_TYPE_BF16 GGML_TYPE_Q8_0 GGML_TYPE_Q4_0 GGML_TYPE_Q4_K GGML_TYPE_Q6_K
    LLAMA_VOCAB_TYPE_NONE LLAMA_VOCAB_TYPE_SPM LLAMA_VOCAB_TYPE_BPE
    GGML_BACKEND_DEVICE_TYPE_CPU GGML_BACKEND_DEVICE_TYPE_GPU GGML_BACKEND_DEVICE_TYPE_ACCEL
  )
  rm -rf "$out/dev/r1/bindings/llama"
  jextract -I "$inc" -t dev.r1.bindings.llama --header-class-name Llama --output "$out" \
    $(args_for function "${fns[@]}") $(args_for struct "${structs[@]}") \
    $(args_for typedef "${typedefs[@]}") $(args_for constant "${consts[@]}") \
    "$inc/llama.h"
}

gen_cuda() {
  local h="$cuda_home/include/cuda.h"
  [ -f "$h" ] || { echo "gen-bindings: $h missing (set CUDA_HOME to a CUDA toolkit)" >&2; exit 1; }
  # The API names we call; cuda.h maps many of them to versioned symbols by macro (cuMemAlloc ->
  # cuMemAlloc_v2, cuCtxCreate -> cuCtxCreate_v4). Asking the C preprocessor gives the real ones.
  local api=(
    cuInit cuDriverGetVersion cuGetErrorString cuGetErrorName
    cuDeviceGet cuDeviceGetCount cuDeviceGetName cuDeviceGetAttribute cuDeviceTotalMem
    cuDevicePrimaryCtxRetain cuDevicePrimaryCtxRelease
    cuCtxCreate cuCtxDestroy cuCtxSynchronize cuCtxSetCurrent cuCtxGetCurrent
    cuMemAlloc cuMemFree cuMemGetInfo cuMemAllocHost cuMemFreeHost
    cuMemcpyHtoD cuMemcpyDtoH cuMemcpyDtoD cuMemcpyHtoDAsync cuMemcpyDtoHAsync cuMemcpyDtoDAsync
    cuMemsetD8 cuMemsetD32 cuMemsetD32Async
    cuModuleLoadData cuModuleUnload cuModuleGetFunction cuModuleGetGlobal cuFuncSetAttribute cuLaunchKernel
    cuStreamCreate cuStreamDestroy cuStreamSynchronize cuStreamWaitEvent cuStreamBeginCapture cuStreamEndCapture
    cuEventCreate cuEventRecord cuEventSynchronize cuEventElapsedTime cuEventDestroy
    cuGraphInstantiateWithFlags cuGraphLaunch cuGraphDestroy cuGraphExecDestroy cuGraphExecUpdate
  )
  local fns
  fns=($( { echo '#include <cuda.h>'; printf 'R1SYM %s\n' "${api[@]}"; } \
          | gcc -E -P -I "$cuda_home/include" -x c - | sed -n 's/^R1SYM \([A-Za-z0-9_]*\).*/\1/p'))
  [ "${#fns[@]}" -eq "${#api[@]}" ] || { echo "gen-bindings: could not resolve CUDA symbol names" >&2; exit 1; }
  local consts=(
    CUDA_SUCCESS CUDA_ERROR_NO_DEVICE CUDA_ERROR_NOT_INITIALIZED CUDA_ERROR_OUT_OF_MEMORY
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    CU_STREAM_DEFAULT CU_STREAM_NON_BLOCKING CU_EVENT_DEFAULT CU_EVENT_DISABLE_TIMING
    CU_STREAM_CAPTURE_MODE_GLOBAL CU_STREAM_CAPTURE_MODE_THREAD_LOCAL CU_STREAM_CAPTURE_MODE_RELAXED
    CU_GRAPH_EXEC_UPDATE_SUCCESS
  )
  rm -rf "$out/dev/r1/bindings/cuda"
  # Symbols resolve against libcuda.so.1 by name; dev.r1.bindings.CudaDriver checks it loads first.
  jextract -I "$cuda_home/include" -t dev.r1.bindings.cuda --header-class-name Cuda --output "$out" \
    -l :libcuda.so.1 $(args_for function "${fns[@]}") $(args_for constant "${consts[@]}") "$h"
}

what=("$@"); [ ${#what[@]} -gt 0 ] || what=(llama cuda)
for w in "${what[@]}"; do
  case "$w" in llama) gen_llama ;; cuda) gen_cuda ;; *) echo "gen-bindings: unknown part $w" >&2; exit 2 ;; esac
done
echo "gen-bindings: ok (${what[*]} -> $out)" >&2
