// Host build of r1_math.cuh for CudaMathTest (compiled with cc at test time, called through FFM): each
// function runs one kernel's per-element arithmetic over whole arrays, sequentially. Where a kernel adds
// partial results across lanes in a tree, the order here is the plain sequential one, which is what the
// Java CPU kernels use too; the test says where that matters.
#include "../r1_math.cuh"

void r1h_half_to_float(const uint16_t* h, float* out, int n) {
    for (int i = 0; i < n; i++) out[i] = r1_half_to_float(h[i]);
}

void r1h_float_to_half(const float* x, uint16_t* out, int n) {
    for (int i = 0; i < n; i++) out[i] = r1_float_to_half(x[i]);
}

// r1_embed / r1_dequant_f16's element arithmetic over `rows` rows.
void r1h_dequant(int type, const uint8_t* w, int rows, int cols, float* out) {
    long long rb = r1_row_bytes(type, cols);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) out[(long long)r * cols + c] = r1_dequant(type, w + rb * r, c);
}

// r1_quantize_q8_1: per block of 32, amax, then quants, scale and Σq.
void r1h_quantize_q8_1(const float* x, int8_t* q, float* d, int* s, int blocks) {
    for (int b = 0; b < blocks; b++) {
        float amax = 0.0f;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(x[32 * b + i]));
        float id = r1_q8_inv(amax);
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            int qi = r1_q8_quant(x[32 * b + i], id);
            q[32 * b + i] = (int8_t)qi;
            sum += qi;
        }
        d[b] = r1_q8_scale(amax);
        s[b] = sum;
    }
}

// r1_quantize_q8_k: the first element of largest magnitude sets the scale.
void r1h_quantize_q8_k(const float* x, int8_t* q, float* d, int* bsums, int sbs) {
    for (int sb = 0; sb < sbs; sb++) {
        const float* v = x + 256 * sb;
        int at = 0;
        for (int i = 1; i < 256; i++) if (fabsf(v[i]) > fabsf(v[at])) at = i;
        float iscale = r1_q8k_iscale(fabsf(v[at]) == 0.0f ? 0.0f : v[at]);
        for (int i = 0; i < 256; i++) q[256 * sb + i] = (int8_t)r1_q8k_quant(v[i], iscale);
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int i = 0; i < 16; i++) s += q[256 * sb + 16 * g + i];
            bsums[16 * sb + g] = s;
        }
        d[sb] = r1_q8k_d(iscale);
    }
}

// One row of r1_mv_*: the lanes' exact integer parts per block, the block terms added in block order.
// `s` is Σq per 32-block (32-element types) or the 16-sums (K-quants); unused for Q8_0.
typedef int (*r1h_part)(const uint8_t*, const int8_t*, int);
typedef float (*r1h_term)(const uint8_t*, float, int, int);
typedef void (*r1h_sub)(const uint8_t*, int, const int8_t*, const int*, int*, int*);
typedef float (*r1h_kterm)(const uint8_t*, float, int, int);
static float r1h_q8_0_term(const uint8_t* blk, float da, int sumi, int suma) { (void)suma; return r1_q8_0_term(blk, da, sumi); }

float r1h_dot(int type, const uint8_t* row, int cols, const int8_t* q, const float* d, const int* s) {
    float acc = 0.0f;
    r1h_part part = 0;
    r1h_term term = 0;
    int bytes = 0;
    switch (type) {
        case R1_T_Q4_0: part = r1_q4_0_part; term = r1_q4_0_term; bytes = R1_Q4_0_BYTES; break;
        case R1_T_Q8_0: part = r1_q8_0_part; term = r1h_q8_0_term; bytes = R1_Q8_0_BYTES; break;
        case R1_T_Q4_1: part = r1_q4_1_part; term = r1_q4_1_term; bytes = R1_Q4_1_BYTES; break;
        case R1_T_Q5_0: part = r1_q5_0_part; term = r1_q5_0_term; bytes = R1_Q5_0_BYTES; break;
        case R1_T_Q5_1: part = r1_q5_1_part; term = r1_q5_1_term; bytes = R1_Q5_1_BYTES; break;
        case R1_T_IQ4_NL: part = r1_iq4_nl_part; term = r1_iq4_nl_term; bytes = R1_IQ4_NL_BYTES; break;
    }
    if (part) {
        for (int b = 0; b < cols / 32; b++) {
            const uint8_t* blk = row + (long long)b * bytes;
            int sumi = 0;
            for (int j = 0; j < 4; j++) sumi += part(blk, q + 32 * b, j);
            acc += term(blk, d[b], sumi, s ? s[b] : 0);
        }
        return acc;
    }
    r1h_sub sub = 0;
    r1h_kterm kterm = 0;
    switch (type) {
        case R1_T_Q2_K: sub = r1_q2k_sub; kterm = r1_q2k_term; bytes = R1_Q2_K_BYTES; break;
        case R1_T_Q3_K: sub = r1_q3k_sub; kterm = r1_q3k_term; bytes = R1_Q3_K_BYTES; break;
        case R1_T_Q4_K: sub = r1_q4k_sub; kterm = r1_q4k_term; bytes = R1_Q4_K_BYTES; break;
        case R1_T_Q5_K: sub = r1_q5k_sub; kterm = r1_q5k_term; bytes = R1_Q5_K_BYTES; break;
        case R1_T_IQ4_XS: sub = r1_iq4xs_sub; kterm = r1_iq4xs_term; bytes = R1_IQ4_XS_BYTES; break;
    }
    if (sub) {
        for (int sb = 0; sb < cols / 256; sb++) {
            const uint8_t* blk = row + (long long)sb * bytes;
            int sumi = 0, mins = 0;
            for (int j = 0; j < 8; j++) sub(blk, j, q + 256 * sb + 32 * j, s + 16 * sb, &sumi, &mins);
            acc += kterm(blk, d[sb], sumi, mins);
        }
    } else if (type == R1_T_Q6_K) {
        for (int sb = 0; sb < cols / 256; sb++) {
            const uint8_t* blk = row + (long long)sb * R1_Q6_K_BYTES;
            int sumi = 0;
            for (int c = 0; c < 8; c++) sumi += r1_q6k_chunk(blk, c, q + 256 * sb + 128 * (c >> 2) + 32 * (c & 3), s + 16 * sb);
            acc += r1_q6k_term(blk, d[sb], sumi);
        }
    }
    return acc;
}

