package dev.r1.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backend names and {@code auto}: ours where it has a kernel for every matrix type, llama.cpp otherwise. */
class EnginesTest {
    @TempDir Path dir;

    Path write(String name, GgmlType matrices, GgmlType ffnDown) {
        return write(name, matrices, ffnDown, matrices);
    }

    /**
     * A tiny model: {@code ffnDown} for ffn_down, {@code head} for the output head, {@code matrices} for the rest;
     * 256 wide (tiny-qwen2 with twice the heads) so that the head can be a K-quant.
     */
    Path write(String name, GgmlType matrices, GgmlType ffnDown, GgmlType head) {
        ModelConfig t = Presets.get("tiny-qwen2");
        ModelConfig cfg = new ModelConfig(t.arch(), 256, t.layers(), 8, 4, t.headDim(), 512, t.vocab(), t.contextLength(),
                t.ropeTheta(), t.rmsEps(), t.qkvBias(), t.tiedEmbeddings(), t.ropeScaling());
        Path out = dir.resolve(name + ".gguf");
        SyntheticModel.write(out, true, cfg, "tiny-qwen2", 3, s -> s.isVector() ? GgmlType.F32
                        : s.name().endsWith("ffn_down.weight") ? ffnDown : s.name().equals("output.weight") ? head : matrices,
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 1, b -> {});
        return out;
    }

    /** {@code in} with one matrix re-typed to {@code type}, its bytes zero (the type's size: enough for the reader). */
    Path retyped(Path in, String tensor, GgmlType type) {
        Path out = dir.resolve(in.getFileName().toString().replace(".gguf", "-" + type + ".gguf"));
        try (dev.r1.models.gguf.GgufFile src = dev.r1.models.gguf.GgufFile.open(in);
             dev.r1.models.gguf.GgufWriter w = dev.r1.models.gguf.GgufWriter.create(out, true);
             java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            w.putAll(src.metadata());
            for (var t : src.tensors()) w.addTensor(t.name(), t.name().equals(tensor) ? type : t.type(), t.dims());
            for (var t : src.tensors()) {
                w.writeTensorData(t.name(), t.name().equals(tensor) ? a.allocate(type.byteSize(t.nElements())) : src.data(t));
            }
            w.commit();
        }
        return out;
    }

