package dev.r1.engine.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The float dot products must give the same bits at every JIT tier: checked against a plain scalar
 * restatement of their order (per-lane fma accumulators, halves folded), which the interpreter and C2 run
 * alike. With {@code reduceLanes(ADD)} the C2-compiled kernel disagreed with this in about one sum in eight.
 */
class FloatKernelsTest {
    static final int L = FloatKernels.L;

    /** The kernels' order written out lane by lane. */
    static float reference(float[] a, float[] b, int n) {
        float[] acc0 = new float[L], acc1 = new float[L];
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            for (int j = 0; j < L; j++) {
                acc0[j] = Math.fma(a[i + j], b[i + j], acc0[j]);
                acc1[j] = Math.fma(a[i + L + j], b[i + L + j], acc1[j]);
            }
        }
        for (; i <= n - L; i += L) for (int j = 0; j < L; j++) acc0[j] = Math.fma(a[i + j], b[i + j], acc0[j]);
        float[] t = new float[L];
        for (int j = 0; j < L; j++) t[j] = acc0[j] + acc1[j];
        for (int len = L; len > 2; len /= 2) for (int j = 0; j < len / 2; j++) t[j] = t[j] + t[j + len / 2];
        float s = L == 1 ? t[0] : t[0] + t[1];
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void dotIsItsFixedOrderBitForBit() {
        Random r = new Random(7);
        for (int n : new int[] {1, L - 1, L, L + 3, 2 * L, 3 * L + 1, 64, 256, 1536, 4099}) {
            for (int rep = 0; rep < 400; rep++) {
                float[] a = new float[n], b = new float[n];
                for (int i = 0; i < n; i++) {
                    // mixed magnitudes, so a different summation order shows in the last bits
                    a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(6) - 2));
                    b[i] = (float) r.nextGaussian();
                }
                float want = reference(a, b, n);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(FloatKernels.dot(a, 0, b, 0, n)), "array dot, n=" + n);
            }
        }
    }

    @Test
    void eightLanesSumAsGgmlsHsumFloat8() {
        org.junit.jupiter.api.Assumptions.assumeTrue(L == 8, "256-bit float vectors only");
        float[] x = {1e8f, 1f, -1e8f, 1f, 3f, 1e-3f, 7e7f, -7e7f}; // sequential order gives 8, this one 0
        float want = ((x[0] + x[4]) + (x[2] + x[6])) + ((x[1] + x[5]) + (x[3] + x[7]));
        assertEquals(want, FloatKernels.hsum(jdk.incubator.vector.FloatVector.fromArray(FloatKernels.F, x, 0)));
    }

    @Test
    void everyWidthFoldsHalves() {
        // the row-major Q4_0 kernels call hsum on their own species, which can be narrower than FloatKernels'
        Random r = new Random(3);
        for (var sp : java.util.List.of(jdk.incubator.vector.FloatVector.SPECIES_64, jdk.incubator.vector.FloatVector.SPECIES_128,
                jdk.incubator.vector.FloatVector.SPECIES_256, jdk.incubator.vector.FloatVector.SPECIES_512)) {
            for (int rep = 0; rep < 200; rep++) {
                float[] x = new float[sp.length()];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
                float[] t = x.clone();
                for (int len = t.length; len > 2; len /= 2) for (int j = 0; j < len / 2; j++) t[j] = t[j] + t[j + len / 2];
                float want = t[0] + t[1];
                assertEquals(Float.floatToRawIntBits(want),
                        Float.floatToRawIntBits(FloatKernels.hsum(jdk.incubator.vector.FloatVector.fromArray(sp, x, 0))), sp.toString());
            }
        }
    }
}
