package dev.r1.engine.eval;

import dev.r1.engine.Model;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.model.Backend;
import dev.r1.engine.model.JavaModel;
import dev.r1.engine.model.JavaSession;
import dev.r1.engine.model.Transformer;
import dev.r1.models.config.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * llama-imatrix's statistics from our engine's forward pass: for every weight matrix of the blocks (and the
 * output head when asked), the sum over the tokens it multiplied of each input column's square, and how many
 * tokens that was. {@code llama-quantize --imatrix} (and {@code r1 quantize --imatrix}) weigh each column's
 * rounding error by {@code sum / count}.
 *
 * <p>The same tokens as llama-imatrix, in the same order, so that with our llama.cpp-identical CPU engine the
 * float sums come out the same: the text's windows as {@link Windows} cuts them (those of llama-perplexity, BOS
 * over each window's first token); {@code batch / ctx} windows decoded together as llama-imatrix does
 * ({@code -b}, default 2048), each decode cut into micro-batches ({@code -ub}, default 512) the way llama.cpp's
 * batch splitter cuts it: consecutive tokens for one window, {@code ubatch / windows} tokens of each window in
 * turn for several. Micro-batches under 16 rows are skipped, as llama-imatrix skips them. Sums are float,
 * {@code acc += x * x} row after row, as llama-imatrix adds them.
 */
public final class ImportanceMatrix {
    private ImportanceMatrix() {}

    /** llama-imatrix skips matrix products of fewer rows than this (single-token decodes). */
    public static final int MIN_ROWS = 16;

    /**
     * @param batch         llama's {@code -b}: {@code max(1, batch / ctx)} windows are decoded together
     * @param ubatch        llama's {@code -ub}: the most rows one product sees
     * @param processOutput also collect {@code output.weight} (llama-imatrix's {@code --process-output})
     */
    public record Options(int batch, int ubatch, boolean processOutput) {
        public static final Options LLAMA_DEFAULTS = new Options(2048, 512, false);

        public Options {
            if (batch < 1) throw new EvalException("the batch size must be >= 1, got " + batch);
            if (ubatch < 1) throw new EvalException("the micro-batch size must be >= 1, got " + ubatch);
        }
    }

    /**
     * @param sums       per weight tensor name, the sums of squared inputs per column (float, as written)
     * @param counts     per weight tensor name, the tokens its sums cover
     * @param chunkCount llama-imatrix's {@code imatrix.chunk_count}: the most tokens any entry saw, in windows
     * @param chunkSize  llama-imatrix's {@code imatrix.chunk_size}: the window length
     */
    public record Result(Map<String, float[]> sums, Map<String, Long> counts, int chunkCount, int chunkSize,
                         int windows, long tokens, double seconds) {}

    /** Which weight tensors read each input, per layer ({@code blk.L.} prefixed), as the GGUF names them. */
    static String[] weights(Transformer.Observer.Input site) {
        return switch (site) {
            case ATTN_QKV -> new String[] {"attn_q", "attn_k", "attn_v"};
            case ATTN_OUTPUT -> new String[] {"attn_output"};
            case FFN_GATE_UP -> new String[] {"ffn_gate", "ffn_up"};
            case FFN_DOWN -> new String[] {"ffn_down"};
            case OUTPUT -> new String[] {"output"};
        };
    }

    /** The sums of one input site; the matrices reading it share them (llama-imatrix adds the same rows to each). */
    private static final class Acc {
        final float[] sum;
        long count;

        Acc(int dim) { sum = new float[dim]; }
    }

    /** Adds every observed row while {@link #on}; one accumulator per (layer, site). */
    static final class Collector implements Transformer.Observer {
        final Acc[][] acc;   // [layer + 1][site]: index 0 holds the output head
        final boolean output;
        boolean on;
        private float[] rows = new float[0];

        Collector(int layers, boolean output) {
            this.acc = new Acc[layers + 1][Input.values().length];
            this.output = output;
        }

        @Override
        public void input(int layer, Input site, int n, Backend be, Backend.Buffer x, int dim) {
            if (!on || (site == Input.OUTPUT && !output)) return;
            if (rows.length < n * dim) rows = new float[n * dim];
            be.toHost(x, 0, n * dim, rows);
            Acc a = acc[layer + 1][site.ordinal()];
            if (a == null) a = acc[layer + 1][site.ordinal()] = new Acc(dim);
            float[] s = a.sum;
            for (int r = 0; r < n; r++) {
                int o = r * dim;
                for (int j = 0; j < dim; j++) {
                    float v = rows[o + j];
                    s[j] += v * v;
                }
            }
            a.count += n;
        }
    }

