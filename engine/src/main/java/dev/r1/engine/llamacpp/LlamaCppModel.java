package dev.r1.engine.llamacpp;

import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.llama.Llama;
import dev.r1.bindings.llama.llama_model_params;
import dev.r1.engine.Model;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.generate.TextDecoder;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A GGUF file loaded (memory-mapped, CPU only) by llama.cpp through the generated bindings. Sessions made
 * from it share its weights; close the sessions first, then the model.
 */
public final class LlamaCppModel implements Model {
    private final Path file;
    private MemorySegment model;
    private final MemorySegment vocab;
    private final boolean vocabOnly;

    private LlamaCppModel(Path file, MemorySegment model, boolean vocabOnly) {
        this.file = file;
        this.model = model;
        this.vocabOnly = vocabOnly;
        this.vocab = Llama.llama_model_get_vocab(model);
    }

    /**
     * Loads {@code gguf} with llama.cpp (loading the native libraries first when needed).
     *
     * @throws dev.r1.bindings.NativeLibraryException when llama.cpp's libraries are missing
     * @throws LlamaCppException when llama.cpp rejects the file
     */
    public static LlamaCppModel load(Path gguf) {
        return load(gguf, false);
    }

    /**
     * Loads only the vocabulary of {@code gguf} (no tensors are read, so the file may hold none): enough for
     * {@link #tokenize}, {@link #detokenize}, {@link #piece}, not for sessions.
     */
    public static LlamaCppModel loadVocabOnly(Path gguf) {
        return load(gguf, true);
    }

    private static LlamaCppModel load(Path gguf, boolean vocabOnly) {
        if (!Files.isRegularFile(gguf)) throw new LlamaCppException("model file not found: " + gguf);
        NativeLibraries.llama();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = Llama.llama_model_default_params(a);
            llama_model_params.n_gpu_layers(params, 0);
            llama_model_params.vocab_only(params, vocabOnly);
            MemorySegment m = Llama.llama_model_load_from_file(a.allocateFrom(gguf.toAbsolutePath().toString()), params);
            if (m.equals(MemorySegment.NULL))
                throw new LlamaCppException("llama.cpp could not load " + gguf + " (not a GGUF model it supports;"
                        + " its log says why: r1 -v shows it)");
            return new LlamaCppModel(gguf, m, vocabOnly);
        }
    }

    /** Text to ids with llama.cpp's tokenizer ({@code parseSpecial}: special-token text becomes one id). */
    public int[] tokenize(String text, boolean addBos, boolean parseSpecial) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment txt = a.allocate(Math.max(1, utf8.length));
            MemorySegment.copy(utf8, 0, txt, ValueLayout.JAVA_BYTE, 0, utf8.length);
            int cap = utf8.length + 2;
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT, cap);
            int n = Llama.llama_tokenize(vocab(), txt, utf8.length, out, cap, addBos, parseSpecial);
            if (n < 0 && n != Integer.MIN_VALUE) {   // -n = tokens needed
                cap = -n;
                out = a.allocate(ValueLayout.JAVA_INT, cap);
                n = Llama.llama_tokenize(vocab(), txt, utf8.length, out, cap, addBos, parseSpecial);
            }
            if (n < 0) throw new LlamaCppException("llama_tokenize failed (" + n + ") on " + utf8.length + " bytes");
            return out.asSlice(0, 4L * n).toArray(ValueLayout.JAVA_INT);
        }
    }

    /** Ids to text, special tokens rendered as text. */
    public String detokenize(int[] tokens) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ids = a.allocateFrom(ValueLayout.JAVA_INT, tokens.length == 0 ? new int[1] : tokens);
            int cap = tokens.length * 8 + 16;
            MemorySegment buf = a.allocate(cap);
            int n = Llama.llama_detokenize(vocab(), ids, tokens.length, buf, cap, false, true);
            if (n < 0) {
                cap = -n;
                buf = a.allocate(cap);
                n = Llama.llama_detokenize(vocab(), ids, tokens.length, buf, cap, false, true);
            }
            if (n < 0) throw new LlamaCppException("llama_detokenize failed (" + n + ")");
            return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** One token's text. */
    public String piece(int token) {
        return new String(pieceBytes(token), StandardCharsets.UTF_8);
    }

    /** One token's bytes, as llama.cpp renders it (a byte token is one byte, possibly half a character). */
    public byte[] pieceBytes(int token) {
        if (token < 0 || token >= vocabSize())
            throw new IllegalArgumentException("token id " + token + " outside the vocabulary [0, " + vocabSize() + ")");
        try (Arena a = Arena.ofConfined()) {
            int cap = 64;
            MemorySegment buf = a.allocate(cap);
            int n = Llama.llama_token_to_piece(vocab(), token, buf, cap, 0, true);
            if (n < 0) {
                cap = -n;
                buf = a.allocate(cap);
                n = Llama.llama_token_to_piece(vocab(), token, buf, cap, 0, true);
            }
            if (n < 0) throw new LlamaCppException("llama_token_to_piece failed (" + n + ") for token " + token);
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Streams the pieces' bytes through one UTF-8 decoder: text is emitted as soon as its characters are
     * complete, so a character split across tokens comes out whole, in time linear in the output.
     */
    @Override
    public TextDecoder textDecoder() {
        return new TextDecoder() {
            private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
            private ByteBuffer pending = ByteBuffer.allocate(0);

            @Override
            public String feed(int token) {
                byte[] b = pieceBytes(token);
                ByteBuffer in = ByteBuffer.allocate(pending.remaining() + b.length);
                in.put(pending).put(b).flip();
                CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
                utf8.decode(in, out, false); // leaves an unfinished character's bytes in 'in'
                pending = in;
                return out.flip().toString();
            }

            @Override
            public String flush() {
                CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
                utf8.decode(pending, out, true);
                utf8.flush(out);
                utf8.reset();
                pending = ByteBuffer.allocate(0);
                return out.flip().toString();
            }
        };
    }

    public int vocabSize() {
        return Llama.llama_vocab_n_tokens(vocab());
    }

    public Path file() {
        return file;
    }

    @Override public Path path() { return file; }
    @Override public String backend() { return "llama.cpp"; }
    @Override public String description() { return "llama.cpp (ggml-cpu-" + NativeLibraries.llama().cpuVariant() + ")"; }
    @Override public int trainContext() { return Math.max(0, Llama.llama_model_n_ctx_train(handle())); }
    @Override public int bos() { return Llama.llama_vocab_bos(vocab()); }
    @Override public boolean isEog(int token) { return token >= 0 && token < vocabSize() && Llama.llama_vocab_is_eog(vocab(), token); }

    /** A new session over this model with its own context and {@code options.threads()} threads; close it before the model. */
    @Override
    public LlamaCppSession newSession(SessionOptions options) {
        if (vocabOnly) throw new IllegalStateException(file + " was loaded for its vocabulary only");
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
