package dev.r1.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.cpu.ForkedJvm;
import dev.r1.engine.cpu.VectorWidths;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole CPU forward pass, once compiled, must not turn vectors into objects. When C2 cannot bind a
 * kernel's Vector API calls it boxes every vector: decoding then allocates hundreds of kilobytes per token
 * and runs 2-3x slower, while every correctness test passes. Whether it can depends on type profiles the
 * whole process shares (VectorWidths), so in a normal JVM it happens in some processes and not others.
 * Here ~12 000 decode steps of a tiny Q4_0 (and a Q8_0) model (repacked kernels, attention, norms, quantized
 * activations) run in a JVM of their own without tiers: the interpreter profiles every call the forward
 * pass makes, deterministically and more strictly than tiered compilation does, and the bytes all threads
 * allocate per decode step afterwards must stay small. Measured on Zen 4: 5.4 KB per step (the engine's
 * own per-step objects); 171-227 KB before the repacked kernels reinterpreted through their own species
 * ({@code reinterpretShape}) instead of {@code reinterpretAsShorts()}, whose target species C2 took from a
 * shared profile; 684 KB with the float kernels at 512 bits ({@code -Dr1.cpu.vectorBits=512}, passed on).
 */
class ForwardAllocationTest {
    @TempDir Path dir;

    /** Bytes per decode step above which something boxes. */
    static final long LIMIT = 32 * 1024;

    /**
     * Q4_0: the repacked kernels (Q4x8); Q8_0: Q8x8's (repacked a byte per value, since session 19); Q5_1: its
     * variant with offsets (Q8x8.gemvMin); IQ4_XS: IQ4XSx8 (two passes of bytes, or one of nibbles at 512 bits); Q3_K / Q2_K:
     * Q3Kx4 / Q2Kx4 at 512 bits (Q3_K: , else Q6Kx8's ggml lanes); Q6_K (ffn_down): Q6Kx6 at 512 bits, Q6Kx8's ggml lanes at 256; Q5_K (ffn_down): Q5Kx8 (immediate shift
     * counts where every int vector is 256 bits, Q5Kx8.IMM; with immediates at 512 bits this case allocated 749 KB a step); IQ4_NL: Q8x8's nibble kernels at 512 bits; Q8_0_HD128: Q8x8 beside attention's
     * full-width kernels for head size 128 (F16Math.scoresBlocked16 boxed in some compiles while it looped over
     * the head); F16: HalfKernels' row-major kernels (four rows a call at 512 bits; a first form that handed each row's
     * vector to a helper allocated 251 KB a step, the helper left un-inlined); Q4_1: Q8x8's 4-bit kernels in ggml's vec_dot
     * order, and Q4_1_AMX / Q8_0_AMX / IQ4_XS_AMX in its AMX order (four groups a call, IQ4_XS two; a first Q4_1 form that
     * left the block's tail to a helper C2 did not inline ran 1.5x slower); Q4_0_Q6KHEAD_HD128: the Q4_0 mix's Q6_K output
     * head (256 columns: the HD128 shape), four groups a call at 512 bits ({@code Q6Kx8.gemv4}).
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q8_0", "Q5_1", "IQ4_XS", "Q8_0_HD128", "Q3_K", "IQ4_NL", "Q2_K", "Q6_K", "Q5_K", "F16", "Q4_1", "Q4_1_AMX", "Q8_0_AMX", "IQ4_XS_AMX", "Q4_0_Q6KHEAD_HD128"})
    void compiledDecodeStepsAllocateAlmostNothing(String mix) throws Exception {
        GgmlType type = GgmlType.valueOf(mix.replace("_HD128", "").replace("_AMX", "").replace("_Q6KHEAD", ""));
        boolean q6kHead = mix.contains("_Q6KHEAD"); // the output head in Q6_K (Q6Kx8.gemv4 at 512 bits): 256 columns, the HD128 shape's
        Path gguf = dir.resolve("tiny-" + mix + ".gguf");
        ModelConfig cfg = Presets.get("tiny-qwen2");
        if (mix.endsWith("_HD128")) { // two query heads of 128 on one kv head: the distills' head size
            cfg = new ModelConfig(cfg.arch(), 256, cfg.layers(), 2, 1, 128, cfg.ffn(), cfg.vocab(), cfg.contextLength(),
                    cfg.ropeTheta(), cfg.rmsEps(), cfg.qkvBias(), cfg.tiedEmbeddings(), cfg.ropeScaling());
        }
        // IQ4_XS / Q3_K rows are 256-multiples: the tiny model's ffn_down (256 columns) takes them, the rest Q8_0
        SyntheticModel.write(gguf, true, cfg, "tiny-qwen2", 77, s -> s.isVector() ? GgmlType.F32
                        : q6kHead && s.name().equals("output.weight") ? GgmlType.Q6_K
                        : (type == GgmlType.IQ4_XS || type == GgmlType.Q3_K || type == GgmlType.Q2_K || type == GgmlType.Q6_K
                        || type == GgmlType.Q5_K) && !s.name().endsWith("ffn_down.weight") ? GgmlType.Q8_0 : type,
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
        List<String> flags = new ArrayList<>(List.of("-XX:-TieredCompilation"));
        flags.addAll(dev.r1.engine.cpu.ForkedJvm.jitOptions()); // as the launcher runs the engine
        String bits = System.getProperty("r1.cpu.vectorBits"); // the width this JVM's kernels run at, when set
        if (bits != null) flags.add("-Dr1.cpu.vectorBits=" + bits);
        if (mix.endsWith("_AMX")) flags.addAll(List.of("-Dr1.cpu.q41amx=true", "-Dr1.cpu.q8amx=true", "-Dr1.cpu.iq4xsamx=true")); // ggml's AMX order, whatever this machine's
        ForkedJvm.Result run = ForkedJvm.run(ForwardAllocationTest.class, flags, gguf.toString());
        String out = run.text();
        System.out.println(out);
        assertEquals(0, run.exit(), out);
        Matcher m = Pattern.compile("bytes per decode step: (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        long bytes = Long.parseLong(m.group(1));
        assertTrue(bytes < LIMIT, type + ": " + bytes + " bytes allocated per decode step at " + VectorWidths.describe()
                + ": compiled kernels box their vectors\n" + out);
    }

    /** The forked JVM: the whole forward pass warmed up past C2's threshold, then a decode step's allocation. */
    public static void main(String[] args) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] prompt = {11, 42, 7, 300, 5, 99, 123, 64, 17, 250, 3, 480, 77};
        try (Model model = Engines.load("java", Path.of(args[0]), 2);
             Session s = model.newSession(new SessionOptions(2, 128, 8))) {
            long[] perStep = new long[2];
            for (int phase = 0; phase < 2; phase++) {
                // 0: interpreted until C2 compiles (10 000 calls without tiers; per-step methods run once a
                // step, so more steps than that); 1: measured
                int steps = phase == 0 ? 12_000 : 400;
                long before = mx.getTotalThreadAllocatedBytes();
                for (int i = 0; i < steps; i++) {
                    if (s.position() + 1 >= 128) s.truncate(prompt.length); // stay inside the context
                    if (s.position() == 0) s.prefill(prompt);
                    s.decode((i * 31 + 7) % 500);
                }
                perStep[phase] = (mx.getTotalThreadAllocatedBytes() - before) / steps;
            }
            System.out.println("warm-up bytes per step: " + perStep[0]);
            System.out.println("bytes per decode step: " + perStep[1]);
        }
    }
}
