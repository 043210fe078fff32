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
