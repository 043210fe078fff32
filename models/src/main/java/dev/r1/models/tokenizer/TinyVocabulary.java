package dev.r1.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Learns a small byte-level BPE vocabulary from a built-in text for tiny test models. Deterministic: the most
 * frequent adjacent pair wins, ties go to the pair whose text sorts first.
 */
final class TinyVocabulary {
    static final List<String> R1_SPECIALS = List.of("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>",
            "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>");

    private static final String TEXT = """
            The quick brown fox jumps over the lazy dog. A reasoning model thinks before it answers: it writes
            its thoughts between think tags, then gives the answer. What is the sum of the first ten numbers?
            Let me think. One plus two is three, three plus three is six, and so on; the sum is fifty-five.
            The answer is 55. Please reason step by step, and put your final answer within a box.
            def add(a, b):
                return a + b
            for (int i = 0; i < n; i++) { total += values[i]; }
            In the beginning the model was small, and the tests were fast. Tokens, merges, and bytes:
            every string can be written, because every byte has a token of its own.
            你好，世界。我们在思考这个问题。 こんにちは。 Привет, мир! 123456789 0.5 + 0.25 = 0.75
            """;

    private TinyVocabulary() {}

    static Vocabulary build(int vocabSize) {
        int specials = R1_SPECIALS.size();
        if (vocabSize < 256 + specials) {
            throw new IllegalArgumentException("a byte-level vocabulary needs at least " + (256 + specials)
                    + " tokens (256 bytes + " + specials + " R1 special tokens), got " + vocabSize);
        }
        List<String> tokens = new ArrayList<>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
        Set<String> known = new HashSet<>(tokens);

        // Words as the qwen2 pre-tokenizer splits the text, each a list of byte-level symbols.
        Map<List<String>, Integer> words = new HashMap<>();
        int[] cps = TEXT.codePoints().toArray();
        new PreTokenizer(1).split(cps, cps.length, (s, e) -> {
            String piece = ByteLevel.encode(new String(cps, s, e - s).getBytes(StandardCharsets.UTF_8));
            List<String> syms = new ArrayList<>();
            for (int i = 0; i < piece.length(); i++) syms.add(String.valueOf(piece.charAt(i)));
            words.merge(syms, 1, Integer::sum);
        });
        List<List<String>> wordList = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        words.entrySet().stream()
                .sorted((a, b) -> String.join("", a.getKey()).compareTo(String.join("", b.getKey())))
                .forEach(e -> { wordList.add(new ArrayList<>(e.getKey())); counts.add(e.getValue()); });

        List<String> merges = new ArrayList<>();
        int target = vocabSize - specials;
        while (tokens.size() < target) {
            Map<String, Integer> pairs = new HashMap<>();
            for (int w = 0; w < wordList.size(); w++) {
                List<String> s = wordList.get(w);
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + " " + s.get(i + 1), counts.get(w), Integer::sum);
            }
            String best = null;
            int bestCount = 0;
            for (var e : pairs.entrySet()) {
                String merged = e.getKey().replace(" ", "");
                if (known.contains(merged)) continue;
                if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best == null) break; // the text is used up; the rest is padding
            int sp = best.indexOf(' ');
            String left = best.substring(0, sp), right = best.substring(sp + 1), merged = left + right;
            merges.add(best);
            tokens.add(merged);
            known.add(merged);
            for (List<String> s : wordList) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(left) && s.get(i + 1).equals(right)) {
                        s.set(i, merged);
                        s.remove(i + 1);
                    }
                }
            }
        }
        while (tokens.size() < target) tokens.add("[PAD" + tokens.size() + "]");
        int[] types = new int[vocabSize];
        for (int i = 0; i < target; i++) {
            types[i] = tokens.get(i).startsWith("[PAD") ? Vocabulary.TYPE_UNUSED : Vocabulary.TYPE_NORMAL;
        }
        for (String s : R1_SPECIALS) {
            types[tokens.size()] = HfVocabularyReader.addedTokenType(s, !s.contains("think"));
            tokens.add(s);
        }
        int bos = target, eos = target + 1;
        return new Vocabulary(tokens, types, merges, bos, eos, new int[] {eos}, eos, true, "qwen2");
    }
}
