// Causal GQA attention over the F16 cache of one layer ([ctx][kvDim] halves, already appended). Keys and
// values are staged in shared memory 32 positions at a time and shared by all warps of a block; each warp
// holds one query (one head of one token) and keeps an online softmax (r1_softmax_rescale / _weight) with
// its output accumulator spread over the lanes (dimension lane + 32i). Scores are float FMA chains over
// the head dimension in order; the tile's weights are summed across lanes (r1_warp_sum's tree).
//
// Decode (flash-decoding): grid (kvHeads, splits); the block's warps are the query heads of one KV head
// (GQA: each key is read once for the group), each split takes a share of the positions and writes a
// partial (max, sum, accumulator); the last split block of a KV head to finish combines them. The key count comes from pos[] in device
// memory and the split sizes follow from it on the device, so a captured graph stays valid.
// Prefill: grid (heads, ceil(n/8)); a block's 8 warps are 8 consecutive tokens of one head.
#define R1_AT 32       // positions per shared tile
#define R1_HDMAX 256   // largest head size (8 accumulator floats per lane)

struct R1Softmax {
    float m, l, acc[R1_HDMAX / 32];
};

// Folds positions [lo, hi) into each warp's state; warp w attends up to position lim (inclusive) and
// reads its query from qs (hd floats in shared memory). kh, vh: this KV head's first element.
__device__ void r1_attend_range(const uint16_t* kc, const uint16_t* vc, int kvDim, int kh, int hd, float scale,
                                int lo, int hi, int lim, const float* qs, uint16_t* ks, uint16_t* vs, R1Softmax& st) {
    int lane = threadIdx.x & 31, kst = hd + 2; // +2 halves: rows of a tile fall on different banks
    int hd8 = hd >> 3;
    for (int p0 = lo; p0 < hi; p0 += R1_AT) {
        __syncthreads();
        // 16-byte loads (8 halves; kvDim and kh are multiples of 32), four per thread issued before any of
        // their stores (the compiler cannot move a load above a store through these pointers): the first
        // version loaded 2 bytes at a time behind an integer division and the decode kernel spent ~150 us
        // a layer waiting on them (H200, 8 blocks in flight)
        for (int e0 = threadIdx.x; e0 < R1_AT * hd8; e0 += 4 * blockDim.x) {
            uint4 kv[4], vv[4];
#pragma unroll
            for (int u = 0; u < 4; u++) {
                int e = e0 + u * blockDim.x, j = e / hd8, c = (e - j * hd8) << 3, p = p0 + j;
                kv[u] = vv[u] = make_uint4(0, 0, 0, 0);
                if (e < R1_AT * hd8 && p < hi) {
                    kv[u] = *(const uint4*)(kc + (size_t)p * kvDim + kh + c);
                    vv[u] = *(const uint4*)(vc + (size_t)p * kvDim + kh + c);
                }
            }
#pragma unroll
            for (int u = 0; u < 4; u++) {
                int e = e0 + u * blockDim.x, j = e / hd8, c = (e - j * hd8) << 3;
                if (e < R1_AT * hd8) {
                    uint32_t* kd = (uint32_t*)(ks + j * kst + c); // 4-byte aligned (kst, c even)
                    kd[0] = kv[u].x; kd[1] = kv[u].y; kd[2] = kv[u].z; kd[3] = kv[u].w;
                    *(uint4*)(vs + j * hd + c) = vv[u];          // 16-byte aligned (hd a multiple of 32)
                }
            }
        }
        __syncthreads();
        int p = p0 + lane;
        float s = -INFINITY;
        if (p < hi && p <= lim) {
            float dot = 0.0f;
            const uint32_t* kr = (const uint32_t*)(ks + lane * kst); // two halves a load, same order
            for (int c = 0; c < hd; c += 2) {
                uint32_t w = kr[c >> 1];
                dot = fmaf(qs[c], r1_half_to_float(w & 0xffffu), dot);
                dot = fmaf(qs[c + 1], r1_half_to_float(w >> 16), dot);
            }
            s = dot * scale;
        }
        float tmax = r1_warp_max(s);
        if (tmax == -INFINITY) continue; // nothing visible in this tile for this warp
        float so = r1_softmax_rescale(&st.m, tmax);
        float pj = r1_softmax_weight(s, st.m);
        st.l = st.l * so + r1_warp_sum(pj);
        #pragma unroll
        for (int i = 0; i < R1_HDMAX / 32; i++) st.acc[i] *= so;
        for (int j = 0; j < R1_AT; j++) {
            float w = __shfl_sync(0xffffffffu, pj, j);
            if (w != 0.0f)
#pragma unroll
                for (int i = 0; i < R1_HDMAX / 32; i++)
                    if (i < hd / 32) st.acc[i] = fmaf(w, r1_half_to_float(vs[j * hd + lane + 32 * i]), st.acc[i]);
        }
    }
}

