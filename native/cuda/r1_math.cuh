// Per-element arithmetic of the r1 CUDA kernels, as __host__ __device__ functions: the kernels call these
// for every value they compute, and a host-side test (CudaMathTest) compiles this same header with g++
// and checks it against the Java CPU kernels on the same inputs. Only the thread mapping stays untested
// without a GPU.
//
// Rules that keep device and host bits equal: no intrinsics with different host results (half
// conversions are written out in integer code), float math only through IEEE-rounded ops (the fatbin is
// built with --fmad=false so that a*b+c is not contracted on the device either; fmaf is written where a
// fused op is wanted), and exp is ggml's polynomial (the CPU backend's GgmlExp), not expf.
#pragma once
#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__CUDACC__)
#define R1_HD __host__ __device__ __forceinline__
#else
#define R1_HD static inline
#endif

// ggml block sizes (bytes per block, elements per block)
#define R1_QK 32
#define R1_QKK 256
#define R1_Q4_0_BYTES 18
#define R1_Q4_1_BYTES 20
#define R1_Q5_0_BYTES 22
#define R1_Q5_1_BYTES 24
#define R1_IQ4_NL_BYTES 18
#define R1_Q8_0_BYTES 34
#define R1_Q2_K_BYTES 84
#define R1_Q3_K_BYTES 110
#define R1_Q4_K_BYTES 144
#define R1_Q5_K_BYTES 176
#define R1_Q6_K_BYTES 210
#define R1_IQ4_XS_BYTES 136

// ggml type ids, as GgmlType's
#define R1_T_F32 0
#define R1_T_F16 1
#define R1_T_Q4_0 2
#define R1_T_Q4_1 3
#define R1_T_Q5_0 6
#define R1_T_Q5_1 7
#define R1_T_Q8_0 8
#define R1_T_Q2_K 10
#define R1_T_Q3_K 11
#define R1_T_Q4_K 12
#define R1_T_Q5_K 13
#define R1_T_Q6_K 14
#define R1_T_IQ4_NL 20
#define R1_T_IQ4_XS 23
#define R1_T_BF16 30

R1_HD float r1_as_float(uint32_t u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}

R1_HD uint32_t r1_as_bits(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
#endif
}

// Little-endian loads at 2-byte alignment: Q4_0 (18 B), Q8_0 (34 B) and Q6_K (210 B) blocks put their
// quants at even, not 4-aligned, addresses.
R1_HD uint32_t r1_u16(const uint8_t* p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
R1_HD uint32_t r1_u32a2(const uint8_t* p) {
    const uint16_t* h = (const uint16_t*)p;
    return (uint32_t)h[0] | ((uint32_t)h[1] << 16);
}

// ---- half precision ----------------------------------------------------------------------------------

// Exact for every half (subnormals scale by 2^-24 exactly; inf/NaN keep their class).
R1_HD float r1_half_to_float(uint32_t h) {
#ifdef __CUDA_ARCH__
    // the hardware conversion: exact too (every half is a float), one instruction instead of a branchy
    // decode, which the attention kernels' inner loops felt
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"((unsigned short)h));
    return f;
#else
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f) return r1_as_float(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        float f = (float)man * 5.9604644775390625e-8f; // man * 2^-24, exact
        return sign ? -f : f;
    }
    return r1_as_float(sign | ((exp + 112) << 23) | (man << 13));
#endif
}

// Round to nearest even, overflow to infinity (as Float.floatToFloat16 and __float2half_rn).
R1_HD uint16_t r1_float_to_half(float f) {
    uint32_t x = r1_as_bits(f), sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (x > 0x7f800000u ? 0x200u | ((x >> 13) & 0x3ffu) : 0));
    if (x >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); // >= 65520 rounds to infinity
    if (x < 0x38800000u) { // below 2^-14: a half subnormal (or zero); |f| * 2^24 < 1024 and exact
        float a = r1_as_float(x) * 16777216.0f;
        return (uint16_t)(sign | (uint32_t)rintf(a)); // rintf rounds to nearest even
    }
    uint32_t h = (((x >> 23) - 112) << 10) | ((x >> 13) & 0x3ffu), rem = x & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

R1_HD float r1_round_half(float f) { return r1_half_to_float(r1_float_to_half(f)); }

