// Decode matrix-vector products: out[t*rows + r] = W[r] . x[t] for a few tokens t (gridDim.y), one warp
// per weight row, R1_MV_WARPS rows per block. Memory-bound at batch 1: each warp streams its row once with
// every lane loading consecutive bytes, so a warp's loads cover whole cache lines.
//
// Quantized weights are dotted with activations quantized once per op (r1_quantize_q8_1 / _q8_k) by
// dp4a, as the CPU backend dots them with 8-bit activations: integer block sums are exact, so GPU and CPU
// differ only in the order the float block terms are added.
//
// Up to three matrices that share the input (q/k/v, gate/up) go in one launch: the grid covers their rows
// back to back (rows1 = rows2 = 0 for one matrix), which saves launches in a decode step.
#define R1_MV_WARPS 4
#define R1_MV_MATS const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, int rows0, int rows1, int rows2
// bias_i (or null): added to matrix i's products as they are stored (out = acc + bias, the float add the
// separate bias kernel does), which saves a launch per biased matrix in a decode step (Qwen's q/k/v)
#define R1_MV_OUTS float *out0, float *out1, float *out2, const float *bias0, const float *bias1, const float *bias2

// This warp's matrix, row in it and output; false past the last row.
__device__ __forceinline__ bool r1_mv_pick(R1_MV_MATS, R1_MV_OUTS, const uint8_t** w, float** out, const float** bias, int* rows, int* r) {
    int g = blockIdx.x * R1_MV_WARPS + (threadIdx.x >> 5);
    if (g < rows0) { *w = w0; *out = out0; *bias = bias0; *rows = rows0; *r = g; return true; }
    g -= rows0;
    if (g < rows1) { *w = w1; *out = out1; *bias = bias1; *rows = rows1; *r = g; return true; }
    g -= rows1;
    if (g < rows2) { *w = w2; *out = out2; *bias = bias2; *rows = rows2; *r = g; return true; }
    return false;
}

#define R1_MV_PROLOGUE                                                    \
    const uint8_t* w;                                                     \
    float* out;                                                           \
    const float* bias;                                                    \
    int rows, r, lane = threadIdx.x & 31, t = blockIdx.y;                 \
    if (!r1_mv_pick(w0, w1, w2, rows0, rows1, rows2, out0, out1, out2, bias0, bias1, bias2, &w, &out, &bias, &rows, &r)) return;

