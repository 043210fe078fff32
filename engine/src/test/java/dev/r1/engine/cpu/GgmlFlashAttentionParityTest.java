package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.bindings.LlamaLibrary;
import dev.r1.bindings.NativeLibraries;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Our attention over the F16 cache against ggml's own {@code GGML_OP_FLASH_ATTN_EXT}, one op in a one-node
 * graph computed by ggml's CPU library, on the same queries, keys, values and causal mask, bit for bit.
 * Prompt chunks of 64 rows or more take ggml's tiled kernel, shorter ones its one-row kernel; at real
 * shapes a prompt is processed in chunks of up to 512 rows, so this is what most of a prefill's attention
 * runs. The layout is llama.cpp's: a fresh sequence in cells 0.., the cache padded to 256 cells with the
 * rest masked. A single decoding row over 512 cells or more takes ggml's split path (the cells cut among its
 * threads, the parts merged): compared with ggml on as many threads as ours. Runs where ggml chose its {@code haswell} library (our kernels follow its AVX2 code).
 */
class GgmlFlashAttentionParityTest {
    static final Parallel POOL = new Parallel(2);

    @BeforeAll
    static void load() { OneOpGgml.load(); }

    @AfterAll
    static void close() { POOL.close(); }

    static short h(float x) { return Float.floatToFloat16(x); }

