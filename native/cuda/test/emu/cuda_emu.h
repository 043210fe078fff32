// A host emulation of the CUDA features r1_kernels.cu uses, so that the tests can run the real kernels
// (thread mapping included) without a GPU: each CUDA thread of a block is a fiber (ucontext), blocks run
// one after another, __syncthreads and warp shuffles are barriers that switch fibers. Slow (a context
// switch per thread per barrier), so the emulated checks use small shapes. Not a CUDA implementation:
// only what these kernels need (atomics as plain adds, no warp divergence beyond whole-warp exits).
#pragma once
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stddef.h>
#include <algorithm>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static // blocks run one at a time: a static is one block's shared memory
#define __align__(n) __attribute__((aligned(n)))
#define R1_DYNAMIC_SMEM(name) unsigned char* name = r1emu_dynamic_smem()

struct r1emu_dim3 { unsigned x, y, z; };
struct alignas(8) uint2 { unsigned x, y; };   // aligned as on the device, so -fsanitize=alignment checks loads
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(16) int4 { int x, y, z, w; };
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return uint4{x, y, z, w}; }

struct r1emu_thread {
    r1emu_dim3 tid;
};
extern thread_local r1emu_thread* r1emu_cur;
extern r1emu_dim3 r1emu_block, r1emu_grid, r1emu_bdim;
#define threadIdx (r1emu_cur->tid)
#define blockIdx r1emu_block
#define gridDim r1emu_grid
#define blockDim r1emu_bdim

unsigned char* r1emu_dynamic_smem();
void r1emu_sync_block();
void r1emu_sync_warp();
// A value exchange among the 32 lanes of the calling warp: returns lane src's value.
void r1emu_exchange(const void* mine, void* out, int size, int src);

inline void __syncthreads() { r1emu_sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { r1emu_sync_warp(); }

template <class T> inline T __shfl_sync(unsigned, T v, int src) {
    T out;
    r1emu_exchange(&v, &out, sizeof(T), src & 31);
    return out;
}
template <class T> inline T __shfl_xor_sync(unsigned, T v, int mask) {
    T out;
    r1emu_exchange(&v, &out, sizeof(T), (int)((threadIdx.x & 31) ^ mask));
    return out;
}

// Blocks run one after another here, so device-wide ordering and atomics are plain memory operations.
inline int atomicAdd(int* p, int v) { int old = *p; *p += v; return old; }
inline void __threadfence() {}
template <class T> inline T __ldcg(const T* p) { return *p; }

inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