    @Test
    void autoPicksOurEngineWhenItHasEveryKernelAndSaysWhy() {
        // the R1-Q4 default: Q4_0 with a Q6_K head (the head's kernel runs at llama.cpp's speed at every width)
        Engines.Choice q4 = Engines.resolve("auto", write("q4", GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q6_K));
        assertEquals("java", q4.backend(), q4.why());
        assertTrue(q4.why().contains("kernels for every tensor type"), q4.why());
        // Q6_K in the layers: ours where it runs in 6 bits (Q6Kx6, 512-bit machines), else llama.cpp (0.83x in bytes)
        Engines.Choice q6 = Engines.resolve("auto", write("q6", GgmlType.Q6_K, GgmlType.Q6_K, GgmlType.Q6_K));
        Engines.Choice q6down = Engines.resolve("auto", write("q6down", GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.Q8_0));
        assertEquals(q6.backend(), q6down.backend(), q6down.why());
        assertEquals(dev.r1.engine.cpu.Q6Kx6.ENABLED ? "java" : "llama.cpp", q6.backend(), q6.why());
        if (!dev.r1.engine.cpu.Q6Kx6.ENABLED) assertTrue(q6.why().contains("Q6_K kernels are exact but slower"), q6.why());
        // exact kernels that are still slower than llama.cpp's: auto prefers the faster engine and says why
        boolean q3kFast = dev.r1.engine.cpu.Q6Kx8.Q3K_ENABLED && dev.r1.engine.cpu.Q3Kx4.ENABLED
                && dev.r1.engine.cpu.Q3Kx4.R >= 16; // Q3_K in 4 bits, at 512 bits (0.75x under AVX2 code)
        boolean q5kFast = dev.r1.engine.cpu.Q5Kx8.ENABLED && dev.r1.engine.cpu.Q5Kx8.R >= 16; // Q5_K at 512 bits
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q3_K, GgmlType.Q2_K, GgmlType.IQ4_XS,
                GgmlType.IQ4_NL}) {
            assertTrue(Engines.JAVA_KERNELS.contains(t), t.name());
            if (t == GgmlType.Q3_K && q3kFast || t == GgmlType.Q5_K && q5kFast) continue;
            Engines.Choice c = Engines.resolve("auto", write(t.name(), GgmlType.Q8_0, t));
            assertEquals("llama.cpp", c.backend(), t.name());
            assertTrue(c.why().contains(t.name() + " kernels are exact but slower"), c.why());
        }
        // the repacked 32-element types that decode at llama.cpp's speed (Q8x8): ours, as Q4_0 and Q8_0 are
        java.util.List<GgmlType> fast = new java.util.ArrayList<>(java.util.List.of(GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1));
        if (q3kFast) fast.add(GgmlType.Q3_K);
        if (q5kFast) fast.add(GgmlType.Q5_K);
        for (GgmlType t : fast) {
            Engines.Choice c = Engines.resolve("auto", write(t.name(), GgmlType.Q8_0, t));
            assertEquals("java", c.backend(), t.name() + ": " + c.why());
        }
        // a copy that would not fit in the memory available: llama.cpp, which maps the file, and the figures why
        Path q51 = write("q51", GgmlType.Q5_1, GgmlType.Q5_1);
        long size = q51.toFile().length();
        Engines.Choice tight = Engines.resolve("auto", q51, size * 13 / 10); // the file fits, 1.5x of its matrices does not
        assertEquals("llama.cpp", tight.backend(), tight.why());
        assertTrue(tight.why().contains("would not fit") && tight.why().contains("GiB"), tight.why());
        assertEquals("java", Engines.resolve("auto", q51, size * 2).backend());
        assertEquals("java", Engines.resolve("auto", q51, -1).backend()); // unknown: not checked
        assertEquals("java", Engines.resolve("java", q51, 1).backend()); // a name given is kept
        assertTrue(Engines.availableMemory() != 0);
        // F16 matrices: ours (HalfKernels decode faster than llama.cpp's, prefill at its speed); BF16: llama.cpp, whose
        // prefill has AVX512-BF16's pair-summing dot on such machines (and is faster under AVX2 code too)
        Engines.Choice f16 = Engines.resolve("auto", write("f16", GgmlType.Q8_0, GgmlType.F16));
        assertEquals("java", f16.backend(), f16.why());
        Engines.Choice bf16 = Engines.resolve("auto", write("bf16", GgmlType.Q8_0, GgmlType.BF16));
        assertEquals("llama.cpp", bf16.backend());
        assertTrue(bf16.why().contains("BF16 kernels are exact but slower"), bf16.why());
        // a type the Java engine cannot run at all: llama.cpp, and the line says so
        Engines.Choice mx = Engines.resolve("auto", retyped(write("mx", GgmlType.Q8_0, GgmlType.Q8_0), "blk.0.ffn_down.weight", GgmlType.MXFP4));
        assertEquals("llama.cpp", mx.backend());
        assertTrue(mx.why().contains("no kernel for MXFP4") && mx.why().contains("only llama.cpp runs it"), mx.why());
        // a name given is kept, whatever the file
        Engines.Choice given = Engines.resolve("java", write("bf16b", GgmlType.Q8_0, GgmlType.BF16));
        assertEquals("java", given.backend());
        assertNull(given.why());
        assertEquals("llama.cpp", Engines.resolve("llamacpp", dir.resolve("never-opened.gguf")).backend());
        var e = assertThrows(IllegalArgumentException.class, () -> Engines.resolve("tpu", dir.resolve("x.gguf")));
        assertTrue(e.getMessage().contains("[auto, java, llama.cpp, cuda]"), e.getMessage());
    }

    /**
     * Where llama.cpp prefills with AMX (ggml's sapphirerapids library: the CPU has AMX-INT8 and R1_GGML_CPU names no
     * other variant), auto leaves the types its AMX kernels prefill 3-5x faster to it, and says so; Q5_0 stays ours.
     */
    @Test
    void onAnAmxMachineAutoLeavesTheTypesLlamaCppPrefillsWithAmxToIt() {
        String spr = "fpu sse avx2 avx512f avx512bw avx512_vnni avx512_bf16 amx_bf16 avx512_fp16 amx_tile amx_int8";
        assertTrue(dev.r1.engine.cpu.GgmlVariant.amx(null, spr));
        assertTrue(dev.r1.engine.cpu.GgmlVariant.amx("auto", spr));
        assertTrue(dev.r1.engine.cpu.GgmlVariant.amx(" SapphireRapids ", spr));
        assertTrue(!dev.r1.engine.cpu.GgmlVariant.amx("haswell", spr), "a variant without AMX forced: its prefill is not AMX's");
        assertTrue(!dev.r1.engine.cpu.GgmlVariant.amx(null, "fpu avx2 avx512f avx512_vnni avx512_bf16"), "Zen 4: no AMX");
        assertTrue(!dev.r1.engine.cpu.GgmlVariant.amx(null, "amx_int8x amx_tile"), "a flag is a whole word");
        assertTrue(!dev.r1.engine.cpu.GgmlVariant.amx(null, ""));
        java.util.Set<GgmlType> amx = Engines.autoJava(true), plain = Engines.autoJava(false);
        for (GgmlType t : Engines.AMX_TYPES) assertTrue(!amx.contains(t), t.name());
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_1, GgmlType.F16}) assertTrue(plain.contains(t), t.name());
        assertTrue(amx.contains(GgmlType.Q5_0) && amx.contains(GgmlType.Q5_1), amx.toString());
        // the R1-Q4 default (Q4_0, Q6_K head): llama.cpp there, and the line names the reason; ours elsewhere
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(write("q4amx", GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q6_K))) {
            Engines.Choice there = Engines.auto(f, -1, true);
            assertEquals("llama.cpp", there.backend(), there.why());
            assertTrue(there.why().contains("Q4_0 kernels are exact but slower") && there.why().contains("AMX"), there.why());
            assertEquals("java", Engines.auto(f, -1, false).backend());
        }
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(write("q50amx", GgmlType.Q5_0, GgmlType.Q5_0, GgmlType.Q6_K))) {
            Engines.Choice there = Engines.auto(f, -1, true);
            assertEquals("java", there.backend(), there.why());
        }
        // a slower type that is not AMX's: the line says nothing of AMX
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(write("q2kamx", GgmlType.Q5_0, GgmlType.Q2_K, GgmlType.Q6_K))) {
            Engines.Choice there = Engines.auto(f, -1, true);
            assertEquals("llama.cpp", there.backend(), there.why());
            assertTrue(!there.why().contains("AMX"), there.why());
        }
    }

    /** auto's memory estimate follows the repacked layouts' real sizes (so it cannot drift from them silently). */
    @Test
    void theCpuBackendsNameSaysWhichLayoutsKeepFewerBits() {
        // a benchmark figure says which layout it measured (r1 bench prints this name)
        try (dev.r1.engine.cpu.CpuBackend cpu = new dev.r1.engine.cpu.CpuBackend(1)) {
            String name = cpu.name();
            assertEquals(dev.r1.engine.cpu.Q8x8.Q41_NIBBLES, name.matches(".*, [A-Z0-9_/]*Q4_1[A-Z0-9_/]* in 4 bits.*"), name);
            assertEquals(dev.r1.engine.cpu.Q2Kx4.ENABLED, name.contains("Q2_K in 2"), name);
        }
    }

    @Test
    void residentFactorsAreTheRepackedLayoutsSizes() {
        int rows = 64, cols = 512;
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.Q5_1, GgmlType.IQ4_NL}) {
            if (!dev.r1.engine.cpu.Q8x8.fits(rows, cols)) continue;
            double file = (double) rows * cols / t.blockSize() * t.typeSize();
            assertEquals(dev.r1.engine.cpu.Q8x8.bytes(t, rows, cols) / file, Engines.resident(t), 1e-12, t.name());
        }
        if (!dev.r1.engine.cpu.IQ4XSx8.NIBBLES) assertEquals(276.0 / 136, Engines.resident(GgmlType.IQ4_XS), 1e-12); // Q6_K's byte layout
        if (dev.r1.engine.cpu.IQ4XSx8.NIBBLES && dev.r1.engine.cpu.IQ4XSx8.fits(rows, cols)) {
            // the groups' bytes; the level tables after them (bytes(0, cols)) are two per matrix
            double groups = dev.r1.engine.cpu.IQ4XSx8.bytes(rows, cols) - dev.r1.engine.cpu.IQ4XSx8.bytes(0, cols);
            assertEquals(groups / ((double) rows * cols / 256 * 136), Engines.resident(GgmlType.IQ4_XS), 1e-12);
            for (GgmlType t : new GgmlType[] {GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S}) { // in its 4-bit layout where it takes them (IQ1_S with its delta scales)
                double g = dev.r1.engine.cpu.IQ4XSx8.bytes(t, rows, cols) - dev.r1.engine.cpu.IQ4XSx8.bytes(t, 0, cols);
                double want = dev.r1.engine.cpu.IQ4XSx8.servesGrid(t) ? g / ((double) rows * cols / 256 * t.typeSize()) : 1.0;
                assertEquals(want, Engines.resident(t), 1e-12, t.name());
            }
        }
        assertEquals(276.0 / 210, Engines.resident(GgmlType.Q6_K), 1e-12); // a byte a value and f32 scales
        assertEquals(276.0 / 210, Engines.resident(GgmlType.Q6_K, "output.weight"), 1e-12); // the head stays so
        // the layers' Q6_K in 6 bits (a 4-byte d, 16 scales and 192 bytes a row per super-block) where Q6Kx6 is on
        assertEquals((dev.r1.engine.cpu.Q6Kx6.ENABLED ? 212.0 : 276.0) / 210, Engines.resident(GgmlType.Q6_K, "blk.0.ffn_down.weight"), 1e-12);
        if (dev.r1.engine.cpu.Q6Kx8.Q3K_ENABLED) { // Q3_K in 4 bits (148 bytes a row per super-block) or in Q6_K's layout (276)
            assertEquals((dev.r1.engine.cpu.Q3Kx4.ENABLED ? 148.0 : 276.0) / 110, Engines.resident(GgmlType.Q3_K), 1e-12);
        }
        // Q4_1 in 4 bits (the file's 20 bytes a block per row) or a byte a value (36)
        assertEquals((dev.r1.engine.cpu.Q8x8.Q41_NIBBLES ? 20.0 : 36.0) / 20, Engines.resident(GgmlType.Q4_1), 1e-12);
        assertEquals(1.0, Engines.resident(GgmlType.Q4_0));
        assertTrue(Engines.resident(GgmlType.Q4_K) >= 1 && Engines.resident(GgmlType.Q4_K) < 1.1); // f32 scales: ~3% more
    }
}