// bfloat16: the top half of a float, so widening is exact (NaNs keep their payload's top bits).
R1_HD float r1_bf16_to_float(uint32_t b) { return r1_as_float(b << 16); }

// ---- dequantization (one element; value formulas and operation order as models' TypeLayouts) ----------

R1_HD float r1_dq_q4_0(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk));
    int q = blk[2 + (i & 15)];
    return (float)((i < 16 ? (q & 15) : (q >> 4)) - 8) * d;
}

R1_HD float r1_dq_q8_0(const uint8_t* blk, int i) {
    return (float)(int8_t)blk[2 + i] * r1_half_to_float(r1_u16(blk));
}

// IQ4_NL's 16 levels (ggml's kvalues_iq4nl) packed eight bytes to a constant: no table in memory, so the same
// code runs on the host and in device code without a __constant__ array.
R1_HD int r1_iq4_level(int q) {
    const uint64_t lo = 0xf6eaddcfbfad9881ull, hi = 0x7159453526190d01ull; // -127 -104 -83 -65 -49 -35 -22 -10 | 1 13 25 38 53 69 89 113
    return (int)(int8_t)(uint8_t)(((q & 8) ? hi : lo) >> (8 * (q & 7)));
}
// Four indices (the low nibbles of v's bytes) looked up: four signed levels in one int, for dp4a.
R1_HD int r1_iq4_levels4(uint32_t v) {
    return (int)((uint32_t)(uint8_t)r1_iq4_level(v & 15) | ((uint32_t)(uint8_t)r1_iq4_level((v >> 8) & 15) << 8)
                 | ((uint32_t)(uint8_t)r1_iq4_level((v >> 16) & 15) << 16) | ((uint32_t)(uint8_t)r1_iq4_level((v >> 24) & 15) << 24));
}

// 32-element blocks: element i < 16 is the low nibble of quant byte i, element i + 16 its high nibble; the
// fifth bit of element i (Q5_0, Q5_1) is bit i of the 32-bit qh.
R1_HD int r1_nib32(const uint8_t* qs, int i) { return i < 16 ? qs[i] & 15 : qs[i - 16] >> 4; }

R1_HD float r1_dq_q4_1(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk)), m = r1_half_to_float(r1_u16(blk + 2));
    return (float)r1_nib32(blk + 4, i) * d + m;
}
R1_HD float r1_dq_q5_0(const uint8_t* blk, int i) {
    int q = r1_nib32(blk + 6, i) | (int)((r1_u32a2(blk + 2) >> i) & 1) << 4;
    return (float)(q - 16) * r1_half_to_float(r1_u16(blk));
}
R1_HD float r1_dq_q5_1(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk)), m = r1_half_to_float(r1_u16(blk + 2));
    int q = r1_nib32(blk + 8, i) | (int)((r1_u32a2(blk + 4) >> i) & 1) << 4;
    return (float)q * d + m;
}
R1_HD float r1_dq_iq4_nl(const uint8_t* blk, int i) {
    return r1_half_to_float(r1_u16(blk)) * (float)r1_iq4_level(r1_nib32(blk + 2, i));
}

// Q2_K / Q3_K: element 128h + 32k + l (l in 0..31) is bits 2k..2k+1 of quant byte 32h + l; sub-block i/16.
R1_HD float r1_dq_q2_k(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk + 80)), dmin = r1_half_to_float(r1_u16(blk + 82));
    int sc = blk[i >> 4], h = i >> 7, k = (i >> 5) & 3, l = i & 31;
    float dl = d * (float)(sc & 15), ml = dmin * (float)(sc >> 4);
    return dl * (float)((blk[16 + 32 * h + l] >> (2 * k)) & 3) - ml;
}
// Q3_K sub-block j's 6-bit scale (before its offset of 32): low nibble j/8 of byte j%8, top bits 2(j/4) of byte 8 + j%4.
R1_HD int r1_q3k_scale(const uint8_t* sc, int j) {
    return ((sc[j & 7] >> (4 * (j >> 3))) & 15) | (((sc[8 + (j & 3)] >> (2 * (j >> 2))) & 3) << 4);
}
// Q3_K: hmask at 0 (bit 4h + k of byte l: the third bit; clear means -4), quants at 32, scales at 96, d at 108.
R1_HD float r1_dq_q3_k(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk + 108));
    int h = i >> 7, k = (i >> 5) & 3, l = i & 31;
    float dl = d * (float)(r1_q3k_scale(blk + 96, i >> 4) - 32);
    int q = (blk[32 + 32 * h + l] >> (2 * k)) & 3, hb = (blk[l] >> (4 * h + k)) & 1;
    return dl * (float)(q - (hb ? 0 : 4));
}
// IQ4_XS sub-block j's 6-bit scale (before its offset of 32): nibble j%2 of byte 4 + j/2, top bits 2j of the u16 at 2.
R1_HD int r1_iq4xs_scale(const uint8_t* blk, int j) {
    return ((blk[4 + (j >> 1)] >> (4 * (j & 1))) & 15) | (int)(((r1_u16(blk + 2) >> (2 * j)) & 3) << 4);
}
R1_HD float r1_dq_iq4_xs(const uint8_t* blk, int i) {
    int j = i >> 5;
    float dl = r1_half_to_float(r1_u16(blk)) * (float)(r1_iq4xs_scale(blk, j) - 32);
    return dl * (float)r1_iq4_level(r1_nib32(blk + 8 + 16 * j, i & 31));
}