// r1_rmsnorm with the squares summed in order (the kernel's double tree sum rounds to the same float
// mean but for ties far below float resolution).
void r1h_rmsnorm(const float* x, const float* w, float* out, int n, int dim, float eps) {
    for (int t = 0; t < n; t++) {
        double s = 0;
        for (int i = 0; i < dim; i++) s += (double)(x[t * dim + i] * x[t * dim + i]);
        float scale = r1_rms_scale(s, dim, eps);
        for (int i = 0; i < dim; i++) out[t * dim + i] = r1_rms_apply(x[t * dim + i], scale, w[i]);
    }
}

void r1h_rope(float* x, int n, int heads, int hd, int pos0, float thetaScale, const float* factors, int neox) {
    int half = hd / 2;
    for (int t = 0; t < n; t++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++) {
                float c, s;
                r1_rope_cs(r1_rope_angle(pos0 + t, i, thetaScale, factors), &c, &s);
                float* row = x + ((long long)t * heads + h) * hd;
                int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
                r1_rope_rotate(row + i0, row + i1, c, s);
            }
}

void r1h_swiglu(float* g, const float* u, int len) {
    for (int i = 0; i < len; i++) g[i] = r1_swiglu(g[i], u[i]);
}

// One query head against `len` F16 keys/values (rows of hd halves), the decode kernel's arithmetic: the
// positions split in `splits` ranges (multiples of 32), each folded a tile of 32 at a time into a partial,
// the partials merged as r1_attn_decode's last split block does. Tile weight sums are sequential here (a lane tree on the GPU).
void r1h_attention(const float* q, const uint16_t* k, const uint16_t* v, int len, int hd, float scale, int splits,
                   float* out) {
    float part[64][2 + 256];
    int chunk = ((len + splits - 1) / splits + 31) / 32 * 32;
    for (int s = 0; s < splits; s++) {
        float m = -INFINITY, l = 0.0f, *acc = part[s] + 2;
        for (int c = 0; c < hd; c++) acc[c] = 0.0f;
        int lo = s * chunk, hi = lo + chunk < len ? lo + chunk : len;
        for (int p0 = lo; p0 < hi; p0 += 32) {
            float sc[32], tmax = -INFINITY;
            for (int j = 0; j < 32; j++) {
                sc[j] = -INFINITY;
                if (p0 + j < hi) {
                    float dot = 0.0f;
                    for (int c = 0; c < hd; c++) dot = fmaf(q[c], r1_half_to_float(k[(p0 + j) * hd + c]), dot);
                    sc[j] = dot * scale;
                }
                tmax = sc[j] > tmax ? sc[j] : tmax;
            }
            if (tmax == -INFINITY) continue;
            float so = r1_softmax_rescale(&m, tmax), psum = 0.0f, p[32];
            for (int j = 0; j < 32; j++) psum += (p[j] = r1_softmax_weight(sc[j], m));
            l = l * so + psum;
            for (int c = 0; c < hd; c++) acc[c] *= so;
            for (int j = 0; j < 32; j++)
                if (p[j] != 0.0f)
                    for (int c = 0; c < hd; c++) acc[c] = fmaf(p[j], r1_half_to_float(v[(p0 + j) * hd + c]), acc[c]);
        }
        part[s][0] = m;
        part[s][1] = l;
    }
    float M = -INFINITY;
    for (int s = 0; s < splits; s++) M = fmaxf(M, part[s][0]);
    for (int c = 0; c < hd; c++) {
        float L = 0.0f, o = 0.0f;
        for (int s = 0; s < splits; s++) {
            float w = r1_merge_weight(part[s][0], M);
            L = fmaf(part[s][1], w, L);
            o = fmaf(part[s][2 + c], w, o);
        }
        out[c] = o / L;
    }
}