// Q4_0 for rows of a multiple of 4 blocks (every R1 shape: cols % 256 == 0). A block's 4 warps take a row
// each and pass over them 128 blocks (2 304 bytes a row) at a time: the warp copies its row's bytes to
// shared memory as consecutive 8-byte pieces (each load instruction two whole cache lines), the block
// copies the activations' quants once for all four rows (laid out 144 bytes a lane so the lanes' 16-byte
// reads hit distinct banks), then each lane dots 4 whole blocks from shared memory.
// Why (H200, ncu): the first version (4 lanes a block, 2-byte-aligned loads) moved ~0.5 TB/s; letting each
// lane load its own 72 bytes and the activations straight from global memory got 1.5 TB/s with the L1
// 91% busy and DRAM 33%: lanes 72 and 128 bytes apart make every load instruction touch 18-32 lines.
// Tried, not kept: split-K (a row's passes over 2-4 warps, for the down projection's few long rows): the
// 7B's down matvec went from ~19 to 39 us (ncu: DRAM 21%) - each warp staged its own activations, 4x the
// L2 reads of 4 rows sharing them - and the 7B step from 3.14 to 3.60 ms.
#define R1_MVQ_PASS 128
extern "C" __global__ void __launch_bounds__(128) r1_mv_q4_0(R1_MV_MATS, int cols, const int8_t* q, const float* d, const int* s,
                                                             R1_MV_OUTS) {
    __shared__ __align__(16) uint2 wst[R1_MV_WARPS][R1_MVQ_PASS * R1_Q4_0_BYTES / 8];
    __shared__ __align__(16) uint32_t ast[32 * 36];
    __shared__ float dsh[R1_MVQ_PASS];
    __shared__ int ssh[R1_MVQ_PASS];
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, t = blockIdx.y;
    int rows = 0, r = 0;
    const uint8_t* w = nullptr;
    float* out = nullptr;
    const float* bias = nullptr;
    bool live = r1_mv_pick(w0, w1, w2, rows0, rows1, rows2, out0, out1, out2, bias0, bias1, bias2, &w, &out, &bias, &rows, &r);
    // a warp past the last row (live false) still takes part in the block's barriers
    int nb = cols >> 5;
    const int8_t* qa = q + (size_t)t * cols;
    const float* da = d + (size_t)t * nb;
    const int* sa = s + (size_t)t * nb;
    uint2* st = wst[warp];
    float acc = 0.0f;
    for (int c0 = 0; c0 < nb; c0 += R1_MVQ_PASS) {
        int nblk = min(R1_MVQ_PASS, nb - c0);
        __syncthreads(); // the last pass's reads are done
        const uint4* a16 = (const uint4*)(qa + 32 * c0);
        for (int u = threadIdx.x; u < 2 * nblk; u += blockDim.x) *(uint4*)(ast + (u >> 3) * 36 + (u & 7) * 4) = a16[u];
        if (threadIdx.x < nblk) {
            dsh[threadIdx.x] = da[c0 + threadIdx.x];
            ssh[threadIdx.x] = sa[c0 + threadIdx.x];
        }
        if (live) {
            int n8 = nblk * R1_Q4_0_BYTES / 8; // whole: nblk is a multiple of 4
            const uint2* src = (const uint2*)(w + ((size_t)r * nb + c0) * R1_Q4_0_BYTES);
#pragma unroll
            for (int i = 0; i < 9; i++)
                if (lane + 32 * i < n8) st[lane + 32 * i] = src[lane + 32 * i];
        }
        __syncthreads();
        if (live && 4 * lane < nblk) {
            uint32_t wd[18];
#pragma unroll
            for (int i = 0; i < 9; i++) {
                uint2 v = st[9 * lane + i];
                wd[2 * i] = v.x;
                wd[2 * i + 1] = v.y;
            }
#pragma unroll
            for (int k = 0; k < 4; k++) { // block k: half 9k is its scale, halves 9k+1..9k+8 its 16 quant bytes
                int h = 9 * k, b = 4 * lane + k;
                uint32_t scale = (h & 1) ? wd[h >> 1] >> 16 : wd[h >> 1] & 0xffffu;
                int4 lo = *(const int4*)(ast + lane * 36 + 8 * k), hi = *(const int4*)(ast + lane * 36 + 8 * k + 4);
                int al[4] = {lo.x, lo.y, lo.z, lo.w}, ah[4] = {hi.x, hi.y, hi.z, hi.w};
                int sumi = 0;
#pragma unroll
                for (int j = 0; j < 4; j++) { // quant word j: halves h+1+2j, h+2+2j
                    int hw = h + 1 + 2 * j;
                    uint32_t qw = (hw & 1) ? (wd[hw >> 1] >> 16 | wd[(hw >> 1) + 1] << 16) : wd[hw >> 1];
                    sumi = r1_dp4a((int)(qw & 0x0f0f0f0fu), al[j], sumi);
                    sumi = r1_dp4a((int)((qw >> 4) & 0x0f0f0f0fu), ah[j], sumi);
                }
                acc += r1_q4_0_term_d(r1_half_to_float(scale), dsh[b], sumi, ssh[b]);
            }
        }
    }
    if (!live) return;
    acc = r1_warp_sum(acc);
    if (lane == 0) out[(size_t)t * rows + r] = bias ? acc + bias[r] : acc;
}

extern "C" __global__ void r1_mv_q8_0(R1_MV_MATS, int cols, const int8_t* q, const float* d, R1_MV_OUTS) {
    R1_MV_PROLOGUE
    int nb = cols >> 5, j = lane & 3;
    const uint8_t* row = w + (size_t)r * nb * R1_Q8_0_BYTES;
    const int8_t* qa = q + (size_t)t * cols;
    const float* da = d + (size_t)t * nb;
    float acc = 0.0f;
    for (int b0 = 0; b0 < nb; b0 += 8) {
        int b = b0 + (lane >> 2);
        const uint8_t* blk = row + (size_t)b * R1_Q8_0_BYTES;
        int sumi = b < nb ? r1_q8_0_part(blk, qa + 32 * b, j) : 0;
        sumi += __shfl_xor_sync(0xffffffffu, sumi, 1);
        sumi += __shfl_xor_sync(0xffffffffu, sumi, 2);
        if (j == 0 && b < nb) acc += r1_q8_0_term(blk, da[b], sumi);
    }
    acc = r1_warp_sum(acc);
    if (lane == 0) out[(size_t)t * rows + r] = bias ? acc + bias[r] : acc;
}

