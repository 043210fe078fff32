package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.llama.Llama;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * F16, BF16 and F32 matrices ({@link HalfKernels}) bit for bit: against a scalar transcription of ggml's AVX2 code (any
 * machine), and against ggml's own {@code ggml_mul_mat} on its {@code haswell} library (where ggml runs that one). The
 * shapes take every path: rows a multiple of four and widths a multiple of 8 (tinyBLAS for two tokens or more), a width
 * past the last 32 (vec_dot's leftovers in double), rows or widths that tinyBLAS refuses (vec_dot for every token
 * count), and two matrices in one call (one token: rows paired across them, {@code Matmul.decodeHalf}).
 */
class HalfKernelsTest {
    static final Parallel POOL = new Parallel(3);

    @AfterAll
    static void close() { POOL.close(); }

    /** rows, cols: tinyBLAS with a vec_dot tail; rows tinyBLAS refuses; a width it refuses; a width of whole steps. */
    static final int[][] SHAPES = {{20, 200}, {18, 200}, {16, 196}, {12, 256}};
    static final int[] TOKENS = {1, 2, 3, 4, 7};

    /**
     * Weights with the awkward values mixed in (subnormals, signed zeros, the largest F16, ordinary ones), as their exact
     * values and their raw encoding: 2 bytes a value for F16/BF16, 4 for F32.
     */
    record W(float[] values, MemorySegment raw) {}