// Q4_K sub-block j's 6-bit scale and min from the 12 packed bytes.
R1_HD int r1_q4k_scale(const uint8_t* sc, int j) {
    return j < 4 ? (sc[j] & 63) : ((sc[j + 4] & 15) | ((sc[j - 4] >> 6) << 4));
}
R1_HD int r1_q4k_min(const uint8_t* sc, int j) {
    return j < 4 ? (sc[j + 4] & 63) : ((sc[j + 4] >> 4) | ((sc[j] >> 6) << 4));
}

R1_HD float r1_dq_q4_k(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk)), dmin = r1_half_to_float(r1_u16(blk + 2));
    int g = i >> 6, hi = (i >> 5) & 1, l = i & 31, j = 2 * g + hi;
    int q = blk[16 + 32 * g + l];
    q = hi ? q >> 4 : q & 15;
    float dj = d * (float)r1_q4k_scale(blk + 4, j), mj = dmin * (float)r1_q4k_min(blk + 4, j);
    return dj * (float)q - mj;
}

// Q5_K: Q4_K's scales and nibbles, and the fifth bit of element 32j + l in bit j of qh[l] (qh at 16, qs at 48).
R1_HD float r1_dq_q5_k(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk)), dmin = r1_half_to_float(r1_u16(blk + 2));
    int j = i >> 5, l = i & 31;
    int q = ((blk[48 + 32 * (j >> 1) + l] >> (4 * (j & 1))) & 15) | (((blk[16 + l] >> j) & 1) << 4);
    float dj = d * (float)r1_q4k_scale(blk + 4, j), mj = dmin * (float)r1_q4k_min(blk + 4, j);
    return dj * (float)q - mj;
}

// Q6_K element i: half h = i/128, within it l + 32k; low nibble from ql, two high bits from qh.
R1_HD int r1_q6k_quant(const uint8_t* blk, int i) {
    int h = i >> 7, r = i & 127, k = r >> 5, l = r & 31;
    int lo = blk[64 * h + l + ((k & 1) ? 32 : 0)];
    lo = (k & 2) ? lo >> 4 : lo & 15;
    int hb = (blk[128 + 32 * h + l] >> (2 * k)) & 3;
    return (lo | (hb << 4)) - 32;
}
R1_HD float r1_dq_q6_k(const uint8_t* blk, int i) {
    float d = r1_half_to_float(r1_u16(blk + 208));
    int h = i >> 7, r = i & 127, k = r >> 5, l = r & 31;
    int sc = (int8_t)blk[192 + 8 * h + (l >> 4) + 2 * k];
    return d * (float)sc * (float)r1_q6k_quant(blk, i);
}

