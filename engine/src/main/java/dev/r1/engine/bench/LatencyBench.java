package dev.r1.engine.bench;

import dev.r1.engine.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Batch=1 latency with llama-bench's definitions: prefill a {@code promptTokens}-token prompt in one
 * request (time to first token, prompt tok/s), then decode {@code genTokens} tokens one at a time at
 * that depth. Greedy argmax picks each next token outside the timed region (sampling is reported apart).
 */
public final class LatencyBench {

    public record Options(int promptTokens, int genTokens, int reps, long seed) {
        public Options {
            if (promptTokens < 1) throw new IllegalArgumentException("--prompt-tokens must be >= 1");
            if (genTokens < 1) throw new IllegalArgumentException("--gen-tokens must be >= 1");
            if (reps < 1) throw new IllegalArgumentException("--reps must be >= 1");
        }
    }

    /**
     * One repetition: prefill time, then per-token decode and sampling times, and the bytes this JVM
     * allocated while decoding (all threads; -1 where the JVM cannot tell): a decode step should allocate
     * nothing, so kilobytes a token mean boxed vectors, the slow path of a kernel C2 could not bind.
     */
    public record Rep(double prefillMs, double[] decodeMs, double[] sampleMs, long decodeAllocBytes) {
        public Rep(double prefillMs, double[] decodeMs, double[] sampleMs) { this(prefillMs, decodeMs, sampleMs, -1); }
    }

    private static long allocatedBytes() {
        if (java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    public record Result(List<Rep> reps, int[] promptIds) {
        public Stats prefill() {
            return Stats.of(reps.stream().mapToDouble(Rep::prefillMs).toArray());
        }

        /** Every decoded token of every repetition: the latency distribution a user sees. */
        public Stats decode() {
            return Stats.of(reps.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.decodeMs())).toArray());
        }

        public Stats sampling() {
            return Stats.of(reps.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.sampleMs())).toArray());
        }

        /** Mean decode tok/s of each repetition, so reps give a mean and a spread. */
        public Stats decodeTokPerSecByRep() {
            return Stats.of(reps.stream().mapToDouble(r -> 1000.0 / Stats.of(r.decodeMs()).mean()).toArray());
        }

        public Stats prefillTokPerSecByRep() {
            return Stats.of(reps.stream().mapToDouble(r -> promptIds.length * 1000.0 / r.prefillMs()).toArray());
        }
    }

    private LatencyBench() {}

    /**
     * The prompt: seeded random ordinary token ids (as llama-bench does), identical for every backend so
     * all rows of a table run the same work.
     */
    public static int[] promptIds(Session s, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] ids = new int[n];
        int vocab = s.vocabSize();
        for (int i = 0; i < n; i++) {
            int t;
            do t = rnd.nextInt(vocab); while (s.isEog(t) || t == s.bos());
            ids[i] = t;
        }
        return ids;
    }

    /** Warm-up run first (not recorded), then {@code reps} recorded runs. {@code progress} gets a line per phase. */
    public static Result run(Session s, Options o, Consumer<String> progress) {
        return runInterleaved(List.of(s), o, (i, phase) -> progress.accept(phase)).get(0);
    }

    /**
     * {@link #run} for several sessions with their repetitions interleaved (warm-ups first, then rep 1 of
     * each, rep 2 of each, ...): on a machine whose speed drifts over minutes (a shared VM), each rep of
     * one backend runs next to a rep of the other, so their ratio is not a comparison of two periods.
     */
    public static List<Result> runInterleaved(List<Session> sessions, Options o, java.util.function.BiConsumer<Integer, String> progress) {
        List<int[]> prompts = new ArrayList<>();
        List<List<Rep>> reps = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) {
            Session s = sessions.get(i);
            if (o.promptTokens() + o.genTokens() > s.contextSize())
                throw new IllegalArgumentException("prompt " + o.promptTokens() + " + generated " + o.genTokens()
                        + " tokens exceed the context of " + s.contextSize() + " tokens; raise --ctx or lower the counts");
            prompts.add(promptIds(s, o.promptTokens(), o.seed()));
            progress.accept(i, "warm-up");
            // the engine's own warm-up first, as r1 run and r1 serve do: without it the runs below were the only
            // warm-up, and a run whose kernels were all still in C1's code (the 1.5B Q5_K_M file's Q6_K ffn_down,
            // allocating ~3 GB/s) looked as settled as a compiled one, so a measured rep could be one of them
            s.model().warmUp();
            int runs = 1;
            // Until the JIT settles: the Java engine's least-used kernels (a few small matrices of a type, as Q5_K in a
            // Q3_K_M file) reach C2 only seconds into decoding, and a measured run then had steps of 200 ms among 45 ms
            // ones (p90 4x p50). Another warm-up while a run's slowest steps are far from its median, at most WARMUPS.
            boolean jit = s.model().backend().equals("java"); // llama.cpp's and CUDA's code is compiled ahead of time
            while (!settled(once(s, prompts.get(i), Math.max(o.genTokens(), 16)).decodeMs()) && jit && runs < WARMUPS) {
                progress.accept(i, "warm-up " + ++runs + " (the JIT is still compiling)");
            }
            reps.add(new ArrayList<>());
        }
        for (int r = 0; r < o.reps(); r++) {
            for (int i = 0; i < sessions.size(); i++) {
                progress.accept(i, "rep " + (r + 1) + "/" + o.reps());
                reps.get(i).add(once(sessions.get(i), prompts.get(i), o.genTokens()));
            }
        }
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) out.add(new Result(reps.get(i), prompts.get(i)));
        return out;
    }

    /** Most warm-up runs before measuring, however unsettled. */
    static final int WARMUPS = 6;

    /** Whether a run's decoding steps look like steady state: its 90th percentile within 1.5x of its median. */
    static boolean settled(double[] decodeMs) {
        if (decodeMs.length < 4) return true;
        double[] d = decodeMs.clone();
        java.util.Arrays.sort(d);
        return d[(int) Math.floor(0.9 * (d.length - 1))] <= 1.5 * d[(d.length - 1) / 2];
    }

    private static Rep once(Session s, int[] prompt, int gen) {
        s.reset();
        long t0 = System.nanoTime();
        s.prefill(prompt);
        float[] logits = s.lastLogits();
        double prefillMs = (System.nanoTime() - t0) / 1e6;
        double[] dec = new double[gen], smp = new double[gen];
        long alloc0 = allocatedBytes();
        for (int i = 0; i < gen; i++) {
            long a = System.nanoTime();
            int next = dev.r1.engine.Logits.argmax(logits);
            long b = System.nanoTime();
            logits = s.decode(next);
            long c = System.nanoTime();
            smp[i] = (b - a) / 1e6;
            dec[i] = (c - b) / 1e6;
        }
        long alloc1 = allocatedBytes();
        return new Rep(prefillMs, dec, smp, alloc0 < 0 || alloc1 < 0 ? -1 : alloc1 - alloc0);
    }

}
