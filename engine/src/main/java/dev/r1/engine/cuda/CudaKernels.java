package dev.r1.engine.cuda;

import java.util.List;

/** The kernel names {@link CudaBackend} launches (extern "C" in native/cuda/r1_kernels.cu). */
public final class CudaKernels {
    private CudaKernels() {}

    public static final String EMBED = "r1_embed", RMSNORM = "r1_rmsnorm", ADD_RMSNORM = "r1_add_rmsnorm",
            ADD = "r1_add", ADD_BIAS = "r1_add_bias", SWIGLU = "r1_swiglu", ROPE = "r1_rope", KV_APPEND = "r1_kv_append",
            QUANTIZE_Q8_1 = "r1_quantize_q8_1", QUANTIZE_Q8_K = "r1_quantize_q8_k", TO_HALF = "r1_to_half",
            DEQUANT_F16 = "r1_dequant_f16", MV_Q4_0 = "r1_mv_q4_0", MV_Q4_0_ANY = "r1_mv_q4_0_any", MV_Q8_0 = "r1_mv_q8_0", MV_Q4_K = "r1_mv_q4_k",
            MV_Q5_K = "r1_mv_q5_k", MV_Q6_K = "r1_mv_q6_k", MV_F16 = "r1_mv_f16", MV_BF16 = "r1_mv_bf16", MV_F32 = "r1_mv_f32", GEMM = "r1_gemm",
            MM_Q4_0 = "r1_mm_q4_0", MM_Q8_0 = "r1_mm_q8_0", MM_Q4_K = "r1_mm_q4_k", MM_Q5_K = "r1_mm_q5_k", MM_Q6_K = "r1_mm_q6_k",
            MV_Q4_1 = "r1_mv_q4_1", MV_Q5_0 = "r1_mv_q5_0", MV_Q5_1 = "r1_mv_q5_1", MV_IQ4_NL = "r1_mv_iq4_nl",
            MV_Q2_K = "r1_mv_q2_k", MV_Q3_K = "r1_mv_q3_k", MV_IQ4_XS = "r1_mv_iq4_xs",
            MM_Q4_1 = "r1_mm_q4_1", MM_Q5_0 = "r1_mm_q5_0", MM_Q5_1 = "r1_mm_q5_1", MM_IQ4_NL = "r1_mm_iq4_nl",
            MM_Q2_K = "r1_mm_q2_k", MM_Q3_K = "r1_mm_q3_k", MM_IQ4_XS = "r1_mm_iq4_xs",
            ATTN_DECODE = "r1_attn_decode", ATTN_PREFILL = "r1_attn_prefill";

    public static final List<String> ALL = List.of(EMBED, RMSNORM, ADD_RMSNORM, ADD, ADD_BIAS, SWIGLU, ROPE, KV_APPEND,
            QUANTIZE_Q8_1, QUANTIZE_Q8_K, TO_HALF, DEQUANT_F16, MV_Q4_0, MV_Q4_0_ANY, MV_Q8_0, MV_Q4_K, MV_Q5_K, MV_Q6_K, MV_F16, MV_BF16, MV_F32, GEMM,
            MM_Q4_0, MM_Q8_0, MM_Q4_K, MM_Q5_K, MM_Q6_K,
            MV_Q4_1, MV_Q5_0, MV_Q5_1, MV_IQ4_NL, MV_Q2_K, MV_Q3_K, MV_IQ4_XS,
            MM_Q4_1, MM_Q5_0, MM_Q5_1, MM_IQ4_NL, MM_Q2_K, MM_Q3_K, MM_IQ4_XS,
            ATTN_DECODE, ATTN_PREFILL);
}
