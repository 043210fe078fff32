// Prefill matrix-matrix product on tensor cores: out[t*rows + r] = W[r] . x[t] for n tokens. A block
// computes a 64-row x 64-token tile with 4 warps (32 x 32 each, 2 x 2 WMMA 16x16x16 fragments), stepping
// K by one 32-element quant block: each step dequantizes the weight tile to F16 in shared memory (any
// stored type, through r1_dequant) and rounds the activations to F16 (as llama.cpp's cuBLAS path does),
// accumulating in F32. The weights are read once per 64 tokens instead of once per token.
#include <mma.h>

#define R1_GM 64   // weight rows per block
#define R1_GN 64   // tokens per block
#define R1_GK 32   // K step
#define R1_GLD 40  // shared row stride in halves: a multiple of 8 (WMMA) that staggers banks

extern "C" __global__ void __launch_bounds__(128) r1_gemm(const uint8_t* w, int type, int rows, int cols,
                                                          const float* x, int n, float* out) {
    using namespace nvcuda;
    __shared__ __align__(32) uint16_t ws[R1_GM * R1_GLD];
    __shared__ __align__(32) uint16_t xs[R1_GN * R1_GLD];
    __shared__ __align__(32) float cs[4][32 * 32]; // a warp's 32x32 result, staged for the bounds check
    int r0 = blockIdx.x * R1_GM, t0 = blockIdx.y * R1_GN, warp = threadIdx.x >> 5;
    int wr = (warp >> 1) * 32, wt = (warp & 1) * 32;
    long long rb = r1_row_bytes(type, cols);
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);
    for (int k0 = 0; k0 < cols; k0 += R1_GK) {
        for (int e = threadIdx.x; e < R1_GM * R1_GK; e += blockDim.x) {
            int rr = e / R1_GK, kk = e % R1_GK, r = r0 + rr, t = t0 + rr;
            float wv = r < rows ? r1_dequant(type, w + rb * r, k0 + kk) : 0.0f;
            float xv = t < n ? x[(size_t)t * cols + k0 + kk] : 0.0f;
            ws[rr * R1_GLD + kk] = r1_float_to_half(wv);
            xs[rr * R1_GLD + kk] = r1_float_to_half(xv);
        }
        __syncthreads();
        for (int kk = 0; kk < R1_GK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b[2];
            for (int i = 0; i < 2; i++) wmma::load_matrix_sync(a[i], (const half*)ws + (wr + 16 * i) * R1_GLD + kk, R1_GLD);
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], (const half*)xs + (wt + 16 * j) * R1_GLD + kk, R1_GLD);
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    // C tile (rows x tokens) stored column-major = token-major, as `out` is
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            wmma::store_matrix_sync(cs[warp] + (16 * j) * 32 + 16 * i, acc[i][j], 32, wmma::mem_col_major);
    __syncwarp();
    int lane = threadIdx.x & 31;
    for (int tt = 0; tt < 32; tt++) {
        int t = t0 + wt + tt, r = r0 + wr + lane;
        if (t < n && r < rows) out[(size_t)t * rows + r] = cs[warp][tt * 32 + lane];
    }
}