// The split blocks of one KV head count themselves in count[kv head] (zero between launches); the last to
// finish merges the head group's partials into out, in split order as a separate merge kernel would (that
// kernel was a launch a layer, ~9 us of a decode step), and sets the count back to zero. q non-null: out's
// q8_1 blocks too (a warp is a head: hd/32 blocks).
extern "C" __global__ void r1_attn_decode(const float* q, const uint16_t* kc, const uint16_t* vc, float* part,
                                          const int* pos, int heads, int kvHeads, int hd, float scale, int splits,
                                          int* count, float* out, int8_t* q8, float* q8d, int* q8s) {
    R1_DYNAMIC_SMEM(smem);
    __shared__ int last;
    int group = heads / kvHeads, warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int h = blockIdx.x * group + warp, s = blockIdx.y, kvDim = kvHeads * hd;
    float* qs = (float*)smem;                                  // group x hd
    uint16_t* ks = (uint16_t*)(qs + group * hd);               // 32 x (hd+2)
    uint16_t* vs = ks + R1_AT * (hd + 2);                      // 32 x hd
    for (int c = lane; c < hd; c += 32) qs[warp * hd + c] = q[(size_t)h * hd + c];
    int len = pos[0] + 1; // this token's keys are in the cache already
    int chunk = ((len + splits - 1) / splits + R1_AT - 1) / R1_AT * R1_AT;
    int lo = s * chunk, hi = min(len, lo + chunk);
    R1Softmax st;
    st.m = -INFINITY;
    st.l = 0.0f;
    for (int i = 0; i < R1_HDMAX / 32; i++) st.acc[i] = 0.0f;
    r1_attend_range(kc, vc, kvDim, blockIdx.x * hd, hd, scale, lo, hi, len - 1, qs + warp * hd, ks, vs, st);
    float* o = part + ((size_t)h * splits + s) * (hd + 2);
    if (lane == 0) { o[0] = st.m; o[1] = st.l; }
#pragma unroll
    for (int i = 0; i < R1_HDMAX / 32; i++)
        if (i < hd / 32) o[2 + lane + 32 * i] = st.acc[i];
    __threadfence(); // this block's partials reach device memory before it counts itself
    __syncthreads();
    if (threadIdx.x == 0) last = atomicAdd(count + blockIdx.x, 1) == (int)gridDim.y - 1;
    __syncthreads();
    if (!last) return;
    // out[h*hd + c] = Σ_s acc_s[c] w_s / Σ_s l_s w_s, w_s = exp(m_s - max m), over the splits that hold positions
    int used = min(splits, (len + chunk - 1) / chunk);
    const float* ph = part + (size_t)h * splits * (hd + 2);
    float M = -INFINITY;
    for (int sp = 0; sp < used; sp++) M = fmaxf(M, __ldcg(ph + sp * (hd + 2))); // other blocks wrote these: not from L1
    float L = 0.0f, oa[R1_HDMAX / 32];
#pragma unroll
    for (int i = 0; i < R1_HDMAX / 32; i++) oa[i] = 0.0f;
    for (int sp = 0; sp < used; sp++) {
        const float* pp = ph + sp * (hd + 2);
        float w = r1_merge_weight(__ldcg(pp), M);
        L = fmaf(__ldcg(pp + 1), w, L);
#pragma unroll
        for (int i = 0; i < R1_HDMAX / 32; i++)
            if (i < hd / 32) oa[i] = fmaf(__ldcg(pp + 2 + lane + 32 * i), w, oa[i]);
    }
#pragma unroll
    for (int i = 0; i < R1_HDMAX / 32; i++)
        if (i < hd / 32) {
            float v = oa[i] / L;
            out[(size_t)h * hd + lane + 32 * i] = v;
            if (q8) r1_q8_1_block(v, ((size_t)h * hd >> 5) + i, lane, q8, q8d, q8s);
        }
    if (threadIdx.x == 0) count[blockIdx.x] = 0; // for the next launch, which stream order puts after this one
}

extern "C" __global__ void r1_attn_prefill(const float* q, const uint16_t* kc, const uint16_t* vc, float* out,
                                           const int* pos, int n, int heads, int kvHeads, int hd, float scale) {
    R1_DYNAMIC_SMEM(smem);
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
    int h = blockIdx.x, t = blockIdx.y * nw + warp, kvDim = kvHeads * hd, kh = (h / (heads / kvHeads)) * hd;
    float* qs = (float*)smem;
    uint16_t* ks = (uint16_t*)(qs + nw * hd);
    uint16_t* vs = ks + R1_AT * (hd + 2);
    int tc = min(t, n - 1); // warps past the last token mirror it, so every warp joins the block's syncs
    for (int c = lane; c < hd; c += 32) qs[warp * hd + c] = q[((size_t)tc * heads + h) * hd + c];
    int pos0 = pos[0], lim = pos0 + tc;
    int hi = pos0 + min(n - 1, (int)(blockIdx.y * nw + nw - 1)) + 1;
    R1Softmax st;
    st.m = -INFINITY;
    st.l = 0.0f;
    for (int i = 0; i < R1_HDMAX / 32; i++) st.acc[i] = 0.0f;
    r1_attend_range(kc, vc, kvDim, kh, hd, scale, 0, hi, lim, qs + warp * hd, ks, vs, st);
    if (t < n) {
        float inv = 1.0f / st.l;
#pragma unroll
        for (int i = 0; i < R1_HDMAX / 32; i++)
            if (i < hd / 32) out[((size_t)t * heads + h) * hd + lane + 32 * i] = st.acc[i] * inv;
    }
}
