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
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int id : ids) j.add(Integer.toString(id));
        System.out.println(j);
        if (pieces) for (int id : ids) System.out.printf("%8d  %s%n", id, quote(tok.decode(new int[]{id})));
        return 0;
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
