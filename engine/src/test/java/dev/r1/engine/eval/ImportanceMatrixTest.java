package dev.r1.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.model.Backend;
import dev.r1.engine.model.JavaSession;
import dev.r1.engine.model.Transformer;
import dev.r1.engine.ref.ReferenceBackend;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.Imatrix;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama-imatrix's statistics from our engine against independent recomputations: a float64 forward pass (the
 * reference backend) with sums in double, and the first layer's input rebuilt from the file's own embedding
 * and norm weights. The comparison with llama-imatrix itself is in docs/BENCHMARKS.md (a scratch build).
 */
class ImportanceMatrixTest {
    @TempDir static Path dir;
    static Path qwen, llama;
    static String text;
    static final int CTX = 32;

    @BeforeAll
    static void models() {
        ModelConfig q = Presets.get("tiny-qwen2"), l = Presets.get("tiny-llama");
        qwen = EvalTest.synth(dir, "iq", q, GgmlType.F32, 3, Vocabulary.tinyByteLevel(q.vocab()));
        llama = EvalTest.synth(dir, "il", l, GgmlType.F32, 3, Vocabulary.tinyByteLevel(l.vocab())); // tied head
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 420; i++) sb.append("chunk ").append(i * 37 % 101).append(" of the calibration text. ");
        text = sb.toString();
    }

    /** Sums in double of every row a site sees, for rows {@code < keep} of each window (fed whole, in one step). */
    static final class DoubleSums implements Transformer.Observer {
        final Map<String, double[]> sums = new HashMap<>();
        final Map<String, Long> counts = new HashMap<>();
        final int keep;

        DoubleSums(int keep) { this.keep = keep; }

        @Override
        public void input(int layer, Input site, int n, Backend be, Backend.Buffer x, int dim) {
            float[] rows = new float[n * dim];
            be.toHost(x, 0, n * dim, rows);
            String key = layer + "/" + site;
            double[] s = sums.computeIfAbsent(key, k -> new double[dim]);
            int m = Math.min(n, keep);
            for (int r = 0; r < m; r++) for (int j = 0; j < dim; j++) s[j] += (double) rows[r * dim + j] * rows[r * dim + j];
            counts.merge(key, (long) m, Long::sum);
        }
    }

    static DoubleSums reference(Path model, int ctx, int chunks, int keep, boolean output) {
        DoubleSums d = new DoubleSums(keep);
        try (JavaSession s = JavaSession.open(model, new SessionOptions(1, ctx, ctx), t -> new ReferenceBackend())) {
            Windows w = EvalModels.windows(s.model(), text, ctx, chunks);
            s.observe(d);
            for (int c = 0; c < w.chunks(); c++) {
                s.reset();
                s.prefill(w.window(c), output ? (i, l) -> {} : null);
            }
        }
        return d;
    }

    static ImportanceMatrix.Result ours(Path model, int ctx, int chunks, ImportanceMatrix.Options o) {
        try (Model m = Engines.load("java", model, 1)) {
            return ImportanceMatrix.run(m, EvalModels.windows(m, text, ctx, chunks), o, 1, null);
        }
    }

    static String key(String weight) {
        if (weight.equals("output.weight")) return "-1/OUTPUT";
        int layer = Integer.parseInt(weight.split("\\.")[1]);
        String w = weight.split("\\.")[2];
        for (Transformer.Observer.Input site : Transformer.Observer.Input.values())
            if (List.of(ImportanceMatrix.weights(site)).contains(w)) return layer + "/" + site;
        throw new AssertionError(weight);
    }

    /**
     * Every column within {@code tol} (relative) of the double sums; returns the worst relative difference. The
     * float engine's last bits grow through the random models' sharp attention to ~1e-3 by the second layer;
     * a row counted wrongly moves a sum by several percent.
     */
    static double compare(ImportanceMatrix.Result r, DoubleSums d, double tol) {
        double worst = 0;
        for (var e : r.sums().entrySet()) {
            double[] want = d.sums.get(key(e.getKey()));
            float[] got = e.getValue();
            assertEquals(want.length, got.length, e.getKey());
            assertEquals(d.counts.get(key(e.getKey())), r.counts().get(e.getKey()), e.getKey());
            for (int j = 0; j < got.length; j++) {
                double rel = Math.abs(got[j] - want[j]) / Math.max(1e-30, Math.abs(want[j]));
                worst = Math.max(worst, rel);
                assertTrue(rel < tol, e.getKey() + "[" + j + "]: " + got[j] + " vs float64 " + want[j]);
            }
        }
        return worst;
    }

    @Test
    void matchesAFloat64ForwardPassAndNamesLlamaImatrixsMatrices() {
        ImportanceMatrix.Result r = ours(qwen, CTX, 3, new ImportanceMatrix.Options(CTX, 512, true));
        TreeSet<String> want = new TreeSet<>(List.of("output.weight"));
        for (int l = 0; l < 2; l++)
            for (String w : List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"))
                want.add("blk." + l + "." + w + ".weight");
        assertEquals(want, r.sums().keySet());
        assertEquals(256, r.sums().get("blk.1.ffn_down.weight").length); // the FFN width: silu(gate) * up
        assertEquals(128, r.sums().get("blk.0.attn_output.weight").length);
        assertEquals(3 * CTX, r.counts().get("blk.0.attn_q.weight"));
        assertEquals(3, r.chunkCount());
        assertEquals(CTX, r.chunkSize());
        double worst = compare(r, reference(qwen, CTX, 3, CTX, true), 1e-2);
        assertTrue(worst > 0, "float sums of a float forward pass differ from float64 somewhere");
    }

    @Test
    void firstLayerInputIsTheNormedEmbeddingOfTheWindowsTokens() {
        ImportanceMatrix.Result r = ours(qwen, CTX, 2, new ImportanceMatrix.Options(CTX, 512, false));
        ModelConfig c = Presets.get("tiny-qwen2");
        double[] want = new double[c.hidden()];
        try (GgufFile f = GgufFile.open(qwen); Model m = Engines.load("java", qwen, 1)) {
            float[] emb = floats(f, "token_embd.weight"), g = floats(f, "blk.0.attn_norm.weight");
            Windows w = EvalModels.windows(m, text, CTX, 2);
            assertTrue(w.bos() >= 0, "the tiny vocabulary adds BOS, written over each window's first token");
            for (int ch = 0; ch < 2; ch++) {
                for (int tok : w.window(ch)) {
                    double ss = 0;
                    for (int j = 0; j < c.hidden(); j++) ss += (double) emb[tok * c.hidden() + j] * emb[tok * c.hidden() + j];
                    double inv = 1 / Math.sqrt(ss / c.hidden() + c.rmsEps());
                    for (int j = 0; j < c.hidden(); j++) {
                        double v = emb[tok * c.hidden() + j] * inv * g[j];
                        want[j] += v * v;
                    }
                }
            }
        }
        for (String wName : List.of("blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight")) {
            float[] got = r.sums().get(wName);
            for (int j = 0; j < want.length; j++) assertEquals(want[j], got[j], 1e-5 * want[j], wName + "[" + j + "]");
        }
        assertTrue(!r.sums().containsKey("output.weight"), "output.weight only with processOutput, as llama-imatrix");
    }

    @Test
    void skipsMicroBatchesUnder16RowsAsLlamaImatrix() {
        // ctx 40 in micro-batches of 16: 16 + 16 + 8 rows, the 8 left out of sums and counts.
        ImportanceMatrix.Result r = ours(qwen, 40, 2, new ImportanceMatrix.Options(40, 16, false));
        assertEquals(2 * 32L, r.counts().get("blk.1.ffn_up.weight"));
        assertEquals(1, r.chunkCount(), "64 tokens counted are one whole window of 40");
        compare(r, reference(qwen, 40, 2, 32, false), 1e-2);
    }

    @Test
    void windowsDecodedTogetherGiveTheSameSumsUpToRounding() {
        ImportanceMatrix.Result one = ours(qwen, CTX, 3, new ImportanceMatrix.Options(CTX, 512, false));
        ImportanceMatrix.Result three = ours(qwen, CTX, 3, new ImportanceMatrix.Options(4 * CTX, 48, false)); // 16 rows of each
        assertEquals(one.counts(), three.counts());
        for (var e : one.sums().entrySet()) {
            float[] a = e.getValue(), b = three.sums().get(e.getKey());
            for (int j = 0; j < a.length; j++) assertEquals(a[j], b[j], 1e-5f * a[j], e.getKey() + "[" + j + "]");
        }
    }

    @Test
    void tiedHeadIsLeftOutAndTheFileRoundTrips() {
        ImportanceMatrix.Result r = ours(llama, CTX, 2, new ImportanceMatrix.Options(2048, 512, true));
        assertEquals(14, r.sums().size(), "token_embd doubles as the head: llama-imatrix never collects it");
        Path out = dir.resolve("im.gguf");
        Imatrix.write(out, r.sums(), r.counts(), List.of("calib.txt"), r.chunkCount(), r.chunkSize(), false);
        Imatrix back = Imatrix.read(out);
        assertEquals(List.of("calib.txt"), back.datasets());
        assertEquals(2, back.chunkCount());
        for (var e : r.sums().entrySet()) {
            float[] want = new float[e.getValue().length];
            for (int j = 0; j < want.length; j++) want[j] = e.getValue()[j] / (float) (long) r.counts().get(e.getKey());
            assertArrayEquals(want, back.values().get(e.getKey()), e.getKey());
        }
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("imatrix", f.getString("general.type"));
            assertEquals(CTX, f.getInt("imatrix.chunk_size"));
            List<String> names = f.tensors().stream().map(GgufTensor::name).toList();
            assertEquals("blk.0.attn_k.weight.in_sum2", names.get(0)); // name order, sums before counts
            assertEquals("blk.0.attn_k.weight.counts", names.get(1));
        }
        assertThrows(dev.r1.quantize.QuantizeException.class,
                () -> Imatrix.write(out, r.sums(), r.counts(), List.of(), 1, CTX, false), "refuses to overwrite");
    }

    @Test
    void llamaCppBackendIsRefusedWithTheReason() {
        try (Model m = Engines.load("llama.cpp", qwen, 1)) {
            EvalException e = assertThrows(EvalException.class, () -> ImportanceMatrix.run(m,
                    EvalModels.windows(m, text, CTX, 1), ImportanceMatrix.Options.LLAMA_DEFAULTS, 1, null));
            assertTrue(e.getMessage().contains("--backend java"), e.getMessage());
        }
    }

    static float[] floats(GgufFile f, String name) {
        MemorySegment s = f.data(f.findTensor(name).orElseThrow());
        float[] out = new float[(int) (s.byteSize() / 4)];
        MemorySegment.copy(s, dev.r1.models.tensor.Layouts.F32, 0, out, 0, out.length);
        return out;
    }
}