    /**
     * Runs the windows of {@code w} through {@code model} and collects the statistics.
     *
     * @throws EvalException when the model is not on our engine (only it shows the activations) or a
     *                       matrix's sums stop being finite
     */
    public static Result run(Model model, Windows w, Options o, int threads, Perplexity.Progress progress) {
        if (!(model instanceof JavaModel jm))
            throw new EvalException("the importance matrix reads the activations inside our engine: load "
                    + model.path() + " with --backend java, not " + model.backend());
        long t0 = System.nanoTime();
        ModelConfig c = jm.config();
        int ctx = w.ctx();
        // llama-imatrix: n_seq = max(1, n_batch / n_ctx) windows per decode, n_batch capped at their tokens,
        // n_ubatch capped at n_batch.
        int nSeq = Math.max(1, o.batch() / ctx);
        int batch = Math.min(o.batch(), nSeq * ctx);
        int ubatch = Math.min(o.ubatch(), batch);
        Collector col = new Collector(c.layers(), o.processOutput());
        List<JavaSession> sessions = new ArrayList<>();
        long fed = 0, total = (long) w.chunks() * ctx;
        if (progress != null) progress.update(0, total);
        try {
            for (int i = 0; i < Math.min(nSeq, w.chunks()); i++) {
                JavaSession s = jm.newSession(new SessionOptions(threads, ctx, Math.min(ubatch, SessionOptions.DEFAULT_BATCH)));
                if (s.contextSize() < ctx) {
                    s.close();
                    throw new EvalException(model.path() + " holds at most " + s.contextSize() + " positions; use --ctx "
                            + s.contextSize() + " or less");
                }
                s.observe(col);
                sessions.add(s);
            }
            // Logits of every row only when the output head is collected: that is the path that shows its input.
            dev.r1.engine.Session.LogitsSink sink = o.processOutput() ? (i, l) -> {} : null;
            for (int first = 0; first < w.chunks(); first += nSeq) {
                int k = Math.min(nSeq, w.chunks() - first);
                int[][] win = new int[k][];
                for (int s = 0; s < k; s++) {
                    win[s] = w.window(first + s);
                    sessions.get(s).reset();
                }
                if (k == 1) {
                    // One window: llama_decode calls of n_batch tokens, each split into consecutive micro-batches.
                    for (int b = 0; b < ctx; b += batch) {
                        int bEnd = Math.min(ctx, b + batch);
                        for (int u = b; u < bEnd; u += ubatch) {
                            int len = Math.min(ubatch, bEnd - u);
                            col.on = len >= MIN_ROWS;
                            sessions.get(0).prefill(Arrays.copyOfRange(win[0], u, u + len), sink);
                            fed += len;
                            if (progress != null) progress.update(fed, total);
                        }
                    }
                } else {
                    // Several windows in one decode: each micro-batch takes the next ubatch / k tokens of every
                    // window in turn (llama.cpp's split_equal for one KV stream per sequence).
                    int per = Math.max(1, ubatch / k);
                    for (int u = 0; u < ctx; u += per) {
                        int len = Math.min(per, ctx - u);
                        col.on = len * k >= MIN_ROWS;
                        for (int s = 0; s < k; s++) sessions.get(s).prefill(Arrays.copyOfRange(win[s], u, u + len), sink);
                        fed += (long) len * k;
                        if (progress != null) progress.update(fed, total);
                    }
                }
                checkFinite(col, c);
            }
        } finally {
            for (JavaSession s : sessions) {
                s.observe(null);
                s.close();
            }
        }
        Map<String, float[]> sums = new TreeMap<>();
        Map<String, Long> counts = new TreeMap<>();
        long most = 0;
        for (int l = -1; l < c.layers(); l++) {
            for (Transformer.Observer.Input site : Transformer.Observer.Input.values()) {
                Acc a = col.acc[l + 1][site.ordinal()];
                if (a == null) continue;
                for (String wName : weights(site)) {
                    String name = l < 0 ? wName + ".weight" : "blk." + l + "." + wName + ".weight";
                    // Only matrices the file has (a tied head reads token_embd, which llama-imatrix leaves out).
                    if (jm.file().findTensor(name).isEmpty()) continue;
                    sums.put(name, a.sum.clone());
                    counts.put(name, a.count);
                    most = Math.max(most, a.count);
                }
            }
        }
        return new Result(sums, counts, (int) (most / ctx), ctx, w.chunks(), fed, (System.nanoTime() - t0) / 1e9);
    }

    /** llama-imatrix stops on a non-finite sum: the model overflowed and the matrix would be useless. */
    private static void checkFinite(Collector col, ModelConfig c) {
        for (int l = -1; l < c.layers(); l++) {
            for (Transformer.Observer.Input site : Transformer.Observer.Input.values()) {
                Acc a = col.acc[l + 1][site.ordinal()];
                if (a == null) continue;
                for (float v : a.sum) {
                    if (!Float.isFinite(v))
                        throw new EvalException("the squared activations entering " + (l < 0 ? "" : "blk." + l + ".")
                                + weights(site)[0] + " are no longer finite (" + v + "): the model overflows on this text");
                }
            }
        }
    }
}
