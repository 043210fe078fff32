package dev.r1.models;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Every bound a model file cannot move, in one place. Model files come from strangers: each count or
 * length a file states is checked against one of these before anything sized by it is allocated or
 * looped over, and exceeding one is a {@link ModelException} naming the file, the field and the limit.
 * Real files stay far below each (the largest figure a real R1 distill needs is in the comment).
 * docs/RELIABILITY.md lists them; every one has a test at the cap and one past it (LimitsTest and the
 * parsers' tests).
 */
public final class Limits {
    private Limits() {}

    // ---- GGUF header

    /** One GGUF string (key, value, tensor name, array element). A 150k-token chat template is ~10 KB. */
    public static final long GGUF_STRING_BYTES = 1L << 24;
    /** All GGUF metadata strings together: the whole metadata size. A 152k-token vocabulary plus merges is ~6 MB. */
    public static final long GGUF_METADATA_BYTES = 1L << 27;
    /** Metadata key/value pairs. Converters write ~40. */
    public static final long GGUF_METADATA_ENTRIES = 1L << 16;
    /** Array elements in all of a file's metadata. A tokenizer is 3 arrays of <= 256k entries plus merges. */
    public static final long GGUF_ARRAY_ELEMENTS = 1L << 23;
    /** Nesting of GGUF arrays of arrays (converters write none). */
    public static final int GGUF_ARRAY_DEPTH = 8;
    /** Tensors in one GGUF file. The 70B distill has 724. */
    public static final long GGUF_TENSORS = 1L << 16;
    /** Dimensions of a GGUF tensor: ggml's GGML_MAX_DIMS. */
    public static final int GGUF_DIMS = 4;
    /** A tensor name in bytes: ggml's GGML_MAX_NAME (64) less the NUL. */
    public static final int TENSOR_NAME_BYTES = 63;
    /** The largest general.alignment accepted (a power of two; converters write 32). */
    public static final long GGUF_ALIGNMENT = 1L << 30;

    // ---- safetensors

    /** The JSON header of a .safetensors file: the reference implementation's limit. */
    public static final long SAFETENSORS_HEADER_BYTES = 100_000_000;
    /** Dimensions of a safetensors tensor. */
    public static final int SAFETENSORS_DIMS = 8;

    // ---- model shape (config.json, GGUF <arch>.* keys)

    /** Decoder layers: llama.cpp's LLAMA_MAX_LAYERS. The 70B distill has 80. */
    public static final int LAYERS = 512;
    /** Hidden, feed-forward and head sizes. The 70B distill's largest is ffn 28672. */
    public static final int MODEL_DIM = 1 << 20;
    /** Attention heads (and KV heads). The 70B distill has 64. */
    public static final int HEADS = 1 << 12;
    /** Context length a config may state. Llama 3.1 states 131072. */
    public static final int CONTEXT = 1 << 24;

    // ---- tokenizer

    /** Tokens of a vocabulary, and embedding rows (vocab_size). Qwen2 has 152064, Llama 3 128256. */
    public static final int VOCAB = 1 << 20;
    /** BPE merges. Llama 3 has 280147. */
    public static final int MERGES = 1 << 20;

    // ---- JSON files (config.json, tokenizer.json, tokenizer_config.json, the safetensors index)

    /** Nesting depth of a JSON document. tokenizer.json nests about 6 deep. */
    public static final int JSON_DEPTH = 64;
    /** One JSON file. The largest real tokenizer.json (a 256k vocabulary) is ~35 MB. */
    public static final long JSON_FILE_BYTES = 64L << 20;
    /** One JSON string. Chat templates are a few KB. */
    public static final int JSON_STRING_CHARS = 1 << 24;

    // ---- chat templates (Jinja code from the model file)

    /** Characters a chat template may render (a 128k-token prompt is ~600k characters). */
    public static final long TEMPLATE_OUTPUT_CHARS = 16L << 20;
    /** Wall-clock time one render may take before it is stopped. */
    public static final long TEMPLATE_RENDER_MILLIS = 2_000;
    /** Elements of a list or map a chat template builds, and the largest range() it may ask for. */
    public static final int TEMPLATE_COLLECTION_SIZE = 1 << 16;
    /**
     * Nesting of brackets in a chat template, and of block tags (if, for, macro...). Real templates nest
     * a handful deep; Jinjava's expression parser slows down quadratically with depth (100k nested
     * parentheses parse for minutes, where no render deadline can reach) and recurses without bound.
     */
    public static final int TEMPLATE_NESTING = 64;
    /** Length of a chat template's source. */
    public static final int TEMPLATE_SOURCE_CHARS = 1 << 20;

    /** A Jackson mapper for untrusted JSON files: the depth, string and size caps above, duplicate keys and trailing content refused. */
    public static ObjectMapper jsonMapper() {
        return jsonMapper(JSON_FILE_BYTES);
    }

    /** The same for a JSON document of at most {@code maxBytes} (a safetensors header). */
    public static ObjectMapper jsonMapper(long maxBytes) {
        JsonFactory f = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(JSON_DEPTH).maxStringLength(JSON_STRING_CHARS).maxDocumentLength(maxBytes)
                .build()).build();
        // Strict as serde_json (the safetensors reference): no duplicate keys, nothing after the value.
        return new ObjectMapper(f).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /**
     * Checks a JSON file's size before it is read (a parser stops at the end of the value, so trailing
     * bytes would never reach its own document-length check).
     */
    public static void checkJsonFile(java.nio.file.Path file) {
        long size;
        try {
            size = java.nio.file.Files.size(file);
        } catch (java.io.IOException e) {
            return; // missing or unreadable: the reader's own error names it
        }
        check(file, "file size", size, JSON_FILE_BYTES, "bytes");
    }

    /**
     * Checks a count or size a file states against its cap.
     *
     * @throws ModelException {@code "<file>: <field>: <value> exceeds r1's limit of <cap> <what>"}
     */
    public static long check(Object file, String field, long value, long cap, String what) {
        if (value > cap) {
            throw ModelException.at(file, field, value + " exceeds r1's limit of " + cap + (what.isEmpty() ? "" : " " + what)
                    + " (dev.r1.models.Limits): the file is corrupt or hostile");
        }
        return value;
    }
}
