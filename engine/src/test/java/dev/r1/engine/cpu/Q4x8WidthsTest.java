package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The repacked Q4_0 kernels at every width and activation form a machine may pick, whatever this machine picks:
 * {@link Q4x8}'s width ({@link VectorWidths#REPACK}) and {@link Q4x8#SPREAD} are fixed when the class loads, so
 * each combination runs {@link MatmulTest}'s repacked-Q4_0 cases (ggml's float order exactly, the row-major
 * kernels, groups split by chunks and paired across matrices) in a JVM of its own. An AVX2 machine takes the
 * 256-bit spread form, an AVX-512 machine the 512-bit broadcast form; both are checked on either (512 only
 * where the hardware has it: nothing raises the JVM's width).
 */
class Q4x8WidthsTest {

    @ParameterizedTest(name = "{0} bits, spread={1}")
    @CsvSource({"128, true", "128, false", "256, true", "256, false", "512, true", "512, false"})
    void repackedKernelsAgreeWithGgmlOrderAtEveryWidth(int bits, boolean spread) throws Exception {
        int hw = VectorShape.preferredShape().vectorBitSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(bits <= hw, bits + " bits: this machine's vectors are " + hw);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dr1.cpu.repackBits=" + bits, "-Dr1.cpu.q4spread=" + spread,
                "-cp", System.getProperty("java.class.path"), Q4x8WidthsTest.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the cases did not end");
        String out = String.join("\n", lines);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("R=" + bits / 32 + " spread=" + spread + " ok"), out);
    }

    /** The forked JVM: the cases, then the configuration they ran at. */
    public static void main(String[] args) {
        try {
            MatmulTest t = new MatmulTest();
            t.repackedQ4_0MatchesTheRowMajorKernelsAndFloat64();
            t.decodePairsGroupsAcrossMatrices();
            t.repackedGroupsSplitByChunksGiveTheSameRows();
            t.repackRefusesNonFiniteScales();
            System.out.println("R=" + Q4x8.R + " spread=" + Q4x8.SPREAD + " ok");
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0); // MatmulTest's pool threads would keep the JVM up
    }
}
