package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The repacked Q5_K kernels with both forms of shift count ({@link Q5Kx8#IMM}: immediates only where every int vector
 * is 256 bits, as on AVX2 machines), each in a JVM of its own since the form is fixed when the class loads:
 * {@link MatmulTest}'s repacked-Q5_K case (bit for bit against the row-major kernel in ggml's order), so an AVX-512
 * machine checks the AVX2 machines' form too.
 */
class Q5KWidthsTest {

    @ParameterizedTest(name = "vectors {0} bits, repacked {1}: immediates {2}")
    @CsvSource({"256, 256, true", "256, 512, false", "512, 512, false"})
    void repackedQ5_KKernelsFollowGgmlsOrderWithEitherShiftForm(int bits, int repackBits, boolean imm) throws Exception {
        int hw = VectorShape.preferredShape().vectorBitSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(repackBits <= hw, repackBits + " bits: this machine's vectors are " + hw);
        ForkedJvm.Result run = ForkedJvm.run(Q5KWidthsTest.class, List.of("-Dr1.cpu.vectorBits=" + bits, "-Dr1.cpu.repackBits=" + repackBits));
        String out = run.text();
        assertEquals(0, run.exit(), out);
        assertTrue(out.contains("R=" + repackBits / 32 + " imm=" + imm + " ok"), out);
    }

    /** The forked JVM: the case, then the configuration it ran at. */
    public static void main(String[] args) {
        try {
            new MatmulTest().repackedQ5_KEqualsTheRowMajorKernel();
            System.out.println("R=" + Q5Kx8.R + " imm=" + Q5Kx8.IMM + " ok");
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0); // MatmulTest's pool threads would keep the JVM up
    }
}
