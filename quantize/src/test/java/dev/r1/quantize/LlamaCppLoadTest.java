package dev.r1.quantize;

import dev.r1.quantize.synth.SyntheticHfModel;
import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.llama.Llama;
import dev.r1.bindings.llama.llama_model_params;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * llama.cpp (the pinned prebuilt library, through the bindings) loads what the converter writes:
 * small models with the real Qwen / Llama 3.1 tokenizers, and reports the shapes and parameter count
 * we wrote. (Comparing its logits with our engine's is an engine test: engine depends on quantize.)
 */
class LlamaCppLoadTest {
    @TempDir Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"qwen3,Q4_K_M", "llama3_1,Q4_0"})
    void llamaCppLoadsTheOutput(String tokenizer, String target) throws Exception {
        boolean llama = tokenizer.startsWith("llama");
        Path tok = Path.of(System.getProperty("r1.deps"), "tokenizers", tokenizer);
        int vocab = llama ? 128256 : 151669;
        SyntheticHfModel m = new SyntheticHfModel(llama, 21, 64, 2, 32, 128, vocab, tok);
        Path in = m.write(tmp.resolve("model"), 1);
        Path out = tmp.resolve("model.gguf");
        ConversionReport rep = Converter.convert(in, out, ConvertOptions.of(TargetType.parse(target)));
        NativeLibraries.llama();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = Llama.llama_model_default_params(a);
            llama_model_params.n_gpu_layers(params, 0);
            MemorySegment model = Llama.llama_model_load_from_file(a.allocateFrom(out.toString()), params);
            assertNotEquals(MemorySegment.NULL, model, "llama.cpp could not load " + out);
            try {
                assertEquals(m.hidden, Llama.llama_model_n_embd(model));
                assertEquals(m.layers, Llama.llama_model_n_layer(model));
                assertEquals(vocab, Llama.llama_vocab_n_tokens(Llama.llama_model_get_vocab(model)));
                assertEquals(rep.weights(), Llama.llama_model_n_params(model));
            } finally {
                Llama.llama_model_free(model);
            }
        }
    }
}
