package dev.r1.quantize;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Byte identity again, but after the JIT has compiled the quantizers with C2: the Vector API code runs
 * interpreted or intrinsified depending on warm-up, and a mis-compiled mask once showed up only after
 * a few hundred calls. So this loops long enough for C2 and compares every call against ggml.
 */
class WarmByteIdentityTest {

    @Test
    void identicalAfterWarmUp() {
        Map<String, Integer> mismatches = new TreeMap<>();
        int n = 512;
        for (int iter = 0; iter < 1500; iter++) {
            TestData.Dist d = TestData.DISTRIBUTIONS.get(iter % TestData.DISTRIBUTIONS.size());
            float[] x = TestData.random(d, 1000 + iter, 2 * n);
            for (RowQuantizer q : Quantizers.ALL) {
                if (q.blockSize() == 1 && iter % 10 != 0) continue;
                byte[] want = GgmlReference.quantize(q.ggmlTypeId(), x, 2, n, q.rowBytes(n));
                if (Arrays.mismatch(want, Quantizers.quantize(q, "warm", x, 2, n)) >= 0) {
                    mismatches.merge(q.typeName() + " " + d, 1, Integer::sum);
                }
            }
            if (iter % 100 == 99) {
                for (TestData.Case c : TestData.hardCases(n)) {
                    for (RowQuantizer q : Quantizers.ALL) {
                        byte[] want = GgmlReference.quantize(q.ggmlTypeId(), c.row(), 1, n, q.rowBytes(n));
                        if (Arrays.mismatch(want, Quantizers.quantize(q, c.name(), c.row(), 1, n)) >= 0) {
                            mismatches.merge(q.typeName() + " " + c, 1, Integer::sum);
                        }
                    }
                }
            }
        }
        assertEquals(Map.of(), mismatches, "rows differing from ggml after warm-up (type, data: count)");
    }
}