    /**
     * ggml's output for queries {@code q} ([n][heads][hd], rows at positions pos0..), keys and values
     * ([cells][kvHeads][hd], F16-valued) over cells 0..pos0+n, as [n][heads][hd].
     */
    static float[] ggml(float[] q, float[] k, float[] v, int pos0, int n, int heads, int kvHeads, int hd, int threads)
            throws Throwable {
        int cells = pos0 + n, nkv = (cells + 255) / 256 * 256;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = OneOpGgml.context(a, 64L << 20);
            try {
                MemorySegment tq = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F32, (long) hd, (long) n, (long) heads, 1L);
                MemorySegment tk = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F16, (long) hd, (long) nkv, (long) kvHeads, 1L);
                MemorySegment tv = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F16, (long) hd, (long) nkv, (long) kvHeads, 1L);
                MemorySegment tm = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F16, (long) nkv, (long) n, 1L, 1L);
                MemorySegment dq = OneOpGgml.data(tq, 4L * hd * n * heads), dk = OneOpGgml.data(tk, 2L * hd * nkv * kvHeads),
                        dv = OneOpGgml.data(tv, 2L * hd * nkv * kvHeads), dm = OneOpGgml.data(tm, 2L * nkv * n);
                for (int t = 0; t < n; t++) {
                    for (int hh = 0; hh < heads; hh++) {
                        for (int d = 0; d < hd; d++) {
                            dq.setAtIndex(JAVA_FLOAT, ((long) hh * n + t) * hd + d, q[(t * heads + hh) * hd + d]);
                        }
                    }
                }
                for (int c = 0; c < nkv; c++) {
                    for (int g = 0; g < kvHeads; g++) {
                        for (int d = 0; d < hd; d++) {
                            long at = ((long) g * nkv + c) * hd + d;
                            boolean used = c < cells;
                            dk.setAtIndex(JAVA_SHORT, at, used ? h(k[(c * kvHeads + g) * hd + d]) : 0);
                            dv.setAtIndex(JAVA_SHORT, at, used ? h(v[(c * kvHeads + g) * hd + d]) : 0);
                        }
                    }
                }
                short minusInf = h(Float.NEGATIVE_INFINITY);
                for (int t = 0; t < n; t++) {
                    for (int c = 0; c < nkv; c++) dm.setAtIndex(JAVA_SHORT, (long) t * nkv + c, c <= pos0 + t ? 0 : minusInf);
                }
                MemorySegment out = (MemorySegment) OneOpGgml.flashAttn.invokeExact(ctx, tq, tk, tv, tm,
                        (float) (1.0 / Math.sqrt(hd)), 0f, 0f);
                assertTrue(OneOpGgml.compute(ctx, out, threads), "ggml_graph_compute");
                // result [hd][heads][n]: row t, head hh at (t * heads + hh) * hd, our layout
                return OneOpGgml.data(out, 4L * hd * heads * n).toArray(JAVA_FLOAT);
            } finally {
                OneOpGgml.free.invokeExact(ctx);
            }
        }
    }

    @ParameterizedTest(name = "pos0 {0}, {1} rows, {2}/{3} heads, head size {4}, q/k spread {5}")
    @CsvSource({
            "0, 63, 4, 2, 64, 1.5",   // below the tile: ggml's one-row kernel
            "0, 64, 4, 2, 64, 1.5",   // one full tile of rows: the tiled kernel
            "0, 100, 4, 2, 128, 1.5",
            "37, 70, 6, 2, 128, 1.5", // a second chunk: rows start mid-tile, keys cross tile boundaries
            "130, 200, 2, 1, 64, 1.5",
            "0, 130, 12, 2, 128, 1.5", // R1-Distill-Qwen-1.5B's heads
            "0, 100, 4, 2, 32, 1.5",
            "0, 100, 2, 1, 128, 1.5",
            "0, 250, 8, 1, 128, 4",  // wide scores: most weights underflow, maxima move often
            "0, 250, 8, 1, 128, 0.3",
            "20, 40, 8, 1, 128, 1.5",
            "300, 1, 4, 2, 128, 1.5",  // decoding past 256 cells: ggml's view spans 512, split in two
            "600, 1, 12, 2, 128, 1.5", // 768 cells in two parts of 384
            "700, 1, 4, 2, 128, 4",
            "200, 1, 4, 2, 64, 1.5",   // 256 cells: not split
    })
    void attentionIsGgmls(int pos0, int n, int heads, int kvHeads, int hd, double sd) throws Throwable {
        SplittableRandom r = new SplittableRandom(31L * pos0 + n);
        int cells = pos0 + n, kvDim = kvHeads * hd;
        float[] k = new float[cells * kvDim], v = new float[cells * kvDim], q = new float[n * heads * hd];
        // scores of a few units, as at real scale after RoPE: the softmax is neither flat nor one-hot
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (r.nextGaussian() * sd);
            v[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < q.length; i++) q[i] = (float) (r.nextGaussian() * sd);
        KvCache cache = new KvCache(1, 1024, kvDim, true);
        if (pos0 > 0) cache.store(0, 0, pos0, k, v);
        float[] chunkK = java.util.Arrays.copyOfRange(k, pos0 * kvDim, cells * kvDim);
        float[] chunkV = java.util.Arrays.copyOfRange(v, pos0 * kvDim, cells * kvDim);
        float[] ours = new float[n * heads * hd];
        CpuAttention.attend(POOL, cache, 0, pos0, n, q, chunkK, chunkV, heads, kvHeads, hd, ours);
        // a single decoding row over 512+ cells: ggml splits the cells among its threads, ours among as many
        float[] theirs = ggml(q, k, v, pos0, n, heads, kvHeads, hd, n == 1 ? POOL.size() : 1);
        int diffs = 0, first = -1;
        for (int i = 0; i < ours.length; i++) {
            // the one-row kernel's F16 accumulator: ours rounds half subnormals (|x| < 2^-14) to 11 significant
            // bits, not to steps of 2^-24 (F16AttentionTest says why), so tiny outputs may differ there
            if (n < CpuAttention.TILE && Math.abs(theirs[i]) < 0x1p-12f) continue;
            if (Float.floatToRawIntBits(ours[i]) != Float.floatToRawIntBits(theirs[i])) {
                if (first < 0) first = i;
                diffs++;
            }
        }
        int f = first;
        assertEquals(0, diffs, () -> "values differing from ggml's, first at row " + f / (heads * hd) + " head "
                + f / hd % heads + " dim " + f % hd + ": ours " + ours[f] + ", ggml " + theirs[f]);
        if (n == 1) return;
        // ggml's own result is the same with its threads splitting the rows differently
        float[] threaded = ggml(q, k, v, pos0, n, heads, kvHeads, hd, 2);
        for (int i = 0; i < ours.length; i++) assertEquals(Float.floatToRawIntBits(theirs[i]), Float.floatToRawIntBits(threaded[i]));
    }

    /**
     * A decoding row's split among more threads than kv heads: every (kv head, part) is a task of its own, the
     * parts merged in order afterwards; ggml on as many threads must give the same bits. 5 threads cut 768 cells
     * into parts of 154 (not a multiple of the 16-position key blocks), 7 threads leave the last part empty.
     */
    @ParameterizedTest
    @CsvSource({
            "600, 12, 2, 128, 3",
            "600, 12, 2, 128, 4",
            "700, 8, 1, 128, 5",
            "520, 4, 2, 64, 7",
            "1000, 6, 3, 128, 6",
    })
    void splitDecodeOnMoreThreadsThanKvHeadsIsGgmls(int pos0, int heads, int kvHeads, int hd, int threads) throws Throwable {
        SplittableRandom r = new SplittableRandom(pos0 * 7L + threads);
        int cells = pos0 + 1, kvDim = kvHeads * hd;
        float[] k = new float[cells * kvDim], v = new float[cells * kvDim], q = new float[heads * hd];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (r.nextGaussian() * 1.5);
            v[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < q.length; i++) q[i] = (float) (r.nextGaussian() * 1.5);
        KvCache cache = new KvCache(1, 1024, kvDim, true);
        cache.store(0, 0, pos0, k, v);
        float[] ours = new float[heads * hd];
        try (Parallel pool = new Parallel(threads)) {
            CpuAttention.attend(pool, cache, 0, pos0, 1, q, java.util.Arrays.copyOfRange(k, pos0 * kvDim, cells * kvDim),
                    java.util.Arrays.copyOfRange(v, pos0 * kvDim, cells * kvDim), heads, kvHeads, hd, ours);
        }
        float[] theirs = ggml(q, k, v, pos0, 1, heads, kvHeads, hd, threads);
        for (int i = 0; i < ours.length; i++) {
            if (Math.abs(theirs[i]) < 0x1p-12f) continue; // half subnormals, as attentionIsGgmls says
            int at = i;
            assertEquals(Float.floatToRawIntBits(theirs[i]), Float.floatToRawIntBits(ours[i]),
                    () -> "head " + at / hd + " dim " + at % hd + ": ours " + ours[at] + ", ggml " + theirs[at]);
        }
    }
}
