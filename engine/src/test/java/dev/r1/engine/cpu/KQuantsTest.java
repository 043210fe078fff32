package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * K-quant rows against Q8_K activations. The integer work is exact, so the kernel must equal the float64
 * dot of the dequantized weights with the dequantized activations (q * d) up to float rounding of the
 * per-super-block combination (1e-5 of sum |w x|); the activations themselves must lie within half a
 * step of the inputs.
 */
class KQuantsTest {

    /**
     * The vectorized Q8_K quantization gives the scalar reference's quants, scales and sums bit for bit, on blocks
     * chosen to break a careless one: the largest magnitude twice with opposite signs (the first sets the scale's
     * sign), at the last element, a block of zeros and of negative zeros, halves that round to even, tiny and
     * subnormal values, NaN and infinities (the scalar form's), and plain Gaussian blocks.
     */
    @Test
    void vectorizedQ8kQuantizationIsTheScalarReference() {
        int blocks = 15, cols = 256 * blocks;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        x[256 + 40] = -9f; x[256 + 200] = 9f;              // block 1: tie, negative first
        x[512 + 40] = 9f; x[512 + 200] = -9f;              // block 2: tie, positive first
        x[768 + 255] = -20f;                               // block 3: the maximum last
        java.util.Arrays.fill(x, 1024, 1280, 0f);          // block 4: zeros
        java.util.Arrays.fill(x, 1280, 1536, -0f);         // block 5: negative zeros
        for (int i = 0; i < 256; i++) x[1536 + i] = (i % 9 - 4) * 0.5f; // block 6: halves (max -2: scale 63.5)
        x[1536 + 3] = -2f;
        for (int i = 0; i < 256; i++) x[1792 + i] = (float) r.nextGaussian() * 1e-30f; // block 7: tiny
        for (int i = 0; i < 256; i++) x[2048 + i] = Float.MIN_VALUE * (i % 3); // block 8: subnormal maximum
        x[2304 + 7] = Float.NaN;                           // block 9: NaN
        x[2560 + 9] = Float.POSITIVE_INFINITY;             // block 10: infinity
        x[2816 + 9] = Float.NEGATIVE_INFINITY;             // block 11
        for (int i = 0; i < 256; i++) x[3072 + i] = 127f * (i - 128) / 128f; // block 12: exact steps
        // blocks 13, 14: Gaussian
        short[] q = new short[cols], qr = new short[cols];
        float[] d = new float[blocks], dr = new float[blocks];
        int[] bs = new int[16 * blocks], bsr = new int[16 * blocks];
        KQuants.quantizeQ8K(x, 0, cols, q, 0, d, 0, bs, 0);
        KQuants.quantizeQ8KScalar(x, 0, cols, qr, 0, dr, 0, bsr, 0);
        for (int b = 0; b < blocks; b++) {
            assertEquals(Float.floatToRawIntBits(dr[b]), Float.floatToRawIntBits(d[b]), "scale of block " + b);
            for (int i = 256 * b; i < 256 * b + 256; i++) assertEquals(qr[i], q[i], "quant " + i + " of block " + b);
            for (int g = 16 * b; g < 16 * b + 16; g++) assertEquals(bsr[g], bs[g], "sum " + g + " of block " + b);
        }
        // the first of a tie sets the scale, so it lands on -127 and its opposite on 127, in either order
        assertEquals(-127, q[256 + 40]);
        assertEquals(127, q[256 + 200]);
        assertEquals(-127, q[512 + 40]);
        assertEquals(127, q[512 + 200]);
    }

    @Test
    void q8kQuantizationIsWithinHalfAStepAndMapsTheExtremeToMinus127() {
        float[] x = MatmulTestData.acts(2, 512, 3);
        x[300] = -50f; // extreme negative element of block 1
        short[] q = new short[1024];
        float[] d = new float[4];
        int[] bs = new int[64];
        KQuants.quantizeQ8K(x, 0, 1024, q, 0, d, 0, bs, 0);
        assertEquals(-127, q[300]);
        for (int i = 0; i < 1024; i++) {
            float step = Math.abs(d[i / 256]);
            assertTrue(Math.abs(q[i] * d[i / 256] - x[i]) <= step / 2 * 1.0001f + 1e-6f, "element " + i);
            assertTrue(q[i] <= 127 && q[i] >= -127);
        }
        for (int g = 0; g < 64; g++) {
            int s = 0;
            for (int i = 0; i < 16; i++) s += q[16 * g + i];
            assertEquals(s, bs[g]);
        }
    }

    @Test
    void dotsEqualFloat64OfDequantizedOperands() {
        for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K}) {
            int rows = 7, cols = 768;
            try (Arena arena = Arena.ofConfined()) {
                WeightMatrix m = MatmulTestData.matrix(type, rows, cols, 11, arena);
                float[] x = MatmulTestData.acts(1, cols, 12);
                short[] q = new short[cols];
                float[] d = new float[cols / 256];
                int[] bs = new int[cols / 16];
                KQuants.quantizeQ8K(x, 0, cols, q, 0, d, 0, bs, 0);
                float[] w = new float[cols];
                for (int r = 0; r < rows; r++) {
                    m.row(r, w);
                    double ref = 0, abs = 0;
                    for (int i = 0; i < cols; i++) {
                        double a = (double) q[i] * d[i / 256];
                        ref += w[i] * a;
                        abs += Math.abs(w[i] * a);
                    }
                    float got = type == GgmlType.Q4_K
                            ? KQuants.dotQ4_K(m.data(), r * m.rowBytes(), cols / 256, q, 0, d, 0, bs, 0)
                            : KQuants.dotQ6_K(m.data(), r * m.rowBytes(), cols / 256, q, 0, d, 0, bs, 0);
                    assertEquals(ref, got, 1e-5 * abs + 1e-12, type + " row " + r);
                }
            }
        }
    }
}
