package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The repacked Q6_K kernels (ggml's lanes for every matrix but the head, one sum for the head), Q3_K in its 4-bit and
 * byte layouts, IQ4_XS in that byte layout at 256 bits and Q2_K in 2 bits, at both widths they run at and both activation forms, as {@link Q4KWidthsTest} does for Q4_K:
 * {@link Q6Kx8#SPREAD} and the width are fixed when the class loads, so each combination runs {@link MatmulTest}'s
 * repacked-Q6_K, -Q3_K and -Q2_K cases in a JVM of its own. AVX2 machines run the 256-bit broadcast form (the spread
 * one until session 22) and, since then, Q2_K/Q3_K in 2/4 bits, which an AVX-512 machine would otherwise never check.
 * Q6_K in 6 bits ({@link Q6Kx6}, by default at 512 bits only) is asked for at both widths, beside the byte layout
 * MatmulTest checks too; with spread activations it stays off.
 */
class Q6KWidthsTest {

    @ParameterizedTest(name = "{0} bits, spread={1}")
    @CsvSource({"256, true", "256, false", "512, true", "512, false"})
    void repackedQ6_KKernelsFollowGgmlsOrderAtEveryWidth(int bits, boolean spread) throws Exception {
        int hw = VectorShape.preferredShape().vectorBitSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(bits <= hw, bits + " bits: this machine's vectors are " + hw);
        ForkedJvm.Result run = ForkedJvm.run(Q6KWidthsTest.class, List.of("-Dr1.cpu.repackBits=" + bits, "-Dr1.cpu.q6kspread=" + spread, "-Dr1.cpu.q6k6=true"));
        String out = run.text();
        assertEquals(0, run.exit(), out);
        assertTrue(out.contains("R=" + bits / 32 + " spread=" + spread + " ok"), out);
    }

    /** The forked JVM: the cases, then the configuration they ran at. */
    public static void main(String[] args) {
        try {
            if (!Q6Kx8.fits(Q6Kx8.R, 256)) throw new AssertionError("Q6_K is not repacked at " + VectorWidths.describe());
            MatmulTest t = new MatmulTest();
            t.repackedQ6_KEqualsTheRowMajorKernel();
            t.repackedQ3_KEqualsTheRowMajorKernel();
            t.repackedIQ4_XSEqualsTheRowMajorKernel(); // at 256 bits in this layout (Q6Kx8.repackIQ4XS)
            if (!Q2Kx4.ENABLED || !Q3Kx4.ENABLED) throw new AssertionError("Q2_K/Q3_K are not in 2/4 bits at " + VectorWidths.describe());
            t.repackedQ2_KEqualsTheRowMajorKernel();
            if (Q6Kx6.ENABLED == Q6Kx8.SPREAD) throw new AssertionError("Q6_K in 6 bits " + (Q6Kx6.ENABLED ? "on" : "off") + " with spread=" + Q6Kx8.SPREAD);
            System.out.println("R=" + Q6Kx8.R + " spread=" + Q6Kx8.SPREAD + " ok");
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0); // MatmulTest's pool threads would keep the JVM up
    }
}
