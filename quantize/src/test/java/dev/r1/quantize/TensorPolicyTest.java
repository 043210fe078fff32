package dev.r1.quantize;

import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorPolicyTest {

    private static GgmlType type(String name, long[] dims, TargetType t, int layers) {
        return TensorPolicy.choose(name, dims, t, false, layers, false, false, 1).type();
    }

    @Test
    void useMoreBitsForThe28LayersOfR1DistillQwen1_5B() {
        // llama.cpp: i < n/8 (3) || i >= 7n/8 (24) || (i - n/8) % 3 == 2
        List<Integer> more = new ArrayList<>();
        for (int i = 0; i < 28; i++) if (TensorPolicy.useMoreBits(i, 28)) more.add(i);
        assertEquals(List.of(0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27), more);
    }

    @Test
    void q4_0Mix() {
        long[] w = {1536, 1536};
        assertEquals(GgmlType.Q4_0, type("blk.3.attn_q.weight", w, TargetType.Q4_0, 28));
        assertEquals(GgmlType.Q4_0, type("blk.0.attn_v.weight", w, TargetType.Q4_0, 28));
        assertEquals(GgmlType.Q4_0, type("blk.0.ffn_down.weight", w, TargetType.Q4_0, 28));
        assertEquals(GgmlType.Q4_0, type("token_embd.weight", new long[] {1536, 151936}, TargetType.Q4_0, 28));
        assertEquals(GgmlType.Q6_K, type("output.weight", new long[] {1536, 151936}, TargetType.Q4_0, 28));
        assertEquals(GgmlType.F32, type("blk.0.attn_norm.weight", new long[] {1536}, TargetType.Q4_0, 28));
        assertEquals(GgmlType.F32, type("blk.0.attn_q.bias", new long[] {1536}, TargetType.Q4_0, 28));
        assertEquals(GgmlType.F32, type("rope_freqs.weight", new long[] {64}, TargetType.Q4_0, 28));
        assertEquals(GgmlType.F32, type("blk.0.attn_q.weight", new long[] {1536, 1}, TargetType.Q4_0, 28));
    }

    @Test
    void tiedEmbeddingsGetTheOutputType() {
        assertEquals(GgmlType.Q6_K, TensorPolicy.choose("token_embd.weight", new long[] {1536, 151936}, TargetType.Q4_0,
                false, 28, true, false, 1).type());
    }

    @Test
    void q8_0AndFloatTargets() {
        long[] w = {4096, 4096};
        assertEquals(GgmlType.Q8_0, type("output.weight", w, TargetType.Q8_0, 32));
        assertEquals(GgmlType.Q8_0, type("blk.1.attn_v.weight", w, TargetType.Q8_0, 32));
        assertEquals(GgmlType.F16, type("output.weight", w, TargetType.F16, 32));
        assertEquals(GgmlType.BF16, type("blk.1.ffn_up.weight", w, TargetType.BF16, 32));
        assertEquals(GgmlType.F32, type("blk.1.ffn_norm.weight", new long[] {4096}, TargetType.F16, 32));
    }

    @Test
    void q4KmLayersFor32LayerLlama() {
        long[] w = {4096, 1024};
        for (int i = 0; i < 32; i++) {
            GgmlType want = TensorPolicy.useMoreBits(i, 32) ? GgmlType.Q6_K : GgmlType.Q4_K;
            assertEquals(want, type("blk." + i + ".attn_v.weight", w, TargetType.Q4_K_M, 32));
            assertEquals(want, type("blk." + i + ".ffn_down.weight", new long[] {14336, 4096}, TargetType.Q4_K_M, 32));
            assertEquals(GgmlType.Q4_K, type("blk." + i + ".attn_k.weight", w, TargetType.Q4_K_M, 32));
        }
        TensorPolicy.Choice c70 = TensorPolicy.choose("blk.10.attn_v.weight", new long[] {8192, 1024}, TargetType.Q4_K_M,
                false, 80, false, true, 8);
        assertEquals(GgmlType.Q5_K, c70.type()); // llama.cpp's 70B rule: attn_v Q4_K -> Q5_K
    }

    @Test
    void fallbacksAreReported() {
        TensorPolicy.Choice c = TensorPolicy.choose("blk.0.ffn_up.weight", new long[] {320, 64}, TargetType.Q4_K_M, false, 2, false, false, 1);
        assertEquals(GgmlType.Q5_0, c.type());
        assertTrue(c.note().contains("320") && c.note().contains("Q5_0"), c.note());
        TensorPolicy.Choice out = TensorPolicy.choose("output.weight", new long[] {320, 64}, TargetType.Q4_0, false, 2, false, false, 1);
        assertEquals(GgmlType.Q8_0, out.type());   // llama.cpp: Q6_K, whose rows of 256 do not fit -> Q8_0
        assertTrue(out.note().contains("Q6_K"), out.note());
        TensorPolicy.Choice odd = TensorPolicy.choose("blk.0.ffn_up.weight", new long[] {100, 64}, TargetType.Q4_0, false, 2, false, false, 1);
        assertEquals(GgmlType.F16, odd.type());
        assertNotNull(odd.note());
    }
}
