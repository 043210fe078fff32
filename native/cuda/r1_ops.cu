// Elementwise and row ops of the forward pass. Every kernel that depends on the token position reads it
// from `pos` (device memory, pos[0] = position of row 0) so that a captured CUDA graph of a decode step
// stays valid when the host only rewrites that int between replays.

// One q8_1 block of activations: the calling warp's 32 values (lane = element) to 8-bit quants, their
// half-rounded scale and Σq. r1_quantize_q8_1 and the producers that quantize their own output for the
// next matvec (norms, SwiGLU, attention's merge: a launch less each in a decode step) all write it here.
__device__ __forceinline__ void r1_q8_1_block(float v, size_t b, int lane, int8_t* q, float* d, int* s) {
    float amax = r1_warp_max(fabsf(v));
    int qi = r1_q8_quant(v, r1_q8_inv(amax));
    q[b * 32 + lane] = (int8_t)qi;
    int sum = r1_warp_sum_i(qi);
    if (lane == 0) {
        d[b] = r1_q8_scale(amax);
        s[b] = sum;
    }
}

// After a row of `dim` outputs is written (o, row `row`), its q8_1 blocks, one warp a block (q non-null:
// the row's quantization is wanted; dim a multiple of 32). A block-wide barrier first: the warps read
// elements other threads wrote.
__device__ __forceinline__ void r1_q8_1_row(const float* o, int row, int dim, int8_t* q, float* d, int* s) {
    __syncthreads();
    int lane = threadIdx.x & 31, nb = dim >> 5;
    for (int b = threadIdx.x >> 5; b < nb; b += blockDim.x >> 5) r1_q8_1_block(o[b * 32 + lane], (size_t)row * nb + b, lane, q, d, s);
}

// Row r of `table` for each of n token ids (ids in device memory), dequantized to float.
extern "C" __global__ void r1_embed(const uint8_t* table, int type, int cols, const int* tokens, float* out) {
    int t = blockIdx.x;
    const uint8_t* row = table + r1_row_bytes(type, cols) * (long long)tokens[t];
    for (int c = threadIdx.x; c < cols; c += blockDim.x) out[(size_t)t * cols + c] = r1_dequant(type, row, c);
}

// One block per row: the sum of float squares in double (as CpuOps.rmsNorm), reduced across the block.
__device__ float r1_row_rms_scale(const float* xr, int dim, float eps) {
    __shared__ double part[32];
    double s = 0;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float v = xr[i];
        s += (double)(v * v);
    }
    s = r1_warp_sum_d(s);
    if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
        double v = threadIdx.x < (blockDim.x >> 5) ? part[threadIdx.x] : 0.0;
        v = r1_warp_sum_d(v);
        if (threadIdx.x == 0) part[0] = v;
    }
    __syncthreads();
    float scale = r1_rms_scale(part[0], dim, eps);
    __syncthreads(); // part is reused by the next call in the same kernel
    return scale;
}

extern "C" __global__ void r1_rmsnorm(const float* x, const float* w, float* out, int dim, float eps, int8_t* q, float* qd, int* qs) {
    const float* xr = x + (size_t)blockIdx.x * dim;
    float* o = out + (size_t)blockIdx.x * dim;
    float scale = r1_row_rms_scale(xr, dim, eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = r1_rms_apply(xr[i], scale, w[i]);
    if (q) r1_q8_1_row(o, blockIdx.x, dim, q, qd, qs);
}

// The residual add fused with the next norm: x += y, then out = rmsnorm(x) (one launch and one pass less).
extern "C" __global__ void r1_add_rmsnorm(float* x, const float* y, const float* w, float* out, int dim, float eps, int8_t* q, float* qd,
                                          int* qs) {
    float* xr = x + (size_t)blockIdx.x * dim;
    const float* yr = y + (size_t)blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) xr[i] += yr[i];
    __syncthreads();
    float scale = r1_row_rms_scale(xr, dim, eps);
    float* o = out + (size_t)blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = r1_rms_apply(xr[i], scale, w[i]);
    if (q) r1_q8_1_row(o, blockIdx.x, dim, q, qd, qs);
}

extern "C" __global__ void r1_add(float* x, const float* y, int len) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) x[i] += y[i];
}

extern "C" __global__ void r1_add_bias(float* x, const float* b, int n, int dim) {
    int len = n * dim;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) x[i] += b[i % dim];
}

// q non-null: also the q8_1 blocks of the result (len a multiple of 32, so a warp's 32 lanes are one block).
extern "C" __global__ void r1_swiglu(float* gate, const float* up, int len, int8_t* q, float* qd, int* qs) {
    int lane = threadIdx.x & 31;
    for (int i0 = blockIdx.x * blockDim.x + (threadIdx.x & ~31); i0 < len; i0 += gridDim.x * blockDim.x) { // warp-uniform
        int i = i0 + lane;
        float g = 0.0f;
        if (i < len) gate[i] = g = r1_swiglu(gate[i], up[i]);
        if (q) r1_q8_1_block(g, (size_t)(i0 >> 5), lane, q, qd, qs);
    }
}

