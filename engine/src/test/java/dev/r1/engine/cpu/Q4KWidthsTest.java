package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The repacked Q4_K kernels at every width and activation form a machine may pick, as {@link Q4x8WidthsTest}
 * does for Q4_0: {@link Q4Kx8}'s width ({@link VectorWidths#REPACK}) and {@link Q4Kx8#SPREAD} are fixed when
 * the class loads, so each combination runs {@link MatmulTest}'s repacked-Q4_K cases in a JVM of its own:
 * decoding ({@code gemv2} with its per-super-block {@code mins}, {@code gemv}), pairs of tokens in ggml's gemv and gemm grains
 * ({@code gemm2}, {@code gemm2Fine}) and one token beside another kernel, each row bit for bit ggml's float
 * order written out in scalar code; groups split by chunks and paired across matrices. An AVX2 machine takes
 * the 256-bit broadcast form with {@link Q4Kx8#gemv2}'s single loop (the spread form until session 22), an
 * AVX-512 machine the 512-bit broadcast form with its nested loops; the forms are checked at every width (512 only
 * where the hardware has it).
 */
class Q4KWidthsTest {

    @ParameterizedTest(name = "{0} bits, spread={1}, nested={2}")
    @CsvSource({"128, true, false", "128, false, true", "256, true, false", "256, false, true", "512, true, false", "512, false, true"})
    void repackedQ4_KKernelsFollowGgmlsOrderAtEveryWidth(int bits, boolean spread, boolean nested) throws Exception {
        int hw = VectorShape.preferredShape().vectorBitSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(bits <= hw, bits + " bits: this machine's vectors are " + hw);
        ForkedJvm.Result run = ForkedJvm.run(Q4KWidthsTest.class, List.of("-Dr1.cpu.repackBits=" + bits, "-Dr1.cpu.q4kspread=" + spread,
                "-Dr1.cpu.q4knested=" + nested));
        String out = run.text();
        assertEquals(0, run.exit(), out);
        assertTrue(out.contains("R=" + bits / 32 + " spread=" + spread + " nested=" + nested + " ok"), out);
    }

    /** The forked JVM: the cases, then the configuration they ran at. */
    public static void main(String[] args) {
        try {
            if (!Q4Kx8.fits(Q4Kx8.R, 256)) throw new AssertionError("Q4_K is not repacked at " + VectorWidths.describe());
            MatmulTest t = new MatmulTest();
            t.repackedQ4_KFollowsGgmlsGrainsPerToken();
            t.repackedQ4_KDecodePairsAndNonFiniteScales();
            t.repackedQ4_KBesideAnotherKernelInOneMultiply();
            System.out.println("R=" + Q4Kx8.R + " spread=" + Q4Kx8.SPREAD + " nested=" + Q4Kx8.NESTED + " ok");
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0); // MatmulTest's pool threads would keep the JVM up
    }
}