// Element `col` of a row of any supported type (row = the row's first byte).
R1_HD float r1_dequant(int type, const uint8_t* row, int col) {
    switch (type) {
        case R1_T_F32: return ((const float*)row)[col];
        case R1_T_F16: return r1_half_to_float(((const uint16_t*)row)[col]);
        case R1_T_BF16: return r1_bf16_to_float(((const uint16_t*)row)[col]);
        case R1_T_Q4_0: return r1_dq_q4_0(row + (col >> 5) * R1_Q4_0_BYTES, col & 31);
        case R1_T_Q8_0: return r1_dq_q8_0(row + (col >> 5) * R1_Q8_0_BYTES, col & 31);
        case R1_T_Q4_1: return r1_dq_q4_1(row + (col >> 5) * R1_Q4_1_BYTES, col & 31);
        case R1_T_Q5_0: return r1_dq_q5_0(row + (col >> 5) * R1_Q5_0_BYTES, col & 31);
        case R1_T_Q5_1: return r1_dq_q5_1(row + (col >> 5) * R1_Q5_1_BYTES, col & 31);
        case R1_T_IQ4_NL: return r1_dq_iq4_nl(row + (col >> 5) * R1_IQ4_NL_BYTES, col & 31);
        case R1_T_Q2_K: return r1_dq_q2_k(row + (col >> 8) * R1_Q2_K_BYTES, col & 255);
        case R1_T_Q3_K: return r1_dq_q3_k(row + (col >> 8) * R1_Q3_K_BYTES, col & 255);
        case R1_T_IQ4_XS: return r1_dq_iq4_xs(row + (col >> 8) * R1_IQ4_XS_BYTES, col & 255);
        case R1_T_Q4_K: return r1_dq_q4_k(row + (col >> 8) * R1_Q4_K_BYTES, col & 255);
        case R1_T_Q5_K: return r1_dq_q5_k(row + (col >> 8) * R1_Q5_K_BYTES, col & 255);
        case R1_T_Q6_K: return r1_dq_q6_k(row + (col >> 8) * R1_Q6_K_BYTES, col & 255);
        default: return 0.0f;
    }
}

R1_HD long long r1_row_bytes(int type, int cols) {
    switch (type) {
        case R1_T_F32: return 4LL * cols;
        case R1_T_F16: case R1_T_BF16: return 2LL * cols;
        case R1_T_Q4_0: return (long long)(cols / 32) * R1_Q4_0_BYTES;
        case R1_T_Q8_0: return (long long)(cols / 32) * R1_Q8_0_BYTES;
        case R1_T_Q4_1: return (long long)(cols / 32) * R1_Q4_1_BYTES;
        case R1_T_Q5_0: return (long long)(cols / 32) * R1_Q5_0_BYTES;
        case R1_T_Q5_1: return (long long)(cols / 32) * R1_Q5_1_BYTES;
        case R1_T_IQ4_NL: return (long long)(cols / 32) * R1_IQ4_NL_BYTES;
        case R1_T_Q2_K: return (long long)(cols / 256) * R1_Q2_K_BYTES;
        case R1_T_Q3_K: return (long long)(cols / 256) * R1_Q3_K_BYTES;
        case R1_T_IQ4_XS: return (long long)(cols / 256) * R1_IQ4_XS_BYTES;
        case R1_T_Q4_K: return (long long)(cols / 256) * R1_Q4_K_BYTES;
        case R1_T_Q5_K: return (long long)(cols / 256) * R1_Q5_K_BYTES;
        case R1_T_Q6_K: return (long long)(cols / 256) * R1_Q6_K_BYTES;
        default: return 0;
    }
}

// ---- activation quantization ---------------------------------------------------------------------------

// Q8 blocks of 32 as ggml's quantize_row_q8_0 (and QuantKernels.quantizeQ8): d = amax/127 stored rounded
// to half, q = round-half-even(x * 127/amax). The kernels also keep Σq per block (q8_1's extra), which the
// Q4_0 dot needs for its offset of 8.
R1_HD float r1_q8_inv(float amax) { return amax != 0.0f ? 127.0f / amax : 0.0f; }
R1_HD float r1_q8_scale(float amax) { return r1_round_half(amax / 127.0f); }
R1_HD int r1_q8_quant(float x, float id) { return (int)rintf(x * id); }

// Q8_K (256 per scale) as ggml's quantize_row_q8_K (KQuants.quantizeQ8K): iscale = -127/max, where max
// is the element of largest magnitude (the first such), q = min(127, rint(iscale*x)), d = 1/iscale.
R1_HD float r1_q8k_iscale(float max) { return max != 0.0f ? -127.0f / max : 0.0f; }
R1_HD int r1_q8k_quant(float x, float iscale) { int q = (int)rintf(iscale * x); return q < 127 ? q : 127; }
R1_HD float r1_q8k_d(float iscale) { return iscale != 0.0f ? 1.0f / iscale : 0.0f; }

