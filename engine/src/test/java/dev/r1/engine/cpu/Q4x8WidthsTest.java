package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The repacked Q4_0 kernels at every width and activation form a machine may pick, whatever this machine picks:
 * {@link Q4x8}'s width ({@link VectorWidths#REPACK}) and {@link Q4x8#SPREAD} are fixed when the class loads, so
 * each combination runs {@link MatmulTest}'s repacked-Q4_0 cases (ggml's float order exactly, the row-major
 * kernels, groups split by chunks and paired across matrices) in a JVM of its own. Every machine takes the
 * broadcast form (AVX2 machines took the spread one until session 22), at 256 bits on AVX2 and 512 on AVX-512;
 * both forms are checked at every width (512 only where the hardware has it: nothing raises the JVM's width).
 */
class Q4x8WidthsTest {

    @ParameterizedTest(name = "{0} bits, spread={1}")
    @CsvSource({"128, true", "128, false", "256, true", "256, false", "512, true", "512, false"})
    void repackedKernelsAgreeWithGgmlOrderAtEveryWidth(int bits, boolean spread) throws Exception {
        int hw = VectorShape.preferredShape().vectorBitSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(bits <= hw, bits + " bits: this machine's vectors are " + hw);
        ForkedJvm.Result run = ForkedJvm.run(Q4x8WidthsTest.class, List.of("-Dr1.cpu.repackBits=" + bits, "-Dr1.cpu.q4spread=" + spread));
        String out = run.text();
        assertEquals(0, run.exit(), out);
        // IQ4_NL: a byte a value at 128 bits, 4 bits looked up by byte shuffles at 256 (AVX2), by vpermw at 512
        String nl = bits == 512 ? "nibbles" : bits == 256 ? "shuffle" : "bytes";
        assertTrue(out.contains("R=" + bits / 32 + " spread=" + spread + " q41nibbles=" + (bits >= 256) + " iq4nl=" + nl + " ok"), out);
    }

    /**
     * Q4_1 and Q8_0 in ggml's AMX order ({@link Q8x8#Q41_AMX}, {@link Q8x8#Q8_AMX}: what AMX machines run, and no CI
     * machine need have) through whole multiplies at 256 and 512 bits: {@link MatmulTest}'s cases in a JVM told to take that order.
     */
    @ParameterizedTest(name = "{0} bits")
    @CsvSource({"256", "512"})
    void amxOrderAtEveryWidth(int bits) throws Exception {
        int hw = VectorShape.preferredShape().vectorBitSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(bits <= hw, bits + " bits: this machine's vectors are " + hw);
        ForkedJvm.Result run = ForkedJvm.run(Q4x8WidthsTest.class, List.of("-Dr1.cpu.repackBits=" + bits, "-Dr1.cpu.q41amx=true", "-Dr1.cpu.q8amx=true", "-Dr1.cpu.iq4xsamx=true"), "amx");
        String out = run.text();
        assertEquals(0, run.exit(), out);
        assertTrue(out.contains("R=" + bits / 32 + " q41amx=true q8amx=true iq4xsamx=true ok"), out);
    }

    /** The forked JVM: the cases, then the configuration they ran at. */
    public static void main(String[] args) {
        try {
            MatmulTest t = new MatmulTest();
            if (args.length > 0 && args[0].equals("amx")) { // amxOrderAtEveryWidth's fork
                t.amxKernelsAreGgmlsAmxOrder(dev.r1.models.tensor.GgmlType.Q4_1);
                t.amxKernelsAreGgmlsAmxOrder(dev.r1.models.tensor.GgmlType.Q8_0);
                t.amxOrderThroughMatmul(dev.r1.models.tensor.GgmlType.Q4_1);
                t.amxOrderThroughMatmul(dev.r1.models.tensor.GgmlType.Q8_0);
                // Q4_1 and Q8_0 in the AMX order, Q5_0 (Q8_0's layout) and Q5_1 still in vec_dot's
                for (var type : new dev.r1.models.tensor.GgmlType[] {dev.r1.models.tensor.GgmlType.Q4_1, dev.r1.models.tensor.GgmlType.Q8_0,
                        dev.r1.models.tensor.GgmlType.Q5_0, dev.r1.models.tensor.GgmlType.Q5_1}) t.repackedByteTypesAreGgmlsFloatOrder(type);
                // IQ4_XS in the AMX order (IQ4XSx8.gemv2Amx at 512 bits, the byte layout's panel rows at 256); the grid types beside it in vec_dot's
                t.iq4xsInGgmlsAmxOrder();
                t.repackedIQ4_XSEqualsTheRowMajorKernel();
                if (IQ4XSx8.servesGrid(dev.r1.models.tensor.GgmlType.IQ3_S)) t.repackedGridTypesEqualTheRowMajorKernel(dev.r1.models.tensor.GgmlType.IQ3_S);
                System.out.println("R=" + Q8x8.R + " q41amx=" + Q8x8.Q41_AMX + " q8amx=" + Q8x8.Q8_AMX + " iq4xsamx=" + IQ4XSx8.AMX_ORDER + " ok");
                System.exit(0);
            }
            t.repackedQ4_0MatchesTheRowMajorKernelsAndFloat64();
            t.decodePairsGroupsAcrossMatrices();
            t.repackedGroupsSplitByChunksGiveTheSameRows();
            t.repackRefusesNonFiniteScales();
            // Q8_0 and Q5_0 a byte a value, Q4_1 in 4 bits (Q4x8's words, Q8x8.gemvMinNibbles), Q5_1 a byte a value (one token's
            // pairs spread at 256 bits, Q8x8.SPREAD_ONE / SPREAD41), and IQ4_NL (Q8x8.gemvSum's bytes
            // at 128 bits, gemvShuffle's / gemmShuffle2's at 256, gemvNibbles' at 512), at this width too
            if (Q8x8.fits(7 * Q8x8.R, 320)) {
                t.repackedByteTypesAreGgmlsFloatOrder(dev.r1.models.tensor.GgmlType.Q8_0);
                t.repackedByteTypesAreGgmlsFloatOrder(dev.r1.models.tensor.GgmlType.Q5_0);
                t.repackedByteTypesAreGgmlsFloatOrder(dev.r1.models.tensor.GgmlType.Q4_1);
                t.repackedByteTypesAreGgmlsFloatOrder(dev.r1.models.tensor.GgmlType.Q5_1);
                t.repackedByteTypesAreGgmlsFloatOrder(dev.r1.models.tensor.GgmlType.IQ4_NL);
            }
            String nl = Q8x8.NL_NIBBLES ? "nibbles" : Q8x8.NL_SHUFFLE ? "shuffle" : "bytes";
            System.out.println("R=" + Q4x8.R + " spread=" + Q4x8.SPREAD + " q41nibbles=" + Q8x8.Q41_NIBBLES + " iq4nl=" + nl + " ok");
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0); // MatmulTest's pool threads would keep the JVM up
    }
}
