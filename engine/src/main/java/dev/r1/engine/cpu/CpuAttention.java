package dev.r1.engine.cpu;

/**
 * Causal grouped-query attention over the KV cache. A chunk of {@code n} tokens at positions
 * {@code pos0 ..} first appends its keys and values, then token t attends to positions
 * {@code 0 .. pos0+t}. Work is split by (token, kv head): the query heads sharing a kv head are done
 * together, so each cached key/value row is read (and, for F16, widened) once per group, not per head.
 */
public final class CpuAttention {
    private CpuAttention() {}

    private static final class Scratch {
        float[] scores = new float[0];
        float[] qh = new float[0], qs = new float[0], kf = new float[0], vf = new float[0], acc = new float[0],
                max = new float[0], sum = new float[0];
        java.lang.foreign.MemorySegment accSeg = java.lang.foreign.MemorySegment.ofArray(acc); // acc, for the accumulator's stores
        // per position of a chunk (rounded up to 8, or 16, for the vector passes)
        final float[] ms = new float[CHUNK], vs = new float[CHUNK], sc = new float[CHUNK], arg = new float[CHUNK];
        final float[] lanes = new float[8], part = new float[128];
        final double[] exp4 = new double[4]; // ExpF's scratch
        final float[] one = new float[4], oneOut = new float[4];
        final float[] row;

        Scratch(int hd) { row = new float[hd]; }