// 32-element types against q8_1 with the activation block's Σa for the offsets and minimums (Q4_0 rows of widths
// off r1_mv_q4_0's grid, and the other types): 4 lanes a block, 8 blocks a warp step, a uniform trip count so that
// every lane takes part in the shuffles.
#define R1_MV_Q32(NAME, BYTES, PART, TERM)                                                                       \
    extern "C" __global__ void NAME(R1_MV_MATS, int cols, const int8_t* q, const float* d, const int* s, R1_MV_OUTS) { \
        R1_MV_PROLOGUE                                                                                           \
        int nb = cols >> 5, j = lane & 3;                                                                        \
        const uint8_t* row = w + (size_t)r * nb * BYTES;                                                         \
        const int8_t* qa = q + (size_t)t * cols;                                                                 \
        const float* da = d + (size_t)t * nb;                                                                    \
        const int* sa = s + (size_t)t * nb;                                                                      \
        float acc = 0.0f;                                                                                        \
        for (int b0 = 0; b0 < nb; b0 += 8) {                                                                     \
            int b = b0 + (lane >> 2);                                                                            \
            const uint8_t* blk = row + (size_t)b * BYTES;                                                        \
            int sumi = b < nb ? PART(blk, qa + 32 * b, j) : 0;                                                   \
            sumi += __shfl_xor_sync(0xffffffffu, sumi, 1);                                                       \
            sumi += __shfl_xor_sync(0xffffffffu, sumi, 2);                                                       \
            if (j == 0 && b < nb) acc += TERM(blk, da[b], sumi, sa[b]);                                          \
        }                                                                                                        \
        acc = r1_warp_sum(acc);                                                                                  \
        if (lane == 0) out[(size_t)t * rows + r] = bias ? acc + bias[r] : acc;                                   \
    }
R1_MV_Q32(r1_mv_q4_0_any, R1_Q4_0_BYTES, r1_q4_0_part, r1_q4_0_term)
R1_MV_Q32(r1_mv_q4_1, R1_Q4_1_BYTES, r1_q4_1_part, r1_q4_1_term)
R1_MV_Q32(r1_mv_q5_0, R1_Q5_0_BYTES, r1_q5_0_part, r1_q5_0_term)
R1_MV_Q32(r1_mv_q5_1, R1_Q5_1_BYTES, r1_q5_1_part, r1_q5_1_term)
R1_MV_Q32(r1_mv_iq4_nl, R1_IQ4_NL_BYTES, r1_iq4_nl_part, r1_iq4_nl_term)

// K-quants against Q8_K (Q6_K below has its own): 8 lanes per super-block, lane j its elements 32j..32j+31
// (one 32-element sub-block of Q4_K/Q5_K/IQ4_XS, two 16-element ones of Q2_K/Q3_K), 4 super-blocks per step.
#define R1_MV_KQ(NAME, BYTES, SUB, TERM)                                                                         \
    extern "C" __global__ void NAME(R1_MV_MATS, int cols, const int8_t* q, const float* d, const int* bsums, R1_MV_OUTS) { \
        R1_MV_PROLOGUE                                                                                           \
        int nsb = cols >> 8, j = lane & 7;                                                                       \
        const uint8_t* row = w + (size_t)r * nsb * BYTES;                                                        \
        const int8_t* qa = q + (size_t)t * cols;                                                                 \
        float acc = 0.0f;                                                                                        \
        for (int sb0 = 0; sb0 < nsb; sb0 += 4) {                                                                 \
            int sb = sb0 + (lane >> 3);                                                                          \
            const uint8_t* blk = row + (size_t)sb * BYTES;                                                       \
            int sumi = 0, mins = 0;                                                                              \
            if (sb < nsb) SUB(blk, j, qa + 256 * sb + 32 * j, bsums + ((size_t)t * nsb + sb) * 16, &sumi, &mins); \
            for (int o = 1; o < 8; o <<= 1) {                                                                    \
                sumi += __shfl_xor_sync(0xffffffffu, sumi, o);                                                   \
                mins += __shfl_xor_sync(0xffffffffu, mins, o);                                                   \
            }                                                                                                    \
            if (j == 0 && sb < nsb) acc += TERM(blk, d[(size_t)t * nsb + sb], sumi, mins);                       \
        }                                                                                                        \
        acc = r1_warp_sum(acc);                                                                                  \
        if (lane == 0) out[(size_t)t * rows + r] = bias ? acc + bias[r] : acc;                                   \
    }
