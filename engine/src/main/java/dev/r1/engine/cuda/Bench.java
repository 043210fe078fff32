package dev.r1.engine.cuda;

import dev.r1.engine.model.Transformer;
import dev.r1.models.config.ModelConfig;
import java.util.Arrays;
import java.util.Random;

/**
 * Batch-1 latency of a Transformer on the CUDA backend as {@code r1 bench} measures it (llama-bench's pp512
 * and tg128 at depth 512): TTFT of a 512-token prompt (median of 3, logits on the host), decode ms/token
 * p50/p99 over 128 tokens after it, each a CUDA-graph replay of one captured step (eager p50 beside it),
 * and the share of the HBM roofline: bytes a token must read (weights as stored + the KV cache up to its
 * position) over a device-to-device copy bandwidth measured here, divided by the measured time.
 */
final class Bench {
    private Bench() {}

    static final int PROMPT = 512, DECODE = 128;

    /** The same seeded random prompt for the timed runs and the profile. */
    private static int[] prompt(ModelConfig c) {
        Random r = new Random(11);
        int[] prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) prompt[i] = r.nextInt(c.vocab());
        return prompt;
    }

    static String run(String what, Transformer tr, CudaBackend be, double synthS) {
        ModelConfig c = tr.config();
        int[] prompt = prompt(c);
        float[] logits = new float[c.vocab()];
        tr.forward(prompt, 0, PROMPT, 0, logits, null); // warm-up: module functions, cuBLAS heuristics, scratch sizes
        double[] ttft = new double[3];
        for (int i = 0; i < ttft.length; i++) {
            long t = System.nanoTime();
            tr.forward(prompt, 0, PROMPT, 0, logits, null);
            ttft[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ttft);
        int[] tok = {dev.r1.engine.Logits.argmax(logits)};
        double[] eager = new double[16];
        for (int i = 0; i < eager.length; i++) { // also sizes the decode scratch before the capture
            long t = System.nanoTime();
            tr.forward(tok, 0, 1, PROMPT + i, logits, null);
            eager[i] = (System.nanoTime() - t) / 1e6;
            tok[0] = dev.r1.engine.Logits.argmax(logits);
        }
        Arrays.sort(eager);
        tr.forward(prompt, 0, PROMPT, 0, logits, null); // back to depth 512
        tok[0] = dev.r1.engine.Logits.argmax(logits);
        double[] ms = new double[DECODE];
        try (CudaBackend.Captured step = be.capture(() -> tr.forward(tok, 0, 1, PROMPT, logits, null))) {
            for (int i = 0; i < DECODE; i++) {
                long t = System.nanoTime();
                step.run(tok[0], PROMPT + i);
                tok[0] = dev.r1.engine.Logits.argmax(logits);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        Arrays.sort(ms);
        double p50 = ms[DECODE / 2], p99 = ms[(int) Math.ceil(DECODE * 0.99) - 1];
        double bw = copyBandwidth(be);
        long kvPerToken = 2L * c.layers() * c.kvDim() * 2; // keys + values, F16
        double bytes = be.weightBytes() + (double) kvPerToken * (PROMPT + DECODE / 2.0);
        double idealMs = bytes / bw * 1e3;
        return String.format("bench %-24s TTFT %.1f ms (prefill %.0f tok/s), decode p50 %.3f ms p99 %.3f ms (eager p50 %.3f),"
                        + " %.0f MB/token, copy bw %.0f GB/s -> %.0f%% of roofline; synth %.0f s",
                what, ttft[1], PROMPT / ttft[1] * 1e3, p50, p99, eager[eager.length / 2], bytes / 1e6, bw / 1e9,
                100 * idealMs / p50, synthS);
    }

    /**
     * Where a prefill of the prompt and eager decode steps at depth 512 spend their stream time, kernel by
     * kernel (event pairs around each launch; the captured step cannot be split): the map for the next fix.
     */
    static java.util.List<String> profile(Transformer tr, CudaBackend be, int top) {
        ModelConfig c = tr.config();
        int[] prompt = prompt(c);
        float[] logits = new float[c.vocab()];
        java.util.List<String> out = new java.util.ArrayList<>();
        CudaDevice d = be.device();
        d.profile(true);
        try {
            long t = System.nanoTime();
            tr.forward(prompt, 0, PROMPT, 0, logits, null);
            double wall = (System.nanoTime() - t) / 1e6;
            java.util.List<String> rep = d.profileReport();
            out.add(String.format("profile prefill %d tokens: %.3f ms wall, %s", PROMPT, wall, rep.getFirst()));
            rep.stream().skip(1).limit(top).forEach(out::add);
            int[] tok = {dev.r1.engine.Logits.argmax(logits)};
            int steps = 8;
            t = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                tr.forward(tok, 0, 1, PROMPT + i, logits, null);
                tok[0] = dev.r1.engine.Logits.argmax(logits);
            }
            wall = (System.nanoTime() - t) / 1e6;
            rep = d.profileReport();
            out.add(String.format("profile %d eager decode steps at depth %d: %.3f ms wall, %s", steps, PROMPT, wall, rep.getFirst()));
            rep.stream().skip(1).limit(top).forEach(out::add);
        } finally {
            d.profile(false);
        }
        return out;
    }

    /** Device-to-device copy of 1 GiB, best of 5: bytes read + written per second. */
    static double copyBandwidth(CudaBackend be) {
        CudaDevice d = be.device();
        long n = 1L << 30;
        long a = d.alloc(n, "bandwidth probe"), b = d.alloc(n, "bandwidth probe");
        try {
            float best = Float.MAX_VALUE;
            for (int i = 0; i < 5; i++) best = Math.min(best, d.time(() -> d.copyAsync(b, a, n)));
            return 2.0 * n / (best / 1e3);
        } finally {
            d.free(a);
            d.free(b);
        }
    }
}