// ---- block dots ----------------------------------------------------------------------------------------

// Four signed-byte products summed into c: __dp4a on the device, the same sum on the host.
R1_HD int r1_dp4a(int a, int b, int c) {
#ifdef __CUDA_ARCH__
    return __dp4a(a, b, c);
#else
    for (int i = 0; i < 4; i++) c += (int)(int8_t)(a >> (8 * i)) * (int)(int8_t)(b >> (8 * i));
    return c;
#endif
}

// Σ nibble * a over a Q4_0 block's elements 4j..4j+3 and 16+4j..16+4j+3 (j in 0..3): one of four lanes'
// share of a block. Nibbles are 0..15: the offset of 8 is taken out once per block with Σa.
R1_HD int r1_q4_0_part(const uint8_t* blk, const int8_t* a, int j) {
    uint32_t v = r1_u32a2(blk + 2 + 4 * j);
    int s = r1_dp4a((int)(v & 0x0f0f0f0fu), *(const int*)(a + 4 * j), 0);
    return r1_dp4a((int)((v >> 4) & 0x0f0f0f0fu), *(const int*)(a + 16 + 4 * j), s);
}
// A Q4_0 block's contribution from the integer sums (exact) and the scales: dw*da*(Σ q a - 8 Σ a).
R1_HD float r1_q4_0_term_d(float dw, float da, int sumi, int suma) { return dw * da * (float)(sumi - 8 * suma); }
R1_HD float r1_q4_0_term(const uint8_t* blk, float da, int sumi, int suma) {
    return r1_q4_0_term_d(r1_half_to_float(r1_u16(blk)), da, sumi, suma);
}

// Σ w * a over a Q8_0 block's elements 8j..8j+7 (j in 0..3).
R1_HD int r1_q8_0_part(const uint8_t* blk, const int8_t* a, int j) {
    int s = r1_dp4a((int)r1_u32a2(blk + 2 + 8 * j), *(const int*)(a + 8 * j), 0);
    return r1_dp4a((int)r1_u32a2(blk + 6 + 8 * j), *(const int*)(a + 8 * j + 4), s);
}
R1_HD float r1_q8_0_term(const uint8_t* blk, float da, int sumi) {
    return r1_half_to_float(r1_u16(blk)) * da * (float)sumi;
}

// The other 32-element types against q8_1 activations, each as r1_q4_0_part: lane j's elements 4j..4j+3 and
// 16+4j..16+4j+3, exact; the block term from the integer sums (suma = Σa of the activation block).
// Fifth bits of elements 4j..4j+3 (bits 4j.. of qh, or 16+4j.. for hi) moved to bit 4 of each byte.
R1_HD uint32_t r1_qh4(uint32_t qh, int first) {
    uint32_t x = qh >> first;
    return ((x & 1u) << 4) | ((x & 2u) << 11) | ((x & 4u) << 18) | ((x & 8u) << 25);
}
R1_HD int r1_nib_part(const uint8_t* qs, const int8_t* a, int j, uint32_t hlo, uint32_t hhi) {
    uint32_t v = r1_u32a2(qs + 4 * j);
    int s = r1_dp4a((int)((v & 0x0f0f0f0fu) | hlo), *(const int*)(a + 4 * j), 0);
    return r1_dp4a((int)(((v >> 4) & 0x0f0f0f0fu) | hhi), *(const int*)(a + 16 + 4 * j), s);
}
R1_HD int r1_q4_1_part(const uint8_t* blk, const int8_t* a, int j) { return r1_nib_part(blk + 4, a, j, 0, 0); }
// ggml's q4_1 dot: d·da·Σqa + m·(da·Σa)
R1_HD float r1_q4_1_term(const uint8_t* blk, float da, int sumi, int suma) {
    return r1_half_to_float(r1_u16(blk)) * da * (float)sumi + r1_half_to_float(r1_u16(blk + 2)) * (da * (float)suma);
}
R1_HD int r1_q5_0_part(const uint8_t* blk, const int8_t* a, int j) {
    uint32_t qh = r1_u32a2(blk + 2);
    return r1_nib_part(blk + 6, a, j, r1_qh4(qh, 4 * j), r1_qh4(qh, 16 + 4 * j));
}
R1_HD float r1_q5_0_term(const uint8_t* blk, float da, int sumi, int suma) {
    return r1_half_to_float(r1_u16(blk)) * da * (float)(sumi - 16 * suma);
}
R1_HD int r1_q5_1_part(const uint8_t* blk, const int8_t* a, int j) {
    uint32_t qh = r1_u32a2(blk + 4);
    return r1_nib_part(blk + 8, a, j, r1_qh4(qh, 4 * j), r1_qh4(qh, 16 + 4 * j));
}
R1_HD float r1_q5_1_term(const uint8_t* blk, float da, int sumi, int suma) { return r1_q4_1_term(blk, da, sumi, suma); }
R1_HD int r1_iq4_nl_part(const uint8_t* blk, const int8_t* a, int j) {
    uint32_t v = r1_u32a2(blk + 2 + 4 * j);
    int s = r1_dp4a(r1_iq4_levels4(v), *(const int*)(a + 4 * j), 0);
    return r1_dp4a(r1_iq4_levels4(v >> 4), *(const int*)(a + 16 + 4 * j), s);
}
R1_HD float r1_iq4_nl_term(const uint8_t* blk, float da, int sumi, int suma) {
    (void)suma;
    return r1_half_to_float(r1_u16(blk)) * da * (float)sumi;
}

