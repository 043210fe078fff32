package dev.r1.quantize;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our quantizers against ggml's {@code ggml_quantize_chunk} (the pinned libggml-base.so), byte for
 * byte: random rows from several distributions and lengths, and hand-made hard cases.
 */
class ByteIdentityTest {

    static Stream<Arguments> randomCases() {
        List<Arguments> args = new ArrayList<>();
        long seed = 1;
        for (RowQuantizer q : Quantizers.ALL) {
            int[] lengths = q.blockSize() == 256 ? new int[]{256, 512, 1536, 3584}
                    : q.blockSize() == 32 ? new int[]{32, 96, 1536, 3584} : new int[]{1, 7, 1536};
            for (TestData.Dist d : TestData.DISTRIBUTIONS) {
                for (int n : lengths) args.add(Arguments.of(q, d, n, seed++));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("randomCases")
    void randomRowsMatchGgml(RowQuantizer q, TestData.Dist dist, int n, long seed) {
        int rows = n >= 1536 ? 3 : 5;
        float[] x = TestData.random(dist, seed, rows * n);
        assertIdentical(q, dist + " n=" + n, x, rows, n);
    }

    static Stream<Arguments> hardCases() {
        List<Arguments> args = new ArrayList<>();
        for (RowQuantizer q : Quantizers.ALL) {
            for (TestData.Case c : TestData.hardCases(512)) args.add(Arguments.of(q, c));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("hardCases")
    void hardCasesMatchGgml(RowQuantizer q, TestData.Case c) {
        assertIdentical(q, c.name(), c.row(), 1, c.row().length);
    }

    /**
     * With an importance matrix (llama-quantize --imatrix): ggml's weighted quantizers. Column weights
     * spread over 4 decades as real activation statistics are, with a few zeros.
     */
    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("randomCases")
    void importanceWeightedRowsMatchGgml(RowQuantizer q, TestData.Dist dist, int n, long seed) {
        int rows = n >= 1536 ? 2 : 3;
        float[] x = TestData.random(dist, seed, rows * n);
        java.util.Random r = new java.util.Random(seed * 31);
        float[] im = new float[n];
        for (int i = 0; i < n; i++) im[i] = r.nextInt(50) == 0 ? 0f : (float) Math.exp(r.nextGaussian() * 2);
        byte[] expected = GgmlReference.quantize(q.ggmlTypeId(), x, rows, n, q.rowBytes(n), im);
        byte[] got = Quantizers.quantize(q, "imatrix", x, rows, n, im);
        int at = java.util.Arrays.mismatch(expected, got);
        assertEquals(-1, at, q.typeName() + " with imatrix " + dist + " n=" + n + ": first differing byte " + at
                + " (block " + (at / Math.max(1, q.typeSize())) + ")");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("hardCases")
    void importanceWeightedHardCasesMatchGgml(RowQuantizer q, TestData.Case c) {
        int n = c.row().length;
        float[] im = new float[n];
        for (int i = 0; i < n; i++) im[i] = 1f + (i % 7);
        byte[] expected = GgmlReference.quantize(q.ggmlTypeId(), c.row(), 1, n, q.rowBytes(n), im);
        assertEquals(-1, java.util.Arrays.mismatch(expected, Quantizers.quantize(q, c.name(), c.row(), 1, n, im)),
                q.typeName() + " with imatrix: " + c.name());
    }

    /** Many rows through the parallel path, and at an offset into the destination. */
    @Test
    void parallelRowsMatchGgml() {
        int rows = 96, n = 4096;
        for (RowQuantizer q : List.of(Q4_0Quantizer.INSTANCE, Q4_KQuantizer.INSTANCE)) {
            float[] x = TestData.random(TestData.DISTRIBUTIONS.get(1), 99, rows * n);
            byte[] expected = GgmlReference.quantize(q.ggmlTypeId(), x, rows, n, q.rowBytes(n));
            byte[] out = new byte[expected.length + 100];
            Quantizers.quantizeRows(q, "parallel", x, 0, rows, n, MemorySegment.ofArray(out), 100);
            byte[] got = java.util.Arrays.copyOfRange(out, 100, out.length);
            assertEquals(-1, java.util.Arrays.mismatch(expected, got), q.typeName() + ": parallel output differs from ggml");
        }
    }

    static void assertIdentical(RowQuantizer q, String what, float[] x, int rows, int n) {
        long rowBytes = q.rowBytes(n);
        byte[] expected = GgmlReference.quantize(q.ggmlTypeId(), x, rows, n, rowBytes);
        byte[] got = Quantizers.quantize(q, what, x, rows, n);
        int mismatch = java.util.Arrays.mismatch(expected, got);
        if (mismatch >= 0) {
            long blockBytes = q.typeSize();
            long block = mismatch / blockBytes;
            int from = (int) (block * blockBytes), to = (int) Math.min(expected.length, from + blockBytes);
            HexFormat hex = HexFormat.of();
            fail(q.typeName() + " " + what + ": first difference at byte " + mismatch + " (block " + block
                    + ", byte " + (mismatch - from) + " in it)\n ggml: "
                    + hex.formatHex(expected, from, to) + "\n ours: " + hex.formatHex(got, from, to));
        }
    }
}
