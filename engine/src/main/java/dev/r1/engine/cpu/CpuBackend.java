package dev.r1.engine.cpu;

import dev.r1.engine.model.Backend;
import dev.r1.models.tensor.GgmlType;

import dev.r1.models.InputPages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The Java CPU backend: heap float buffers, Vector API kernels, weights read in place from the mapping —
 * except Q4_0, Q4_K and Q6_K matrices, which are repacked once at load into native memory, 8 rows side by
 * side ({@link Q4x8}, {@link Q4Kx8}, {@link Q6Kx8}; llama.cpp repacks Q4_0 and Q4_K the same way), while their mapped pages
 * are dropped, so resident memory stays about one copy of the weights. {@code -Dr1.cpu.repack=false}
 * keeps them in place.
 *
 * <p>The thread pool and the matmul's quantized-activation scratch are shared by all sessions of the
 * model, so every op that uses them runs under one lock: sessions on several threads interleave op by op
 * (each op already uses every core).
 */
public final class CpuBackend implements Backend {

    record Buf(float[] a) implements Buffer {
        @Override public int size() { return a.length; }
    }

    record Mat(WeightMatrix w) implements Matrix {
        @Override public int rows() { return w.rows(); }
        @Override public int cols() { return w.cols(); }
    }

    record CacheHandle(KvCache kv) implements Cache {
        @Override public int contextSize() { return kv.contextSize(); }
        @Override public long bytes() { return kv.bytes(); }
    }

    static final class StepRows implements Step {
        final KvCache[] caches;
        final int[] positions;
        int batchRows; // rows of the batch this step belongs to (setStepBatchRows)

        StepRows(KvCache[] caches, int[] positions) {
            this.caches = caches;
            this.positions = positions;
        }

        @Override public int capacity() { return positions.length; }
    }

    private static final boolean REPACK = !"false".equals(System.getProperty("r1.cpu.repack"));

    private final Parallel pool;
    private final Matmul matmul;
    private final Arena packed = new HugePageArena(); // repacked weights on huge pages where the OS gives them

    public CpuBackend(int threads) {
        this.pool = new Parallel(threads);
        this.matmul = new Matmul(pool);
    }

    public int threads() { return pool.size(); }

    /** What a benchmark figure measured: threads, vector widths, which matrices are repacked. */
    @Override public String name() {
        return "java (" + pool.size() + " threads, " + VectorWidths.describe() + (REPACK ? ", Q4_0/Q4_K/Q6_K" + (Q8x8.ENABLED ? "/Q8_0/Q5_0/Q4_1/Q5_1/IQ4_NL" : "") + (Q5Kx8.ENABLED ? "/Q5_K" : "") + (IQ4XSx8.ENABLED ? "/IQ4_XS" : "") + (Q6Kx8.Q3K_ENABLED ? "/Q3_K" : "") + (Q2Kx4.ENABLED ? "/Q2_K" : "") + " repacked" + fewerBits() : ", nothing repacked") + ")";
    }

    /** Which repacked types keep fewer bits than a byte a value (the others widen to bytes), so a figure says which layout it measured. */
    private static String fewerBits() {
        java.util.List<String> four = new java.util.ArrayList<>();
        if (Q8x8.ENABLED && Q8x8.Q41_NIBBLES) four.add("Q4_1");
        if (Q8x8.ENABLED && Q8x8.NL_NIBBLES) four.add("IQ4_NL");
        if (IQ4XSx8.ENABLED && IQ4XSx8.NIBBLES) four.add("IQ4_XS");
        if (Q6Kx8.Q3K_ENABLED && Q3Kx4.ENABLED) four.add("Q3_K");
        return (four.isEmpty() ? "" : ", " + String.join("/", four) + " in 4 bits") + (Q2Kx4.ENABLED ? ", Q2_K in 2" : "");
    }

    @Override public Buffer buffer(int floats) { return new Buf(new float[floats]); }

    @Override public Step step(int rows) { return new StepRows(new KvCache[rows], new int[rows]); }

    @Override
    public void setStep(Step step, int n, Cache[] caches, int[] positions) {
        StepRows s = (StepRows) step;
        if (n > s.capacity()) throw new IllegalArgumentException(n + " rows in a step of " + s.capacity());
        for (int t = 0; t < n; t++) {
            s.caches[t] = ((CacheHandle) caches[t]).kv;
            s.positions[t] = positions[t];
        }
        s.batchRows = n;
    }

    @Override
    public void setStepBatchRows(Step step, int rows) { ((StepRows) step).batchRows = rows; }

