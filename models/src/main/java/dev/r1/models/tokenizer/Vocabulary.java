package dev.r1.models.tokenizer;

import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufArray;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.gguf.GgufValueType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A byte-level BPE vocabulary as GGUF stores it: token texts by id (normal tokens in GPT-2 byte-level form,
 * added tokens as their plain text), llama.cpp token types, merges in rank order ("a b"), the special ids,
 * whether BOS is prepended, the pre-tokenizer name ({@code tokenizer.ggml.pre}) and whether EOS is appended
 * (never by the R1 tokenizers; kept so a converted GGUF says what the tokenizer said). Ids are -1 when absent.
 */
public record Vocabulary(List<String> tokens, int[] tokenTypes, List<String> merges, int bosId, int eosId,
                         int[] eogIds, int padId, boolean addBos, String pre, boolean addEos) {

    /** llama.cpp token types ({@code tokenizer.ggml.token_type}). */
    public static final int TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER_DEFINED = 4,
            TYPE_UNUSED = 5, TYPE_BYTE = 6;

    /** Texts of end-of-generation tokens llama.cpp recognises besides EOS. */
    static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>",
            "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<|end|>", "<end_of_turn>");

    /** Whether a token with this text ends generation (the one list both engines' EOG sets use). */
    public static boolean isEogText(String tokenText) { return EOG_TEXTS.contains(tokenText); }

    public Vocabulary {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        tokenTypes = tokenTypes.clone();
        eogIds = eogIds.clone();
        if (tokenTypes.length != tokens.size()) {
            throw new IllegalArgumentException("token_type has " + tokenTypes.length + " entries for "
                    + tokens.size() + " tokens");
        }
        for (int id : new int[] {bosId, eosId, padId}) checkId(id, tokens.size(), true);
        for (int id : eogIds) checkId(id, tokens.size(), false);
        PreTokenizer.forPre(pre); // rejects unknown names early, with the list of known ones
    }

    /** A vocabulary that does not append EOS (as every tokenizer this project reads). */
    public Vocabulary(List<String> tokens, int[] tokenTypes, List<String> merges, int bosId, int eosId,
                      int[] eogIds, int padId, boolean addBos, String pre) {
        this(tokens, tokenTypes, merges, bosId, eosId, eogIds, padId, addBos, pre, false);
    }

    private static void checkId(int id, int size, boolean mayBeAbsent) {
        if ((id < 0 && !(mayBeAbsent && id == -1)) || id >= size) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + size);
        }
    }

    public int size() { return tokens.size(); }

    /** The (defensive copy of the) token types. */
    @Override public int[] tokenTypes() { return tokenTypes.clone(); }

    @Override public int[] eogIds() { return eogIds.clone(); }

    int typeOf(int id) { return tokenTypes[id]; }

    /**
     * A vocabulary from the values GGUF stores ({@code tokenizer.ggml.tokens/token_type/merges/bos_token_id/
     * eos_token_id/add_bos_token/pre}); end-of-generation ids are derived as llama.cpp does, and there is
     * no pad id. Ids of -1 mean absent.
     */
    public static Vocabulary of(List<String> tokens, int[] tokenTypes, List<String> merges, int bosId, int eosId,
                                boolean addBos, String pre) {
        if (tokenTypes.length != tokens.size()) {
            throw new IllegalArgumentException("token_type has " + tokenTypes.length + " entries for "
                    + tokens.size() + " tokens");
        }
        checkId(eosId, tokens.size(), true);
        return new Vocabulary(tokens, tokenTypes, merges, bosId, eosId, eogFor(tokens, tokenTypes, eosId), -1,
                addBos, pre);
    }

    /** The added tokens (control and user-defined), text to id, in id order. */
    public Map<String, Integer> addedTokens() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < tokenTypes.length; i++) {
            if (tokenTypes[i] == TYPE_CONTROL || tokenTypes[i] == TYPE_USER_DEFINED) m.putIfAbsent(tokens.get(i), i);
        }
        return m;
    }

    /**
     * Reads a Hugging Face model or tokenizer directory: tokenizer.json, tokenizer_config.json and, for special
     * ids tokenizer_config.json does not name, config.json ({@code bos_token_id} etc.), as llama.cpp's
     * converter does.
     */
    public static Vocabulary fromHf(Path dir) {
        return HfVocabularyReader.read(dir);
    }

    /** Reads the {@code tokenizer.ggml.*} keys of a GGUF file ({@code tokenizer.ggml.model} must be gpt2). */
    public static Vocabulary fromGguf(GgufFile gguf) {
        Path file = gguf.path();
        String model = gguf.optString("tokenizer.ggml.model").orElseThrow(() ->
                ModelException.at(file, "tokenizer.ggml.model", "missing: the file carries no tokenizer"));
        if (!model.equals("gpt2")) {
            throw ModelException.at(file, "tokenizer.ggml.model", "'" + model
                    + "' is not supported (only byte-level BPE, 'gpt2', as the R1 distills use)");
        }
        List<String> tokens = List.of(gguf.getStringArray("tokenizer.ggml.tokens"));
        Limits.check(file, "tokenizer.ggml.tokens", tokens.size(), Limits.VOCAB, "tokens");
        int[] types;
        if (gguf.has("tokenizer.ggml.token_type")) {
            types = gguf.getIntArray("tokenizer.ggml.token_type");
            if (types.length != tokens.size()) {
                throw ModelException.at(file, "tokenizer.ggml.token_type", types.length + " entries for "
                        + tokens.size() + " tokens");
            }
        } else {
            types = new int[tokens.size()];
            Arrays.fill(types, TYPE_NORMAL);
        }
        List<String> merges = gguf.has("tokenizer.ggml.merges")
                ? List.of(gguf.getStringArray("tokenizer.ggml.merges")) : List.of();
        Limits.check(file, "tokenizer.ggml.merges", merges.size(), Limits.MERGES, "merges");
        int bos = ggufId(gguf, "tokenizer.ggml.bos_token_id", tokens.size());
        int eos = ggufId(gguf, "tokenizer.ggml.eos_token_id", tokens.size());
        int pad = ggufId(gguf, "tokenizer.ggml.padding_token_id", tokens.size());
        boolean addBos = gguf.optBoolean("tokenizer.ggml.add_bos_token").orElse(bos >= 0);
        boolean addEos = gguf.optBoolean("tokenizer.ggml.add_eos_token").orElse(false);
        String pre = gguf.optString("tokenizer.ggml.pre").orElse("default");
        try {
            PreTokenizer.forPre(pre);
        } catch (IllegalArgumentException e) {
            throw ModelException.at(file, "tokenizer.ggml.pre", e.getMessage());
        }
        return new Vocabulary(tokens, types, merges, bos, eos, eogFor(tokens, types, eos), pad, addBos, pre, addEos);
    }

    private static int ggufId(GgufFile gguf, String key, int size) {
        if (!gguf.has(key)) return -1;
        long v = gguf.getLong(key);
        if (v < 0 || v >= size) {
            throw ModelException.at(gguf.path(), key, "token id " + v + " outside the vocabulary of " + size);
        }
        return (int) v;
    }

    /** EOS plus the control tokens whose text marks the end of a turn. */
    static int[] eogFor(List<String> tokens, int[] types, int eos) {
        List<Integer> out = new ArrayList<>();
        if (eos >= 0) out.add(eos);
        for (int i = 0; i < tokens.size(); i++) {
            if (i != eos && (types[i] == TYPE_CONTROL || types[i] == TYPE_USER_DEFINED)
                    && EOG_TEXTS.contains(tokens.get(i))) {
                out.add(i);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The {@code tokenizer.ggml.*} metadata for this vocabulary, its token list padded to {@code paddedVocab}
     * entries with {@code [PAD<id>]} tokens of type UNUSED, as llama.cpp's converter pads a model whose
     * embedding has more rows than the tokenizer has tokens.
     */
    public Map<String, GgufValue> toGgufMetadata(int paddedVocab) {
        if (paddedVocab < tokens.size()) {
            throw new IllegalArgumentException("padded vocab " + paddedVocab + " is smaller than the "
                    + tokens.size() + " tokens");
        }
        String[] toks = new String[paddedVocab];
        int[] types = new int[paddedVocab];
        for (int i = 0; i < paddedVocab; i++) {
            toks[i] = i < tokens.size() ? tokens.get(i) : "[PAD" + i + "]";
            types[i] = i < tokens.size() ? tokenTypes[i] : TYPE_UNUSED;
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.string(pre));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufArray.of(GgufValueType.STRING, toks)));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufArray.of(GgufValueType.INT32, types)));
        m.put("tokenizer.ggml.merges", GgufValue.array(GgufArray.of(GgufValueType.STRING,
                merges.toArray(String[]::new))));
        if (bosId >= 0) m.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(bosId));
        if (eosId >= 0) m.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(eosId));
        if (padId >= 0) m.put("tokenizer.ggml.padding_token_id", GgufValue.uint32(padId));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(addBos));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.bool(addEos));
        return m;
    }

    /**
     * A small byte-level vocabulary for tiny test models: the 256 byte tokens, merges learned
     * deterministically from a built-in text, then the R1 special tokens, exactly {@code vocabSize} entries.
     */
    public static Vocabulary tinyByteLevel(int vocabSize) {
        return TinyVocabulary.build(vocabSize);
    }

    /** Value equality, arrays compared by content (a record would compare them by identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Vocabulary v && tokens.equals(v.tokens) && Arrays.equals(tokenTypes, v.tokenTypes)
                && merges.equals(v.merges) && bosId == v.bosId && eosId == v.eosId && Arrays.equals(eogIds, v.eogIds)
                && padId == v.padId && addBos == v.addBos && pre.equals(v.pre) && addEos == v.addEos;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * tokens.hashCode() + Arrays.hashCode(tokenTypes)) + merges.hashCode() + bosId + 7 * eosId;
    }

    @Override
    public String toString() {
        return "Vocabulary[" + tokens.size() + " tokens, " + merges.size() + " merges, pre=" + pre + ", bos="
                + bosId + ", eos=" + eosId + ", addBos=" + addBos + "]";
    }
}
