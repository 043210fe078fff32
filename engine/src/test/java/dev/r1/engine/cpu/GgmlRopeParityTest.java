package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.model.Backend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Our RoPE ({@link CpuOps#rope}) against ggml's {@code GGML_OP_ROPE} on the same rows and positions, bit for
 * bit: NEOX (Qwen2) and normal (Llama) pairing, the distills' head size and bases, positions up to a long
 * context (angles past 120 radians take libm's other reduction), and llama3's frequency factors.
 */
class GgmlRopeParityTest {
    @BeforeAll
    static void load() { OneOpGgml.load(); }

    static float[] ggml(float[] x, int[] pos, int heads, int hd, boolean neox, float base, float[] factors) throws Throwable {
        int n = pos.length;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = OneOpGgml.context(a, 16L << 20);
            try {
                MemorySegment tx = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F32, (long) hd, (long) heads, (long) n, 1L);
                MemorySegment tp = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.I32, (long) n, 1L, 1L, 1L);
                MemorySegment tf = MemorySegment.NULL;
                if (factors != null) {
                    tf = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F32, (long) factors.length, 1L, 1L, 1L);
                    MemorySegment.copy(factors, 0, OneOpGgml.data(tf, 4L * factors.length), JAVA_FLOAT, 0, factors.length);
                }
                MemorySegment.copy(x, 0, OneOpGgml.data(tx, 4L * x.length), JAVA_FLOAT, 0, x.length);
                MemorySegment.copy(pos, 0, OneOpGgml.data(tp, 4L * n), JAVA_INT, 0, n);
                MemorySegment out = (MemorySegment) OneOpGgml.rope.invokeExact(ctx, tx, tp, tf, hd,
                        neox ? OneOpGgml.ROPE_NEOX : OneOpGgml.ROPE_NORMAL, 0, base, 1f, 0f, 1f, 0f, 0f);
                assertTrue(OneOpGgml.compute(ctx, out, 1), "ggml_graph_compute");
                return OneOpGgml.data(out, 4L * x.length).toArray(JAVA_FLOAT);
            } finally {
                OneOpGgml.free.invokeExact(ctx);
            }
        }
    }

    @ParameterizedTest(name = "{0} head size {1}, base {2}, factors {3}")
    @CsvSource({"true, 128, 10000, false", "false, 128, 500000, false", "false, 128, 500000, true", "true, 32, 1000000, false",
            "false, 64, 10000, false"})
    void ropeIsGgmls(boolean neox, int hd, float base, boolean llama3) throws Throwable {
        int heads = 3;
        int[] pos = new int[300];
        for (int i = 0; i < pos.length; i++) pos[i] = i < 200 ? i : 100 * i + 7; // a prompt, then far positions
        SplittableRandom r = new SplittableRandom(hd);
        float[] x = new float[pos.length * heads * hd];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 2);
        float[] factors = null;
        if (llama3) {
            factors = new float[hd / 2];
            for (int i = 0; i < factors.length; i++) factors[i] = i < hd / 4 ? 1f : i < 3 * hd / 8 ? 1f + i % 7 : 8f;
        }
        float[] want = ggml(x, pos, heads, hd, neox, base, factors);
        float[] ours = x.clone();
        Backend.Rope rope = Backend.Rope.of(base, hd, factors, neox);
        CpuOps.rope(ours, pos.length, heads, hd, pos, rope.thetaScale(), rope.factors(), rope.neox());
        int diffs = 0, first = -1;
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(ours[i])) {
                if (first < 0) first = i;
                diffs++;
            }
        }
        int f = first, d = diffs;
        assertEquals(0, d, () -> d + " of " + x.length + " differ; first at row " + f / (heads * hd) + " (position " + pos[f / (heads * hd)]
                + ") element " + f % hd + ": ggml " + want[f] + ", ours " + ours[f]);
    }
}