// Q4_K sub-block j (32 elements) of a super-block against its 32 Q8_K quants `a` (4-byte aligned):
// scale * Σ q a into *sumi and min * Σ a (from the two 16-sums in bsums) into *mins. Integer and exact,
// so lanes may add their parts in any order.
R1_HD void r1_q4k_sub(const uint8_t* blk, int j, const int8_t* a, const int* bsums, int* sumi, int* mins) {
    const uint32_t* qs = (const uint32_t*)(blk + 16 + 32 * (j >> 1));
    int shift = (j & 1) * 4, s = 0;
    for (int w = 0; w < 8; w++) s = r1_dp4a((int)((qs[w] >> shift) & 0x0f0f0f0fu), ((const int*)a)[w], s);
    *sumi += r1_q4k_scale(blk + 4, j) * s;
    *mins += r1_q4k_min(blk + 4, j) * (bsums[2 * j] + bsums[2 * j + 1]);
}
// The super-block's float term, as KQuants.dotQ4_K: dy*dx*sumi - dy*dmin*mins.
R1_HD float r1_q4k_term(const uint8_t* blk, float dy, int sumi, int mins) {
    float dx = r1_half_to_float(r1_u16(blk)), dmin = r1_half_to_float(r1_u16(blk + 2));
    return dy * dx * (float)sumi - dy * dmin * (float)mins;
}

// Q5_K sub-block j against its 32 Q8_K quants, as r1_q4k_sub with each value's fifth bit (bit j of its qh
// byte) moved to bit 4: 0..31, the mins out through the 16-sums. Exact integer.
R1_HD void r1_q5k_sub(const uint8_t* blk, int j, const int8_t* a, const int* bsums, int* sumi, int* mins) {
    const uint32_t* qs = (const uint32_t*)(blk + 48 + 32 * (j >> 1));
    const uint32_t* qh = (const uint32_t*)(blk + 16);
    int shift = (j & 1) * 4, s = 0;
    for (int w = 0; w < 8; w++) {
        uint32_t v = ((qs[w] >> shift) & 0x0f0f0f0fu) | (((qh[w] >> j) & 0x01010101u) << 4);
        s = r1_dp4a((int)v, ((const int*)a)[w], s);
    }
    *sumi += r1_q4k_scale(blk + 4, j) * s;
    *mins += r1_q4k_min(blk + 4, j) * (bsums[2 * j] + bsums[2 * j + 1]);
}
// Q5_K's d and dmin sit where Q4_K's do: the same float term.
R1_HD float r1_q5k_term(const uint8_t* blk, float dy, int sumi, int mins) { return r1_q4k_term(blk, dy, sumi, mins); }

