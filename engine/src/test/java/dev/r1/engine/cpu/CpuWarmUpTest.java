package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.model.JavaModel;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CpuBackend#warmUp}: it runs the model's kernels on small copies of its matrices before the first prompt, so
 * it must change no result, and in a fresh JVM the first prompt must then run compiled code: uncompiled Vector API
 * code allocates for every operation, which the bytes a prompt allocates show.
 */
class CpuWarmUpTest {
    @TempDir static Path dir;
    static Path gguf;
    static final int[] PROMPT = {11, 42, 7, 300, 5};

    @BeforeAll
    static void model() {
        // Q4_0 (Q4x8) and a Q6_K ffn_down (256 columns: ggml's lanes, Q6Kx8.gemvGgml): two kernels to warm up
        ModelConfig cfg = Presets.get("tiny-qwen2");
        gguf = dir.resolve("tiny-warm.gguf");
        SyntheticModel.write(gguf, true, cfg, "tiny-qwen2", 77, s -> s.isVector() ? GgmlType.F32
                        : s.name().endsWith("ffn_down.weight") ? GgmlType.Q6_K : GgmlType.Q4_0,
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
    }

    /** The logits of {@link #PROMPT} and then four greedy steps, concatenated. */
    static float[] logits(JavaModel m) {
        List<float[]> all = new ArrayList<>();
        try (Session s = m.newSession(new SessionOptions(1, 64, 8))) {
            s.prefill(PROMPT);
            float[] l = s.lastLogits();
            all.add(l.clone());
            for (int i = 0; i < 4; i++) all.add((l = s.decode(dev.r1.engine.Logits.argmax(l))).clone());
        }
        float[] out = new float[all.stream().mapToInt(a -> a.length).sum()];
        int o = 0;
        for (float[] a : all) {
            System.arraycopy(a, 0, out, o, a.length);
            o += a.length;
        }
        return out;
    }

    @Test
    void warmUpChangesNoResult() {
        float[] warmed, cold;
        try (JavaModel m = JavaModel.load(gguf, t -> new CpuBackend(t, 0), 2)) {
            m.warmUp();
            warmed = logits(m);
        }
        try (JavaModel m = JavaModel.load(gguf, t -> new CpuBackend(t, Long.MAX_VALUE), 2)) {
            cold = logits(m);
        }
        assertArrayEquals(cold, warmed); // bit for bit: the warm-up shares the matmul's scratch with the model
    }

    @Test
    void anInterruptedWarmUpStopsWithinACall() throws Exception {
        CpuBackend[] be = new CpuBackend[1];
        try (JavaModel m = JavaModel.load(gguf, t -> be[0] = new CpuBackend(t, 0), 2)) {
            // 500 million calls a round: hours unless it stops when interrupted, as a chat's first prompt does
            Thread t = Thread.ofPlatform().daemon().start(() -> be[0].warmUp(500_000_000));
            Thread.sleep(200);
            t.interrupt();
            t.join(30_000);
            assertTrue(!t.isAlive(), "the warm-up went on after its thread was interrupted");
            assertArrayEquals(logits(m), logits(m)); // and the model still answers, the same each time
        }
    }

    @Test
    void aFreshJvmsFirstPromptRunsCompiledKernels() throws Exception {
        long warm = firstPromptBytes(true), cold = firstPromptBytes(false);
        System.out.println("first prompt, bytes allocated: " + warm + " warmed up, " + cold + " not");
        // uncompiled, every vector operation of the kernels allocates, so a warm-up that compiled nothing would leave
        // the two alike. Zen 4, two threads: 75 MB cold, 5 MB warmed (what is left: attention's first calls, its
        // exp table, the prompt's own arrays). 31-59 MB warmed, by chance, while the warm-up gave rows of 128 columns as
        // few calls as an R1 distill's: some kernels were still in C1's code (session 27)
        assertTrue(cold > 5 * warm, "warmed " + warm + " bytes, cold " + cold);
    }

    static long firstPromptBytes(boolean warmUp) throws Exception {
        ForkedJvm.Result run = ForkedJvm.run(CpuWarmUpTest.class, ForkedJvm.jitOptions(), gguf.toString(), String.valueOf(warmUp));
        assertEquals(0, run.exit(), run.tail(20));
        Matcher m = Pattern.compile("first prompt bytes: (\\d+)").matcher(run.text());
        assertTrue(m.find(), run.tail(20));
        return Long.parseLong(m.group(1));
    }

    /** The forked JVM: loads the model, warmed up or not, and prints the bytes its first prompt and step allocate. */
    public static void main(String[] args) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long minBytes = Boolean.parseBoolean(args[1]) ? 0 : Long.MAX_VALUE;
        try (JavaModel m = JavaModel.load(Path.of(args[0]), t -> new CpuBackend(t, minBytes), 2)) {
            m.warmUp();
            Session s = m.newSession(new SessionOptions(1, 64, 8));
            long before = mx.getTotalThreadAllocatedBytes();
            s.prefill(PROMPT);
            s.decode(dev.r1.engine.Logits.argmax(s.lastLogits()));
            System.out.println("first prompt bytes: " + (mx.getTotalThreadAllocatedBytes() - before));
            s.close();
        }
    }
}
