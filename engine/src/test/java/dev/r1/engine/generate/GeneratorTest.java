package dev.r1.engine.generate;

import dev.r1.engine.sampling.Sampler;
import dev.r1.engine.sampling.SamplerOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import dev.r1.models.tokenizer.StreamingDecoder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decode loop on a scripted model: greedy sampling over one-hot logits replays a fixed token
 * sequence, whose byte pieces split UTF-8 characters, think tags and stop strings across tokens.
 */
class GeneratorTest {
    static final int EOG = 0;

    /** Token i (1..) has piece PIECES[i]; the script says which token comes after each step. */
    static final byte[][] PIECES;

    static {
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);      // 2 bytes
        byte[] smile = "😀".getBytes(StandardCharsets.UTF_8); // 4 bytes
        PIECES = new byte[][] {
                new byte[0],                                   // 0: EOG
                "Let me".getBytes(StandardCharsets.UTF_8),     // 1
                " think</th".getBytes(StandardCharsets.UTF_8), // 2
                "ink>".getBytes(StandardCharsets.UTF_8),       // 3
                new byte[] {e[0]},                             // 4: first byte of é
                new byte[] {e[1], 'x'},                        // 5
                new byte[] {smile[0]},                         // 6
                Arrays.copyOfRange(smile, 1, 4),               // 7
                " STO".getBytes(StandardCharsets.UTF_8),       // 8
                "P! more".getBytes(StandardCharsets.UTF_8),    // 9
                "<".getBytes(StandardCharsets.UTF_8),          // 10: could start a tag, then doesn't
                "b>".getBytes(StandardCharsets.UTF_8),         // 11
        };
    }

    static final class Scripted implements TokenModel {
        final int[] script;
        final int ctx;
        int pos;
        final List<Integer> fed = new ArrayList<>();

        Scripted(int ctx, int startPos, int... script) {
            this.script = script;
            this.ctx = ctx;
            this.pos = startPos;
        }

        float[] logitsFor(int step) {
            float[] l = new float[PIECES.length];
            l[script[Math.min(step, script.length - 1)]] = 10f;
            return l;
        }

        @Override public float[] decode(int token) {
            fed.add(token);
            pos++;
            return logitsFor(fed.size());
        }
        @Override public boolean isEog(int token) { return token == EOG; }
        @Override public int position() { return pos; }
        @Override public int contextSize() { return ctx; }
    }

    record Chunk(String text, boolean thinking) {}

    static GenerationResult run(Scripted m, GenerateOptions o, List<Chunk> out, java.util.function.BooleanSupplier cancel) {
        Generator g = new Generator(m, new Sampler(SamplerOptions.greedy()), TextDecoder.of(new StreamingDecoder(t -> PIECES[t])));
        return g.generate(m.logitsFor(0), o, (t, th) -> out.add(new Chunk(t, th)), cancel);
    }

    @Test
    void splitsReasoningFromAnswerAndKeepsCharactersWhole() {
        Scripted m = new Scripted(100, 10, 1, 2, 3, 4, 5, 6, 7, 10, 11, EOG);
        List<Chunk> out = new ArrayList<>();
        GenerationResult r = run(m, new GenerateOptions(50, List.of(), true), out, () -> false);
        assertEquals(StopReason.EOG, r.reason());
        assertEquals("Let me think", r.reasoning());
        assertEquals("éx😀<b>", r.answer());
        assertFalse(r.endedInThink());
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 10, 11, EOG}, r.tokens());
        for (Chunk c : out) {
            assertFalse(c.text().contains("\uFFFD"), "split character: " + out);
            assertFalse(c.text().contains("<th") || c.text().contains("ink>"), "tag leaked: " + out);
        }
        assertTrue(out.stream().anyMatch(c -> c.thinking() && c.text().equals("Let me")), "streams before the tag completes: " + out);
        // every sampled token but the EOG was fed back
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 10, 11), m.fed);
    }

    @Test
    void stopStringSplitAcrossTokensEndsGenerationWithoutBeingEmitted() {
        Scripted m = new Scripted(100, 0, 1, 8, 9, 1, 1);
        List<Chunk> out = new ArrayList<>();
        GenerationResult r = run(m, new GenerateOptions(50, List.of("STOP!"), false), out, () -> false);
        assertEquals(StopReason.STOP_STRING, r.reason());
        assertEquals("Let me ", r.answer());
        assertEquals("", r.reasoning());
        assertEquals(3, r.tokens().length);
    }

    @Test
    void stopsAtMaxTokensAndAtFullContextAndOnCancel() {
        GenerationResult r = run(new Scripted(100, 0, 1, 1, 1, 1), new GenerateOptions(3, List.of(), true), new ArrayList<>(), () -> false);
        assertEquals(StopReason.MAX_TOKENS, r.reason());
        assertEquals("Let meLet meLet me", r.reasoning());
        assertTrue(r.endedInThink());

        Scripted full = new Scripted(12, 10, 1, 1, 1, 1);
        r = run(full, new GenerateOptions(50, List.of(), false), new ArrayList<>(), () -> false);
        assertEquals(StopReason.CONTEXT_FULL, r.reason());
        assertEquals(12, full.position()); // never decoded past the context
        assertEquals(3, r.tokens().length);

        int[] calls = {0};
        r = run(new Scripted(100, 0, 1), new GenerateOptions(50, List.of(), false), new ArrayList<>(), () -> ++calls[0] > 2);
        assertEquals(StopReason.CANCELLED, r.reason());
        assertEquals(2, r.tokens().length);
    }

    @Test
    void unfinishedCharacterAtTheEndBecomesReplacementCharacter() {
        GenerationResult r = run(new Scripted(100, 0, 1, 6, EOG), new GenerateOptions(50, List.of(), false), new ArrayList<>(), () -> false);
        assertEquals("Let me\uFFFD", r.answer());
    }

}