// Q2_K, Q3_K, IQ4_XS against Q8_K, as r1_q4k_sub: lane j takes elements 32j..32j+31 (two 16-element sub-blocks
// for Q2_K/Q3_K), exact integers into *sumi (and the mins into *mins), then one float term per super-block.
R1_HD void r1_q2k_sub(const uint8_t* blk, int j, const int8_t* a, const int* bsums, int* sumi, int* mins) {
    int h = j >> 2, k = j & 3;
    for (int half = 0; half < 2; half++) {
        int s = 0;
        for (int w = 0; w < 4; w++) {
            int l = 16 * half + 4 * w;
            s = r1_dp4a((int)((r1_u32a2(blk + 16 + 32 * h + l) >> (2 * k)) & 0x03030303u), *(const int*)(a + l), s);
        }
        int sc = blk[2 * j + half];
        *sumi += (sc & 15) * s;
        *mins += (sc >> 4) * bsums[2 * j + half];
    }
}
R1_HD float r1_q2k_term(const uint8_t* blk, float dy, int sumi, int mins) {
    float dx = r1_half_to_float(r1_u16(blk + 80)), dmin = r1_half_to_float(r1_u16(blk + 82));
    return dy * dx * (float)sumi - dy * dmin * (float)mins;
}
// Q3_K values q + 4·hbit - 4 (-4..3): dotted unsigned (0..7), the 4 taken out through the 16-sums.
R1_HD void r1_q3k_sub(const uint8_t* blk, int j, const int8_t* a, const int* bsums, int* sumi, int* mins) {
    int h = j >> 2, k = j & 3;
    (void)mins;
    for (int half = 0; half < 2; half++) {
        int s = 0;
        for (int w = 0; w < 4; w++) {
            int l = 16 * half + 4 * w;
            uint32_t q = (r1_u32a2(blk + 32 + 32 * h + l) >> (2 * k)) & 0x03030303u;
            uint32_t hb = (r1_u32a2(blk + l) >> (4 * h + k)) & 0x01010101u;
            s = r1_dp4a((int)(q | (hb << 2)), *(const int*)(a + l), s);
        }
        *sumi += (r1_q3k_scale(blk + 96, 2 * j + half) - 32) * (s - 4 * bsums[2 * j + half]);
    }
}
R1_HD float r1_q3k_term(const uint8_t* blk, float dy, int sumi, int mins) {
    (void)mins;
    return dy * r1_half_to_float(r1_u16(blk + 108)) * (float)sumi;
}
R1_HD void r1_iq4xs_sub(const uint8_t* blk, int j, const int8_t* a, const int* bsums, int* sumi, int* mins) {
    (void)bsums;
    (void)mins;
    const uint8_t* qs = blk + 8 + 16 * j;
    int s = 0;
    for (int w = 0; w < 4; w++) {
        uint32_t v = r1_u32a2(qs + 4 * w);
        s = r1_dp4a(r1_iq4_levels4(v), *(const int*)(a + 4 * w), s);
        s = r1_dp4a(r1_iq4_levels4(v >> 4), *(const int*)(a + 16 + 4 * w), s);
    }
    *sumi += (r1_iq4xs_scale(blk, j) - 32) * s;
}
R1_HD float r1_iq4xs_term(const uint8_t* blk, float dy, int sumi, int mins) {
    (void)mins;
    return dy * r1_half_to_float(r1_u16(blk)) * (float)sumi;
}

// Q6_K chunk c = 4h + k (elements 128h + 32k + l, l in 0..31) against its 32 Q8_K quants: each 16 of
// them has its own int8 scale; the offset of 32 comes out through the 16-sums. Exact integer.
R1_HD int r1_q6k_chunk(const uint8_t* blk, int c, const int8_t* a, const int* bsums) {
    int h = c >> 2, k = c & 3, sumi = 0;
    const uint8_t* ql = blk + 64 * h + ((k & 1) ? 32 : 0);
    const uint8_t* qh = blk + 128 + 32 * h;
    for (int half = 0; half < 2; half++) {
        int s = 0;
        for (int w = 0; w < 4; w++) {
            int l = 16 * half + 4 * w;
            uint32_t lo = r1_u32a2(ql + l), hb = r1_u32a2(qh + l);
            lo = (k & 2) ? (lo >> 4) & 0x0f0f0f0fu : lo & 0x0f0f0f0fu;
            uint32_t v = lo | (((hb >> (2 * k)) & 0x03030303u) << 4);
            s = r1_dp4a((int)v, *(const int*)(a + l), s);
        }
        int g = 8 * h + 2 * k + half; // the 16-group of these elements in the super-block
        int sc = (int8_t)blk[192 + 8 * h + half + 2 * k];
        sumi += sc * (s - 32 * bsums[g]);
    }
    return sumi;
}
R1_HD float r1_q6k_term(const uint8_t* blk, float dy, int sumi) {
    return dy * r1_half_to_float(r1_u16(blk + 208)) * (float)sumi;
}

