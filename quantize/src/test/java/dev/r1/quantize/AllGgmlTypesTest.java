package dev.r1.quantize;

import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.llama.Llama;
import dev.r1.bindings.llama.llama_context_params;
import dev.r1.bindings.llama.llama_model_params;
import dev.r1.models.ModelException;
import dev.r1.models.config.Architecture;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A file of every ggml type llama.cpp can quantize to (made by ggml's own {@code ggml_quantize_chunk}
 * from a synthesized F32 model; random blocks for the lookup-grid IQ1/IQ2/IQ3 types) opens in our reader, with its types and sizes, and in llama.cpp through
 * the bindings, which decodes two tokens from it. Types r1 cannot decode say so when asked to.
 */
class AllGgmlTypesTest {
    @TempDir static Path tmp;
    static Path f32;
    /** hidden 256 so that every 256-element super-block type fits every matrix. */
    static final ModelConfig CFG = new ModelConfig(Architecture.QWEN2, 256, 1, 4, 2, 64, 256, 512, 256, 1e4f, 1e-6f,
            true, false, Optional.empty());

    @BeforeAll
    static void synth() {
        NativeLibraries.llama();
        f32 = tmp.resolve("f32.gguf");
        SyntheticModel.write(f32, true, CFG, "all-types", 3, s -> GgmlType.F32,
                SyntheticModel.numberedVocabulary(CFG.vocab()).toGgufMetadata(CFG.vocab()), 0, b -> {});
    }

    /** Every block type ggml can produce (Q8_1 and Q8_K are activation-only: no weight files hold them). */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, mode = EnumSource.Mode.EXCLUDE,
            names = {"F32", "F16", "BF16", "Q8_1", "Q8_K", "I8", "I16", "I32", "I64", "F64"})
    void readerAndLlamaCppOpenEveryType(GgmlType type) throws Exception {
        Path p = tmp.resolve(type + ".gguf");
        try (GgufFile src = GgufFile.open(f32); GgufWriter w = GgufWriter.create(p, true); Arena a = Arena.ofConfined()) {
            w.putAll(src.metadata());
            for (GgufTensor t : src.tensors()) w.addTensor(t.name(), matrix(t) ? type : GgmlType.F32, t.dims());
            for (GgufTensor t : src.tensors()) {
                MemorySegment data = src.data(t);
                if (!matrix(t)) {
                    w.writeTensorData(t.name(), data);
                    continue;
                }
                long rows = t.dims()[1], cols = t.dims()[0];
                MemorySegment out = a.allocate(type.byteSize(rows * cols), 64);
                if (type.name().matches("IQ[123]_.*")) {
                    randomGridBlocks(type, out, t.name().hashCode());
                } else {
                    long n = Llama.ggml_quantize_chunk(type.id(), data, out, 0, rows, cols, MemorySegment.NULL);
                    assertEquals(out.byteSize(), n, "ggml's size for " + type);
                }
                w.writeTensorData(t.name(), out);
            }
            w.commit();
        }

        try (GgufFile f = GgufFile.open(p)) {
            GgufTensor q = f.tensor("blk.0.attn_q.weight");
            assertEquals(type, q.type());
            assertEquals(type.byteSize(256 * 256), q.byteSize());
            if (type.canDequantize()) {
                for (float v : type.dequantize(f.data(q))) assertTrue(Float.isFinite(v));
            } else {
                assertThrows(ModelException.class, () -> type.dequantize(f.data(q)));
            }
        }

        try (Arena a = Arena.ofConfined()) {
            MemorySegment mp = Llama.llama_model_default_params(a);
            llama_model_params.n_gpu_layers(mp, 0);
            MemorySegment model = Llama.llama_model_load_from_file(a.allocateFrom(p.toString()), mp);
            assertNotEquals(MemorySegment.NULL, model, "llama.cpp could not load " + type);
            try {
                MemorySegment cp = Llama.llama_context_default_params(a);
                llama_context_params.n_ctx(cp, 64);
                llama_context_params.n_batch(cp, 8);
                llama_context_params.n_ubatch(cp, 8);
                llama_context_params.n_threads(cp, 1);
                llama_context_params.n_threads_batch(cp, 1);
                MemorySegment ctx = Llama.llama_init_from_model(model, cp);
                assertNotEquals(MemorySegment.NULL, ctx);
                try {
                    MemorySegment tokens = a.allocateFrom(ValueLayout.JAVA_INT, 5, 17);
                    MemorySegment batch = Llama.llama_batch_get_one(SegmentAllocator.slicingAllocator(
                            a.allocate(Llama.llama_batch_get_one$descriptor().returnLayout().orElseThrow())), tokens, 2);
                    assertEquals(0, Llama.llama_decode(ctx, batch), "llama_decode on " + type);
                    MemorySegment logits = Llama.llama_get_logits_ith(ctx, -1).reinterpret(4L * CFG.vocab());
                    for (float v : logits.toArray(ValueLayout.JAVA_FLOAT)) assertTrue(Float.isFinite(v), type + " logits");
                } finally {
                    Llama.llama_free(ctx);
                }
            } finally {
                Llama.llama_model_free(model);
            }
        }
    }

    /** The layer matrices (the embedding stays F32: ggml's IQ1/IQ2 searches take seconds per 100k weights). */
    private static boolean matrix(GgufTensor t) {
        return t.nDims() == 2 && t.name().startsWith("blk.") && t.name().endsWith(".weight");
    }

    /**
     * Random blocks of a lookup-grid type (every index and sign pattern is a valid block) with a small
     * scale: ggml's own IQ1/IQ2/IQ3 quantizers would take most of a minute here building their grid
     * neighbourhoods, for nothing this test needs.
     */
    private static void randomGridBlocks(GgmlType type, MemorySegment out, long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        byte[] b = new byte[(int) out.byteSize()];
        rnd.nextBytes(b);
        int ts = type.typeSize();
        for (int at = 0; at < b.length; at += ts) {
            if (type == GgmlType.IQ1_M) {
                // the f16 scale is the top nibbles of the four 16-bit scale words (bytes 48..55): 0x1C00
                for (int k = 0; k < 4; k++) b[at + 49 + 2 * k] = (byte) ((b[at + 49 + 2 * k] & 0x0F) | (k == 3 ? 0x10 : k == 2 ? 0xC0 : 0));
            } else { // f16 d first
                b[at] = 0;
                b[at + 1] = 0x1C; // 2^-8
            }
        }
        out.copyFrom(MemorySegment.ofArray(b));
    }
}
