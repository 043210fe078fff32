package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.Quantizers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The repacked kernels must be compiled by C2, not left behind by C1. A Vector API kernel is only fast once
 * C2 intrinsifies it; on the way C1 compiles it with every vector call inlined as plain Java, and a kernel
 * with many live vectors can exhaust C1's virtual registers ("COMPILE SKIPPED: out of virtual registers").
 * It then stays at tier 2, boxing every vector, ~100x slower, while every correctness test still passes —
 * which happened to kernels of about 2 000 bytecodes in sessions 7 and 10. This test runs
 * the repacked kernels of every type in a JVM of their own with {@code -XX:+PrintCompilation} and fails on
 * any skipped compile of an r1 CPU method, and unless each kernel that ran reached tier 4.
 */
class KernelsReachC2Test {

    @Test
    void everyRepackedKernelReachesC2() throws Exception {
        check(List.of("-XX:+PrintCompilation"));
    }

    /**
     * The repacked kernels at 256 bits, as every AVX2 machine runs them, also on a wider machine: there the
     * default run takes 512, and Q6Kx8's ggml-lanes kernel once reached C2 at 512 while at 256 it never left
     * the interpreter (same bytecode, more live vectors for C1).
     */
    @Test
    void everyRepackedKernelReachesC2At256Bits() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(VectorWidths.REPACK.vectorBitSize() > 256,
                "the default run already takes " + VectorWidths.REPACK.vectorBitSize() + " bits");
        check(List.of("-XX:+PrintCompilation", "-Dr1.cpu.repackBits=256"));
    }

    /**
     * The kernels of ggml's AMX order ({@link Q8x8#Q41_AMX}, {@link Q8x8#Q8_AMX}, {@link IQ4XSx8#AMX_ORDER}: AMX machines take
     * it, and CI pins another library), the Q4_1, Q8_0 and IQ4_XS cases alone: their four-group one-token kernels are the largest of their families
     * (Q8_0's, written out, made C1 run out of virtual registers).
     */
    @Test
    void ggmlAmxOrderKernelsReachC2() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Q8x8.Q41_NIBBLES, "Q4_1 is not kept in 4 bits at this width");
        check(List.of("-XX:+PrintCompilation", "-Dr1.cpu.q41amx=true", "-Dr1.cpu.q8amx=true", "-Dr1.cpu.iq4xsamx=true"), "Q4_1", "Q8_0", "IQ4_XS");
    }

    /**
     * With the launcher's C2 options ({@code native/jit.options} and the directives file it names), C2 inlines
     * {@code Q6Kx8.offsets2} into the two-stream Q6_K kernel that ran (Q6Kx6 on 512-bit machines, Q6Kx8 elsewhere), and
     * C1 still compiles every kernel (the directive is C2's alone; CompileCommand=inline made C1 run out of registers).
     * Called instead, the offsets went through a scratch array and left some processes decoding 1.7x slower than others
     * (docs/BENCHMARKS.md session 33). Fails on a file the JVM cannot find or parse, too: the fork does not start.
     */
    @Test
    void theLaunchersOptionsInlineTheQ6KOffsetsInC2Only() throws Exception {
        // the compile log in a file of its own: printed, C2's inlining trees interleave with the fork's output mid-line.
        // Under CI's load C2 sometimes had not compiled the Q6_K kernel yet when the fork ended: up to three forks.
        for (int attempt = 1; ; attempt++) {
            java.nio.file.Path log = java.nio.file.Files.createTempFile("r1-c2-", ".log"); // kept when the test fails
            List<String> flags = new ArrayList<>(ForkedJvm.jitOptions());
            flags.addAll(List.of("-XX:+PrintCompilation", "-XX:+LogCompilation", "-XX:LogFile=" + log));
            ForkedJvm.Result run = ForkedJvm.run(KernelsReachC2Test.class, flags);
            assertTrue(run.exit() == 0, "kernel warm-up failed:\n" + run.tail(30));
            List<String> skipped = run.lines().stream().filter(l -> l.contains("COMPILE SKIPPED") && l.contains("dev.r1.engine.cpu.")).toList();
            assertTrue(skipped.isEmpty(), "compiles skipped (the method runs boxed):\n" + String.join("\n", skipped));
            List<String> lines = java.nio.file.Files.readAllLines(log);
            boolean compiled = lines.stream().anyMatch(l -> l.startsWith("<task ") && !l.contains(" level='")
                    && (l.contains("Q6Kx6 half2 ") || l.contains("Q6Kx8 ggmlHalf2 ")));
            if (!compiled && attempt < 3) continue; // C2 had not reached the kernel: not what this test asks
            assertTrue(compiled, "C2 compiled no two-stream Q6_K kernel in three forks (log " + log + ")");
            assertTrue(c2InlinedByDirective(lines, "offsets2"), "no C2 compile inlined Q6Kx8::offsets2 by the directive (log " + log + ")");
            java.nio.file.Files.deleteIfExists(log);
            return;
        }
    }

    /** Whether a C2 task of the compile log (no {@code level}: tier 4) inlined a method named {@code name} by directive. */
    private static boolean c2InlinedByDirective(List<String> log, String name) {
        boolean c2 = false;
        Set<String> ids = new TreeSet<>();
        String call = null;
        for (String l : log) {
            if (l.startsWith("<task ")) {
                c2 = !l.contains(" level='");
                ids.clear();
            } else if (c2 && l.startsWith("<method ") && l.contains(" name='" + name + "'")) {
                int i = l.indexOf(" id='") + 5;
                ids.add(l.substring(i, l.indexOf('\'', i)));
            } else if (c2 && l.startsWith("<call ")) {
                int i = l.indexOf(" method='") + 9;
                call = l.substring(i, l.indexOf('\'', i));
            } else if (c2 && l.startsWith("<inline_success") && l.contains("force inline by CompileCommand") && ids.contains(call)) {
                return true;
            }
        }
        return false;
    }

    private static void check(List<String> flags, String... types) throws Exception {
        ForkedJvm.Result run = ForkedJvm.run(KernelsReachC2Test.class, flags, types);
        assertTrue(run.exit() == 0, "kernel warm-up failed:\n" + run.tail(30));
        List<String> lines = run.lines();
        Set<String> ran = new TreeSet<>(), c2 = new TreeSet<>();
        List<String> skipped = new ArrayList<>();
        for (String l : lines) {
            if (l.startsWith("RAN ")) ran.add(l.substring(4));
            if (!l.contains("dev.r1.engine.cpu.")) continue;
            // "concurrent class loading": a class loaded while it compiled invalidated the result, and the JIT compiles
            // the method again (seen once in CI, on Parallel::run at tier 3); the C2 check below still applies
            if (l.contains("COMPILE SKIPPED") && !l.contains("concurrent class loading")) skipped.add(l.trim());
            // "  time  id  flags  level  class::method (size)": level 4 is C2
            String[] f = l.trim().split("\\s+");
            for (int i = 2; i + 1 < f.length; i++) {
                if (f[i].equals("4") && f[i + 1].startsWith("dev.r1.engine.cpu.")) c2.add(f[i + 1]);
            }
        }
        assertTrue(skipped.isEmpty(), "compiles skipped (the method runs boxed):\n" + String.join("\n", skipped));
        assertTrue(!ran.isEmpty(), "no repacked kernel ran with " + flags);
        for (String k : ran) assertTrue(c2.contains(k), k + " never reached C2 (tier 4); C2 compiled: " + c2);
    }

    /** The kernels each path calls, by the kernel family of the matrix and the token count. */
    private static List<String> kernels(WeightMatrix.Kernel k, int n) {
        return switch (k) {
            // a prompt of five: one four-token call and the lone last token at 512 bits, two pairs and it elsewhere
            case Q4_0_X8 -> n == 1 ? List.of("Q4x8::gemv2") : List.of(Q4x8.GEMM4 ? "Q4x8::gemm4" : "Q4x8::gemm2", "Q4x8::gemv");
            // 512 bits: the mins per super-block inside gemv2 (Q4Kx8.mins, which C2 may inline); 256: a pass after it
            case Q4_K_X8 -> n == 1 ? (Q4Kx8.NESTED ? List.of("Q4Kx8::gemv2") : List.of("Q4Kx8::gemv2", "Q4Kx8::subtractMins"))
                    : List.of(Q4Kx8.GEMM4 ? "Q4Kx8::gemm4Fine" : "Q4Kx8::gemm2Fine", "Q4Kx8::gemv");
            case Q6_K_X6 -> n == 1 ? List.of("Q6Kx6::half2", "Q6Kx8::offsets2") : List.of("Q6Kx6::half");
            // IQ4_XS in ggml's AMX order (IQ4XSx8.AMX_ORDER) in the byte layout: every count through the panel rows
            case IQ4_XS_X8B -> IQ4XSx8.AMX_ORDER ? List.of("Q6Kx8::panel")
                    : n == 1 && Q6Kx8.STRIDE == 1 ? List.of("Q6Kx8::ggmlHalf2", "Q6Kx8::offsets2") : List.of("Q6Kx8::ggmlHalf");
            case Q6_K_X8_GGML, Q3_K_X8 -> n == 1 && Q6Kx8.STRIDE == 1 ? List.of("Q6Kx8::ggmlHalf2", "Q6Kx8::offsets2") : List.of("Q6Kx8::ggmlHalf");
            case Q5_K_X8 -> n == 1 ? List.of("Q5Kx8::half2", "Q5Kx8::mins2") : List.of("Q5Kx8::half");
            // the head: one token four groups a call at 512 bits (Q6Kx8.FOUR), two elsewhere
            case Q6_K_X8 -> n == 1 ? List.of(Q6Kx8.FOUR ? "Q6Kx8::gemv4" : "Q6Kx8::gemv2") : List.of("Q6Kx8::gemm2", "Q6Kx8::gemv");
            // one token at 256 bits: its pairs spread (Q8x8.SPREAD_ONE, SPREAD41)
            case Q8_0_X8 -> Q8x8.Q8_AMX ? List.of(n == 1 ? "Q8x8::gemvAmx4" : "Q8x8::gemvAmx") // this test's Q8_0_X8 is Q8_0's
                    : List.of(n == 1 && Q8x8.SPREAD_ONE ? "Q8x8::gemvSpread" : "Q8x8::gemv");
            case Q8_1_X8 -> List.of(n == 1 && Q8x8.SPREAD_ONE ? "Q8x8::gemvMinSpread" : "Q8x8::gemvMin");
            // ggml's AMX order (Q8x8.Q41_AMX): one token four groups a call (the share's four of this test's one worker)
            case Q4_1_X4 -> Q8x8.Q41_AMX ? List.of(n == 1 ? "Q8x8::gemvMinNibblesAmx4" : "Q8x8::gemvMinNibblesAmx")
                    : List.of(n == 1 && Q8x8.SPREAD41 ? "Q8x8::gemvMinNibblesSpread" : "Q8x8::gemvMinNibbles");
            case Q3_K_X4 -> n == 1 ? List.of("Q3Kx4::half2") : List.of("Q3Kx4::gemv");
            case Q2_K_X4 -> List.of("Q2Kx4::gemv");
            case IQ4_XS_X8 -> IQ4XSx8.AMX_ORDER ? (n == 1 ? List.of("IQ4XSx8::half2") : List.of("IQ4XSx8::panelNibbles4", "IQ4XSx8::panelNibbles"))
                    : List.of(n == 1 ? "IQ4XSx8::half2" : "IQ4XSx8::gemvNibbles");
            case IQ4_NL_X8 -> Q8x8.NL_NIBBLES ? List.of(n == 1 ? "Q8x8::gemvNibbles2" : "Q8x8::gemvNibbles")
                    : Q8x8.NL_SHUFFLE ? (n == 1 ? List.of(Q8x8.NL_SPREAD ? "Q8x8::gemvShuffleSpread" : "Q8x8::gemvShuffle") : List.of("Q8x8::gemmShuffle2", "Q8x8::gemvShuffle"))
                    : List.of("Q8x8::gemvSum");
            // F16/BF16/F32 (HalfKernels, row-major): one token two rows a call (F16/BF16 four at 512 bits); a prompt tinyBLAS's tiles; sequences vec_dot
            case F16, BF16 -> n == 1 ? List.of(HalfKernels.FOUR ? "HalfKernels::dot4Wide" : "HalfKernels::dot2", "HalfKernels::dot")
                    : List.of("HalfKernels::widen4", "HalfKernels::gemm4x3");
            case F32 -> n == 1 ? List.of("HalfKernels::dot2F32", "HalfKernels::dotF32") : List.of("HalfKernels::gemm4x3");
            default -> List.of();
        };
    }

    /** The forked JVM: each repacked type (and F16, BF16; or those named) through decoding (one token) and a prompt (five), many times. */
    public static void main(String[] args) {
        int rows = 64, cols = 512;
        SplittableRandom r = new SplittableRandom(3);
        try (Parallel pool = new Parallel(1)) {
            Matmul mm = new Matmul(pool);
            float[] x = new float[5 * cols], out = new float[5 * rows];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            String[][] cases = {{"Q4_0", "w"}, {"Q4_K", "w"}, {"Q6_K", "w"}, {"Q6_K", "output.weight"}, {"Q5_K", "w"}, {"Q8_0", "w"}, {"Q5_1", "w"}, {"Q4_1", "w"}, {"IQ4_NL", "w"}, {"IQ4_XS", "w"}, {"Q3_K", "w"}, {"Q2_K", "w"},
                    {"F16", "w"}, {"BF16", "w"}, {"F32", "w"}};
            for (String[] c : cases) {
                if (args.length > 0 && !List.of(args).contains(c[0])) continue;
                // the compiler threads idle first, as between the engine's warm-up rounds: with C2's queue still long
                // (the big gemm kernels of the cases before), the tiered policy compiled the next kernel at C1's level
                // 2, its level-3 profile came too late, and C2 compiled the two-stream Q6_K kernel in no fork or only
                // on stack (OSR, without the directive's inlining): seen in CI
                CpuBackend.awaitCompilerIdle();
                GgmlType type = GgmlType.valueOf(c[0]);
                float[] f = new float[rows * cols];
                for (int i = 0; i < f.length; i++) f[i] = (float) r.nextGaussian();
                byte[] bytes = Quantizers.quantize(Quantizers.forId(type.id()), c[1], f, rows, cols);
                MemorySegment seg = Arena.global().allocate(bytes.length, 64);
                seg.copyFrom(MemorySegment.ofArray(bytes));
                WeightMatrix w = CpuBackend.prepare(c[1], type, rows, cols, seg, Arena.global(), pool);
                boolean half = type == GgmlType.F16 || type == GgmlType.BF16 || type == GgmlType.F32; // read in place, never repacked
                if (w.packed() == null && !half) continue; // not repacked at this vector width
                // enough calls for tier 3, then tier 4, of the kernels and of their loops (more for a type run alone:
                // C1 takes ~0.8 s over the four-group Q4_1 kernel, and the fork is short)
                for (int i = 0; i < (args.length > 0 ? 20_000 : 3_000); i++) mm.multiply(x, 1, w, out);
                for (int i = 0; i < 600; i++) mm.multiply(x, 5, w, out);
                // five sequences decoded in one step (Q4_K: the gemv grain for every row)
                for (int i = 0; i < 600; i++) mm.multiply(x, 5, new WeightMatrix[] {w}, new float[][] {out}, true);
                if (w.kernel() == WeightMatrix.Kernel.Q4_K_X8) System.out.println("RAN dev.r1.engine.cpu.Q4Kx8::gemm2");
                for (int n : new int[] {1, 5}) {
                    for (String k : kernels(w.kernel(), n)) System.out.println("RAN dev.r1.engine.cpu." + k);
                }
            }
        }
        try {
            Thread.sleep(1000); // compiles still queued on a busy machine start (and print) meanwhile
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
