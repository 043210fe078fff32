// The slice of nvcuda::wmma that r1_gemm uses (16x16x16, F16 in, F32 accumulate), emulated: every lane
// holds the whole fragment and computes the whole product (redundant, but the result is the tile the
// hardware produces, up to the order of the F32 sums); stores are made by lane 0 after a warp barrier.
#pragma once
#include "cuda_emu.h"

struct half {
    uint16_t bits;
};

namespace nvcuda {
namespace wmma {
struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    float x[16 * 16]; // element (i, j) at 16 i + j, in the fragment's logical orientation
};

template <class Use, int M, int N, int K, class T, class L>
inline void fill_fragment(fragment<Use, M, N, K, T, L>& f, float v) {
    for (int i = 0; i < 256; i++) f.x[i] = v;
}

inline float r1emu_half(const half& h) { return r1_half_to_float(h.bits); }

// A (16 x 16, row i = row of A) from row-major memory; B (16 x 16, element (k, n)) from column-major memory.
inline void load_matrix_sync(fragment<matrix_a, 16, 16, 16, half, row_major>& f, const half* p, unsigned ld) {
    for (int i = 0; i < 16; i++)
        for (int k = 0; k < 16; k++) f.x[16 * i + k] = r1emu_half(p[i * ld + k]);
}
inline void load_matrix_sync(fragment<matrix_b, 16, 16, 16, half, col_major>& f, const half* p, unsigned ld) {
    for (int k = 0; k < 16; k++)
        for (int n = 0; n < 16; n++) f.x[16 * k + n] = r1emu_half(p[n * ld + k]);
}

inline void mma_sync(fragment<accumulator, 16, 16, 16, float>& d, const fragment<matrix_a, 16, 16, 16, half, row_major>& a,
                     const fragment<matrix_b, 16, 16, 16, half, col_major>& b, const fragment<accumulator, 16, 16, 16, float>& c) {
    float t[256];
    for (int i = 0; i < 16; i++)
        for (int n = 0; n < 16; n++) {
            float s = c.x[16 * i + n];
            for (int k = 0; k < 16; k++) s = fmaf(a.x[16 * i + k], b.x[16 * k + n], s);
            t[16 * i + n] = s;
        }
    memcpy(d.x, t, sizeof t);
}

inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float>& f, unsigned ld, layout_t layout) {
    r1emu_sync_warp();
    if ((threadIdx.x & 31) == 0)
        for (int i = 0; i < 16; i++)
            for (int n = 0; n < 16; n++) p[layout == mem_col_major ? n * ld + i : i * ld + n] = f.x[16 * i + n];
    r1emu_sync_warp();
}
} // namespace wmma
} // namespace nvcuda
