package dev.r1.engine.llamacpp;

import java.nio.file.Path;
import java.util.Map;

/**
 * What llama.cpp reports about a GGUF file.
 *
 * @param desc       llama.cpp's one-line description, e.g. "qwen2 1.5B Q4_0"
 * @param nParams    parameter count
 * @param sizeBytes  bytes of tensor data
 * @param metadata   every GGUF key/value as llama.cpp renders it, in file order
 * @param cpuVariant the ggml CPU backend that would run it
 */
public record LlamaCppModelInfo(Path file, String desc, long nParams, long sizeBytes, int nCtxTrain, int nEmbd,
                                int nLayer, int vocabSize, String cpuVariant, Map<String, String> metadata) {
    public LlamaCppModelInfo {
        metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
    }

    /** Loads {@code gguf} with llama.cpp just long enough to ask. */
    public static LlamaCppModelInfo of(Path gguf) {
        try (LlamaCppModel m = LlamaCppModel.load(gguf)) {
            return m.info();
        }
    }
}
