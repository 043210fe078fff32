package dev.r1.models.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-written scanner must split exactly like the published regex, run by java.util.regex. */
class PreTokenizerTest {
    // \s spelled out as Unicode White_Space, so both sides agree on what a space is.
    private static final String WS = "[\\t\\n\\x0B\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
            + "\\x{202F}\\x{205F}\\x{3000}]";
    private static final String NOT_WS_L_N = "[^\\t\\n\\x0B\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}"
            + "\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\p{L}\\p{N}]";

    static Pattern regex(int maxDigits) {
        String digits = maxDigits == 1 ? "\\p{N}" : "\\p{N}{1," + maxDigits + "}";
        return Pattern.compile("'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
                + digits + "| ?" + NOT_WS_L_N + "+[\\r\\n]*|" + WS + "*[\\r\\n]+|" + WS + "+(?!" + "[^" + WS.substring(1)
                + ")|" + WS + "+");
    }

    static List<String> byRegex(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.add(s.substring(last, m.start()));
            if (m.end() > m.start()) out.add(m.group());
            last = m.end();
        }
        if (last < s.length()) out.add(s.substring(last));
        return out;
    }

    static List<String> byScanner(PreTokenizer pt, String s) {
        int[] cps = s.codePoints().toArray();
        List<String> out = new ArrayList<>();
        pt.split(cps, cps.length, (a, b) -> out.add(new String(cps, a, b - a)));
        return out;
    }

    private static final int[] ALPHABET = {'a', 'Z', 'é', '中', 'ß', 'ǅ', '0', '7', '٣', '½', 'Ⅻ', '\'', 's', 'S', 'l',
            'L', 'r', 'e', 'v', 'd', 'm', 't', ' ', ' ', ' ', '\t', '\n', '\r', 0xA0, 0x3000, 0x2028, 0x85, '!', '.',
            '-', '<', '|', '>', 0x1F600, 0x1F3FD, 0x200D, 0x301, 'x'};

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void scannerSplitsLikeTheRegex(int maxDigits) {
        Pattern p = regex(maxDigits);
        PreTokenizer pt = new PreTokenizer(maxDigits);
        Random rnd = new Random(42 + maxDigits);
        for (int iter = 0; iter < 20_000; iter++) {
            StringBuilder b = new StringBuilder();
            int len = rnd.nextInt(24);
            for (int i = 0; i < len; i++) b.appendCodePoint(ALPHABET[rnd.nextInt(ALPHABET.length)]);
            String s = b.toString();
            assertEquals(byRegex(p, s), byScanner(pt, s), () -> ReferenceCorpusTest.escape(s));
        }
        for (String s : TokenizerFixtures.corpus()) {
            assertEquals(byRegex(p, s), byScanner(pt, s), () -> ReferenceCorpusTest.escape(s));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void longWhitespaceRunsAreLinear(int maxDigits) {
        String s = " ".repeat(200_000) + "x" + "\n".repeat(1000) + " \t".repeat(100_000);
        List<String> pieces = byScanner(new PreTokenizer(maxDigits), s);
        assertEquals(List.of(" ".repeat(199_999), " x", "\n".repeat(1000), " \t".repeat(100_000)), pieces);
    }
}