R1_MV_KQ(r1_mv_q4_k, R1_Q4_K_BYTES, r1_q4k_sub, r1_q4k_term)
R1_MV_KQ(r1_mv_q2_k, R1_Q2_K_BYTES, r1_q2k_sub, r1_q2k_term)
R1_MV_KQ(r1_mv_q3_k, R1_Q3_K_BYTES, r1_q3k_sub, r1_q3k_term)
R1_MV_KQ(r1_mv_q5_k, R1_Q5_K_BYTES, r1_q5k_sub, r1_q5k_term)
R1_MV_KQ(r1_mv_iq4_xs, R1_IQ4_XS_BYTES, r1_iq4xs_sub, r1_iq4xs_term)

// Q6_K against Q8_K: 8 lanes per super-block (one 32-element chunk each), 4 super-blocks per step.
extern "C" __global__ void r1_mv_q6_k(R1_MV_MATS, int cols, const int8_t* q, const float* d, const int* bsums, R1_MV_OUTS) {
    R1_MV_PROLOGUE
    int nsb = cols >> 8, c = lane & 7;
    const uint8_t* row = w + (size_t)r * nsb * R1_Q6_K_BYTES;
    const int8_t* qa = q + (size_t)t * cols;
    float acc = 0.0f;
    for (int sb0 = 0; sb0 < nsb; sb0 += 4) {
        int sb = sb0 + (lane >> 3);
        const uint8_t* blk = row + (size_t)sb * R1_Q6_K_BYTES;
        int sumi = sb >= nsb ? 0 : r1_q6k_chunk(blk, c, qa + 256 * sb + 128 * (c >> 2) + 32 * (c & 3), bsums + ((size_t)t * nsb + sb) * 16);
        for (int o = 1; o < 8; o <<= 1) sumi += __shfl_xor_sync(0xffffffffu, sumi, o);
        if (c == 0 && sb < nsb) acc += r1_q6k_term(blk, d[(size_t)t * nsb + sb], sumi);
    }
    acc = r1_warp_sum(acc);
    if (lane == 0) out[(size_t)t * rows + r] = bias ? acc + bias[r] : acc;
}

// F16 and BF16 weights, float activations: 8-byte loads (4 halves) per lane, each widened exactly; cols % 4 == 0.
// BF16 is the distills' released precision (GGUF files of it keep half the bytes of F32 on the device).
#define R1_MV_HALVES(NAME, WIDEN)                                                                                \
    extern "C" __global__ void NAME(R1_MV_MATS, int cols, const float* x, R1_MV_OUTS) {                          \
        R1_MV_PROLOGUE                                                                                           \
        const uint2* row = (const uint2*)(w + (size_t)r * cols * 2);                                             \
        const float4* xv = (const float4*)(x + (size_t)t * cols);                                                \
        float acc = 0.0f;                                                                                        \
        for (int i = lane; i < (cols >> 2); i += 32) {                                                           \
            uint2 h = row[i];                                                                                    \
            float4 a = xv[i];                                                                                    \
            acc = fmaf(WIDEN(h.x & 0xffffu), a.x, acc);                                                          \
            acc = fmaf(WIDEN(h.x >> 16), a.y, acc);                                                              \
            acc = fmaf(WIDEN(h.y & 0xffffu), a.z, acc);                                                          \
            acc = fmaf(WIDEN(h.y >> 16), a.w, acc);                                                              \
        }                                                                                                        \
        acc = r1_warp_sum(acc);                                                                                  \
        if (lane == 0) out[(size_t)t * rows + r] = bias ? acc + bias[r] : acc;                                   \
    }
R1_MV_HALVES(r1_mv_f16, r1_half_to_float)
R1_MV_HALVES(r1_mv_bf16, r1_bf16_to_float)

