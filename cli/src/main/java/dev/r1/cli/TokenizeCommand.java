package dev.r1.cli;

import dev.r1.models.tokenizer.BpeTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Print the token ids of a text, e.g. [151646, 9707, 1879].", "",
                "Special tokens written in the text (<｜User｜>, <think>) are matched as tokens.", "",
                "Example: r1 tokenize model.gguf 'Hello world' --pieces"})
final class TokenizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file or HF model directory")
    Path model;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TEXT", description = "text to encode (or use --stdin)")
    String text;

    @Option(names = "--stdin", description = "read the text from standard input (all of it, verbatim)")
    boolean stdin;

    @Option(names = "--pieces", description = "also print each token's text")
    boolean pieces;

    @Option(names = "--no-bos", description = "leave BOS out even when the tokenizer adds it")
    boolean noBos;

    @Option(names = "--json", description = "print [{\"id\": 151646, \"piece\": \"<｜begin▁of▁sentence｜>\", \"bytes\": \"...\"}, ...]")
    boolean json;

    @Override
    public Integer call() {
        if (stdin == (text != null))
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "give TEXT or --stdin (one of them)");
        String input = text;
        if (stdin) {
            try {
                input = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read standard input", e);
            }
        }
        BpeTokenizer tok = new BpeTokenizer(Tokenizers.load(model));
        int[] ids = tok.encode(input, tok.vocabulary().addBos() && !noBos, true);
        if (json) {
            var list = new java.util.ArrayList<java.util.Map<String, Object>>();
            for (int id : ids) {
                byte[] b = tok.pieceBytes(id);
                var o = new java.util.LinkedHashMap<String, Object>();
                o.put("id", id);
                o.put("piece", pieceText(b));
                o.put("bytes", java.util.HexFormat.of().formatHex(b));
                list.add(o);
            }
            System.out.println(RunJson.write(list));
            return 0;
        }
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int id : ids) j.add(Integer.toString(id));
        System.out.println(j);
        if (pieces) for (int id : ids) System.out.printf("%8d  %s%n", id, quote(pieceText(tok.pieceBytes(id))));
        return 0;
    }

    /**
     * A token's bytes as text; bytes that are not whole UTF-8 characters (a token holding part of one,
     * e.g. the first byte of '—') are shown as {@code <0xE2>}, as llama.cpp names byte tokens.
     */
    static String pieceText(byte[] b) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < b.length) {
            int n = utf8Length(b, i);
            if (n > 0) {
                sb.append(new String(b, i, n, StandardCharsets.UTF_8));
                i += n;
            } else {
                sb.append(String.format("<0x%02X>", b[i] & 0xff));
                i++;
            }
        }
        return sb.toString();
    }

    /** Length of the valid UTF-8 character starting at {@code i}, or 0 if the bytes there are not one. */
    private static int utf8Length(byte[] b, int i) {
        int c = b[i] & 0xff;
        int n;
        int min;
        if (c < 0x80) return 1;
        else if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
        else return 0;
        if (i + n > b.length) return 0;
        int cp = c & (0xFF >> (n + 1));
        for (int k = 1; k < n; k++) {
            int d = b[i + k] & 0xff;
            if ((d & 0xC0) != 0x80) return 0;
            cp = cp << 6 | d & 0x3F;
        }
        if (cp < min || cp > 0x10FFFF || cp >= 0xD800 && cp <= 0xDFFF) return 0;
        return n;
    }

    /** Shows whitespace and control characters so a piece like " \n" is visible. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\'' -> sb.append("\\'");
                default -> sb.append(c < 0x20 ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('\'').toString();
    }
}
