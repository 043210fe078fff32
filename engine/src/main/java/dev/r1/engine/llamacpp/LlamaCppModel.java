package dev.r1.engine.llamacpp;

import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.llama.Llama;
import dev.r1.bindings.llama.llama_model_params;
import dev.r1.engine.SessionOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A GGUF file loaded (memory-mapped, CPU only) by llama.cpp through the generated bindings. Sessions made
 * from it share its weights; close the sessions first, then the model.
 */
public final class LlamaCppModel implements AutoCloseable {
    private final Path file;
    private MemorySegment model;
    private final MemorySegment vocab;

    private LlamaCppModel(Path file, MemorySegment model) {
        this.file = file;
        this.model = model;
        this.vocab = Llama.llama_model_get_vocab(model);
    }

    /**
     * Loads {@code gguf} with llama.cpp (loading the native libraries first when needed).
     *
     * @throws dev.r1.bindings.NativeLibraryException when llama.cpp's libraries are missing
     * @throws LlamaCppException when llama.cpp rejects the file
     */
    public static LlamaCppModel load(Path gguf) {
        if (!Files.isRegularFile(gguf)) throw new LlamaCppException("model file not found: " + gguf);
        NativeLibraries.llama();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = Llama.llama_model_default_params(a);
            llama_model_params.n_gpu_layers(params, 0);
            MemorySegment m = Llama.llama_model_load_from_file(a.allocateFrom(gguf.toAbsolutePath().toString()), params);
            if (m.equals(MemorySegment.NULL))
                throw new LlamaCppException("llama.cpp could not load " + gguf + " (not a GGUF model it supports;"
                        + " raise logger dev.r1.llama to DEBUG for its reason)");
            return new LlamaCppModel(gguf, m);
        }
    }

    public Path file() {
        return file;
    }

    /** A new session over this model; the model must outlive it. */
    public LlamaCppSession newSession(SessionOptions options) {
        return new LlamaCppSession(this, options, false);
    }

    /** What llama.cpp says about this model (for {@code r1 info}). */
    public LlamaCppModelInfo info() {
        MemorySegment m = handle();
        Map<String, String> meta = new LinkedHashMap<>();
        for (int i = 0, n = Llama.llama_model_meta_count(m); i < n; i++) {
            final int idx = i;
            String k = readString((buf, len) -> Llama.llama_model_meta_key_by_index(m, idx, buf, len));
            String v = readString((buf, len) -> Llama.llama_model_meta_val_str_by_index(m, idx, buf, len));
            meta.put(k, v);
        }
        return new LlamaCppModelInfo(file, readString((buf, len) -> Llama.llama_model_desc(m, buf, len)),
                Llama.llama_model_n_params(m), Llama.llama_model_size(m), Llama.llama_model_n_ctx_train(m),
                Llama.llama_model_n_embd(m), Llama.llama_model_n_layer(m), Llama.llama_vocab_n_tokens(vocab),
                NativeLibraries.llama().cpuVariant(), meta);
    }

    /**
     * llama.cpp's string getters return the full length (snprintf style) and write at most len bytes:
     * grow and retry when the first buffer was too small.
     */
    static String readString(BiFunction<MemorySegment, Long, Integer> getter) {
        long cap = 256;
        while (true) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(cap);
                int n = getter.apply(buf, cap);
                if (n < 0) return "";
                if (n < cap) return buf.getString(0);
                cap = n + 1L;
            }
        }
    }

    MemorySegment handle() {
        if (model == null) throw new IllegalStateException("model " + file + " is closed");
        return model;
    }

    MemorySegment vocab() {
        handle();
        return vocab;
    }

    @Override
    public synchronized void close() {
        if (model != null) {
            Llama.llama_model_free(model);
            model = null;
        }
    }
}