// F32 weights: 16-byte loads per lane; cols % 4 == 0.
extern "C" __global__ void r1_mv_f32(R1_MV_MATS, int cols, const float* x, R1_MV_OUTS) {
    R1_MV_PROLOGUE
    const float4* row = (const float4*)(w + (size_t)r * cols * 4);
    const float4* xv = (const float4*)(x + (size_t)t * cols);
    float acc = 0.0f;
    for (int i = lane; i < (cols >> 2); i += 32) {
        float4 a = row[i], b = xv[i];
        acc = fmaf(a.x, b.x, acc);
        acc = fmaf(a.y, b.y, acc);
        acc = fmaf(a.z, b.z, acc);
        acc = fmaf(a.w, b.w, acc);
    }
    acc = r1_warp_sum(acc);
    if (lane == 0) out[(size_t)t * rows + r] = bias ? acc + bias[r] : acc;
}

// Prefill products for quantized weights with the decode path's exact arithmetic: out[t*rows + r] for
// R1_MM_TOKENS tokens per block row (gridDim.y = ceil(n / R1_MM_TOKENS)), one warp per weight row, each
// lane whole blocks (lane, lane + 32, ...), so a block's weights are loaded once for all the tokens and no
// lane exchange is needed until the end. Same integer block sums and float terms as r1_mv_* and the CPU
// backend (which quantizes prefill activations to 8 bits as well), so prefill and decode agree with it to
// float-sum order, where an F16 tensor-core GEMM would round every activation and weight to 11 bits.
#define R1_MM_TOKENS 8

#define R1_MM_PROLOGUE                                                            \
    int r = blockIdx.x * R1_MV_WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31; \
    int t0 = blockIdx.y * R1_MM_TOKENS, nt = min(R1_MM_TOKENS, n - t0);          \
    if (r >= rows) return;                                                        \
    float acc[R1_MM_TOKENS];                                                      \
    _Pragma("unroll") for (int i = 0; i < R1_MM_TOKENS; i++) acc[i] = 0.0f;

#define R1_MM_EPILOGUE                                                             \
    _Pragma("unroll") for (int i = 0; i < R1_MM_TOKENS; i++) {                     \
        float v = r1_warp_sum(acc[i]);                                             \
        if (lane == 0 && i < nt) out[(size_t)(t0 + i) * rows + r] = v;             \
    }

extern "C" __global__ void r1_mm_q8_0(const uint8_t* w, int rows, int cols, const int8_t* q, const float* d, int n, float* out) {
    R1_MM_PROLOGUE
    int nb = cols >> 5;
    const uint8_t* row = w + (size_t)r * nb * R1_Q8_0_BYTES;
    for (int b = lane; b < nb; b += 32) {
        const uint8_t* blk = row + (size_t)b * R1_Q8_0_BYTES;
#pragma unroll
        for (int i = 0; i < R1_MM_TOKENS; i++) {
            if (i >= nt) break;
            size_t tb = (size_t)(t0 + i) * nb + b;
            const int8_t* a = q + tb * 32;
            int sumi = r1_q8_0_part(blk, a, 0) + r1_q8_0_part(blk, a, 1) + r1_q8_0_part(blk, a, 2) + r1_q8_0_part(blk, a, 3);
            acc[i] += r1_q8_0_term(blk, d[tb], sumi);
        }
    }
    R1_MM_EPILOGUE
}

extern "C" __global__ void r1_mm_q6_k(const uint8_t* w, int rows, int cols, const int8_t* q, const float* d, const int* bsums,
                                      int n, float* out) {
    R1_MM_PROLOGUE
    int nsb = cols >> 8;
    const uint8_t* row = w + (size_t)r * nsb * R1_Q6_K_BYTES;
    for (int sb = lane; sb < nsb; sb += 32) {
        const uint8_t* blk = row + (size_t)sb * R1_Q6_K_BYTES;
#pragma unroll
        for (int i = 0; i < R1_MM_TOKENS; i++) {
            if (i >= nt) break;
            size_t ts = (size_t)(t0 + i) * nsb + sb;
            int sumi = 0;
#pragma unroll 1
            for (int c = 0; c < 8; c++) sumi += r1_q6k_chunk(blk, c, q + ts * 256 + 128 * (c >> 2) + 32 * (c & 3), bsums + ts * 16);
            acc[i] += r1_q6k_term(blk, d[ts], sumi);
        }
    }
    R1_MM_EPILOGUE
}