// One thread per rotated pair; row t is at position pos[0] + t. factors may be null (no rope_freqs).
// x2 (heads2 heads a row, or null): a second tensor rotated in the same launch (the keys after the queries).
extern "C" __global__ void r1_rope(float* x, int n, int heads, int hd, const int* pos, float thetaScale,
                                   const float* factors, int neox, float* x2, int heads2) {
    int half = hd >> 1, first = n * heads * half, total = first + (x2 ? n * heads2 * half : 0);
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += gridDim.x * blockDim.x) {
        bool second = e >= first;
        int e2 = second ? e - first : e, hs = second ? heads2 : heads;
        int i = e2 % half, th = e2 / half, t = th / hs;
        float c, s;
        r1_rope_cs(r1_rope_angle(pos[0] + t, i, thetaScale, factors), &c, &s);
        float* row = (second ? x2 : x) + (size_t)th * hd;
        int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        r1_rope_rotate(row + i0, row + i1, c, s);
    }
}

// Keys and values of n tokens to the F16 cache of one layer ([ctx][kvDim] halves), rows pos[0] ...
extern "C" __global__ void r1_kv_append(const float* k, const float* v, uint16_t* kc, uint16_t* vc,
                                        const int* pos, int n, int kvDim) {
    size_t at = (size_t)pos[0] * kvDim;
    int len = n * kvDim;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) {
        kc[at + i] = r1_float_to_half(k[i]);
        vc[at + i] = r1_float_to_half(v[i]);
    }
}

// Activations to 8-bit blocks of 32 (q8_0 quants and half-rounded scale, plus Σq as q8_1 keeps): one warp
// per block, lane = element. n rows of cols floats; blocks numbered across rows.
extern "C" __global__ void r1_quantize_q8_1(const float* x, int8_t* q, float* d, int* s, int blocks) {
    int b = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (b >= blocks) return;
    r1_q8_1_block(x[(size_t)b * 32 + lane], (size_t)b, lane, q, d, s);
}

// Activations as ggml's Q8_K: one block of 256 threads per super-block. The scale comes from the first
// element of largest magnitude, so the reduction carries (|x|, index) pairs.
extern "C" __global__ void r1_quantize_q8_k(const float* x, int8_t* q, float* d, int* bsums) {
    __shared__ float am[8];
    __shared__ int ai[8];
    int sb = blockIdx.x, i = threadIdx.x, lane = i & 31;
    float v = x[(size_t)sb * 256 + i], a = fabsf(v);
    int idx = i;
    for (int o = 16; o > 0; o >>= 1) {
        float a2 = __shfl_xor_sync(0xffffffffu, a, o);
        int i2 = __shfl_xor_sync(0xffffffffu, idx, o);
        if (a2 > a || (a2 == a && i2 < idx)) { a = a2; idx = i2; }
    }
    if (lane == 0) { am[i >> 5] = a; ai[i >> 5] = idx; }
    __syncthreads();
    if (i == 0) {
        for (int w = 1; w < 8; w++) if (am[w] > am[0]) { am[0] = am[w]; ai[0] = ai[w]; }
    }
    __syncthreads();
    float iscale = r1_q8k_iscale(am[0] == 0.0f ? 0.0f : x[(size_t)sb * 256 + ai[0]]);
    int qi = r1_q8k_quant(v, iscale);
    q[(size_t)sb * 256 + i] = (int8_t)qi;
    int g = qi; // 16-sums: lanes 0..15 and 16..31 of each warp
    for (int o = 8; o > 0; o >>= 1) g += __shfl_xor_sync(0xffffffffu, g, o);
    if ((i & 15) == 0) bsums[(size_t)sb * 16 + (i >> 4)] = g;
    if (i == 0) d[sb] = r1_q8k_d(iscale);
}

// A float vector to halves (cuBLAS's F16 GEMM input).
extern "C" __global__ void r1_to_half(const float* x, uint16_t* h, int len) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) h[i] = r1_float_to_half(x[i]);
}

// Rows of a weight matrix dequantized to F16 (cuBLAS's GEMM operand), one block per row.
extern "C" __global__ void r1_dequant_f16(const uint8_t* w, int type, int cols, uint16_t* out) {
    const uint8_t* row = w + r1_row_bytes(type, cols) * (long long)blockIdx.x;
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        out[(size_t)blockIdx.x * cols + c] = r1_float_to_half(r1_dequant(type, row, c));
}