        /** Room for a group of {@code group} query heads of size {@code hd} and one chunk of keys/values. */
        void ensure(int group, int hd) {
            if (qh.length < group * hd) {
                qh = new float[group * hd];
                qs = new float[8 * group * hd];
                acc = new float[group * hd];
                accSeg = java.lang.foreign.MemorySegment.ofArray(acc);
                max = new float[group];
                sum = new float[group];
            }
            if (kf.length < CHUNK * hd) {
                kf = new float[CHUNK * hd];
                vf = new float[CHUNK * hd];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();
    /** 16-lane scores where the accumulator is 16 lanes wide (off: {@code -Dr1.attention.wide=false}, for A/B figures). */
    static final boolean WIDE_SCORES = Boolean.parseBoolean(System.getProperty("r1.attention.wide", "true"));
    static boolean F16_ONLINE = Boolean.parseBoolean(System.getProperty("r1.f16online", "true"));

    private static float h(float x) { return Float.float16ToFloat(Float.floatToFloat16(x)); }

    /** Positions per chunk: the chunk's widened keys and values (64 KB at hd 128) stay in cache for all heads. */
    private static final int CHUNK = 64;

    /**
     * F16 cache: llama.cpp's CPU flash attention numerics (queries rounded to F16, online softmax, the
     * value accumulator rounded to F16 after every step), so that both engines agree to well below
     * quantization noise. Same operations in the same order, arranged for speed: chunks of positions,
     * each widened once for all heads of the group; per head and chunk the scores (eight keys per vector
     * from the blocked keys when {@code hd % 32 == 0}), the running maximum (a scalar recurrence), the
     * exponentials (vectorized), the running sum, then the accumulator a part of a head at a time, kept
     * in registers across the chunk's positions.
     */
    private static void f16Online(KvCache cache, int layer, int from, int len, float[] q, int qRow, int g, int group, int hd,
                                  float scale, float[] out, Scratch s) {
        int L = F16Math.LA;
        // keys in blocks of 16 for 16-lane scores (AVX-512, head size 128), else of 8; a block starts at a multiple of its size
        boolean wide = L == 16 && hd == 128 && from % 16 == 0 && WIDE_SCORES;
        boolean blocked = !wide && hd % 32 == 0 && from % 8 == 0;
        s.ensure(group, hd);
        float[] qh = s.qh, qs = s.qs, kf = s.kf, vf = s.vf, ms = s.ms, vs = s.vs, sc = s.sc, arg = s.arg, acc = s.acc;
        float[] max = s.max, sum = s.sum;
        int base = qRow + g * group * hd;
        for (int i = 0; i < group * hd; i++) {
            qh[i] = h(q[base + i]);
            if (blocked) java.util.Arrays.fill(qs, 8 * i, 8 * i + 8, qh[i]);
        }
        java.util.Arrays.fill(acc, 0, group * hd, 0f);
        java.util.Arrays.fill(max, 0, group, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(sum, 0, group, 0f);
        int kvOff = g * hd;
        for (int c0 = from; c0 < len; c0 += CHUNK) {
            int n = Math.min(CHUNK, len - c0);
            if (wide) cache.keysBlocked16(layer, c0, n, kvOff, hd, kf);
            else if (blocked) cache.keysBlocked(layer, c0, n, kvOff, hd, kf);
            else cache.rows(false, layer, c0, c0 + n, kvOff, hd, kf);
            cache.rows(true, layer, c0, c0 + n, kvOff, hd, vf);
            for (int hh = 0; hh < group; hh++) {
                if (wide) {
                    F16Math.scoresBlocked16(qh, hh * hd, kf, n, scale, sc, s.part);
                } else if (blocked) {
                    F16Math.scoresBlocked(qs, hh * hd * 8, hd, kf, n, scale, sc, s.part);
                } else {
                    for (int j = 0; j < n; j++) sc[j] = F16Math.dotHalfRows(qh, hh * hd, kf, j * hd, hd, s.lanes) * scale;
                }
                // running maximum: at a new maximum the factor e^(old - new) rescales what came before (ms),
                // the key's own weight is 1; otherwise no rescale (NaN marks it), weight e^(s - max) (vs)
                float m = max[hh];
                for (int j = 0; j < n; j++) {
                    float x = sc[j];
                    if (x > m) {
                        arg[j] = m - x;
                        ms[j] = 0; // a new maximum: its factor comes from the exponential below
                        m = x;
                    } else {
                        arg[j] = x - m;
                        ms[j] = Float.NaN;
                    }
                }
                max[hh] = m;
                ExpF.exp(arg, vs, n, s.exp4);
                float z = sum[hh];
                for (int j = 0; j < n; j++) {
                    if (ms[j] == ms[j]) {
                        ms[j] = vs[j];
                        vs[j] = 1f;
                        z = z * ms[j] + 1f;
                    } else {
                        z = z * 1f + vs[j];
                    }
                }
                sum[hh] = z;
                int o = hh * hd;
                if (hd % (8 * L) == 0) {
                    for (int c = 0; c < hd; c += 8 * L) F16Math.accumulateRound8(vf, hd, c, n, ms, vs, acc, s.accSeg, o + c);
                } else {
                    F16Math.accumulateRoundScalar(vf, hd, n, ms, vs, acc, o);
                }
            }
        }
        if (out == null) return; // a part of a split: max, sum and the unnormalized accumulator stay in s
        for (int hh = 0; hh < group; hh++) {
            float inv = sum[hh] == 0 ? 0 : 1f / sum[hh];
            for (int i = 0; i < hd; i++) out[base + hh * hd + i] = acc[hh * hd + i] * inv;
        }
    }

    /**
     * @param q   n rows of {@code heads * hd}, rotated
     * @param k   n rows of {@code kvHeads * hd}, rotated
     * @param v   n rows of {@code kvHeads * hd}
     * @param out n rows of {@code heads * hd}
     */
    public static void attend(Parallel pool, KvCache cache, int layer, int pos0, int n, float[] q, float[] k, float[] v,
                              int heads, int kvHeads, int hd, float[] out) {
        KvCache[] caches = new KvCache[n];
        int[] pos = new int[n];
        for (int t = 0; t < n; t++) {
            caches[t] = cache;
            pos[t] = pos0 + t;
        }
        attendRows(pool, caches, pos, layer, n, n, q, k, v, heads, kvHeads, hd, out);
    }

    /**
     * As {@link #attend}, row {@code t} belonging to the sequence of {@code caches[t]} at position
     * {@code pos[t]}: each row's k/v is stored first, then every row attends to its own cache up to its
     * position (rows of one sequence are consecutive positions, so causality holds as in {@code attend}).
     * {@code batchRows}: the query rows of the whole batch these rows belong to (ggml's kernel choice).
     */
    public static void attendRows(Parallel pool, KvCache[] caches, int[] pos, int layer, int n, int batchRows, float[] q, float[] k,
                                  float[] v, int heads, int kvHeads, int hd, float[] out) {
        for (int t = 0; t < n; t++) {
            int r = t;
            // a run of rows of one sequence at consecutive positions is stored in one call
            while (r + 1 < n && caches[r + 1] == caches[t] && pos[r + 1] == pos[r] + 1) r++;
            caches[t].store(layer, pos[t], r - t + 1, k, v, t);
            t = r;
        }
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        // ggml switches to its tiled kernel when a batch has 64 query rows or more (the query count of the
        // whole ubatch, so every row of such a batch takes it)
        boolean tiled = batchRows >= TILE && caches[0].isF16() && hd % 8 == 0 && TILED;
        // and for a batch of one row over 512+ cells, it splits the cells among its threads (as many as ours)
        int splits = batchRows == 1 && n == 1 && SPLIT_KV && !tiled && caches[0].isF16() && F16_ONLINE ? pool.size() : 1;
        if (splits > 1 && cells(pos[0] + 1) >= 512) {
            splitKv(pool, caches[0], layer, pos[0] + 1, splits, q, heads, kvHeads, hd, scale, out);
            return;
        }
        pool.forRange(n * kvHeads, 1, (a, b) -> {
            for (int task = a; task < b; task++) {
                int t = task / kvHeads, g = task % kvHeads;
                if (tiled) tiledRow(caches[t], layer, pos[t] + 1, q, t * heads * hd, g, group, hd, scale, out);
                else one(caches[t], layer, pos[t], q, t * heads * hd, g, group, hd, scale, out);
            }
        });
    }

    /** llama.cpp's cache view for a row attending to {@code len} positions: len rounded up to 256 cells (at least 256), the rest masked. */
    private static int cells(int len) { return Math.max(256, (len + 255) / 256 * 256); }

    static boolean SPLIT_KV = Boolean.parseBoolean(System.getProperty("r1.attention.splitkv", "true"));

    /** Each part's maximum, sum and unnormalized accumulator, per (kv head, part) task, for the merge. */
    private static final class Parts {
        float[] max = new float[0], sum = new float[0], acc = new float[0], fin = new float[0];
        float[] finMax = new float[0], finSum = new float[0];
        final float[] one = new float[4], oneOut = new float[4];
        final double[] exp4 = new double[4];

        Parts ensure(int tasks, int group, int hd) {
            if (sum.length < tasks * group || acc.length < tasks * group * hd) {
                max = new float[tasks * group];
                sum = new float[tasks * group];
                acc = new float[tasks * group * hd];
            }
            if (fin.length < group * hd) {
                fin = new float[group * hd];
                finMax = new float[group];
                finSum = new float[group];
            }
            return this;
        }
    }

    private static final ThreadLocal<Parts> PARTS = ThreadLocal.withInitial(Parts::new); // the calling thread's

    /**
     * One decoding row over {@code cells(len) >= 512} cells in ggml's split form ({@code use_split_kv_path} of
     * {@code ggml_compute_forward_flash_attn_ext}): the cells cut into {@code splits} equal parts (one per
     * thread), each part's online softmax run alone (its own maximum, sum and F16 accumulator, as
     * {@link #f16Online}), then the parts merged in order, each rescaled by {@code expf} of its maximum's
     * distance to the common one, and normalized once. Cells past {@code len} are masked. Every (kv head, part)
     * is a task of its own, so all the pool's threads work even where the kv heads are fewer than the threads
     * (the 1.5B distill has 2, the 8B to 70B 8); the merge, a few thousand operations, runs on the caller.
     */
    private static void splitKv(Parallel pool, KvCache cache, int layer, int len, int splits, float[] q, int heads,
                                int kvHeads, int hd, float scale, float[] out) {
        int group = heads / kvHeads, part = (cells(len) + splits - 1) / splits;
        Parts parts = PARTS.get().ensure(kvHeads * splits, group, hd);
        pool.forRange(kvHeads * splits, 1, (a, b) -> {
            for (int task = a; task < b; task++) {
                int g = task / splits, from = task % splits * part, to = Math.min(from + part, len);
                if (from >= to) { // every cell masked: ggml's part has sum 0 and is skipped
                    java.util.Arrays.fill(parts.sum, task * group, (task + 1) * group, 0f);
                    continue;
                }
                Scratch s = SCRATCH.get();
                if (s == null || s.row.length != hd) SCRATCH.set(s = new Scratch(hd));
                f16Online(cache, layer, from, to, q, 0, g, group, hd, scale, null, s);
                System.arraycopy(s.max, 0, parts.max, task * group, group);
                System.arraycopy(s.sum, 0, parts.sum, task * group, group);
                System.arraycopy(s.acc, 0, parts.acc, task * group * hd, group * hd);
            }
        });
        float[] fin = parts.fin, finMax = parts.finMax, finSum = parts.finSum;
        for (int g = 0; g < kvHeads; g++) {
            java.util.Arrays.fill(fin, 0, group * hd, 0f);
            java.util.Arrays.fill(finMax, 0, group, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(finSum, 0, group, 0f);
            for (int p = 0; p < splits; p++) {
                int task = g * splits + p;
                for (int hh = 0; hh < group; hh++) {
                    float sum = parts.sum[task * group + hh], max = parts.max[task * group + hh];
                    if (sum == 0) continue;
                    float mNew = Math.max(finMax[hh], max);
                    parts.one[0] = finMax[hh] - mNew;
                    parts.one[1] = max - mNew;
                    ExpF.exp(parts.one, parts.oneOut, 2, parts.exp4);
                    float old = parts.oneOut[0], now = parts.oneOut[1];
                    int o = hh * hd, a = (task * group + hh) * hd;
                    // a·old + b·now as ggml's build computes it: the second product rounded, the first fused
                    for (int i = 0; i < hd; i++) fin[o + i] = Math.fma(fin[o + i], old, parts.acc[a + i] * now);
                    finSum[hh] = Math.fma(finSum[hh], old, sum * now);
                    finMax[hh] = mNew;
                }
            }
            int base = g * group * hd;
            for (int hh = 0; hh < group; hh++) {
                if (finSum[hh] == 0) { // ggml leaves an empty merge unscaled (all zeros)
                    System.arraycopy(fin, hh * hd, out, base + hh * hd, hd);
                    continue;
                }
                float inv = 1f / finSum[hh];
                for (int i = 0; i < hd; i++) out[base + hh * hd + i] = fin[hh * hd + i] * inv;
            }
        }
    }

    /** ggml's tile of keys/values (and of query rows: its kernel runs only for batches of at least this many). */
    static final int TILE = 64;
    static boolean TILED = Boolean.parseBoolean(System.getProperty("r1.attention.tiled", "true"));

    /**
     * One query row's heads of group {@code g} over positions {@code 0..len}, in the numerics of ggml's tiled
     * flash attention ({@code ggml_compute_forward_flash_attn_ext_tiled}, used for batches of 64+ rows): F32
     * queries; positions in tiles of 64 aligned at 0; per tile, each score an fma chain over the head's
     * dimensions from zero, times the scale; the running maximum and the rescale ({@code expf}) once per
     * tile; the weights by ggml's vector exp, summed eight at a time in its reduction order into a double
     * per tile that the float sum then takes; the value accumulator an fma chain over the tile's positions.
     * Every query row is computed alone in that kernel, so how ggml groups rows into tiles doesn't matter.
     */
    private static void tiledRow(KvCache cache, int layer, int len, float[] q, int qRow, int g, int group, int hd,
                                 float scale, float[] out) {
        Scratch s = SCRATCH.get();
        if (s == null || s.row.length != hd) SCRATCH.set(s = new Scratch(hd));
        s.ensure(group, hd);
        float[] kf = s.kf, vf = s.vf, sc = s.sc, acc = s.acc, max = s.max, sum = s.sum;
        int base = qRow + g * group * hd, kvOff = g * hd;
        java.util.Arrays.fill(acc, 0, group * hd, 0f);
        java.util.Arrays.fill(max, 0, group, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(sum, 0, group, 0f);
        for (int c0 = 0; c0 < len; c0 += TILE) {
            int n = Math.min(TILE, len - c0), n8 = (n + 7) & ~7;
            cache.keysBlocked(layer, c0, n, kvOff, hd, kf);
            cache.rows(true, layer, c0, c0 + n, kvOff, hd, vf);
            for (int hh = 0; hh < group; hh++) {
                int qo = base + hh * hd;
                F16Math.scoresChained(q, qo, hd, kf, n8, sc);
                float tileMax = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    sc[j] *= scale;
                    tileMax = Math.max(tileMax, sc[j]);
                }
                for (int j = n; j < n8; j++) sc[j] = Float.NEGATIVE_INFINITY; // masked: weight 0
                if (tileMax == Float.NEGATIVE_INFINITY) continue;
                float mOld = max[hh], mNew = Math.max(mOld, tileMax);
                int o = hh * hd;
                if (mNew > mOld) {
                    s.one[0] = mOld - mNew;
                    ExpF.exp(s.one, s.oneOut, 1, s.exp4);
                    float ms = s.oneOut[0];
                    for (int i = 0; i < hd; i++) acc[o + i] *= ms;
                    sum[hh] *= ms;
                }
                max[hh] = mNew;
                double z = 0;
                for (int j = 0; j < n8; j += 8) {
                    float e0 = GgmlExp.exp(sc[j] - mNew), e1 = GgmlExp.exp(sc[j + 1] - mNew), e2 = GgmlExp.exp(sc[j + 2] - mNew),
                            e3 = GgmlExp.exp(sc[j + 3] - mNew), e4 = GgmlExp.exp(sc[j + 4] - mNew),
                            e5 = GgmlExp.exp(sc[j + 5] - mNew), e6 = GgmlExp.exp(sc[j + 6] - mNew),
                            e7 = GgmlExp.exp(sc[j + 7] - mNew);
                    sc[j] = e0; sc[j + 1] = e1; sc[j + 2] = e2; sc[j + 3] = e3;
                    sc[j + 4] = e4; sc[j + 5] = e5; sc[j + 6] = e6; sc[j + 7] = e7;
                    // _mm256 halves added, then movehl, then movehdup: ((e0+e4)+(e2+e6)) + ((e1+e5)+(e3+e7))
                    z += ((e0 + e4) + (e2 + e6)) + ((e1 + e5) + (e3 + e7));
                }
                sum[hh] = (float) (sum[hh] + z);
                F16Math.accumulateChained(vf, hd, n, sc, acc, o);
            }
        }
        for (int hh = 0; hh < group; hh++) {
            float inv = sum[hh] == 0 ? 0 : 1f / sum[hh];
            for (int i = 0; i < hd; i++) out[base + hh * hd + i] = acc[hh * hd + i] * inv;
        }
    }

    private static void one(KvCache cache, int layer, int pos, float[] q, int qRow, int g, int group, int hd,
                            float scale, float[] out) {
        int len = pos + 1;
        Scratch s = SCRATCH.get();
        if (s == null || s.row.length != hd) SCRATCH.set(s = new Scratch(hd));
        if (s.scores.length < group * len) s.scores = new float[Math.max(group * len, 2 * s.scores.length)];
        float[] sc = s.scores, row = s.row;
        if (cache.isF16() && F16_ONLINE) {
            f16Online(cache, layer, 0, len, q, qRow, g, group, hd, scale, out, s); // up to 256 cells, or not split
            return;
        }
        float[] qv = q;
        int qb = qRow;
        if (cache.isF16()) {
            // Keys are F16: round the queries to F16 too, as llama.cpp does (its K.Q runs on F16 pairs), so
            // both engines see the same scores; the rounding is well below the keys' own.
            if (s.qh.length < group * hd) s.qh = new float[group * hd];
            for (int i = 0; i < group * hd; i++) s.qh[i] = Float.float16ToFloat(Float.floatToFloat16(q[qRow + g * group * hd + i]));
            qv = s.qh;
            qb = -g * group * hd;
        }
        int kvOff = g * hd, kvDim = cache.kvDim();
        float[] k32 = cache.keys32(layer), v32 = cache.values32(layer);
        for (int j = 0; j < len; j++) {
            float[] src = k32;
            int at = j * kvDim + kvOff;
            if (src == null) {
                cache.key(layer, j, kvOff, hd, row);
                src = row;
                at = 0;
            }
            for (int h = 0; h < group; h++) {
                sc[h * len + j] = FloatKernels.dot(qv, qb + (g * group + h) * hd, src, at, hd) * scale;
            }
        }
        for (int h = 0; h < group; h++) {
            CpuOps.softmax(sc, h * len, len);
            java.util.Arrays.fill(out, qRow + (g * group + h) * hd, qRow + (g * group + h + 1) * hd, 0f);
        }
        for (int j = 0; j < len; j++) {
            float[] src = v32;
            int at = j * kvDim + kvOff;
            if (src == null) {
                cache.value(layer, j, kvOff, hd, row);
                src = row;
                at = 0;
            }
            for (int h = 0; h < group; h++) {
                FloatKernels.axpy(sc[h * len + j], src, at, out, qRow + (g * group + h) * hd, hd);
            }
        }
    }
}
