package dev.r1.quantize;

import dev.r1.bindings.NativeLibraries;
import dev.r1.models.config.Architecture;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * r1 quantize against llama.cpp's own quantizer ({@code llama_model_quantize} in the pinned libllama, the
 * function llama-quantize runs) on the same F16 GGUF: the two output files must be equal byte for byte,
 * for every target r1 writes. The model has 16 layers (so the layer rules of the mixes differ from layer to
 * layer), a grouped-query factor of 4, an untied output head, and an ffn_down row length (96) that is
 * not a multiple of 256 (so the fallbacks are exercised).
 */
class LlamaQuantizeTest {
    @TempDir static Path tmp;
    static Path f16;
    static final ModelConfig CFG = new ModelConfig(Architecture.QWEN2, 256, 16, 8, 2, 32, 96, 512, 256, 1e4f, 1e-6f,
            true, false, Optional.empty());

    @BeforeAll
    static void synth() {
        NativeLibraries.llama();
        f16 = tmp.resolve("in-f16.gguf");
        SyntheticModel.write(f16, true, CFG, "llama-quantize-identity", 5, s -> s.isVector() ? GgmlType.F32 : GgmlType.F16,
                SyntheticModel.numberedVocabulary(CFG.vocab()).toGgufMetadata(CFG.vocab()), 1, b -> {});
    }