// Prefill for the 32-element types with block sums (Q4_0 and the rest but Q8_0) and the K-quants but Q6_K.
#define R1_MM_Q32(NAME, BYTES, PART, TERM)                                                                       \
    extern "C" __global__ void NAME(const uint8_t* w, int rows, int cols, const int8_t* q, const float* d, const int* s, \
                                    int n, float* out) {                                                         \
        R1_MM_PROLOGUE                                                                                           \
        int nb = cols >> 5;                                                                                      \
        const uint8_t* row = w + (size_t)r * nb * BYTES;                                                         \
        for (int b = lane; b < nb; b += 32) {                                                                    \
            const uint8_t* blk = row + (size_t)b * BYTES;                                                        \
            _Pragma("unroll") for (int i = 0; i < R1_MM_TOKENS; i++) {                                           \
                if (i >= nt) break;                                                                              \
                size_t tb = (size_t)(t0 + i) * nb + b;                                                           \
                const int8_t* a = q + tb * 32;                                                                   \
                int sumi = PART(blk, a, 0) + PART(blk, a, 1) + PART(blk, a, 2) + PART(blk, a, 3);                \
                acc[i] += TERM(blk, d[tb], sumi, s[tb]);                                                         \
            }                                                                                                    \
        }                                                                                                        \
        R1_MM_EPILOGUE                                                                                           \
    }
R1_MM_Q32(r1_mm_q4_0, R1_Q4_0_BYTES, r1_q4_0_part, r1_q4_0_term)
R1_MM_Q32(r1_mm_q4_1, R1_Q4_1_BYTES, r1_q4_1_part, r1_q4_1_term)
R1_MM_Q32(r1_mm_q5_0, R1_Q5_0_BYTES, r1_q5_0_part, r1_q5_0_term)
R1_MM_Q32(r1_mm_q5_1, R1_Q5_1_BYTES, r1_q5_1_part, r1_q5_1_term)
R1_MM_Q32(r1_mm_iq4_nl, R1_IQ4_NL_BYTES, r1_iq4_nl_part, r1_iq4_nl_term)

#define R1_MM_KQ(NAME, BYTES, SUB, TERM)                                                                         \
    extern "C" __global__ void NAME(const uint8_t* w, int rows, int cols, const int8_t* q, const float* d, const int* bsums, \
                                    int n, float* out) {                                                         \
        R1_MM_PROLOGUE                                                                                           \
        int nsb = cols >> 8;                                                                                     \
        const uint8_t* row = w + (size_t)r * nsb * BYTES;                                                        \
        for (int sb = lane; sb < nsb; sb += 32) {                                                                \
            const uint8_t* blk = row + (size_t)sb * BYTES;                                                       \
            _Pragma("unroll") for (int i = 0; i < R1_MM_TOKENS; i++) {                                           \
                if (i >= nt) break;                                                                              \
                size_t ts = (size_t)(t0 + i) * nsb + sb;                                                         \
                int sumi = 0, mins = 0;                                                                          \
                _Pragma("unroll 1") for (int j = 0; j < 8; j++) SUB(blk, j, q + ts * 256 + 32 * j, bsums + ts * 16, &sumi, &mins); \
                acc[i] += TERM(blk, d[ts], sumi, mins);                                                          \
            }                                                                                                    \
        }                                                                                                        \
        R1_MM_EPILOGUE                                                                                           \
    }
R1_MM_KQ(r1_mm_q4_k, R1_Q4_K_BYTES, r1_q4k_sub, r1_q4k_term)
R1_MM_KQ(r1_mm_q2_k, R1_Q2_K_BYTES, r1_q2k_sub, r1_q2k_term)
R1_MM_KQ(r1_mm_q3_k, R1_Q3_K_BYTES, r1_q3k_sub, r1_q3k_term)
R1_MM_KQ(r1_mm_q5_k, R1_Q5_K_BYTES, r1_q5k_sub, r1_q5k_term)
R1_MM_KQ(r1_mm_iq4_xs, R1_IQ4_XS_BYTES, r1_iq4xs_sub, r1_iq4xs_term)
