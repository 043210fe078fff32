package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Weight matrix × n activation vectors on the pool. Several matrices sharing one input (Q/K/V,
 * gate/up) run in one parallel region with the input quantized once. Each worker takes rows from a
 * contiguous share of its own and then helps with the others' ({@link #claim}); inside a chunk, tokens are
 * tiled so a weight row is read from memory once per tile, unpacked to 16-bit lanes once, and reused for
 * every token of it.
 */
public final class Matmul {
    private static final int TOKEN_TILE = 32;
    /** Rows per unit of work: a whole group of every repacked layout (8, or 16 for 512-bit Q4x8 / Q4Kx8). */
    private static final int UNIT = Math.max(8, Math.max(Math.max(Q4x8.R, Q4Kx8.R), Math.max(Q5Kx8.R, Q6Kx8.R)));

    private final Parallel pool;
    private short[] q = new short[0];
    private float[] qd = new float[0];
    private float[] qs = new float[0]; // d * Σq per block, for Q4_0's offset
    private float[] q1s = new float[0]; // Q8_1's s = f16(d * Σq), unrounded d (LegacyQuants.quantizeQ8_1): q, qd are Q8_0's
    // the same activations for repacked Q4_0 (Q4x8.pack): value pairs as ints, 8·Σq per block
    private int[] qi = new int[0];
    private int[] s8 = new int[0];
    private int[] qv = new int[0]; // one token's pairs spread over Q4x8.R lanes, for decoding
    private boolean spreadOne; // this multiply is one token's and qv8 holds its pairs spread (gemvX8)
    private int[] qv8 = new int[0]; // one token's pairs spread over Q8x8.R lanes (Q8x8.SPREAD_ONE, NL_SPREAD)
    private boolean spread41; // one token, qv41 its pairs41 spread (Q8x8.SPREAD41)
    private int[] qv41 = new int[0];
    private int[] qa41 = new int[0]; // repacked Q4_1's activation pairs (Q8x8.pairs41)
    private int[] kv = new int[0]; // the same for Q8_K activations (repacked Q6_K, Q6Kx8.spread) when decoding
    private final int[][] kvWorker, kvWorker2; // ... per worker, for two tokens at a time when n > 1
    // Q8_K pairs spread over Q4Kx8.R lanes (Q4Kx8.spread, where Q4Kx8.SPREAD): one token's for decoding, and per
    // worker the last token of an odd batch; Q4Kx8 has its own width, so not Q6Kx8's kv
    private int[] kv4 = new int[0];
    private final int[][] kv4Worker;
    private final KQuants2.Scratch[] k2Scratch; // KQuants2's per-call arrays, one set per worker
    private final IQuants.Scratch[] iqScratch; // IQuants' likewise
    private final IQ1Quants.Scratch[] iq1Scratch; // and IQ1Quants'
    // Q8_0 weights read activations in the pair layout (QuantKernels.quantizeQ8Pairs), Q4_0 in natural order.
    private short[] qp = new short[0];
    private float[] qpd = new float[0];
    // Q8_K activations (per-256 scale, sums of 16) for Q4_K/Q6_K weights, quantized as llama.cpp does.
    private short[] kq = new short[0];
    private float[] kd = new float[0];
    private int[] kb = new int[0];
    private float[] kbp = new float[0]; // kb's sums of 32 as floats (Q4Kx8.minSums), for the repacked Q4_K kernels' mins
    private short[] kqp = new short[0]; // the same in the pair layout (KQuants2.toPairs), for KQuants2's kernels
    private short[] kqw = new short[0]; // and in IQuants.dotPanel's (llama.cpp's IQ panel order, 8+ tokens)
    private int[] zeros = new int[0]; // never written: the sums repacked Q3_K reads in Q6Kx8.gemvGgml
    private int[] kqi = new int[0]; // the same as value pairs in ints (Q4Kx8.pairs), for repacked Q4_K batches
    private final float[][] rowScratch;
    private final float[][] lanes; // per worker, for the kernels' fixed-order lane sums
    private final short[][] unpacked;
    private final float[][] unpackedScale;
    private final float[][] groupScratch; // a repacked group's outputs when a chunk splits the group (groupScratch())
    private final float[][] laneScratch;  // float lanes handed from one pass to the next (Q6Kx8.gemvGgml, Q5Kx8)
    private final int[][] sumScratch;     // integers handed from one pass to the next (IQ4XSx8.gemv2Amx)
    private final int[][] intScratch;     // integer lanes made apart from their kernel (Q6Kx8.gemv2Ggml's offsets)
    private final int[] shareStart; // each worker's share of a multiply's rows (cutShares)
    private final AtomicLongArray claims; // ... and its pairs not yet claimed (see claim)
    private int gemmTokens; // tokens [0, gemmTokens) of the current multiply take ggml's gemm grain (Q4Kx8)
    private boolean sequences; // the current multiply's tokens are of different sequences (see multiply)
    private float[] xh = new float[0], xbf = new float[0]; // activations rounded to F16 / BF16 (HalfKernels.round)
    private final float[][] halfRows; // four F16/BF16/F32 rows as floats, per worker (HalfKernels.gemm4x3)

    public Matmul(Parallel pool) {
        this.pool = pool;
        this.rowScratch = new float[pool.size()][];
        this.halfRows = new float[pool.size()][];
        this.lanes = new float[pool.size()][];
        for (int i = 0; i < lanes.length; i++) lanes[i] = QuantKernels.laneScratch();
        this.unpacked = new short[pool.size()][];
        this.unpackedScale = new float[pool.size()][];
        this.groupScratch = new float[pool.size()][];
        this.laneScratch = new float[pool.size()][];
        this.sumScratch = new int[pool.size()][];
        this.intScratch = new int[pool.size()][];
        this.shareStart = new int[pool.size() + 1];
        this.claims = new AtomicLongArray(pool.size());
        this.kvWorker = new int[pool.size()][];
        this.kvWorker2 = new int[pool.size()][];
        this.kv4Worker = new int[pool.size()][];
        this.k2Scratch = new KQuants2.Scratch[pool.size()];
        this.iqScratch = new IQuants.Scratch[pool.size()];
        this.iq1Scratch = new IQ1Quants.Scratch[pool.size()];
    }

    public Parallel pool() { return pool; }

    /** {@code out[t*w.rows() + r] = w.row(r) · x[t*w.cols() ..]} for {@code t < n}. */
    public void multiply(float[] x, int n, WeightMatrix w, float[] out) {
        multiply(x, n, new WeightMatrix[] {w}, new float[][] {out});
    }

    /** Each {@code outs[i]} gets {@code ws[i]} × x; all {@code ws} have the same column count. */
    public void multiply(float[] x, int n, WeightMatrix[] ws, float[][] outs) {
        multiply(x, n, ws, outs, false);
    }

