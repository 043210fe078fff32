package dev.r1.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Encode throughput in MB/s (UTF-8 input bytes per second) on 1 MB of mixed text: the exactness corpus
 * (English, CJK, Arabic, Hindi, code, emoji, whitespace runs) interleaved with random words, so most pieces
 * miss the per-piece cache. "cold" is the first pass of a fresh tokenizer, "warm" the best of later passes.
 * Not a test: run it by hand.
 * <pre>
 * mvn -q -pl models test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp models/target/test-classes:models/target/classes:$(cat /tmp/cp.txt) -Dr1.deps=.deps \
 *      dev.r1.models.tokenizer.TokenizerBench
 * </pre>
 */
public final class TokenizerBench {
    public static void main(String[] args) throws Exception {
        String text = mixedText(1 << 20, 1234);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        String cpu = Files.lines(Path.of("/proc/cpuinfo")).filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 2)).orElse("?");
        System.out.printf("machine: %s, %d cores visible; input %d bytes, %d chars; 1 thread%n", cpu,
                Runtime.getRuntime().availableProcessors(), bytes, text.length());
        System.out.printf("%-22s %8s %10s %10s %10s%n", "tokenizer", "load s", "tokens", "cold MB/s", "warm MB/s");
        StringBuilder json = new StringBuilder("[");
        for (String name : List.of("qwen3", "llama3_1", "r1-qwen", "tiny-512")) {
            long t0 = System.nanoTime();
            Vocabulary v = switch (name) {
                case "r1-qwen" -> R1Vocabularies.qwen(TokenizerFixtures.depsDir("qwen3"));
                case "tiny-512" -> Vocabulary.tinyByteLevel(512);
                default -> Vocabulary.fromHf(TokenizerFixtures.depsDir(name));
            };
            BpeTokenizer tok = new BpeTokenizer(v);
            double load = (System.nanoTime() - t0) / 1e9;
            long c0 = System.nanoTime();
            int tokens = tok.encode(text, false, true).length;
            double cold = bytes / 1e6 / ((System.nanoTime() - c0) / 1e9);
            double warm = 0;
            for (int i = 0; i < 5; i++) {
                long w0 = System.nanoTime();
                tok.encode(text, false, true);
                warm = Math.max(warm, bytes / 1e6 / ((System.nanoTime() - w0) / 1e9));
            }
            System.out.printf("%-22s %8.2f %10d %10.2f %10.2f%n", name, load, tokens, cold, warm);
            json.append(json.length() > 1 ? "," : "").append(String.format(
                    "{\"tokenizer\":\"%s\",\"input_bytes\":%d,\"tokens\":%d,\"load_s\":%.3f,\"cold_mb_s\":%.3f,\"warm_mb_s\":%.3f}",
                    name, bytes, tokens, load, cold, warm));
        }
        System.out.println(json.append("]"));
    }

    /** About {@code targetBytes} of UTF-8: corpus strings and random multi-script words, deterministic. */
    static String mixedText(int targetBytes, long seed) {
        List<String> corpus = TokenizerFixtures.corpus();
        Random rnd = new Random(seed);
        String[] alphabets = {"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "的一是不了人我在有他这中大来上国个到说们",
                "あいうえおかきくけこさしすせそ", "абвгдежзийклмнопрст", "αβγδεζηθικλμ", "0123456789", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"};
        String[] seps = {" ", " ", " ", ", ", ". ", "\n", "\t", "  ", "(", ")", " = ", ";\n    "};
        StringBuilder b = new StringBuilder();
        int size = 0;
        while (size < targetBytes) {
            String piece;
            if (rnd.nextInt(4) == 0) {
                piece = corpus.get(rnd.nextInt(corpus.size()));
            } else {
                String a = alphabets[rnd.nextInt(alphabets.length)];
                StringBuilder w = new StringBuilder();
                for (int i = 1 + rnd.nextInt(10); i > 0; i--) w.append(a.charAt(rnd.nextInt(a.length())));
                piece = w.toString();
            }
            piece += seps[rnd.nextInt(seps.length)];
            b.append(piece);
            size += piece.getBytes(StandardCharsets.UTF_8).length;
        }
        return b.toString();
    }
}
