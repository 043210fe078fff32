// The r1 CUDA kernels, one translation unit (one module in the fatbin, loaded by cuModuleLoadData).
// Built by build.sh; names are extern "C" so the Java side finds them unmangled (CudaKernels lists them).
#include "r1_math.cuh"

// Dynamic shared memory, as a macro so that the host emulator used by the tests (test/emu) can supply it.
#ifndef R1_DYNAMIC_SMEM
#define R1_DYNAMIC_SMEM(name) extern __shared__ __align__(16) unsigned char name[]
#endif

__device__ __forceinline__ float r1_warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ double r1_warp_sum_d(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ int r1_warp_sum_i(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float r1_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

#include "r1_ops.cu"
#include "r1_matvec.cu"
#include "r1_gemm.cu"
#include "r1_attention.cu"