// ---- elementwise ops ------------------------------------------------------------------------------------

// RMSNorm's scale from the sum of squares (float products summed in double, as CpuOps.rmsNorm).
R1_HD float r1_rms_scale(double sumsq, int dim, float eps) {
    float mean = (float)(sumsq / dim);
    return 1.0f / sqrtf(mean + eps);
}
R1_HD float r1_rms_apply(float x, float scale, float w) { return x * scale * w; }

// ggml's vector expf on x86 (GgmlExp.exp): the same IEEE operations and fused multiply-adds in order.
R1_HD float r1_ggml_exp(float x) {
    const float R = 0x1.8p23f, LOG2E = 0x1.715476p+0f, LN2_HI = 0x1.62e4p-1f, LN2_LO = 0x1.7f7d1cp-20f;
    const float C4 = 0x1.0e4020p-7f, C3 = 0x1.573e2ep-5f, C2 = 0x1.555e66p-3f, C1 = 0x1.fffdb6p-2f, C0 = 0x1.ffffecp-1f;
    float z = fmaf(x, LOG2E, R);
    float n = z - R;
    float b = fmaf(-n, LN2_LO, fmaf(-n, LN2_HI, x));
    uint32_t e = r1_as_bits(z) << 23;
    float k = r1_as_float(e + 0x3f800000u);
    float u = b * b;
    float j = fmaf(fmaf(fmaf(C4, b, C3), u, fmaf(C2, b, C1)), u, C0 * b);
    if (!(fabsf(n) > 126.0f)) return fmaf(j, k, k);
    uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
    float s1 = r1_as_float(g + 0x7f000000u), s2 = r1_as_float(e - g);
    if (fabsf(n) > 192.0f) return s1 * s1;
    return fmaf(s2, j, s2) * s1;
}

R1_HD float r1_silu(float x) { return x / (1.0f + r1_ggml_exp(0.0f - x)); }
R1_HD float r1_swiglu(float g, float u) { return r1_silu(g) * u; }

// RoPE angle of pair i at position pos: pos * thetaScale^i by repeated float multiplication (as ggml and
// CpuOps.rope), divided by llama3's frequency factor when there is one.
R1_HD float r1_rope_angle(int pos, int i, float thetaScale, const float* factors) {
    float theta = (float)pos;
    for (int p = 0; p < i; p++) theta *= thetaScale;
    return factors ? theta / factors[i] : theta;
}
// cos/sin in double, rounded to float: what Java's (float) Math.cos gives (both within an ulp of double).
R1_HD void r1_rope_cs(float a, float* c, float* s) {
    *c = (float)cos((double)a);
    *s = (float)sin((double)a);
}
// The rotation as ggml's CPU build compiles it (and CpuOps.rope): one product rounded, the other fused.
R1_HD void r1_rope_rotate(float* x0, float* x1, float c, float s) {
    float a = *x0, b = *x1;
#ifdef __CUDA_ARCH__
    *x0 = fmaf(a, c, -__fmul_rn(b, s)); // __fmul_rn: never contracted into the fma
    *x1 = fmaf(a, s, __fmul_rn(b, c));
#else
    *x0 = fmaf(a, c, -(b * s));
    *x1 = fmaf(a, s, b * c);
#endif
}

// ---- attention softmax pieces ---------------------------------------------------------------------------

// Online softmax, a tile of scores at a time: with the tile's maximum tmax, the running max m moves to
// max(m, tmax) and the old sum and accumulator are scaled by the returned factor (0 while empty); each
// score then weighs exp(s - m) (0 for a masked one). Split partials merge with the same factors.
R1_HD float r1_softmax_rescale(float* m, float tmax) {
    float mn = tmax > *m ? tmax : *m;
    float so = *m == -INFINITY ? 0.0f : r1_ggml_exp(*m - mn);
    *m = mn;
    return so;
}
R1_HD float r1_softmax_weight(float s, float m) { return s == -INFINITY ? 0.0f : r1_ggml_exp(s - m); }
// Weight of a partial with max mi in a merge whose overall max is M (0 for an empty partial).
R1_HD float r1_merge_weight(float mi, float M) { return mi == -INFINITY ? 0.0f : r1_ggml_exp(mi - M); }