    @Override
    public synchronized Matrix matrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        WeightMatrix w = prepare(name, type, rows, cols, data, packed, pool);
        if (w.packed() != null) InputPages.release(data, 0, w.rowBytes() * rows); // embed() may still read rows: they fault back in
        return new Mat(w);
    }

    /**
     * The one place a matrix's layout is chosen, once at load: Q4_0, Q8_0, Q5_0, Q4_1, Q5_1, IQ4_NL, Q4_K, Q5_K, Q6_K and IQ4_XS repacked into 8-row groups
     * where the shape and the vector width allow (unless {@code -Dr1.cpu.repack=false}), every other matrix
     * read in place; {@link Matmul} then follows the layout it finds.
     */
    static WeightMatrix prepare(String name, GgmlType type, int rows, int cols, MemorySegment data, Arena arena, Parallel pool) {
        MemorySegment p = null;
        if (REPACK && type == GgmlType.Q4_0 && Q4x8.fits(rows, cols)) p = Q4x8.repack(data, rows, cols, arena, pool);
        if (REPACK && IQ4XSx8.ENABLED && type == GgmlType.IQ4_XS && IQ4XSx8.fits(rows, cols)) p = IQ4XSx8.repack(data, rows, cols, arena, pool);
        if (REPACK && Q8x8.ENABLED && Q8x8.serves(type) && Q8x8.fits(rows, cols)) p = Q8x8.repack(data, type, rows, cols, arena, pool);
        if (REPACK && type == GgmlType.Q6_K && Q6Kx8.fits(rows, cols)) p = Q6Kx8.repack(data, rows, cols, arena, pool, Q6Kx8.ggmlLanes(name));
        if (REPACK && Q2Kx4.ENABLED && type == GgmlType.Q2_K && Q2Kx4.fits(rows, cols)) p = Q2Kx4.repack(data, rows, cols, arena, pool);
        if (REPACK && Q6Kx8.Q3K_ENABLED && type == GgmlType.Q3_K && Q6Kx8.fits(rows, cols)) {
            p = Q3Kx4.ENABLED ? Q3Kx4.repack(data, rows, cols, arena, pool) : Q6Kx8.repackQ3K(data, rows, cols, arena, pool);
        }
        if (REPACK && type == GgmlType.Q4_K && Q4Kx8.fits(rows, cols)) p = Q4Kx8.repack(data, rows, cols, arena, pool);
        if (REPACK && Q5Kx8.ENABLED && type == GgmlType.Q5_K && Q5Kx8.fits(rows, cols)) p = Q5Kx8.repack(data, rows, cols, arena, pool);
        return new WeightMatrix(name, type, rows, cols, data, p);
    }

    @Override
    public Matrix table(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        return new Mat(new WeightMatrix(name, type, rows, cols, data));
    }

    @Override public Buffer vector(float[] values) { return new Buf(values.clone()); }

    @Override
    public Cache kvCache(int layers, int ctx, int kvDim, boolean f16) {
        return new CacheHandle(new KvCache(layers, ctx, kvDim, f16));
    }

    @Override
    public synchronized boolean copyCache(Cache from, Cache to, int positions) {
        ((CacheHandle) from).kv.copyPrefixTo(((CacheHandle) to).kv, positions);
        return true;
    }

    private static float[] a(Buffer b) { return ((Buf) b).a; }

    @Override
    public void embed(Matrix table, int[] tokens, int from, int n, Buffer out) {
        WeightMatrix w = ((Mat) table).w;
        float[] o = a(out), row = new float[w.cols()];
        for (int t = 0; t < n; t++) {
            int id = tokens[from + t];
            if (id < 0 || id >= w.rows()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + w.rows());
            }
            w.row(id, row);
            System.arraycopy(row, 0, o, t * w.cols(), w.cols());
        }
    }

    @Override
    public void rmsNorm(Buffer x, Buffer w, float eps, int n, int dim, Buffer out) {
        CpuOps.rmsNorm(a(x), a(w), eps, n, dim, a(out));
    }

    @Override
    public void matmul(Buffer x, int n, Matrix[] ws, Buffer[] outs) {
        multiply(x, n, ws, outs, false);
    }

    @Override
    public void matmulSequences(Buffer x, int n, Matrix[] ws, Buffer[] outs) {
        multiply(x, n, ws, outs, true);
    }

    private synchronized void multiply(Buffer x, int n, Matrix[] ws, Buffer[] outs, boolean sequences) {
        WeightMatrix[] m = new WeightMatrix[ws.length];
        float[][] o = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) {
            m[i] = ((Mat) ws[i]).w;
            o[i] = a(outs[i]);
        }
        matmul.multiply(a(x), n, m, o, sequences);
    }

    @Override public void addBias(Buffer x, Buffer bias, int n, int dim) { CpuOps.addBias(a(x), a(bias), n, dim); }

    @Override
    public void rope(Buffer x, int n, int heads, int headDim, Step step, Rope rope) {
        CpuOps.rope(a(x), n, heads, headDim, ((StepRows) step).positions, rope.thetaScale(), rope.factors(), rope.neox());
    }

    @Override
    public synchronized void attention(Step step, int layer, int n, Buffer q, Buffer k, Buffer v,
                                       int heads, int kvHeads, int headDim, Buffer out) {
        StepRows s = (StepRows) step;
        CpuAttention.attendRows(pool, s.caches, s.positions, layer, n, s.batchRows, a(q), a(k), a(v), heads, kvHeads, headDim,
                a(out));
    }

    @Override public synchronized void swiglu(Buffer gate, Buffer up, int len) { CpuOps.swiglu(pool, a(gate), a(up), len); }

    @Override public void add(Buffer x, Buffer y, int len) { CpuOps.add(a(x), a(y), len); }

    @Override
    public void copyRow(Buffer src, int row, int dim, Buffer dst) {
        System.arraycopy(a(src), row * dim, a(dst), 0, dim);
    }

    @Override
    public void toHost(Buffer src, int off, int len, float[] dst) {
        System.arraycopy(a(src), off, dst, 0, len);
    }

    @Override
    public synchronized void close() {
        pool.close();
        packed.close();
    }
}