    /** {@code struct llama_model_quantize_params} of the pinned llama.h. */
    static final MemoryLayout PARAMS = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("nthread"), ValueLayout.JAVA_INT.withName("ftype"),
            ValueLayout.JAVA_INT.withName("output_tensor_type"), ValueLayout.JAVA_INT.withName("token_embedding_type"),
            ValueLayout.JAVA_BOOLEAN.withName("allow_requantize"), ValueLayout.JAVA_BOOLEAN.withName("quantize_output_tensor"),
            ValueLayout.JAVA_BOOLEAN.withName("only_copy"), ValueLayout.JAVA_BOOLEAN.withName("pure"),
            ValueLayout.JAVA_BOOLEAN.withName("keep_split"), ValueLayout.JAVA_BOOLEAN.withName("dry_run"),
            MemoryLayout.paddingLayout(2),
            ValueLayout.ADDRESS.withName("imatrix"), ValueLayout.ADDRESS.withName("kv_overrides"),
            ValueLayout.ADDRESS.withName("tt_overrides"), ValueLayout.ADDRESS.withName("prune_layers"),
            ValueLayout.JAVA_LONG.withName("max_buf_size"));

    /** llama.cpp quantizes {@code in} to {@code out} as llama-quantize would (2 threads). */
    static void llamaQuantize(Path in, Path out, int ftype, boolean allowRequantize) throws Throwable {
        llamaQuantize(in, out, ftype, allowRequantize, null);
    }

    /** {@code struct llama_model_imatrix_data}: name, data, size; the array ends with a null name. */
    static final MemoryLayout IMATRIX = MemoryLayout.structLayout(ValueLayout.ADDRESS.withName("name"),
            ValueLayout.ADDRESS.withName("data"), ValueLayout.JAVA_LONG.withName("size"));

    /** The same with an importance matrix (tensor name -> column weights), as after llama-quantize --imatrix. */
    static void llamaQuantize(Path in, Path out, int ftype, boolean allowRequantize, java.util.Map<String, float[]> imatrix)
            throws Throwable {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(System.getProperty("r1.deps"), "llama", "libllama.so"), Arena.global());
        MethodHandle defaults = linker.downcallHandle(lib.find("llama_model_quantize_default_params").orElseThrow(),
                FunctionDescriptor.of(PARAMS));
        MethodHandle quantize = linker.downcallHandle(lib.find("llama_model_quantize").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) defaults.invokeExact((java.lang.foreign.SegmentAllocator) a);
            p.set(ValueLayout.JAVA_INT, PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("nthread")), 2);
            p.set(ValueLayout.JAVA_INT, PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("ftype")), ftype);
            p.set(ValueLayout.JAVA_BOOLEAN, PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("allow_requantize")), allowRequantize);
            if (imatrix != null) {
                MemorySegment arr = a.allocate(IMATRIX, imatrix.size() + 1); // zeroed: the last entry ends it
                int i = 0;
                for (var e : imatrix.entrySet()) {
                    MemorySegment el = arr.asSlice(i++ * IMATRIX.byteSize(), IMATRIX.byteSize());
                    el.set(ValueLayout.ADDRESS, 0, a.allocateFrom(e.getKey()));
                    el.set(ValueLayout.ADDRESS, 8, a.allocateFrom(ValueLayout.JAVA_FLOAT, e.getValue()));
                    el.set(ValueLayout.JAVA_LONG, 16, e.getValue().length);
                }
                p.set(ValueLayout.ADDRESS, PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("imatrix")), arr);
            }
            int rc = (int) quantize.invokeExact(a.allocateFrom(in.toString()), a.allocateFrom(out.toString()), p);
            assertEquals(0, rc, "llama_model_quantize failed");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TargetType.class, mode = EnumSource.Mode.EXCLUDE, names = {"F32"})
    void wholeFileEqualsLlamaQuantize(TargetType target) throws Throwable {
        Path ref = tmp.resolve("llama-" + target + ".gguf"), ours = tmp.resolve("r1-" + target + ".gguf");
        llamaQuantize(f16, ref, target.fileType(), false);
        Converter.convert(f16, ours, ConvertOptions.of(target).withMeasureError(false));
        assertSameFile(ref, ours);
    }

    /**
     * With an importance matrix (random column weights spanning 4 decades for every layer matrix; none for
     * token_embd and output, as llama-imatrix leaves them out): the weighted quantizers and the mixes'
     * imatrix rules (Q4_0/Q5_0 ffn_down guards, IQ4 without its ffn_down upgrade). These targets use every
     * weighted quantizer (Q4_1, Q5_1 through the guards; IQ4_NL through IQ4_XS's fallback).
     */
    @ParameterizedTest
    @EnumSource(value = TargetType.class, names = {"Q4_0", "Q5_0", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_XS"})
    void withAnImatrixEqualsLlamaQuantize(TargetType target) throws Throwable {
        java.util.Map<String, float[]> im = new java.util.LinkedHashMap<>();
        java.util.Random r = new java.util.Random(11);
        try (GgufFile f = GgufFile.open(f16)) {
            for (GgufTensor t : f.tensors()) {
                if (t.nDims() < 2 || !t.name().startsWith("blk.")) continue;
                float[] w = new float[(int) t.dim(0)];
                for (int i = 0; i < w.length; i++) w[i] = (float) Math.exp(r.nextGaussian() * 2);
                im.put(t.name(), w);
            }
        }
        Path ref = tmp.resolve("llama-im-" + target + ".gguf"), ours = tmp.resolve("r1-im-" + target + ".gguf");
        llamaQuantize(f16, ref, target.fileType(), false, im);
        Converter.convert(f16, ours, ConvertOptions.of(target).withMeasureError(false).withImatrix(im));
        assertSameFile(ref, ours);
    }

    /**
     * Requantizing (--allow-requantize) an already quantized file, as llama-quantize does: tensors already
     * of their output type copied, the others decoded and quantized again, to the same bytes.
     */
    @ParameterizedTest
    @EnumSource(value = TargetType.class, names = {"Q4_K_M", "Q4_0", "IQ4_XS", "Q8_0"})
    void requantizingAQ5_K_MFileEqualsLlamaQuantize(TargetType target) throws Throwable {
        Path q5 = tmp.resolve("q5_k_m-src.gguf");
        if (!Files.exists(q5)) llamaQuantize(f16, q5, TargetType.Q5_K_M.fileType(), false);
        Path ref = tmp.resolve("llama-re-" + target + ".gguf"), ours = tmp.resolve("r1-re-" + target + ".gguf");
        llamaQuantize(q5, ref, target.fileType(), true);
        QuantizeException e = assertThrows(QuantizeException.class,
                () -> Converter.convert(q5, ours, ConvertOptions.of(target).withMeasureError(false)));
        assertTrue(e.getMessage().contains("--allow-requantize"), e.getMessage());
        ConversionReport rep = Converter.convert(q5, ours, ConvertOptions.of(target).withMeasureError(false)
                .withAllowRequantize(true));
        assertTrue(rep.warnings().get(0).contains("severely reduce quality"), rep.warnings().toString());
        assertSameFile(ref, ours);
    }

    static void assertSameFile(Path ref, Path ours) throws Exception {
        byte[] a = Files.readAllBytes(ref), b = Files.readAllBytes(ours);
        int at = java.util.Arrays.mismatch(a, b);
        if (at < 0) return;
        // Say where: which tensor (type and bytes) or the header.
        List<String> diffs = new ArrayList<>();
        try (GgufFile fa = GgufFile.open(ref); GgufFile fb = GgufFile.open(ours)) {
            if (!fa.metadata().equals(fb.metadata())) diffs.add("metadata: llama.cpp " + fa.metadata().keySet() + " r1 " + fb.metadata().keySet());
            for (GgufTensor ta : fa.tensors()) {
                GgufTensor tb = fb.findTensor(ta.name()).orElse(null);
                if (tb == null) diffs.add(ta.name() + " missing");
                else if (ta.type() != tb.type()) diffs.add(ta.name() + " llama.cpp " + ta.type() + " r1 " + tb.type());
                else if (fa.data(ta).mismatch(fb.data(tb)) >= 0) diffs.add(ta.name() + " (" + ta.type() + ") bytes differ");
            }
        }
        int from = Math.max(0, at - 60);
        String ctx = " llama.cpp [" + new String(a, from, 120, java.nio.charset.StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", ".")
                + "] r1 [" + new String(b, from, 120, java.nio.charset.StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", ".") + "]";
        throw new AssertionError("files differ at byte " + at + ctx + " (sizes " + a.length + ", " + b.length + "): " + diffs);
    }
}
