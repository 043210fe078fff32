package dev.r1.engine.model;

import static dev.r1.engine.Logits.argmax;
import static dev.r1.engine.Logits.kl;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.bindings.NativeLibraries;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.llamacpp.LlamaCppSession;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.config.TensorLayout.TensorSpec;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End to end against llama.cpp on the same synthesized GGUF: the same greedy continuation of 64 tokens
 * after a prompt, and the KL divergence of llama.cpp's next-token distribution from ours below 1e-3 at
 * every one of the 64 positions (llama.cpp is fed our tokens, so positions stay aligned).
 *
 * <p>Where both engines run the same arithmetic the logits must be bit-identical: Q8_0 weights (our dot
 * products, activation quantization, SwiGLU and RMSNorm follow ggml's AVX2 order and rounding), Q4_0
 * (both engines repack it into 8-row groups and add each row's blocks in order, see {@code Q4x8}) and the
 * Q4_K/Q6_K mix, the Q5_K/Q3_K and Q2_K/IQ4_XS mixes ({@code KQuants2}), Q5_0 and IQ4_NL ({@code LegacyQuants}; IQ4_NL in the per-block order of ggml's repacked
 * kernels), Q4_1 and Q5_1, the IQ1-IQ3 lookup-grid types ({@code IQuants}, {@code IQ1Quants}), when ggml runs its {@code haswell} CPU library (the one this machine kind gets).
 * Q4_1, Q5_1 and tiny-llama Q8_0 were held to the tolerance until session 8: their attention inputs differed
 * now and then by a last bit, because RoPE took correctly rounded cosines and sines where ggml calls glibc's
 * {@code sinf}/{@code cosf} (which differ in ~1% of angles) and rotated without ggml's fused multiply-adds
 * ({@code GgmlRopeParityTest}). F16, BF16 and F32 weights are exact since session 36 ({@code HalfKernels}: activations
 * rounded to the weights' type as ggml's {@code vec_dot_type}, its vec_dot order for one token and llamafile's
 * tinyBLAS order for a prompt); until then F32 and F16 were held to the tolerance (~1e-6). Q6_K over several super-blocks (Q6_K_WIDE) follows ggml's
 * eight float lanes since session 8 ({@code Q6Kx8#gemvGgml}); the output head keeps one sum per super-block.
 *
 * <p>The suite pins ggml's {@code haswell} library (R1_GGML_CPU, set by the build); a second run of this
 * class takes ggml's own pick for the machine ({@code R1_GGML_CPU=auto}). Other libraries (zen4, icelake,
 * sapphirerapids, sse42) add the same products in another order, and on these random-weight models
 * (sharp, large logits) last-bit differences grow over 64 steps of a shared KV cache: measured with the
 * sse42 library here, max KL 1.5e-3 and one greedy flip between two near-equal logits. There the bar is
 * {@link #MAX_KL} on the mean and {@link #MAX_KL_OTHER_ORDER} per position, and a greedy pick may differ
 * only where llama.cpp's own logits of the two tokens are within {@link #NEAR_TIE}; ours is fed to both,
 * so the positions stay aligned.
 */
class LlamaCppParityTest {
    @TempDir static Path dir;

    static final int[] PROMPT = {11, 42, 7, 300, 5, 99, 123, 64, 17, 250, 3, 480, 77};
    static final int GENERATE = 64;
    static final double MAX_KL = 1e-3;
    /** Per-position KL bar on a ggml library whose summation order is not haswell's. */
    static final double MAX_KL_OTHER_ORDER = 1e-2;
    /** Largest gap between llama.cpp's logits of its pick and of ours where a differing pick is a tie. */
    static final float NEAR_TIE = 0.05f;
    /** Configurations whose logits must equal llama.cpp's bit for bit on ggml's haswell library. */
    static final Set<String> EXACT = Set.of("tiny-qwen2 Q8_0", "tiny-qwen2 Q4_0", "tiny-qwen2 K_MIX",
            "tiny-llama Q4_0", "tiny-llama K_MIX",
            "tiny-qwen2 K_MIX_Q5Q3", "tiny-llama K_MIX_Q5Q3", "tiny-qwen2 K_MIX_Q2XS", "tiny-llama K_MIX_Q2XS",
            "tiny-qwen2 Q5_0", "tiny-qwen2 IQ4_NL", "tiny-llama Q5_0", "tiny-llama IQ4_NL",
            "tiny-qwen2 Q4_K_WIDE", "tiny-llama Q4_K_WIDE", "tiny-qwen2 Q4_0_HD128", "tiny-llama Q8_0_HD128",
            "tiny-llama Q8_0", "tiny-qwen2 Q4_1", "tiny-qwen2 Q5_1", "tiny-llama Q4_1", "tiny-llama Q5_1",
            "tiny-qwen2 Q6_K_WIDE", "tiny-llama Q6_K_WIDE", "tiny-llama Q4_0_HD128", "tiny-qwen2 Q3_K_WIDE", "tiny-llama Q3_K_WIDE",
            "tiny-qwen2 IQ3_WIDE", "tiny-llama IQ3_WIDE", "tiny-qwen2 IQ2_WIDE", "tiny-llama IQ2_WIDE", "tiny-qwen2 IQ2S_WIDE", "tiny-llama IQ1_WIDE",
            "tiny-qwen2 F16", "tiny-llama F16", "tiny-qwen2 BF16", "tiny-llama BF16", "tiny-qwen2 F32", "tiny-llama F32", "tiny-qwen2 F32_HD128");

    static Function<TensorSpec, GgmlType> types(String mix) {
        return switch (mix) {
            // K-quants need rows of 256: only ffn_down (256 wide in the tiny presets) can take them.
            case "K_MIX" -> s -> s.isVector() ? GgmlType.F32
                    : s.name().equals("blk.0.ffn_down.weight") ? GgmlType.Q4_K
                    : s.name().equals("blk.1.ffn_down.weight") ? GgmlType.Q6_K : GgmlType.Q8_0;
            // the other K-quants (KQuants2), two per model, in the ffn_down of each layer
            case "K_MIX_Q5Q3" -> ffnDown(GgmlType.Q5_K, GgmlType.Q3_K);
            case "K_MIX_Q2XS" -> ffnDown(GgmlType.Q2_K, GgmlType.IQ4_XS);
            // ffn_down rows of three super-blocks (WIDE_FFN): repacked Q4_K by both engines, whose gemm (prompt
            // tokens in fours) and gemv (the rest, decoding) add in different grains
            case "Q4_K_WIDE" -> ffnDown(GgmlType.Q4_K, GgmlType.Q4_K);
            // Q6_K over three super-blocks: held to the tolerance, not exact. ggml's AVX2 vec_dot_q6_K keeps 8
            // float lanes of partial sums across super-blocks (fma per lane, hsum at the end), ours one sum per
            // row; with one super-block (K_MIX) the two agree, with several they differ in the last bits
            // (tiny-llama: mean KL ~8e-7). Known gap, see docs/BENCHMARKS.md "Correctness".
            case "Q6_K_WIDE" -> ffnDown(GgmlType.Q6_K, GgmlType.Q6_K);
            // Q3_K over three super-blocks, repacked into Q6_K's layout (Q6Kx8.repackQ3K) in ggml's eight lanes
            case "Q3_K_WIDE" -> ffnDown(GgmlType.Q3_K, GgmlType.Q3_K);
            // the lookup-grid types (IQuants), made by ggml's own quantizer from the F32 weights ({@link #gridTypes})
            case "IQ3_WIDE", "IQ2_WIDE", "IQ2S_WIDE", "IQ1_WIDE" -> ffnDown(GgmlType.F32, GgmlType.F32);
            default -> {
                GgmlType t = GgmlType.valueOf(mix.replace("_HD128", ""));
                yield s -> s.isVector() ? GgmlType.F32 : t;
            }
        };
    }

    private static Function<TensorSpec, GgmlType> ffnDown(GgmlType layer0, GgmlType layer1) {
        return s -> s.isVector() ? GgmlType.F32
                : s.name().equals("blk.0.ffn_down.weight") ? layer0
                : s.name().equals("blk.1.ffn_down.weight") ? layer1 : GgmlType.Q8_0;
    }

    static final int WIDE_FFN = 768;

    static Path write(String preset, String mix) {
        ModelConfig cfg = Presets.get(preset);
        // The real head size (2 query heads of 128 over 1 key/value head): tiny-qwen2 Q4_0 and tiny-llama Q8_0 stay
        // bit-identical; tiny-llama Q4_0 shows the tiny-llama attention difference noted above (tolerance).
        if (mix.endsWith("_HD128")) {
            cfg = new ModelConfig(cfg.arch(), 256, cfg.layers(), 2, 1, 128, WIDE_FFN,
                    cfg.vocab(), cfg.contextLength(), cfg.ropeTheta(), cfg.rmsEps(), cfg.qkvBias(), cfg.tiedEmbeddings(), cfg.ropeScaling());
        }
        if (mix.endsWith("_WIDE")) {
            cfg = new ModelConfig(cfg.arch(), cfg.hidden(), cfg.layers(), cfg.heads(), cfg.kvHeads(), cfg.headDim(), WIDE_FFN,
                    cfg.vocab(), cfg.contextLength(), cfg.ropeTheta(), cfg.rmsEps(), cfg.qkvBias(), cfg.tiedEmbeddings(), cfg.ropeScaling());
        }
        Path out = dir.resolve(preset + "-" + mix + ".gguf");
        SyntheticModel.write(out, true, cfg, preset, 1234, types(mix), SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 1, b -> {});
        GgmlType[] grid = switch (mix) {
            case "IQ3_WIDE" -> new GgmlType[] {GgmlType.IQ3_S, GgmlType.IQ3_XXS};
            case "IQ2_WIDE" -> new GgmlType[] {GgmlType.IQ2_XXS, GgmlType.IQ2_XS};
            case "IQ2S_WIDE" -> new GgmlType[] {GgmlType.IQ2_S, GgmlType.IQ3_S};
            case "IQ1_WIDE" -> new GgmlType[] {GgmlType.IQ1_S, GgmlType.IQ1_M};
            default -> null;
        };
        return grid == null ? out : gridTypes(out, grid[0], grid[1]);
    }

    /**
     * The file with its two F32 {@code ffn_down} matrices quantized by ggml's {@code ggml_quantize_chunk} to
     * {@code layer0} and {@code layer1} (r1 has no IQ2/IQ3 quantizer; an importance matrix of ones, which IQ2_XXS and
     * IQ2_XS require).
     */
    private static Path gridTypes(Path in, GgmlType layer0, GgmlType layer1) {
        Path out = dir.resolve(in.getFileName().toString().replace(".gguf", "-grid.gguf"));
        try (dev.r1.models.gguf.GgufFile src = dev.r1.models.gguf.GgufFile.open(in);
             dev.r1.models.gguf.GgufWriter w = dev.r1.models.gguf.GgufWriter.create(out, true);
             java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            w.putAll(src.metadata());
            Function<String, GgmlType> type = n -> n.equals("blk.0.ffn_down.weight") ? layer0 : n.equals("blk.1.ffn_down.weight") ? layer1 : null;
            for (var t : src.tensors()) w.addTensor(t.name(), type.apply(t.name()) != null ? type.apply(t.name()) : t.type(), t.dims());
            for (var t : src.tensors()) {
                GgmlType g = type.apply(t.name());
                if (g == null) {
                    w.writeTensorData(t.name(), src.data(t));
                    continue;
                }
                long rows = t.dims()[1], cols = t.dims()[0];
                java.lang.foreign.MemorySegment q = a.allocate(g.byteSize(rows * cols), 64);
                float[] ones = new float[(int) cols];
                Arrays.fill(ones, 1f);
                long n = dev.r1.bindings.llama.Llama.ggml_quantize_chunk(g.id(), src.data(t), q, 0, rows, cols,
                        a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, ones));
                assertEquals(q.byteSize(), n, "ggml's size for " + g);
                w.writeTensorData(t.name(), q);
            }
            w.commit();
        }
        return out;
    }




    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-qwen2,F32", "tiny-qwen2,F16", "tiny-qwen2,BF16", "tiny-llama,BF16", "tiny-qwen2,Q8_0", "tiny-qwen2,Q4_0", "tiny-qwen2,K_MIX",
            "tiny-llama,F32", "tiny-llama,F16", "tiny-llama,Q8_0", "tiny-llama,Q4_0", "tiny-llama,K_MIX",
            "tiny-qwen2,K_MIX_Q5Q3", "tiny-llama,K_MIX_Q5Q3", "tiny-qwen2,K_MIX_Q2XS", "tiny-llama,K_MIX_Q2XS",
            "tiny-qwen2,Q4_1", "tiny-qwen2,Q5_0", "tiny-qwen2,Q5_1", "tiny-qwen2,IQ4_NL",
            "tiny-llama,Q4_1", "tiny-llama,Q5_0", "tiny-llama,Q5_1", "tiny-llama,IQ4_NL",
            "tiny-qwen2,Q4_K_WIDE", "tiny-llama,Q4_K_WIDE", "tiny-qwen2,Q6_K_WIDE", "tiny-llama,Q6_K_WIDE", "tiny-qwen2,Q3_K_WIDE", "tiny-llama,Q3_K_WIDE",
            "tiny-qwen2,IQ3_WIDE", "tiny-llama,IQ3_WIDE", "tiny-qwen2,IQ2_WIDE", "tiny-llama,IQ2_WIDE", "tiny-qwen2,IQ2S_WIDE", "tiny-llama,IQ1_WIDE",
            "tiny-qwen2,Q4_0_HD128", "tiny-llama,Q4_0_HD128", "tiny-qwen2,F32_HD128", "tiny-llama,Q8_0_HD128"})
    void sameGreedyContinuationAndCloseDistributions(String preset, String mix) {
        Path gguf = write(preset, mix);
        String what = preset + " " + mix;
        SessionOptions o = new SessionOptions(2, 128, 8); // batch 8: the prompt goes through in two chunks
        int[] ours = new int[GENERATE], theirs = new int[GENERATE];
        double klSum = 0, klMax = 0;
        boolean identical = true;
        // haswell: the library whose order our kernels follow; anything else is held to a tolerance
        // (at 256-bit quantized kernels: lowered to 128 bits, ours add in another order too)
        boolean sameOrder = "haswell".equals(NativeLibraries.llama().cpuVariant())
                && dev.r1.engine.cpu.VectorWidths.QUANT.vectorBitSize() == 256;
        int flips = 0;
        try (Session java = JavaSession.open(gguf, o);
             Session ref = LlamaCppSession.open(gguf, o.withThreads(1))) {
            java.prefill(PROMPT);
            ref.prefill(PROMPT);
            float[] a = java.lastLogits(), b = ref.lastLogits();
            for (int i = 0; i < GENERATE; i++) {
                double d = kl(b, a);
                klSum += d;
                klMax = Math.max(klMax, d);
                identical &= Arrays.equals(a, b);
                assertTrue(d < (sameOrder ? MAX_KL : MAX_KL_OTHER_ORDER), what + ": KL " + d + " at generated token " + i);
                ours[i] = argmax(a);
                theirs[i] = argmax(b);
                if (sameOrder || ours[i] == theirs[i]) {
                    assertEquals(theirs[i], ours[i], what + ": greedy pick at generated token " + i);
                } else {
                    float gap = b[theirs[i]] - b[ours[i]];
                    assertTrue(gap <= NEAR_TIE, what + ": greedy pick at generated token " + i + ": ours " + ours[i]
                            + ", llama.cpp's " + theirs[i] + " ahead by " + gap + " in its logits (not a near tie)");
                    System.out.printf("%s: near-tie flip at token %d, gap %.3g%n", what, i, gap);
                    flips++;
                }
                a = java.decode(ours[i]);
                b = ref.decode(ours[i]);
            }
            assertEquals(PROMPT.length + GENERATE, java.position());
        }
        System.out.printf("%s on ggml's %s library: mean KL %.2e, max KL %.2e, logits %s, near-tie flips %d%n", what,
                NativeLibraries.llama().cpuVariant(), klSum / GENERATE, klMax, identical ? "bit-identical" : "differ", flips);
        assertTrue(klSum / GENERATE < MAX_KL, what + ": mean KL " + klSum / GENERATE);
        assertTrue(Arrays.stream(ours).distinct().count() > 1, "degenerate continuation");
        if (EXACT.contains(what) && sameOrder) {
            assertTrue(identical, what + ": logits differ from llama.cpp's (max KL " + klMax + ")");
        }
    }
    /**
     * A prompt of 100 tokens, which llama.cpp runs as one ubatch: its attention then takes ggml's tiled kernel
     * (for batches of 64+ rows, {@code GGML_FA_TILE_Q}) for every row, while we run the prompt in chunks of 64 +
     * 36 rows. Until session 8 the 36-row chunk took the one-row kernel, and the engines parted exactly at
     * 64-row prompts (KL ~1e-4 after the prompt at these shapes, 0.003 at 1.5B). The chunk now knows its
     * ubatch's size ({@code Backend.setStepBatchRows}) and our tiled kernel is ggml's
     * ({@code GgmlFlashAttentionParityTest}): bit-identical where ggml runs its {@code haswell} library.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-qwen2,Q4_0", "tiny-qwen2,Q4_0_HD128", "tiny-qwen2,Q8_0", "tiny-llama,Q8_0_HD128"})
    void aLongPromptIsOneUbatchAsInLlamaCpp(String preset, String mix) {
        int[] prompt = new int[100];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 37 + 11) % 500;
        SessionOptions o = new SessionOptions(2, 256, 128);
        promptThenDecode(preset, mix, prompt, o, o.withThreads(1));
    }

    /**
     * Both engines take {@code prompt} (each in its own batches of {@code o.batch()}) and then decode 8 greedy
     * tokens of ours; at every step the KL bar holds, and the logits are bit-identical where the order is ggml's.
     */
    private static void promptThenDecode(String preset, String mix, int[] prompt, SessionOptions java0, SessionOptions ref0) {
        Path gguf = write(preset, mix);
        boolean sameOrder = "haswell".equals(NativeLibraries.llama().cpuVariant())
                && dev.r1.engine.cpu.VectorWidths.QUANT.vectorBitSize() == 256;
        try (Session java = JavaSession.open(gguf, java0); Session ref = LlamaCppSession.open(gguf, ref0)) {
            java.prefill(prompt);
            ref.prefill(prompt);
            float[] a = java.lastLogits(), b = ref.lastLogits();
            for (int i = 0; i < 8; i++) {
                double d = kl(b, a);
                assertTrue(d < (sameOrder ? MAX_KL : MAX_KL_OTHER_ORDER), preset + " " + mix + ": KL " + d + " at token " + i);
                if (i == 0) System.out.printf("%s %s, %d-token prompt: KL %.2e after it, logits %s%n", preset, mix, prompt.length, d,
                        Arrays.equals(a, b) ? "bit-identical" : "differ");
                if (sameOrder) assertArrayEquals(b, a, preset + " " + mix + ": logits at position " + (prompt.length + i));
                int next = argmax(a);
                a = java.decode(next);
                b = ref.decode(next);
            }
        }
    }

    /**
     * Decoding past 256 cells with both engines on two threads: llama.cpp's cache view is then 512 cells, and
     * for a batch of one row ggml splits the cells between its threads and merges the parts; ours does the same
     * split with as many parts as it has threads. The prompt (300 tokens, ubatches of 128) also mixes the tiled
     * kernel (128-row ubatches) and the one-row kernel (the last 44 rows).
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-qwen2,Q4_0_HD128", "tiny-llama,Q8_0"})
    void decodingPast256CellsSplitsTheCellsAsLlamaCpp(String preset, String mix) {
        int[] prompt = new int[300];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 53 + 5) % 500;
        SessionOptions o = new SessionOptions(2, 512, 128);
        promptThenDecode(preset, mix, prompt, o, o);
    }
}