    /**
     * As above; {@code sequences}: the rows are single tokens of different sequences (a batched decoding
     * step), so each row's result must be what it would be alone. Otherwise they are consecutive tokens
     * of one sequence, and llama.cpp's repacked Q4_K takes them in fours with a finer float grain (its
     * gemm), which {@link Q4Kx8} follows for the same tokens.
     */
    public void multiply(float[] x, int n, WeightMatrix[] ws, float[][] outs, boolean sequences) {
        gemmTokens = sequences ? 0 : n - n % 4;
        this.sequences = sequences;
        int cols = ws[0].cols();
        boolean needF16 = false, needBF16 = false, allF16 = true, allBF16 = true, allF32 = true;
        boolean spread8 = false, needQ41 = false, needQ8_1 = false, needQ8 = false, needSums = false, needPairs = false, needQ8K = false, needPacked = false, needSpreadK = false, anyPackedQ4 = false;
        int totalRows = 0;
        boolean allPackedQ4 = true, allPackedQ6K = true, allPackedQ6KGgml = true, allPackedQ4K = true, anyPackedQ4K = false;
        boolean allQ4KOrQ6KGgml = Q4Kx8.R == Q6Kx8.R; // a Q4_K_M layer's q, k (Q4_K) and v (Q6_K)
        boolean allPackedQ5K = true, anyKPairs = false, allPackedQ8 = true, allPackedXS = true, allPackedQ3K = true, anyQ3K = false;
        for (int i = 0; i < ws.length; i++) {
            WeightMatrix w = ws[i];
            if (w.cols() != cols) throw new IllegalArgumentException("matrices with different input sizes in one multiply");
            if (outs[i].length < (long) n * w.rows()) throw new IllegalArgumentException("output buffer too small for " + w.name());
            // the activation forms the matrices' kernels read, each made once for all of them
            WeightMatrix.Kernel k = w.kernel();
            needQ8K |= k == WeightMatrix.Kernel.K_QUANT || k == WeightMatrix.Kernel.Q6_K_X8 || k == WeightMatrix.Kernel.Q6_K_X8_GGML || k == WeightMatrix.Kernel.Q6_K_X6 || signedQ6(k) || k == WeightMatrix.Kernel.Q3_K_X4 || k == WeightMatrix.Kernel.Q2_K_X4
                    || k == WeightMatrix.Kernel.Q4_K_X8 || k == WeightMatrix.Kernel.Q5_K_X8 || k == WeightMatrix.Kernel.IQ4_XS_X8 || k == WeightMatrix.Kernel.IQ2_XS_X4;
            needQ8 |= k == WeightMatrix.Kernel.Q4_0 || k == WeightMatrix.Kernel.Q4_0_X8 || k == WeightMatrix.Kernel.Q8_0_X8
                    || k == WeightMatrix.Kernel.IQ4_NL_X8
                    || k == WeightMatrix.Kernel.Q5_0 || k == WeightMatrix.Kernel.IQ4_NL;
            needQ8_1 |= k == WeightMatrix.Kernel.Q4_1 || k == WeightMatrix.Kernel.Q5_1 || k == WeightMatrix.Kernel.Q8_1_X8 || k == WeightMatrix.Kernel.Q4_1_X4;
            needSums |= k == WeightMatrix.Kernel.Q4_0;
            needQ41 |= k == WeightMatrix.Kernel.Q4_1_X4;
            needF16 |= k == WeightMatrix.Kernel.F16;
            needBF16 |= k == WeightMatrix.Kernel.BF16;
            allF16 &= k == WeightMatrix.Kernel.F16;
            allBF16 &= k == WeightMatrix.Kernel.BF16;
            allF32 &= k == WeightMatrix.Kernel.F32;
            boolean x8 = q8x8(k);
            needPacked |= k == WeightMatrix.Kernel.Q4_0_X8 || x8 && k != WeightMatrix.Kernel.Q4_1_X4; // Q4_1_X4 reads qa41 alone
            anyPackedQ4 |= k == WeightMatrix.Kernel.Q4_0_X8;
            spread8 |= n == 1 && spreadsOne(k);
            allPackedQ8 &= x8 && k == ws[0].kernel(); // one Q8x8 kernel for all (Q8_0 with Q5_0 share one)
            needSpreadK |= (k == WeightMatrix.Kernel.Q6_K_X8 || k == WeightMatrix.Kernel.Q6_K_X8_GGML || k == WeightMatrix.Kernel.Q6_K_X6 || signedQ6(k)) && n == 1;
            anyPackedQ4K |= k == WeightMatrix.Kernel.Q4_K_X8;
            anyKPairs |= k == WeightMatrix.Kernel.Q5_K_X8 || k == WeightMatrix.Kernel.IQ4_XS_X8 || k == WeightMatrix.Kernel.IQ2_XS_X4 || k == WeightMatrix.Kernel.Q3_K_X4 || k == WeightMatrix.Kernel.Q2_K_X4
                    || k == WeightMatrix.Kernel.IQ4_XS_X8B && IQuants.usesPanel(w.type(), w.rows(), n); // read kqi
            allPackedQ5K &= k == WeightMatrix.Kernel.Q5_K_X8;
            allPackedXS &= isXS(k) && k == ws[0].kernel(); // gemvXS
            needPairs |= k == WeightMatrix.Kernel.Q8_0;
            allPackedQ4 &= k == WeightMatrix.Kernel.Q4_0_X8;
            allPackedQ6K &= k == WeightMatrix.Kernel.Q6_K_X8;
            allPackedQ6KGgml &= (k == WeightMatrix.Kernel.Q6_K_X8_GGML || k == WeightMatrix.Kernel.Q6_K_X6) && k == ws[0].kernel();
            // IQ4_XS in Q6_K's byte layout, one token in ggml's AMX order (IQ4XSx8.AMX_ORDER): the rows' panel path, not decodePacked's lanes
            allPackedQ3K &= signedQ6(k) && k == ws[0].kernel() && !(k == WeightMatrix.Kernel.IQ4_XS_X8B && IQuants.usesPanel(w.type(), w.rows(), n));
            anyQ3K |= signedQ6(k);
            allPackedQ4K &= k == WeightMatrix.Kernel.Q4_K_X8;
            allQ4KOrQ6KGgml &= k == WeightMatrix.Kernel.Q4_K_X8 || k == WeightMatrix.Kernel.Q6_K_X8_GGML || k == WeightMatrix.Kernel.Q6_K_X6;
            totalRows += w.rows();
        }
        if (x.length < (long) n * cols) throw new IllegalArgumentException("input buffer too small for " + ws[0].name());
        if (needF16) xh = rounded(x, n * cols, xh, false);
        if (needBF16) xbf = rounded(x, n * cols, xbf, true);
        if (needQ8) quantize(x, n, cols, false, needSums);
        if (needQ8_1) quantizeQ8_1(x, n, cols); // the same q, qd as above, and the sums
        if (needPacked) pack(n, cols, anyPackedQ4);
        spreadOne = spread8;
        spread41 = needQ41 && n == 1 && Q8x8.SPREAD41 && !Q8x8.Q41_AMX;
        if (spread8) qv8 = spreadPairs(qi, cols / 2, qv8);
        if (needQ41) {
            if (qa41.length < n * cols / 2) qa41 = new int[n * cols / 2];
            for (int t = 0; t < n; t++) Q8x8.pairs41(q, t * cols, cols, qa41, t * cols / 2);
            if (spread41) qv41 = spreadPairs(qa41, cols / 2, qv41);
        }
        if (needPairs) quantize(x, n, cols, true, false);
        if (needQ8K) quantizeK(x, n, cols);
        if (anyQ3K && zeros.length < n * (cols / KQuants.QK) * 16) zeros = new int[n * (cols / KQuants.QK) * 16];
        if (needQ8K && java.util.Arrays.stream(ws).anyMatch(w -> (KQuants2.serves(w.type()) || IQuants.serves(w.type())) && w.kernel() == WeightMatrix.Kernel.K_QUANT
                && !IQuants.usesPanel(w.type(), w.rows(), n))) {
            if (kqp.length < n * cols) kqp = new short[n * cols];
            short[] from = kq, to = kqp;
            pool.forRange(n, 1, (a, b) -> KQuants2.toPairs(from, a * cols, (b - a) * cols, to, a * cols));
        }
        if (needQ8K && java.util.Arrays.stream(ws).anyMatch(w -> IQuants.usesPanel(w.type(), w.rows(), n) && !fourBitIQ(w.kernel()) && w.kernel() != WeightMatrix.Kernel.IQ4_XS_X8B)) {
            if (kqw.length < n * cols) kqw = new short[n * cols];
            short[] from = kq, to = kqw;
            pool.forRange(n, 1, (a, b) -> IQuants.toPairsWide(from, a * cols, (b - a) * cols, to, a * cols));
        }
        if (anyKPairs || anyPackedQ4K && (n > 1 || !Q4Kx8.SPREAD)) { // pairs: two-token kernels, one token where not spread, Q5Kx8
            if (kqi.length < n * cols / 2) kqi = new int[n * cols / 2];
            Q4Kx8.pairs(kq, 0, n * cols, kqi, 0);
        }
        if (anyPackedQ4K) q4kMinSums(n * (cols / KQuants.QK)); // the Q4_K kernels' float sums of 32, every token
        if (anyPackedQ4K && n == 1 && Q4Kx8.SPREAD) {
            if (kv4.length < cols / 2 * Q4Kx8.R) kv4 = new int[cols / 2 * Q4Kx8.R];
            Q4Kx8.spread(kq, 0, cols, kv4);
        }
        if (needSpreadK) {
            if (kv.length < cols / 2 * Q6Kx8.STRIDE) kv = new int[cols / 2 * Q6Kx8.STRIDE];
            Q6Kx8.spread(kq, 0, cols, kv);
        }
        if (n == 1 && (allPackedQ4 || allPackedQ6K || allPackedQ6KGgml || allPackedQ4K || allPackedQ5K || allPackedQ8 || allPackedXS || allPackedQ3K)) {
            decodePacked(ws, outs, totalRows, allPackedQ4 ? WeightMatrix.Kernel.Q4_0_X8 : allPackedQ8 || allPackedXS || allPackedQ3K ? ws[0].kernel()
                    : allPackedQ6K ? WeightMatrix.Kernel.Q6_K_X8
                    : allPackedQ6KGgml ? ws[0].kernel() : allPackedQ5K ? WeightMatrix.Kernel.Q5_K_X8 : WeightMatrix.Kernel.Q4_K_X8);
            return;
        }
        if (n == 1 && (allF16 || allBF16 || allF32)) {
            decodeHalf(ws, outs, totalRows, halfActivations(ws[0].type(), x));
            return;
        }
        if (n == 1 && allQ4KOrQ6KGgml) {
            decodeQ4KQ6K(ws, outs, totalRows);
            return;
        }
        int[] starts = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) starts[i + 1] = starts[i] + ws[i].rows();
        // handed out in units of UNIT rows, so that chunks do not split repacked groups; at most 64 rows per claim
        int maxUnits = Math.max(1, Math.min(64 / UNIT, (totalRows / (pool.size() * 16) + UNIT - 1) / UNIT));
        int total = totalRows, units = (total + UNIT - 1) / UNIT;
        // one contiguous share of the units per worker, claimed as decodePacked's pairs are (see there): each
        // thread streams a part of its own, which matters where the weights are read once (a few tokens)
        cutShares(units, 1);
        pool.run((worker, workers) -> {
            for (int v = 0; v < workers; v++) {
                int k = (worker + v) % workers;
                long r;
                while ((r = claim(claims, k, v == 0, maxUnits)) >= 0) {
                    int s = (shareStart[k] + (int) (r >>> 32)) * UNIT, e = Math.min(total, (shareStart[k] + (int) r) * UNIT);
                    // a chunk may straddle two matrices
                    for (int i = 0; i < ws.length && s < e; i++) {
                        if (s >= starts[i + 1]) continue;
                        int to = Math.min(e, starts[i + 1]);
                        rows(ws[i], x, n, outs[i], s - starts[i], to - starts[i], worker);
                        s = to;
                    }
                }
            }
        });
    }

    /**
     * One token through repacked matrices, all Q4_0, all Q4_K or all Q6_K: the groups of R rows of all of
     * them, numbered in order, are cut into one contiguous share per worker, and each worker takes its share
     * in pairs half the share apart ({@link Q4x8#gemv2}, {@link Q6Kx8#gemv2}, {@link Q4Kx8#gemv2}; Q6_K in
     * ggml's lanes two calls; an odd share leaves its middle group alone). A worker done with its own share
     * takes pairs from the end of another's, so a descheduled thread does not hold the region up.
     *
     * <p>Why shares: pairs half the whole count apart, handed out a few at a time to whichever thread came
     * (the form before), had both threads reading neighbouring chunks of the same two places, each thread's
     * streams broken every few groups. On the 2-core Zen 4 machine the Q4_0 kernel then streamed 30-37 GB/s
     * over a 93 MB matrix where a share per thread streamed 45-50 (and a bare read loop ~50): session 17.
     */
    private void decodePacked(WeightMatrix[] ws, float[][] outs, int totalRows, WeightMatrix.Kernel kind) {
        boolean q6k = kind == WeightMatrix.Kernel.Q6_K_X8, q4k = kind == WeightMatrix.Kernel.Q4_K_X8;
        boolean q3k = signedQ6(kind), six = kind == WeightMatrix.Kernel.Q6_K_X6, q6kGgml = kind == WeightMatrix.Kernel.Q6_K_X8_GGML || q3k || six, q5k = kind == WeightMatrix.Kernel.Q5_K_X8;
        boolean q8 = q8x8(kind);
        boolean xs = isXS(kind);
        int R = q6k || q6kGgml ? Q6Kx8.R : q4k ? Q4Kx8.R : q5k ? Q5Kx8.R : q8 ? Q8x8.R : xs ? IQ4XSx8.R : Q4x8.R, groups = totalRows / R;
        int blocks = ws[0].cols() / (q6k || q6kGgml || q4k || q5k || xs ? KQuants.QK : QuantKernels.QK);
        long groupBytes = (long) blocks * (six ? Q6Kx6.BLOCK : q6k || q6kGgml ? Q6Kx8.BLOCK : q4k ? Q4Kx8.BLOCK : q5k ? Q5Kx8.BLOCK
                : q8 ? Q8x8.block(ws[0].type()) : xs ? xsBlock(kind) : Q4x8.BLOCK);
        int[] first = new int[ws.length + 1]; // first group of each matrix
        for (int i = 0; i < ws.length; i++) first[i + 1] = first[i] + ws[i].rows() / R;
        int[] acts = Q4x8.SPREAD ? qv : qi; // Q4_0's activations as the kernels read them
        int[] acts4 = Q4Kx8.SPREAD ? kv4 : kqi; // Q4_K's
        int[] sums = q3k ? zeroSums(blocks * 16) : kb; // repacked Q3_K: gemvGgml without Q6_K's offset
        // Q4_1 and Q8_0 in ggml's AMX order: four groups a call, a quarter of the share apart (Q8x8.gemvMinNibblesAmx4, gemvAmx4)
        boolean allQ8_0 = true; // Q8_0's layout holds Q5_0 too, which keeps vec_dot's order
        for (WeightMatrix w : ws) allQ8_0 &= w.type() == GgmlType.Q8_0;
        boolean amx8 = kind == WeightMatrix.Kernel.Q8_0_X8 && Q8x8.Q8_AMX && allQ8_0;
        boolean q6k4 = q6k && Q6Kx8.FOUR && !Q6Kx8.SPREAD; // the head: four groups a call
        int amxXSCount = 0; // IQ4_XS in ggml's AMX order (amxXS), decided once, not per pair
        for (WeightMatrix w : ws) if (amxXS(w)) amxXSCount++;
        boolean allAmxXS = amxXSCount == ws.length, anyAmxXS = amxXSCount > 0;
        int ways = kind == WeightMatrix.Kernel.Q4_1_X4 && Q8x8.Q41_AMX || amx8 || q6k4 ? 4 : 2;
        cutShares(groups, ways);
        if (ways == 4) for (int k = 0; k < pool.size(); k++) claims.set(k, quads(first, shareStart[k], shareStart[k + 1], -1));
        pool.run((worker, workers) -> {
            for (int v = 0; v < workers; v++) {
                int k = (worker + v) % workers, g0 = shareStart[k], g1 = shareStart[k + 1], h = (g1 - g0 + ways - 1) / ways;
                boolean own = v == 0;
                long r;
                while ((r = claim(claims, k, own, 16)) >= 0) {
                    for (int t = (int) (r >>> 32); t < (int) r; t++) {
                        if (ways == 4) { // item t: four groups of one matrix a quarter of its part of the share apart (quads): Q4_1/Q8_0 in the AMX order, the Q6_K head
                            long q = quads(first, g0, g1, t);
                            int a = (int) (q >>> 48), hq = (int) (q >>> 24) & 0xFFFFFF, i = (int) q & 0xFFFFFF, ga = i - first[a];
                            int pe = Math.min(g1, first[a + 1]);
                            if (i + 3 * hq < pe) {
                                if (q6k4) Q6Kx8.gemv4(ws[a].packed(), ga * groupBytes, hq * groupBytes, blocks, kv, kd, intScratch(worker), outs[a], ga * R, hq * R);
                                else if (amx8) Q8x8.gemvAmx4(ws[a].packed(), ga * groupBytes, hq * groupBytes, blocks, qi, qd, intScratch(worker), outs[a], ga * R, hq * R);
                                else Q8x8.gemvMinNibblesAmx4(ws[a].packed(), ga * groupBytes, hq * groupBytes, blocks, qa41, qd, q1s, outs[a], ga * R, hq * R);
                            } else { // the part's last items: what is left of its four quarters, a group a call
                                for (int m = i; m < pe; m += hq) {
                                    if (q6k4) Q6Kx8.gemv(ws[a].packed(), (m - first[a]) * groupBytes, blocks, kv, kd, 0, outs[a], (m - first[a]) * R);
                                    else gemvX8(kind, ws[a].type(), ws[a].packed(), (m - first[a]) * groupBytes, blocks, 0, 0, outs[a], (m - first[a]) * R);
                                }
                            }
                            continue;
                        }
                        int i = g0 + t, a = matrixOf(first, i), ga = i - first[a], j = i + h;
                        if (j < g1) {
                            int b = matrixOf(first, j), gb = j - first[b];
                            if (twoGroupsXS(kind) && allAmxXS) { // ggml's AMX order: two passes, as gemv2
                                IQ4XSx8.gemv2Amx(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, kqi, kd,
                                        sumScratch(worker, 2 * IQ4XSx8.R * blocks), outs[a], ga * R, outs[b], gb * R);
                            } else if (twoGroupsXS(kind) && anyAmxXS) { // IQ4_XS beside a grid type: each its order
                                gemvXS(ws[a], ga * groupBytes, blocks, outs[a], ga * R, worker);
                                gemvXS(ws[b], gb * groupBytes, blocks, outs[b], gb * R, worker);
                            } else if (twoGroupsXS(kind)) { // two streams, in two passes of four lanes
                                gemv2XS(kind, ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, laneScratch(worker),
                                        outs[a], ga * R, outs[b], gb * R);
                                iq1Delta(ws[a], ga * groupBytes, blocks, 0, outs[a], ga * R, worker);
                                iq1Delta(ws[b], gb * groupBytes, blocks, 0, outs[b], gb * R, worker);
                            } else if (xs) { // one group a call (Q2Kx4: ggml's eight lanes per row take the registers)
                                gemvXS(kind, ws[a].packed(), ga * groupBytes, blocks, 0, 0, outs[a], ga * R);
                                gemvXS(kind, ws[b].packed(), gb * groupBytes, blocks, 0, 0, outs[b], gb * R);
                            } else if (q8 && kind == WeightMatrix.Kernel.IQ4_NL_X8 && Q8x8.NL_NIBBLES) { // 4-bit: two groups a call
                                Q8x8.gemvNibbles2(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, qi, 0, qd, 0,
                                        outs[a], ga * R, outs[b], gb * R);
                            } else if (q8) { // one group a call: ggml's eight lanes per row take the registers
                                gemvX8(kind, ws[a].type(), ws[a].packed(), ga * groupBytes, blocks, 0, 0, outs[a], ga * R);
                                gemvX8(kind, ws[b].type(), ws[b].packed(), gb * groupBytes, blocks, 0, 0, outs[b], gb * R);
                            } else if (six && Q6Kx8.STRIDE == 1) { // two streams, in two passes of four lanes
                                Q6Kx6.gemv2(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, kv, kd, 0, sums, 0,
                                        laneScratch(worker), intScratch(worker), outs[a], ga * R, outs[b], gb * R);
                            } else if (six) {
                                Q6Kx6.gemv(ws[a].packed(), ga * groupBytes, blocks, kv, kd, 0, sums, 0, laneScratch(worker), outs[a], ga * R);
                                Q6Kx6.gemv(ws[b].packed(), gb * groupBytes, blocks, kv, kd, 0, sums, 0, laneScratch(worker), outs[b], gb * R);
                            } else if (q6kGgml && Q6Kx8.STRIDE == 1) { // two streams, in two passes of four lanes
                                Q6Kx8.gemv2Ggml(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, kv, kd, 0, sums, 0,
                                        laneScratch(worker), intScratch(worker), outs[a], ga * R, outs[b], gb * R);
                            } else if (q6kGgml) {
                                Q6Kx8.gemvGgml(ws[a].packed(), ga * groupBytes, blocks, kv, kd, 0, sums, 0, laneScratch(worker), outs[a], ga * R);
                                Q6Kx8.gemvGgml(ws[b].packed(), gb * groupBytes, blocks, kv, kd, 0, sums, 0, laneScratch(worker), outs[b], gb * R);
                            } else if (q5k) {
                                Q5Kx8.gemv2(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, kqi, 0, kd, 0, kb, 0,
                                        laneScratch(worker), outs[a], ga * R, outs[b], gb * R);
                            } else if (q6k) {
                                Q6Kx8.gemv2(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, kv, kd, 0,
                                        outs[a], ga * R, outs[b], gb * R);
                            } else if (q4k) {
                                Q4Kx8.gemv2(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, acts4, 0, kd, 0, kb, 0, kbp, 0,
                                        outs[a], ga * R, outs[b], gb * R);
                            } else {
                                Q4x8.gemv2(ws[a].packed(), ga * groupBytes, ws[b].packed(), gb * groupBytes, blocks, acts, 0, qd, s8, 0,
                                        outs[a], ga * R, outs[b], gb * R);
                            }
                        } else if (xs) {
                            gemvXS(ws[a], ga * groupBytes, blocks, outs[a], ga * R, worker);
                        } else if (q8) {
                            gemvX8(kind, ws[a].type(), ws[a].packed(), ga * groupBytes, blocks, 0, 0, outs[a], ga * R);
                        } else if (six) {
                            Q6Kx6.gemv(ws[a].packed(), ga * groupBytes, blocks, kv, kd, 0, sums, 0, laneScratch(worker), outs[a], ga * R);
                        } else if (q6kGgml) {
                            Q6Kx8.gemvGgml(ws[a].packed(), ga * groupBytes, blocks, kv, kd, 0, sums, 0, laneScratch(worker), outs[a], ga * R);
                        } else if (q5k) {
                            Q5Kx8.gemv(ws[a].packed(), ga * groupBytes, blocks, kqi, 0, kd, 0, kb, 0, laneScratch(worker), outs[a], ga * R);
                        } else if (q6k) {
                            Q6Kx8.gemv(ws[a].packed(), ga * groupBytes, blocks, kv, kd, 0, outs[a], ga * R);
                        } else if (q4k) {
                            Q4Kx8.gemv(ws[a].packed(), ga * groupBytes, blocks, acts4, 0, kd, 0, kb, 0, outs[a], ga * R);
                        } else {
                            Q4x8.gemv(ws[a].packed(), ga * groupBytes, blocks, acts, 0, qd, s8, 0, outs[a], ga * R);
                        }
                    }
                }
            }
        });
    }

    /**
     * One token through F16, BF16 or F32 matrices (all of one type), shared out as {@link #decodePacked} shares its
     * groups: one contiguous share of the rows per worker, taken in pairs of rows half the share apart
     * ({@link HalfKernels#dot2}), so each thread reads two streams, or at 512 bits in fours a quarter of the share
     * apart ({@link HalfKernels#dot4Wide}, {@link HalfKernels#FOUR}), four streams. Row by row in chunks of 64 (the
     * general path) the 1.5B F16 file's 82 MB of FFN rows streamed 26-29 GB/s on 2 threads, in pairs 38-42 (MatvecBench,
     * Zen 4, session 36); on Sapphire Rapids pairs 22, fours 26 (session 41). Each row's result is its one-row kernel's
     * ({@link HalfKernels#dot}, {@link HalfKernels#dotF32}); {@code xr} the activations as those read them.
     */
    private void decodeHalf(WeightMatrix[] ws, float[][] outs, int totalRows, float[] xr) {
        int[] first = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) first[i + 1] = first[i] + ws[i].rows();
        boolean f32 = ws[0].type() == GgmlType.F32, bf16 = ws[0].type() == GgmlType.BF16;
        int cols = ws[0].cols(), ways = HalfKernels.FOUR && !f32 ? 4 : 2;
        cutShares(totalRows, ways);
        pool.run((worker, workers) -> {
            for (int v = 0; v < workers; v++) {
                int k = (worker + v) % workers, r0 = shareStart[k], r1 = shareStart[k + 1], h = (r1 - r0 + ways - 1) / ways;
                long r;
                while ((r = claim(claims, k, v == 0, 64 / ways * 2)) >= 0) {
                    for (int t = (int) (r >>> 32); t < (int) r; t++) {
                        int i = r0 + t, a = matrixOf(first, i), ra = i - first[a];
                        WeightMatrix wa = ws[a];
                        if (i + (ways - 1) * h < r1) {
                            int j = i + h, b = matrixOf(first, j), rb = j - first[b];
                            if (f32) {
                                HalfKernels.dot2F32(wa.data(), ra * wa.rowBytes(), ws[b].data(), rb * ws[b].rowBytes(), xr, 0, cols, outs[a], ra, outs[b], rb);
                            } else if (ways == 2) {
                                HalfKernels.dot2(wa.data(), ra * wa.rowBytes(), ws[b].data(), rb * ws[b].rowBytes(), xr, 0, cols, bf16, outs[a], ra, outs[b], rb);
                            } else {
                                int j3 = j + h, c = matrixOf(first, j3), rc = j3 - first[c], j4 = j3 + h, d = matrixOf(first, j4), rd = j4 - first[d];
                                HalfKernels.dot4Wide(wa.data(), ra * wa.rowBytes(), ws[b].data(), rb * ws[b].rowBytes(),
                                        ws[c].data(), rc * ws[c].rowBytes(), ws[d].data(), rd * ws[d].rowBytes(), xr, cols, bf16,
                                        outs[a], ra, outs[b], rb, outs[c], rc, outs[d], rd);
                            }
                        } else { // a claim past the last whole pair or four: its rows one at a time
                            for (int j = i; j < r1; j += h) {
                                int b = matrixOf(first, j), rb = j - first[b];
                                outs[b][rb] = f32 ? HalfKernels.dotF32(ws[b].data(), rb * ws[b].rowBytes(), xr, 0, cols)
                                        : HalfKernels.dot(ws[b].data(), rb * ws[b].rowBytes(), xr, 0, cols, bf16);
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * One token through repacked Q4_K and Q6_K (ggml's lanes) matrices together, as {@link #decodePacked} takes
     * matrices of one kind: a Q4_K_M layer's q and k are Q4_K and, in half its layers, v is Q6_K. Shares and
     * pairs as there; a pair of two Q4_K groups takes {@link Q4Kx8#gemv2}, any other group its one-group kernel.
     * (Through the chunked path these layers' q and k ran one group a call.) Each row's result is its kernel's.
     */
    private void decodeQ4KQ6K(WeightMatrix[] ws, float[][] outs, int totalRows) {
        int R = Q4Kx8.R, groups = totalRows / R, blocks = ws[0].cols() / KQuants.QK;
        int[] first = new int[ws.length + 1];
        boolean[] q4k = new boolean[ws.length];
        for (int i = 0; i < ws.length; i++) {
            first[i + 1] = first[i] + ws[i].rows() / R;
            q4k[i] = ws[i].kernel() == WeightMatrix.Kernel.Q4_K_X8;
        }
        long q4kGroup = (long) blocks * Q4Kx8.BLOCK;
        int[] acts4 = Q4Kx8.SPREAD ? kv4 : kqi;
        cutShares(groups, 2);
        pool.run((worker, workers) -> {
            for (int v = 0; v < workers; v++) {
                int k = (worker + v) % workers, g0 = shareStart[k], g1 = shareStart[k + 1], h = (g1 - g0 + 1) / 2;
                long r;
                while ((r = claim(claims, k, v == 0, 16)) >= 0) {
                    for (int t = (int) (r >>> 32); t < (int) r; t++) {
                        int i = g0 + t, a = matrixOf(first, i), ga = i - first[a], j = i + h;
                        int b = j < g1 ? matrixOf(first, j) : -1, gb = b < 0 ? 0 : j - first[b];
                        if (b >= 0 && q4k[a] && q4k[b]) {
                            Q4Kx8.gemv2(ws[a].packed(), ga * q4kGroup, ws[b].packed(), gb * q4kGroup, blocks, acts4, 0, kd, 0, kb, 0, kbp, 0,
                                    outs[a], ga * R, outs[b], gb * R);
                            continue;
                        }
                        for (int m = 0, x = a, gx = ga; m < (b >= 0 ? 2 : 1); m++, x = b, gx = gb) {
                            if (q4k[x]) Q4Kx8.gemv(ws[x].packed(), gx * q4kGroup, blocks, acts4, 0, kd, 0, kb, 0, outs[x], gx * R);
                            else if (ws[x].kernel() == WeightMatrix.Kernel.Q6_K_X6) Q6Kx6.gemv(ws[x].packed(), gx * blocks * (long) Q6Kx6.BLOCK, blocks, kv, kd, 0, kb, 0, laneScratch(worker), outs[x], gx * R);
                            else Q6Kx8.gemvGgml(ws[x].packed(), gx * blocks * (long) Q6Kx8.BLOCK, blocks, kv, kd, 0, kb, 0, laneScratch(worker), outs[x], gx * R);
                        }
                    }
                }
            }
        });
    }

    /** Q4Kx8's float sums of 32 ({@code kbp}) from the tokens' Q8_K sums of 16 ({@code kb}), {@code blocks} super-blocks in all. */
    private void q4kMinSums(int blocks) {
        if (kbp.length < blocks * 8) kbp = new float[blocks * 8];
        Q4Kx8.minSums(kb, 0, blocks, kbp, 0);
    }

    /**
     * Worker k's share: items {@code [shareStart[k], shareStart[k + 1])} of {@code total}, all unclaimed in
     * {@code claims[k]}, claimed {@code ways} at a time ({@code ceil(size / ways)} claims, claim t taking items t,
     * t + h, t + 2h, ... with h that count): pairs half the share apart, or {@link #decodeHalf}'s fours.
     */
    private void cutShares(int total, int ways) {
        int n = pool.size();
        for (int k = 0; k < n; k++) {
            shareStart[k] = (int) ((long) total * k / n);
            shareStart[k + 1] = (int) ((long) total * (k + 1) / n);
            int size = shareStart[k + 1] - shareStart[k];
            claims.set(k, (size + ways - 1) / ways); // lo = 0, hi = the count
        }
    }

    /**
     * Claims items of share {@code k} ({@code claims[k]} = {@code lo << 32 | hi}, the unclaimed ones): its owner
     * from the front, up to {@code max} at a time and fewer toward the end (a quarter of what is left), so
     * that the threads finish within about one item of each other (a fixed chunk of the 8960-column ffn_down
     * took ~30 µs, idling the other thread that long at the end of each region); another worker from the back,
     * half of what is left. Returns {@code start << 32 | end}, or -1 when the share is all claimed.
     */
    static long claim(AtomicLongArray claims, int k, boolean own, int max) {
        while (true) {
            long cur = claims.get(k);
            int lo = (int) (cur >>> 32), hi = (int) cur;
            if (lo >= hi) return -1;
            int c = Math.max(1, Math.min(max, (hi - lo) / (own ? 4 : 2)));
            long next = own ? (long) (lo + c) << 32 | hi : (long) lo << 32 | (hi - c);
            if (claims.compareAndSet(k, cur, next)) return own ? (long) lo << 32 | (lo + c) : (long) (hi - c) << 32 | hi;
        }
    }

    /**
     * Four-way items of share {@code [g0, g1)} of groups numbered over matrices ({@code first[m]}: matrix m's first
     * group): each matrix's part of the share {@code [ps, pe)} gives {@code hq = ceil((pe - ps) / 4)} items, item u
     * its groups {@code ps + u + c·hq} (c = 0..3, those below pe), so the four streams of a call are of one matrix.
     * Where a share spans matrices (a fused q/k/v) the second worker's share used to straddle them and ran a group a
     * call. {@code t < 0}: the count of items; else item t as {@code matrix << 48 | hq << 24 | first group}.
     */
    static long quads(int[] first, int g0, int g1, int t) {
        int count = 0;
        for (int m = 0; m + 1 < first.length; m++) {
            int ps = Math.max(g0, first[m]), pe = Math.min(g1, first[m + 1]);
            if (ps >= pe) continue;
            int hq = (pe - ps + 3) / 4;
            if (t >= 0 && t < count + hq) return (long) m << 48 | (long) hq << 24 | (ps + t - count);
            count += hq;
        }
        if (t >= 0) throw new IllegalArgumentException("item " + t + " of " + count);
        return count;
    }

    private static int matrixOf(int[] first, int group) {
        int m = 0;
        while (group >= first[m + 1]) m++;
        return m;
    }

    /**
     * Quantizes the {@code n} input rows to 8 bits per block of 32: natural order with per-block sums for
     * Q4_0 ({@code q}, {@code qd}, {@code qs}), the pair layout for Q8_0 ({@code qp}, {@code qpd}).
     */
    private void quantize(float[] x, int n, int cols, boolean pairs, boolean sums) {
        int blocks = cols / QuantKernels.QK;
        if (pairs) {
            if (qp.length < n * cols) qp = new short[n * cols];
            if (qpd.length < n * blocks) qpd = new float[n * blocks];
        } else {
            if (q.length < n * cols) q = new short[n * cols];
            if (qd.length < n * blocks) {
                qd = new float[n * blocks];
                qs = new float[n * blocks];
            }
        }
        short[] qq = pairs ? qp : q;
        float[] dd = pairs ? qpd : qd, ss = sums ? qs : null; // sums: row-major Q4_0 only
        Parallel.RangeBody rows = (a, b) -> {
            for (int t = a; t < b; t++) {
                QuantKernels.quantizeQ8(x, t * cols, cols, qq, t * cols, dd, t * blocks, pairs);
                if (ss != null) QuantKernels.blockSums(qq, t * cols, dd, ss, t * blocks, blocks);
            }
        };
        if (n == 1) rows.run(0, 1);
        else pool.forRange(n, 1, rows);
    }

    /** Q4x8's activations (also Q8x8's); {@code spread}: Q4x8 reads some tokens spread (Q8x8 never does). */
    private void pack(int n, int cols, boolean spread) {
        int blocks = cols / QuantKernels.QK;
        if (qi.length < n * cols / 2) qi = new int[n * cols / 2];
        if (s8.length < n * blocks) s8 = new int[n * blocks];
        for (int t = 0; t < n; t++) Q4x8.pack(q, t * cols, cols, qi, t * cols / 2, s8, t * blocks);
        // tokens that gemv takes (the one of decoding, the last of an odd batch) get their pairs spread
        int first = n - n % 2, half = cols / 2;
        if (!Q4x8.SPREAD || !spread) return; // the kernels broadcast from qi
        if (qv.length < (n - first) * half * Q4x8.R) qv = new int[(n - first) * half * Q4x8.R];
        for (int t = first; t < n; t++) Q4x8.spread(qi, t * half, half, qv, (t - first) * half * Q4x8.R);
    }

    /**
     * Repacked Q4_0 rows {@code [r0, r1)}: whole groups of {@link Q4x8#R} rows, each group read once per
     * tile of tokens and applied to two tokens at a time.
     */
    private void rowsPacked(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), blocks = cols / QuantKernels.QK, half = cols / 2, R = Q4x8.R;
        java.lang.foreign.MemorySegment p = w.packed();
        float[] tmp = groupScratch(worker);
        for (int t0 = 0; t0 < n; t0 += TOKEN_TILE) {
            int t1 = Math.min(n, t0 + TOKEN_TILE);
            for (int g = r0 - r0 % R; g < r1; g += R) {
                long off = (long) (g / R) * blocks * Q4x8.BLOCK;
                // a group the chunk splits is computed into tmp, and only the chunk's rows copied out
                boolean whole = g >= r0 && g + R <= r1;
                float[] dst = whole ? out : tmp;
                int t = t0;
                for (; Q4x8.GEMM4 && t + 4 <= t1; t += 4) {
                    int o = whole ? t * rows + g : 0, stride = whole ? rows : R;
                    Q4x8.gemm4(p, off, blocks, qi, t * half, half, qd, s8, t * blocks, blocks, dst, o, stride);
                    if (!whole) for (int k = 0; k < 4; k++) copyPart(tmp, k * R, out, (t + k) * rows, g, R, r0, r1);
                }
                for (; t + 2 <= t1; t += 2) {
                    int o = whole ? t * rows + g : 0, stride = whole ? rows : R;
                    Q4x8.gemm2(p, off, blocks, qi, t * half, half, qd, s8, t * blocks, blocks, dst, o, stride);
                    if (!whole) for (int k = 0; k < 2; k++) copyPart(tmp, k * R, out, (t + k) * rows, g, R, r0, r1);
                }
                for (; t < t1; t++) { // the last token of an odd batch (pack() spread its pairs)
                    int v = (t - (n - n % 2)) * half * R;
                    Q4x8.gemv(p, off, blocks, Q4x8.SPREAD ? qv : qi, Q4x8.SPREAD ? v : t * half, qd, s8, t * blocks, dst, whole ? t * rows + g : 0);
                    if (!whole) copyPart(tmp, 0, out, t * rows, g, R, r0, r1);
                }
            }
        }
    }

    /**
     * Repacked Q6_K rows {@code [r0, r1)}: one token, or tokens two at a time ({@link Q6Kx8#gemm2}: each
     * group read once per pair, which halves the output head's reads for several sequences decoded at once).
     */
    private void rowsPackedQ6K(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK, R = Q6Kx8.R;
        boolean q3k = signedQ6(w.kernel()), ggml = w.kernel() == WeightMatrix.Kernel.Q6_K_X8_GGML || q3k;
        int[] sums = q3k ? zeroSums(n * sbs * 16) : kb; // repacked Q3_K: gemvGgml without Q6_K's offset
        boolean six = w.kernel() == WeightMatrix.Kernel.Q6_K_X6;
        long groupBytes = (long) sbs * (six ? Q6Kx6.BLOCK : Q6Kx8.BLOCK);
        float[] tmp = groupScratch(worker);
        int[] v0 = kv, v1 = null;
        int per = cols / 2 * Q6Kx8.STRIDE;
        if (n > 1) { // prefill or a batch of sequences: this worker spreads the tokens for its chunk
            v0 = kvWorker[worker];
            if (v0 == null || v0.length < per) kvWorker[worker] = v0 = new int[per];
            v1 = kvWorker2[worker];
            if (v1 == null || v1.length < per) kvWorker2[worker] = v1 = new int[per];
        }
        for (int t = 0; t < n; t += 2) {
            boolean pair = t + 1 < n;
            if (n > 1) Q6Kx8.spread(kq, t * cols, cols, v0);
            if (pair) Q6Kx8.spread(kq, (t + 1) * cols, cols, v1);
            for (int g = r0 - r0 % R; g < r1; g += R) {
                long off = (long) (g / R) * groupBytes;
                boolean whole = g >= r0 && g + R <= r1;
                float[] dst = whole ? out : tmp;
                if (six) { // each token alone, as below
                    float[] lanes = laneScratch(worker);
                    Q6Kx6.gemv(w.packed(), off, sbs, v0, kd, t * sbs, sums, t * sbs * 16, lanes, dst, whole ? t * rows + g : 0);
                    if (pair) Q6Kx6.gemv(w.packed(), off, sbs, v1, kd, (t + 1) * sbs, sums, (t + 1) * sbs * 16, lanes, dst, whole ? (t + 1) * rows + g : R);
                } else if (ggml) { // each token alone: ggml's lanes leave no registers for a second one
                    float[] lanes = laneScratch(worker);
                    Q6Kx8.gemvGgml(w.packed(), off, sbs, v0, kd, t * sbs, sums, t * sbs * 16, lanes, dst, whole ? t * rows + g : 0);
                    if (pair) {
                        Q6Kx8.gemvGgml(w.packed(), off, sbs, v1, kd, (t + 1) * sbs, sums, (t + 1) * sbs * 16, lanes,
                                dst, whole ? (t + 1) * rows + g : R);
                    }
                } else if (pair) {
                    Q6Kx8.gemm2(w.packed(), off, sbs, v0, v1, kd, t * sbs, (t + 1) * sbs, dst,
                            whole ? t * rows + g : 0, whole ? (t + 1) * rows + g : R);
                } else {
                    Q6Kx8.gemv(w.packed(), off, sbs, v0, kd, t * sbs, dst, whole ? t * rows + g : 0);
                }
                if (!whole) {
                    copyPart(tmp, 0, out, t * rows, g, R, r0, r1);
                    if (pair) copyPart(tmp, R, out, (t + 1) * rows, g, R, r0, r1);
                }
            }
        }
    }

    /** Whether a kernel reads Q6_K's byte layout with signed values, its offset sums zero (Q3_K, IQ4_XS on AVX2 machines). */
    private static boolean signedQ6(WeightMatrix.Kernel k) {
        return k == WeightMatrix.Kernel.Q3_K_X8 || k == WeightMatrix.Kernel.IQ4_XS_X8B;
    }

    /** IQ4_XS rows in Q6_K's byte layout {@code [r0, r1)} times 8+ tokens: llama.cpp's IQ panel order ({@link Q6Kx8#panel}), token by token. */
    private void rowsPanelQ6(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK, R = Q6Kx8.R;
        float[] tmp = groupScratch(worker);
        for (int g = r0 - r0 % R; g < r1; g += R) {
            long off = (long) (g / R) * sbs * Q6Kx8.BLOCK;
            boolean whole = g >= r0 && g + R <= r1;
            for (int t = 0; t < n; t++) {
                Q6Kx8.panel(w.packed(), off, sbs, kqi, t * cols / 2, kd, t * sbs, whole ? out : tmp, whole ? t * rows + g : 0);
                if (!whole) copyPart(tmp, 0, out, t * rows, g, R, r0, r1);
            }
        }
    }

    /**
     * Repacked Q4_K rows {@code [r0, r1)}, tokens four or two at a time (as {@link #rowsPackedQ6K} pairs them); tokens below
     * {@link #gemmTokens} in ggml's gemm grain, the others (and all of a batch of sequences) in its gemv grain.
     */
    private void rowsPackedQ4K(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK, R = Q4Kx8.R;
        float[] tmp = groupScratch(worker);
        // one token (gemv): spread (kv4) or its pairs in kqi, as Q4Kx8.SPREAD; pairs of tokens read kqi
        int[] v0 = Q4Kx8.SPREAD ? kv4 : kqi;
        for (int t = 0, m; t < n; t += m) {
            // tokens this pass: four of ggml's gemm grain per loaded weight slice (gemm4Fine), else a pair, else one;
            // gemmTokens is a multiple of 4, so neither a four nor a pair straddles it
            m = Q4Kx8.GEMM4 && t + 4 <= gemmTokens ? 4 : t + 1 < n ? 2 : 1;
            boolean fine = t < gemmTokens;
            if (n > 1 && m == 1 && Q4Kx8.SPREAD) { // the last token of an odd batch, spread for gemv
                v0 = kv4Worker[worker];
                if (v0 == null || v0.length < cols / 2 * R) kv4Worker[worker] = v0 = new int[cols / 2 * R];
                Q4Kx8.spread(kq, t * cols, cols, v0);
            }
            for (int g = r0 - r0 % R; g < r1; g += R) {
                long off = (long) (g / R) * sbs * Q4Kx8.BLOCK;
                boolean whole = g >= r0 && g + R <= r1;
                float[] dst = whole ? out : tmp;
                int q0 = t * cols / 2, q1 = q0 + cols / 2;
                if (m == 4) {
                    Q4Kx8.gemm4Fine(w.packed(), off, sbs, kqi, q0, cols / 2, kd, t * sbs, sbs, kb, t * sbs * 16, sbs * 16, kbp,
                            dst, whole ? t * rows + g : 0, whole ? rows : R);
                } else if (m == 2) {
                    int o0 = whole ? t * rows + g : 0, o1 = whole ? (t + 1) * rows + g : R;
                    if (fine) Q4Kx8.gemm2Fine(w.packed(), off, sbs, kqi, q0, q1, kd, t * sbs, (t + 1) * sbs, kb, t * sbs * 16, (t + 1) * sbs * 16, kbp, dst, o0, o1);
                    else Q4Kx8.gemm2(w.packed(), off, sbs, kqi, q0, q1, kd, t * sbs, (t + 1) * sbs, kb, t * sbs * 16, (t + 1) * sbs * 16, kbp, dst, o0, o1);
                } else {
                    Q4Kx8.gemv(w.packed(), off, sbs, v0, Q4Kx8.SPREAD ? 0 : q0, kd, t * sbs, kb, t * sbs * 16,
                            dst, whole ? t * rows + g : 0);
                }
                if (!whole) for (int k = 0; k < m; k++) copyPart(tmp, k * R, out, (t + k) * rows, g, R, r0, r1);
            }
        }
    }

    /**
     * Repacked Q5_K or IQ4_XS rows {@code [r0, r1)}: each group of R rows against every token in turn
     * ({@link Q5Kx8#gemv}, {@link IQ4XSx8#gemv}: ggml's lanes for each token alone, so a batch gives each row what
     * decoding it alone would); the group stays in cache while the tokens pass.
     */
    private void rowsPackedLanes(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        boolean xs = isXS(w.kernel());
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK, R = xs ? IQ4XSx8.R : Q5Kx8.R;
        long block = xs ? xsBlock(w.kernel()) : Q5Kx8.BLOCK;
        float[] tmp = groupScratch(worker);
        float[] lanes = laneScratch(worker);
        // IQ4_XS and the grid types times 8+ tokens: llama.cpp's IQ panel order (one integer sum a super-block), not vec_dot's lanes
        boolean panel = fourBitIQ(w.kernel()) && IQuants.usesPanel(w.type(), rows, n), per16 = w.kernel() == WeightMatrix.Kernel.IQ2_XS_X4;
        for (int g = r0 - r0 % R; g < r1; g += R) {
            long off = (long) (g / R) * sbs * block;
            boolean whole = g >= r0 && g + R <= r1;
            int t = 0;
            if (panel) { // four tokens a pass over the group (the same floats per token)
                for (; t + 4 <= n; t += 4) {
                    IQ4XSx8.panelNibbles4(w.packed(), off, sbs, kqi, t * cols / 2, cols / 2, kd, t * sbs, sbs,
                            whole ? out : tmp, whole ? t * rows + g : 0, whole ? rows : R, per16);
                    if (!whole) for (int k = 0; k < 4; k++) copyPart(tmp, k * R, out, (t + k) * rows, g, R, r0, r1);
                }
            }
            for (; t < n; t++) {
                float[] dst = whole ? out : tmp;
                int o = whole ? t * rows + g : 0;
                if (panel) IQ4XSx8.panelNibbles(w.packed(), off, sbs, kqi, t * cols / 2, kd, t * sbs, dst, o, per16);
                else if (xs) {
                    gemvXS(w.kernel(), w.packed(), off, sbs, t * cols / 2, t * sbs, dst, o);
                    iq1Delta(w, off, sbs, t, dst, o, worker);
                }
                else Q5Kx8.gemv(w.packed(), off, sbs, kqi, t * cols / 2, kd, t * sbs, kb, t * sbs * 16, lanes, dst, o);
                if (!whole) copyPart(tmp, 0, out, t * rows, g, R, r0, r1);
            }
        }
    }

    /**
     * Repacked Q8_0 / Q5_0 / Q4_1 / Q5_1 / IQ4_NL rows {@code [r0, r1)}: each group of R rows against every token in turn ({@link Q8x8#gemv}:
     * ggml's lanes leave no registers for a second token); the group stays in cache while the tokens pass.
     */
    private void rowsPackedQ8(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), blocks = cols / QuantKernels.QK, half = cols / 2, R = Q8x8.R;
        float[] tmp = groupScratch(worker);
        boolean nl4 = w.kernel() == WeightMatrix.Kernel.IQ4_NL_X8 && Q8x8.NL_NIBBLES; // 4-bit IQ4_NL: four tokens a pass
        boolean nl2 = w.kernel() == WeightMatrix.Kernel.IQ4_NL_X8 && Q8x8.NL_SHUFFLE; // AVX2's 4-bit IQ4_NL: two tokens a pass
        long groupBytes = (long) blocks * Q8x8.block(w.type());
        for (int g = r0 - r0 % R; g < r1; g += R) {
            boolean whole = g >= r0 && g + R <= r1;
            long off = (long) (g / R) * groupBytes;
            int t = 0;
            if (nl4) {
                for (; t + 4 <= n; t += 4) {
                    Q8x8.gemvNibbles4(w.packed(), off, blocks, qi, t * half, half, qd, t * blocks, blocks,
                            whole ? out : tmp, whole ? t * rows + g : 0, whole ? rows : R);
                    if (!whole) for (int k = 0; k < 4; k++) copyPart(tmp, k * R, out, (t + k) * rows, g, R, r0, r1);
                }
            }
            if (nl2) {
                for (; t + 2 <= n; t += 2) {
                    Q8x8.gemmShuffle2(w.packed(), off, blocks, qi, t * half, half, qd, t * blocks, blocks,
                            whole ? out : tmp, whole ? t * rows + g : 0, whole ? rows : R);
                    if (!whole) for (int k = 0; k < 2; k++) copyPart(tmp, k * R, out, (t + k) * rows, g, R, r0, r1);
                }
            }
            for (; t < n; t++) {
                gemvX8(w.kernel(), w.type(), w.packed(), off, blocks, t * half, t * blocks,
                        whole ? out : tmp, whole ? t * rows + g : 0);
                if (!whole) copyPart(tmp, 0, out, t * rows, g, R, r0, r1);
            }
        }
    }

    /** Whether a kernel reads a {@link Q8x8} layout (Q4x8's activation pairs, one group a call: {@link #gemvX8}). */
    private static boolean q8x8(WeightMatrix.Kernel k) {
        return switch (k) {
            case Q8_0_X8, Q8_1_X8, Q4_1_X4, IQ4_NL_X8 -> true;
            default -> false;
        };
    }

    /** One group of a {@link Q8x8} matrix · token {@code qi[qiOff ..]} (its block scales and sums from {@code dOff}). */
    private void gemvX8(WeightMatrix.Kernel k, GgmlType type, MemorySegment w, long off, int blocks, int qiOff, int dOff, float[] out, int o) {
        boolean spread = spreadOne && spreadsOne(k); // one token: qiOff and dOff are 0
        switch (k) {
            case Q8_1_X8 -> {
                if (spread) Q8x8.gemvMinSpread(w, off, blocks, qv8, qd, q1s, 0, out, o);
                else Q8x8.gemvMin(w, off, blocks, qi, qiOff, qd, q1s, dOff, out, o);
            }
            case Q4_1_X4 -> {
                if (Q8x8.Q41_AMX) Q8x8.gemvMinNibblesAmx(w, off, blocks, qa41, qiOff, qd, q1s, dOff, out, o);
                else if (spread41) Q8x8.gemvMinNibblesSpread(w, off, blocks, qv41, qd, q1s, 0, out, o);
                else Q8x8.gemvMinNibbles(w, off, blocks, qa41, qiOff, qd, q1s, dOff, out, o);
            }
            case IQ4_NL_X8 -> {
                if (spread) Q8x8.gemvShuffleSpread(w, off, blocks, qv8, qd, 0, out, o);
                else Q8x8.gemvSum(w, off, blocks, qi, qiOff, qd, dOff, out, o);
            }
            default -> {
                if (type == GgmlType.Q8_0 && Q8x8.Q8_AMX) Q8x8.gemvAmx(w, off, blocks, qi, qiOff, qd, dOff, out, o);
                else if (spread) Q8x8.gemvSpread(w, off, blocks, qv8, qd, 0, out, o);
                else Q8x8.gemv(w, off, blocks, qi, qiOff, qd, dOff, out, o);
            }
        }
    }

    /** One token's first {@code pairs} pairs of {@code src} spread over {@link Q8x8#R} lanes each into {@code dst} (grown): Q8x8.R == Q4x8.R, Q8x8.fits. */
    private static int[] spreadPairs(int[] src, int pairs, int[] dst) {
        if (dst.length < pairs * Q8x8.R) dst = new int[pairs * Q8x8.R];
        Q4x8.spread(src, 0, pairs, dst, 0);
        return dst;
    }

    /**
     * Whether one token reaches this {@link Q8x8} kernel with its pairs spread ({@code qv8}; Q4_1's own pairs: {@code
     * spread41}). The spread kernels are their broadcast kernels with the activation load changed: each compiled loop
     * needs one load form, and prompts' tokens keep the broadcast one (spreading them would take R times their pairs).
     */
    private static boolean spreadsOne(WeightMatrix.Kernel k) {
        return switch (k) {
            case Q8_0_X8, Q8_1_X8 -> Q8x8.SPREAD_ONE;
            case IQ4_NL_X8 -> Q8x8.NL_SHUFFLE && Q8x8.NL_SPREAD;
            default -> false;
        };
    }

    /** Copies the rows of group {@code g} (R rows) inside {@code [r0, r1)} from {@code tmp[o..]} to {@code out[base + r]}. */
    private static void copyPart(float[] tmp, int o, float[] out, int base, int g, int R, int r0, int r1) {
        for (int r = Math.max(g, r0); r < Math.min(g + R, r1); r++) out[base + r] = tmp[o + r - g];
    }

    // Small separate loops per kernel: C2 inlines Vector API calls only within a method-size budget, and
    // a kernel inlined into a large method falls back to boxed vectors (10x slower).
    private void rowsQ4_0(WeightMatrix w, float[] out, int r0, int r1) {
        int blocks = w.cols() / QuantKernels.QK;
        long rb = w.rowBytes();
        for (int r = r0; r < r1; r++) out[r] = QuantKernels.dotQ4_0(w.data(), r * rb, blocks, q, 0, qd, qs, 0);
    }

    private void rowsQ8_0(WeightMatrix w, float[] out, int r0, int r1, int worker) {
        int blocks = w.cols() / QuantKernels.QK;
        long rb = w.rowBytes();
        float[] t = lanes[worker];
        for (int r = r0; r < r1; r++) out[r] = QuantKernels.dotQ8_0(w.data(), r * rb, blocks, qp, 0, qpd, 0, t);
    }

    private void rowsK(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        if (w.type() == GgmlType.IQ4_XS && IQuants.usesPanel(w.type(), w.rows(), n)) { // llama.cpp's IQ panel order, from the file's rows
            rowsIQ(w, n, out, r0, r1, worker);
            return;
        }
        if (KQuants2.serves(w.type())) {
            rowsK2(w, n, out, r0, r1, worker);
            return;
        }
        if (IQuants.serves(w.type())) {
            rowsIQ(w, n, out, r0, r1, worker);
            return;
        }
        if (IQ1Quants.serves(w.type())) {
            rowsIQ1(w, n, out, r0, r1, worker);
            return;
        }
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK;
        long rb = w.rowBytes();
        boolean q4 = w.type() == GgmlType.Q4_K;
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                out[t * rows + r] = q4 ? KQuants.dotQ4_K(w.data(), r * rb, sbs, kq, t * cols, kd, t * sbs, kb, t * sbs * 16)
                        : KQuants.dotQ6_K(w.data(), r * rb, sbs, kq, t * cols, kd, t * sbs, kb, t * sbs * 16);
            }
        }
    }

    private void rowsK2(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK;
        KQuants2.Scratch x = k2Scratch[worker];
        if (x == null) k2Scratch[worker] = x = new KQuants2.Scratch();
        long rb = w.rowBytes();
        GgmlType type = w.type();
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                out[t * rows + r] = KQuants2.dot(type, w.data(), r * rb, sbs, kq, kqp, t * cols, kd, t * sbs, kb, t * sbs * 16, x);
            }
        }
    }

    /** IQ2/IQ3 rows (row-major), and IQ4_XS and IQ1 rows where llama.cpp's panel order applies. */
    private void rowsIQ(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK;
        IQuants.Scratch x = iqScratch[worker];
        if (x == null) iqScratch[worker] = x = new IQuants.Scratch();
        long rb = w.rowBytes();
        GgmlType type = w.type();
        boolean panel = IQuants.usesPanel(type, rows, n); // IQ4_XS and IQ1 come here only then
        for (int r = r0; r < r1; r++) {
            // once for all the tokens
            if (type == GgmlType.IQ4_XS) IQuants.decodeRowIQ4XS(w.data(), r * rb, sbs, x);
            else if (IQ1Quants.serves(type)) IQuants.decodeRowIQ1(type, w.data(), r * rb, sbs, x);
            else IQuants.decodeRow(type, w.data(), r * rb, sbs, x);
            if (panel) { // llama.cpp's order for this many tokens; four tokens a pass, the same floats per token
                int t = 0;
                for (; t + 4 <= n; t += 4) IQuants.dotPanel4(sbs, x, kqw, t * cols, cols, kd, t * sbs, sbs, out, t * rows + r, rows);
                for (; t < n; t++) out[t * rows + r] = IQuants.dotPanel(sbs, x, kqw, t * cols, kd, t * sbs);
            } else {
                for (int t = 0; t < n; t++) out[t * rows + r] = IQuants.dotDecoded(type, w.data(), r * rb, sbs, x, kqp, t * cols, kd, t * sbs);
            }
        }
    }

    private void rowsIQ1(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        if (IQuants.usesPanel(w.type(), w.rows(), n)) { // each row decoded once for all the tokens
            rowsIQ(w, n, out, r0, r1, worker);
            return;
        }
        int cols = w.cols(), rows = w.rows(), sbs = cols / KQuants.QK;
        IQ1Quants.Scratch x = iq1Scratch[worker];
        if (x == null) iq1Scratch[worker] = x = new IQ1Quants.Scratch();
        long rb = w.rowBytes();
        GgmlType type = w.type();
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                out[t * rows + r] = IQ1Quants.dot(type, w.data(), r * rb, sbs, kq, t * cols, kd, t * sbs, kb, t * sbs * 16, x);
            }
        }
    }

    private void rowsUnpacked(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), blocks = cols / QuantKernels.QK;
        long rb = w.rowBytes();
        short[] ws = unpacked[worker];
        if (ws == null || ws.length < cols) unpacked[worker] = ws = new short[cols];
        float[] wd = unpackedScale[worker];
        if (wd == null || wd.length < blocks) unpackedScale[worker] = wd = new float[blocks];
        boolean q4 = w.type() == GgmlType.Q4_0;
        short[] q = q4 ? this.q : qp;
        float[] qd = q4 ? this.qd : qpd;
        for (int t0 = 0; t0 < n; t0 += TOKEN_TILE) {
            int t1 = Math.min(n, t0 + TOKEN_TILE);
            for (int r = r0; r < r1; r++) {
                if (q4) QuantKernels.unpackQ4_0(w.data(), r * rb, blocks, ws, wd);
                else QuantKernels.unpackQ8_0(w.data(), r * rb, blocks, ws, wd);
                int t = t0;
                if (q4) {
                    for (; t + 4 <= t1; t += 4) {
                        QuantKernels.dotUnpacked4Q4(ws, wd, blocks, q, t * cols, cols, qd, t * blocks, blocks, out, t * rows + r, rows);
                    }
                }
                for (; t + 2 <= t1; t += 2) {
                    QuantKernels.dotUnpacked2(ws, wd, blocks, q, t * cols, cols, qd, t * blocks, blocks, out, t * rows + r, rows, lanes[worker]);
                }
                for (; t < t1; t++) out[t * rows + r] = QuantKernels.dotUnpacked(ws, wd, blocks, q, t * cols, qd, t * blocks, lanes[worker]);
            }
        }
    }

    private void quantizeQ8_1(float[] x, int n, int cols) {
        int blocks = cols / QuantKernels.QK;
        if (q.length < n * cols) q = new short[n * cols];
        if (qd.length < n * blocks) {
            qd = new float[n * blocks];
            qs = new float[n * blocks];
        }
        if (q1s.length < n * blocks) q1s = new float[n * blocks];
        short[] qq = q;
        float[] dd = qd, ss = q1s;
        Parallel.RangeBody rows = (a, b) -> {
            for (int t = a; t < b; t++) LegacyQuants.quantizeQ8_1(x, t * cols, cols, qq, t * cols, dd, ss, t * blocks);
        };
        if (n == 1) rows.run(0, 1);
        else pool.forRange(n, 1, rows);
    }

    // One kernel call per row and token: the activations of all tokens stay in cache while a chunk's rows
    // stream through; the order inside each dot is the kernel's whatever the token count (as llama.cpp's).
    private void rowsLegacy(WeightMatrix w, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows(), blocks = cols / QuantKernels.QK;
        long rb = w.rowBytes();
        float[] t = lanes[worker];
        WeightMatrix.Kernel kernel = w.kernel();
        MemorySegment d = w.data();
        for (int r = r0; r < r1; r++) {
            for (int k = 0; k < n; k++) {
                int qo = k * cols, bo = k * blocks;
                out[k * rows + r] = switch (kernel) {
                    case Q4_1 -> LegacyQuants.dotQ4_1(d, r * rb, blocks, q, qo, qd, q1s, bo, t);
                    case Q5_1 -> LegacyQuants.dotQ5_1(d, r * rb, blocks, q, qo, qd, q1s, bo, t);
                    case Q5_0 -> LegacyQuants.dotQ5_0(d, r * rb, blocks, q, qo, qd, bo, t);
                    case IQ4_NL -> LegacyQuants.dotIQ4_NL(d, r * rb, blocks, q, qo, qd, bo);
                    default -> throw new IllegalStateException(kernel + " is not a LegacyQuants kernel");
                };
            }
        }
    }

    private void quantizeK(float[] x, int n, int cols) {
        int sbs = cols / KQuants.QK;
        if (kq.length < n * cols) kq = new short[n * cols];
        if (kd.length < n * sbs) kd = new float[n * sbs];
        if (kb.length < n * sbs * 16) kb = new int[n * sbs * 16];
        short[] qq = kq;
        float[] dd = kd;
        int[] bb = kb;
        pool.forRange(n, 1, (a, b) -> {
            for (int t = a; t < b; t++) KQuants.quantizeQ8K(x, t * cols, cols, qq, t * cols, dd, t * sbs, bb, t * sbs * 16);
        });
    }

    private void rows(WeightMatrix w, float[] x, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows();
        long rb = w.rowBytes();
        switch (w.kernel()) {
            case Q6_K_X8, Q6_K_X8_GGML, Q6_K_X6, Q3_K_X8 -> rowsPackedQ6K(w, n, out, r0, r1, worker);
            case IQ4_XS_X8B -> {
                if (IQuants.usesPanel(w.type(), w.rows(), n)) rowsPanelQ6(w, n, out, r0, r1, worker);
                else rowsPackedQ6K(w, n, out, r0, r1, worker);
            }
            case Q4_K_X8 -> rowsPackedQ4K(w, n, out, r0, r1, worker);
            case Q5_K_X8, IQ4_XS_X8, IQ2_XS_X4, Q3_K_X4, Q2_K_X4 -> rowsPackedLanes(w, n, out, r0, r1, worker);
            case Q4_0_X8 -> rowsPacked(w, n, out, r0, r1, worker);
            case Q8_0_X8, Q8_1_X8, Q4_1_X4, IQ4_NL_X8 -> rowsPackedQ8(w, n, out, r0, r1, worker);
            case K_QUANT -> rowsK(w, n, out, r0, r1, worker);
            case Q4_1, Q5_1, Q5_0, IQ4_NL -> rowsLegacy(w, n, out, r0, r1, worker);
            case Q4_0 -> {
                if (n == 1) rowsQ4_0(w, out, r0, r1);
                else rowsUnpacked(w, n, out, r0, r1, worker);
            }
            case Q8_0 -> {
                if (n == 1) rowsQ8_0(w, out, r0, r1, worker);
                else rowsUnpacked(w, n, out, r0, r1, worker);
            }
            case F32, F16, BF16 -> rowsHalf(w, halfActivations(w.type(), x), n, out, r0, r1, worker);
            case DEQUANTIZED -> rowsDequantized(w, x, n, out, r0, r1, worker);
        }
    }

    /** {@code x[0..len)} rounded to F16 or BF16 as ggml rounds activations for such weights, into {@code buf} (grown). */
    private float[] rounded(float[] x, int len, float[] buf, boolean bf16) {
        float[] dst = buf.length < len ? new float[len] : buf;
        pool.forRange(len, 16384, (a, b) -> HalfKernels.round(x, a, b - a, dst, a, bf16));
        return dst;
    }

    /** The activations {@link HalfKernels} reads for weights of type {@code t}: rounded for the halves, {@code x} for F32. */
    private float[] halfActivations(GgmlType t, float[] x) {
        return t == GgmlType.F32 ? x : t == GgmlType.BF16 ? xbf : xh;
    }

    /**
     * F16/BF16/F32 rows ({@link HalfKernels}): llama.cpp's tinyBLAS order for a batch of one sequence's tokens where
     * ggml takes it (four rows widened or copied once, then three tokens a pass), else its vec_dot per row and token.
     */
    private void rowsHalf(WeightMatrix w, float[] xr, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows();
        long rb = w.rowBytes();
        MemorySegment d = w.data();
        boolean f32 = w.type() == GgmlType.F32, bf16 = w.type() == GgmlType.BF16;
        if (!sequences && HalfKernels.tiny(rows, cols, n)) {
            float[] wf = halfRows[worker];
            if (wf == null || wf.length < 4 * cols) halfRows[worker] = wf = new float[4 * cols];
            int q0 = Math.min(r1, (r0 + 3) & ~3), q1 = Math.max(q0, r1 & ~3);
            for (int r = q0; r < q1; r += 4) {
                if (f32) for (int j = 0; j < 4; j++) MemorySegment.copy(d, QuantLayouts.F32, (r + j) * rb, wf, j * cols, cols);
                else HalfKernels.widen4(d, r * rb, rb, cols, wf, bf16);
                for (int t = 0; t < n; t += 3) {
                    int tb = Math.min(t + 1, n - 1), tc = Math.min(t + 2, n - 1);
                    HalfKernels.gemm4x3(wf, cols, xr, t * cols, tb * cols, tc * cols, out, t * rows + r, tb * rows + r, tc * rows + r);
                }
            }
            // a chunk that does not start or end on a multiple of four rows: those rows alone, in the same order
            for (int r = r0; r < r1; r++) {
                if (r >= q0 && r < q1) continue;
                for (int t = 0; t < n; t++) {
                    out[t * rows + r] = f32 ? HalfKernels.dotTinyF32(d, r * rb, xr, t * cols, cols) : HalfKernels.dotTiny(d, r * rb, xr, t * cols, cols, bf16);
                }
            }
            return;
        }
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                out[t * rows + r] = f32 ? HalfKernels.dotF32(d, r * rb, xr, t * cols, cols) : HalfKernels.dot(d, r * rb, xr, t * cols, cols, bf16);
            }
        }
    }

    /** Each row dequantized once, dotted with every token. */
    private void rowsDequantized(WeightMatrix w, float[] x, int n, float[] out, int r0, int r1, int worker) {
        int cols = w.cols(), rows = w.rows();
        float[] buf = rowScratch[worker];
        if (buf == null || buf.length < cols) rowScratch[worker] = buf = new float[cols];
        for (int r = r0; r < r1; r++) {
            w.row(r, buf);
            for (int t = 0; t < n; t++) out[t * rows + r] = FloatKernels.dot(buf, 0, x, t * cols, cols);
        }
    }


    /** The one-group kernels of Q8_K pairs that {@link #gemvXS} serves (16 rows a group at 512 bits). */
    private static boolean isXS(WeightMatrix.Kernel k) {
        return fourBitIQ(k) || k == WeightMatrix.Kernel.Q3_K_X4 || k == WeightMatrix.Kernel.Q2_K_X4;
    }

    /** Bytes per group and super-block of the kernels {@link #gemvXS} serves. */
    private static long xsBlock(WeightMatrix.Kernel k) {
        return k == WeightMatrix.Kernel.Q3_K_X4 ? Q3Kx4.BLOCK : k == WeightMatrix.Kernel.Q2_K_X4 ? Q2Kx4.BLOCK
                : k == WeightMatrix.Kernel.IQ2_XS_X4 ? IQ4XSx8.BLOCK16 : IQ4XSx8.BLOCK;
    }

    /** One group of an IQ4_XS ({@link IQ4XSx8}) or 4-bit Q3_K ({@link Q3Kx4}) matrix · the token {@code kqi[qiOff ..]}, {@code kd[dOff ..]}. */
    private void gemvXS(WeightMatrix.Kernel k, MemorySegment w, long off, int sbs, int qiOff, int dOff, float[] out, int o) {
        if (k == WeightMatrix.Kernel.Q3_K_X4) Q3Kx4.gemv(w, off, sbs, kqi, qiOff, kd, dOff, out, o);
        else if (k == WeightMatrix.Kernel.Q2_K_X4) Q2Kx4.gemv(w, off, sbs, kqi, qiOff, kd, dOff, kb, dOff * 16, out, o);
        else IQ4XSx8.gemvNibbles(w, off, sbs, kqi, qiOff, kd, dOff, out, o, k == WeightMatrix.Kernel.IQ2_XS_X4);
    }

    /** Whether this matrix's one token goes in ggml's AMX order (IQ4_XS where llama.cpp runs it: {@link IQ4XSx8#AMX_ORDER}). */
    private static boolean amxXS(WeightMatrix w) {
        return w.kernel() == WeightMatrix.Kernel.IQ4_XS_X8 && IQuants.usesPanel(w.type(), w.rows(), 1);
    }

    /** One decoded group of a {@link #gemvXS} matrix in its order: ggml's AMX one ({@link #amxXS}) or its lanes, and IQ1's delta. */
    private void gemvXS(WeightMatrix w, long off, int sbs, float[] out, int o, int worker) {
        if (amxXS(w)) IQ4XSx8.panelNibbles(w.packed(), off, sbs, kqi, 0, kd, 0, out, o, false);
        else {
            gemvXS(w.kernel(), w.packed(), off, sbs, 0, 0, out, o);
            iq1Delta(w, off, sbs, 0, out, o, worker);
        }
    }

    /**
     * The IQ1 types' delta part after a decoding kernel's group of them, token {@code t} ({@link IQ4XSx8#iq1Delta},
     * {@link IQ4XSx8#iq1mDelta}); nothing for other types.
     */
    private void iq1Delta(WeightMatrix w, long off, int sbs, int t, float[] out, int o, int worker) {
        if (w.type() == dev.r1.models.tensor.GgmlType.IQ1_S) IQ4XSx8.iq1Delta(w.packed(), off, sbs, kd, t * sbs, kb, t * sbs * 16, out, o);
        // the decoding kernel is done with the worker's lane scratch: it holds IQ1_M's delta sums
        else if (w.type() == dev.r1.models.tensor.GgmlType.IQ1_M) IQ4XSx8.iq1mDelta(w.packed(), off, sbs, kqi, t * w.cols() / 2, kd, t * sbs, laneScratch(worker), out, o);
    }

    /** IQ4XSx8's layouts: IQ4_XS (and the per-32 grid types, IQ1_S) or IQ2_XS / IQ2_S / IQ1_M with a scale per 16. */
    private static boolean fourBitIQ(WeightMatrix.Kernel k) {
        return k == WeightMatrix.Kernel.IQ4_XS_X8 || k == WeightMatrix.Kernel.IQ2_XS_X4;
    }

    /** Whether {@link #gemv2XS} serves this kernel family (4-bit Q3_K and IQ4XSx8's layouts; Q2_K goes one group a call). */
    private static boolean twoGroupsXS(WeightMatrix.Kernel k) {
        return k == WeightMatrix.Kernel.Q3_K_X4 || fourBitIQ(k);
    }

    /** Two groups of a 4-bit Q3_K ({@link Q3Kx4#gemv2}) or IQ4_XS ({@link IQ4XSx8#gemv2}) matrix · the decoded token. */
    private void gemv2XS(WeightMatrix.Kernel k, MemorySegment w, long off, MemorySegment w2, long off2, int sbs, float[] lanes,
                         float[] out, int o, float[] out2, int o2) {
        if (k == WeightMatrix.Kernel.Q3_K_X4) Q3Kx4.gemv2(w, off, w2, off2, sbs, kqi, 0, kd, 0, lanes, out, o, out2, o2);
        else IQ4XSx8.gemv2(w, off, w2, off2, sbs, kqi, 0, kd, 0, lanes, out, o, out2, o2, k == WeightMatrix.Kernel.IQ2_XS_X4);
    }

    /** Zeros for {@link Q6Kx8#gemvGgml}'s sums on repacked Q3_K (grown in {@link #multiply} before the workers read it). */
    private int[] zeroSums(int len) {
        if (zeros.length < len) throw new IllegalStateException("zero sums not grown to " + len);
        return zeros;
    }

    private int[] intScratch(int worker) {
        int[] l = intScratch[worker];
        if (l == null) intScratch[worker] = l = new int[8 * Q6Kx8.R];
        return l;
    }

    /** A repacked group's outputs for up to four tokens ({@link Q4x8#gemm4}), when a chunk splits the group. */
    private float[] groupScratch(int worker) {
        float[] g = groupScratch[worker];
        if (g == null) groupScratch[worker] = g = new float[4 * UNIT];
        return g;
    }

    /** A worker's integers handed from one pass to the next ({@link IQ4XSx8#gemv2Amx}'s super-block sums), at least {@code len}. */
    private int[] sumScratch(int worker, int len) {
        int[] l = sumScratch[worker];
        if (l == null || l.length < len) sumScratch[worker] = l = new int[len];
        return l;
    }

    private float[] laneScratch(int worker) {
        float[] l = laneScratch[worker];
        if (l == null) laneScratch[worker] = l = new float[Math.max(8 * Q6Kx8.R, Math.max(Q5Kx8.SCRATCH, Q3Kx4.SCRATCH))];
        return l;
    }
}
