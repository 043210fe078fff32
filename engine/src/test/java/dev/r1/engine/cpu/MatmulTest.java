package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.Quantizers;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Matrix × activations for every weight type against a float64 reference computed from ggml's own
 * dequantization of the same bytes. For Q4_0/Q8_0 the activations are quantized to 8 bits, so the
 * reference is computed twice: with the float activations (error bounded by the rounding of each
 * activation: |x - q*d| <= d/2 plus the f16 rounding of d, times |w|; K-quants use Q8_K activations
 * with one float scale per 256), and with the kernel's own
 * quantized activations (then only float summation error remains).
 */
class MatmulTest {
    static final Parallel POOL = new Parallel(3);

    @AfterAll
    static void close() { POOL.close(); }

    record Case(WeightMatrix w, float[] dense) {}

    static Case random(GgmlType type, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[rows * cols];
        for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextGaussian() / Math.sqrt(cols));
        byte[] bytes = Quantizers.quantize(Quantizers.forId(type.id()), "w", f, rows, cols);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        // Unaligned rows on purpose: copy into a segment at an odd offset.
        MemorySegment odd = java.lang.foreign.Arena.ofAuto().allocate(bytes.length + 3).asSlice(3);
        odd.copyFrom(seg);
        float[] dense = type.dequantize(odd);
        return new Case(new WeightMatrix("w", type, rows, cols, odd), dense);
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void matchesFloat64ReferenceForEveryTokenCount(GgmlType type) {
        int cols = type.blockSize() == 256 ? 512 : 160, rows = 37;
        Case c = random(type, rows, cols, type.id());
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(42);
        for (int n : new int[] {1, 3, 4, 9, 37}) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 5 : 1));
            float[] out = new float[n * rows];
            mm.multiply(x, n, c.w, out);
            short[] q = new short[cols];
            float[] qd = new float[cols / 32];
            boolean kType = type == GgmlType.Q4_K || type == GgmlType.Q6_K;
            int group = kType ? 256 : 32; // K-quants meet Q8_K activations (one scale per 256), as llama.cpp
            for (int t = 0; t < n; t++) {
                if (kType) KQuants.quantizeQ8K(x, t * cols, cols, q, 0, qd, 0, new int[cols / 16], 0);
                else if (c.w.usesQ8Activations()) QuantKernels.quantizeQ8(x, t * cols, cols, q, 0, qd, 0);
                for (int row = 0; row < rows; row++) {
                    double exact = 0, viaQ8 = 0, bound = 0, mag = 0;
                    for (int i = 0; i < cols; i++) {
                        double w = c.dense[row * cols + i];
                        double xi = x[t * cols + i];
                        exact += w * xi;
                        mag += Math.abs(w * xi);
                        if (c.w.usesQ8Activations()) {
                            double d = Math.abs(qd[i / group]);
                            viaQ8 += w * q[i] * (double) qd[i / group];
                            bound += Math.abs(w) * (d * 0.5 * (1 + 0x1p-10) + Math.abs(xi) * 0x1p-10);
                        }
                    }
                    float got = out[t * rows + row];
                    double sumErr = 1e-5 * mag + 1e-6; // float accumulation over a few hundred terms
                    if (c.w.usesQ8Activations()) {
                        assertEquals(viaQ8, got, sumErr, type + " n=" + n + " t=" + t + " row=" + row + " (own quantization)");
                        assertEquals(exact, got, bound + sumErr, type + " n=" + n + " t=" + t + " row=" + row + " (vs float x)");
                    } else {
                        assertEquals(exact, got, sumErr, type + " n=" + n + " t=" + t + " row=" + row);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0", "F32"})
    void sharedInputMultiplyEqualsSeparateOnes(GgmlType type) {
        int cols = 128;
        Case a = random(type, 50, cols, 1), b = random(type, 13, cols, 2);
        Matmul mm = new Matmul(POOL);
        int n = 6;
        float[] x = new float[n * cols];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] oa = new float[n * 50], ob = new float[n * 13], sa = new float[n * 50], sb = new float[n * 13];
        mm.multiply(x, n, new WeightMatrix[] {a.w, b.w}, new float[][] {oa, ob});
        mm.multiply(x, n, a.w, sa);
        mm.multiply(x, n, b.w, sb);
        assertTrue(java.util.Arrays.equals(oa, sa) && java.util.Arrays.equals(ob, sb));
    }
}
