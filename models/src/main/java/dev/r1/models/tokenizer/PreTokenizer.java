package dev.r1.models.tokenizer;

/**
 * Splits text into the pieces BPE runs on, exactly as the Qwen2 and Llama-3 pre-tokenizer regex does:
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 * with D = 1 (qwen2, deepseek-r1-qwen) or 3 (llama-bpe). Written as a scanner rather than run through
 * java.util.regex: it is several times faster, and {@code \s+(?!\S)} cannot backtrack quadratically on long
 * whitespace runs. {@code \s} is Unicode White_Space, {@code (?i)} is ASCII case folding (as the
 * reference implementations do). Works on code points; pieces are reported as code-point ranges.
 */
final class PreTokenizer {
    private final int maxDigits;

    PreTokenizer(int maxDigits) {
        this.maxDigits = maxDigits;
    }

    /** The pre-tokenizer a GGUF {@code tokenizer.ggml.pre} name stands for. */
    static PreTokenizer forPre(String pre) {
        return switch (pre) {
            case "qwen2", "deepseek-r1-qwen" -> new PreTokenizer(1);
            case "llama-bpe", "llama3" -> new PreTokenizer(3);
            default -> throw new IllegalArgumentException("unsupported pre-tokenizer '" + pre
                    + "' (supported: qwen2, deepseek-r1-qwen, llama-bpe)");
        };
    }

    interface Sink { void piece(int start, int end); }

    /** Calls {@code sink} with [start, end) of each piece of {@code cps[0..n)}, in order, covering all of it. */
    void split(int[] cps, int n, Sink sink) {
        int i = 0;
        while (i < n) {
            int end = next(cps, n, i);
            sink.piece(i, end);
            i = end;
        }
    }

    private int next(int[] cps, int n, int i) {
        int c = cps[i];
        if (c == '\'' && i + 1 < n) {
            int c1 = asciiLower(cps[i + 1]);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return i + 2;
            if (i + 2 < n) {
                int c2 = asciiLower(cps[i + 2]);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return i + 3;
            }
        }
        if (isLetter(c)) return letters(cps, n, i + 1);
        if (c != '\r' && c != '\n' && !isNumber(c) && i + 1 < n && isLetter(cps[i + 1])) return letters(cps, n, i + 2);
        if (isNumber(c)) {
            int j = i + 1;
            while (j < n && j - i < maxDigits && isNumber(cps[j])) j++;
            return j;
        }
        int k = c == ' ' ? i + 1 : i;
        if (k < n && isOther(cps[k])) {
            int j = k + 1;
            while (j < n && isOther(cps[j])) j++;
            while (j < n && (cps[j] == '\r' || cps[j] == '\n')) j++;
            return j;
        }
        // c is whitespace here: every other kind of character was taken above.
        int j = i;
        int lastNewline = -1;
        while (j < n && isWhitespace(cps[j])) {
            if (cps[j] == '\r' || cps[j] == '\n') lastNewline = j;
            j++;
        }
        if (lastNewline >= 0) return lastNewline + 1;     // \s*[\r\n]+
        if (j == n || j - i == 1) return j;               // \s+(?!\S) to the end, or a lone \s+
        return j - 1;                                     // leave the last space to prefix the next word
    }

    private static int letters(int[] cps, int n, int j) {
        while (j < n && isLetter(cps[j])) j++;
        return j;
    }

    private static int asciiLower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    static boolean isLetter(int c) {
        if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        return Character.isLetter(c);
    }

    static boolean isNumber(int c) {
        if (c < 0x80) return c >= '0' && c <= '9';
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Unicode White_Space (the property regex engines use for \s with Unicode classes). */
    static boolean isWhitespace(int c) {
        if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028
                || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Neither whitespace, letter nor number: [^\s\p{L}\p{N}]. */
    private static boolean isOther(int c) {
        return !isWhitespace(c) && !isLetter(c) && !isNumber(c);
    }
}