    static W weights(GgmlType type, int len, SplittableRandom r, Arena a) {
        float[] v = new float[len];
        MemorySegment raw = a.allocate((long) len * type.typeSize() + 3).asSlice(3); // rows at an odd address on purpose
        for (int i = 0; i < len; i++) {
            float f = (float) (r.nextGaussian() * 0.05);
            switch (i % 23) {
                case 3 -> f = (float) (r.nextGaussian() * 3e-6); // F16 subnormal
                case 7 -> f = -0f;
                case 11 -> f = type == GgmlType.F16 ? 65504f : 1e30f; // the largest F16; a BF16/F32 past F16's range
                case 13 -> f = (float) (r.nextGaussian() * 1e-40); // BF16/F32 subnormal, F16 zero
                default -> { }
            }
            switch (type) {
                case F16 -> raw.setAtIndex(JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(f));
                case BF16 -> raw.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(HalfKernels.roundBF16(f)) >>> 16));
                default -> raw.setAtIndex(JAVA_FLOAT_UNALIGNED, i, f);
            }
            v[i] = type == GgmlType.F16 ? Float.float16ToFloat(raw.getAtIndex(JAVA_SHORT_UNALIGNED, i))
                    : type == GgmlType.BF16 ? HalfKernels.roundBF16(f) : f;
        }
        return new W(v, raw);
    }

    static float[] activations(int len, SplittableRandom r) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) (r.nextGaussian() * (i % 5 == 0 ? 30 : 1) * (i % 17 == 0 ? 1e-6 : 1));
        return x;
    }

    static float value(short h, GgmlType type) {
        return type == GgmlType.F16 ? Float.float16ToFloat(h) : Float.intBitsToFloat(h << 16);
    }

    /** An activation as ggml's {@code vec_dot_type} holds it: rounded to F16 or BF16, as it is for F32. */
    static float rounded(float v, GgmlType type) {
        return type == GgmlType.F16 ? Float.float16ToFloat(Float.floatToFloat16(v)) : type == GgmlType.BF16 ? HalfKernels.roundBF16(v) : v;
    }

    /**
     * ggml's {@code vec_dot_f16} / {@code vec_dot_bf16} / {@code vec_dot_f32} as its AVX2 code adds: lane l of
     * accumulator a takes elements {@code 32i + 8a + l}; {@code (a0+a2)+(a1+a3)}; lanes pairwise {@code t_l = l + (l+4)},
     * then {@code (t0+t1)+(t2+t3)} (F16, F32: {@code _mm_hadd_ps}) or {@code (t0+t2)+(t1+t3)} (BF16); leftovers in
     * double (ggml_float) for the halves, in float for F32.
     */
    static float vecDot(float[] w, int wo, float[] x, int xo, int n, GgmlType type) {
        float[][] acc = new float[4][8];
        int np = n / 32 * 32;
        for (int i = 0; i < np; i += 32) {
            for (int a = 0; a < 4; a++) {
                for (int l = 0; l < 8; l++) {
                    int e = i + 8 * a + l;
                    acc[a][l] = Math.fma(w[wo + e], rounded(x[xo + e], type), acc[a][l]);
                }
            }
        }
        float[] v = new float[8];
        for (int l = 0; l < 8; l++) v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
        float t0 = v[0] + v[4], t1 = v[1] + v[5], t2 = v[2] + v[6], t3 = v[3] + v[7];
        if (type == GgmlType.F32) {
            float sum = (t0 + t1) + (t2 + t3);
            for (int i = np; i < n; i++) sum += w[wo + i] * x[xo + i];
            return sum;
        }
        double sum = type == GgmlType.F16 ? (t0 + t1) + (t2 + t3) : (t0 + t2) + (t1 + t3);
        for (int i = np; i < n; i++) sum += w[wo + i] * rounded(x[xo + i], type);
        return (float) sum;
    }

    /** tinyBLAS's output: one 8-lane accumulator over the row, lanes {@code ((0+4)+(2+6))+((1+5)+(3+7))}. */
    static float tinyDot(float[] w, int wo, float[] x, int xo, int n, GgmlType type) {
        float[] acc = new float[8];
        for (int i = 0; i < n; i += 8) {
            for (int l = 0; l < 8; l++) acc[l] = Math.fma(w[wo + i + l], rounded(x[xo + i + l], type), acc[l]);
        }
        return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "F32"})
    void kernelsAreTheScalarTranscriptionOfGgml(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id());
        Matmul mm = new Matmul(POOL);
        for (int[] shape : SHAPES) {
            int rows = shape[0], cols = shape[1];
            try (Arena a = Arena.ofShared()) { // the pool's threads read it
                W h = weights(type, rows * cols, r, a);
                WeightMatrix w = new WeightMatrix("w", type, rows, cols, h.raw());
                for (int n : TOKENS) {
                    float[] x = activations(n * cols, r), out = new float[n * rows], seq = new float[n * rows];
                    mm.multiply(x, n, new WeightMatrix[] {w}, new float[][] {out}, false);
                    mm.multiply(x, n, new WeightMatrix[] {w}, new float[][] {seq}, true); // tokens of different sequences
                    boolean tiny = HalfKernels.tiny(rows, cols, n);
                    for (int t = 0; t < n; t++) {
                        for (int row = 0; row < rows; row++) {
                            float alone = vecDot(h.values(), row * cols, x, t * cols, cols, type);
                            float want = tiny ? tinyDot(h.values(), row * cols, x, t * cols, cols, type) : alone;
                            String what = type + " " + rows + "x" + cols + ", " + n + " tokens, token " + t + ", row " + row;
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(out[t * rows + row]), what + ": " + want + " vs " + out[t * rows + row]);
                            assertEquals(Float.floatToRawIntBits(alone), Float.floatToRawIntBits(seq[t * rows + row]), what + " (sequences)");
                        }
                    }
                }
            }
        }
    }

    /** One token through two matrices at once (rows paired across them), and each row its vec_dot. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "F32"})
    void oneTokenThroughTwoMatricesIsEachRowsVecDot(GgmlType type) {
        SplittableRandom r = new SplittableRandom(7 + type.id());
        int cols = 200, rows0 = 37, rows1 = 26;
        try (Arena a = Arena.ofShared()) {
            W h0 = weights(type, rows0 * cols, r, a), h1 = weights(type, rows1 * cols, r, a);
            WeightMatrix[] ws = {new WeightMatrix("a", type, rows0, cols, h0.raw()), new WeightMatrix("b", type, rows1, cols, h1.raw())};
            float[] x = activations(cols, r);
            float[][] outs = {new float[rows0], new float[rows1]};
            for (Parallel p : new Parallel[] {POOL, new Parallel(1)}) {
                new Matmul(p).multiply(x, 1, ws, outs);
                for (int row = 0; row < rows0; row++) {
                    assertEquals(Float.floatToRawIntBits(vecDot(h0.values(), row * cols, x, 0, cols, type)), Float.floatToRawIntBits(outs[0][row]), "a, row " + row);
                }
                for (int row = 0; row < rows1; row++) {
                    assertEquals(Float.floatToRawIntBits(vecDot(h1.values(), row * cols, x, 0, cols, type)), Float.floatToRawIntBits(outs[1][row]), "b, row " + row);
                }
            }
        }
    }

    /** The activations' rounding against ggml's own conversion rows ({@code ggml_quantize_chunk} to F16 / BF16). */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16"})
    void activationsRoundAsGgmlConvertsThem(GgmlType type) {
        NativeLibraries.llama();
        SplittableRandom r = new SplittableRandom(3);
        int n = 4096;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = i % 8;
            x[i] = kind == 0 ? Float.intBitsToFloat(r.nextInt()) // any bits: NaNs, infinities, subnormals
                    : kind == 1 ? (float) (r.nextGaussian() * 1e-5) // F16 subnormals
                    : kind == 2 ? 65504f + r.nextInt(64) // F16's rounding to infinity
                    : kind == 3 ? Float.intBitsToFloat(0x3f808000 + r.nextInt(3) * 0x10000) // BF16 ties
                    : (float) r.nextGaussian() * 100;
        }
        float[] ours = new float[n];
        HalfKernels.round(x, 0, n, ours, 0, type == GgmlType.BF16);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(2L * n);
            Llama.ggml_quantize_chunk(type.id(), a.allocateFrom(JAVA_FLOAT, x), dst, 0, 1, n, MemorySegment.NULL);
            for (int i = 0; i < n; i++) {
                short h = dst.getAtIndex(JAVA_SHORT_UNALIGNED, i);
                // F16 activations are kept scaled (HalfKernels.F16_SCALE): undo it to compare with the half's value
                float want = value(h, type), got = type == GgmlType.F16 ? ours[i] / HalfKernels.F16_SCALE : ours[i];
                assertTrue(Float.floatToRawIntBits(want) == Float.floatToRawIntBits(got) || Float.isNaN(want) && Float.isNaN(got),
                        type + " of " + x[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(x[i])) + "): ggml " + want + ", ours " + got);
            }
        }
    }

    /** Whole matmuls through ggml's {@code ggml_mul_mat} on its haswell library: the same floats, bit for bit. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "F32"})
    void matmulIsGgmls(GgmlType type) throws Throwable {
        OneOpGgml.load();
        SplittableRandom r = new SplittableRandom(99 + type.id());
        Matmul mm = new Matmul(POOL);
        for (int[] shape : SHAPES) {
            int rows = shape[0], cols = shape[1];
            for (int n : TOKENS) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment ctx = OneOpGgml.context(a, 16L << 20);
                    try {
                        MemorySegment tw = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, type.id(), (long) cols, (long) rows, 1L, 1L);
                        MemorySegment tx = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F32, (long) cols, (long) n, 1L, 1L);
                        W h = weights(type, rows * cols, r, a);
                        MemorySegment w = OneOpGgml.data(tw, (long) type.typeSize() * rows * cols), xs = OneOpGgml.data(tx, 4L * cols * n);
                        w.copyFrom(h.raw());
                        float[] x = activations(n * cols, r);
                        MemorySegment.copy(x, 0, xs, JAVA_FLOAT, 0, x.length);
                        MemorySegment out = (MemorySegment) OneOpGgml.mulMat.invokeExact(ctx, tw, tx);
                        assertTrue(OneOpGgml.compute(ctx, out, 2), "ggml_graph_compute");
                        float[] theirs = OneOpGgml.data(out, 4L * rows * n).toArray(JAVA_FLOAT);
                        float[] ours = new float[n * rows];
                        mm.multiply(x, n, new WeightMatrix(w.toString(), type, rows, cols, w), ours);
                        for (int i = 0; i < ours.length; i++) {
                            assertEquals(Float.floatToRawIntBits(theirs[i]), Float.floatToRawIntBits(ours[i]), type + " " + rows + "x" + cols
                                    + ", " + n + " tokens, token " + i / rows + ", row " + i % rows + ": ggml " + theirs[i] + ", ours " + ours[i]);
                        }
                    } finally {
                        OneOpGgml.free.invokeExact(ctx);
                    }
                }
            }
        }
    }
}
