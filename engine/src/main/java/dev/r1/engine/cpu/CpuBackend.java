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
        this(threads, WARMUP_MIN_BYTES);
    }

    /** A backend whose {@link #warmUp()} runs for models of at least {@code warmUpMinBytes} of weights (tests: 0). */
    CpuBackend(int threads, long warmUpMinBytes) {
        this.pool = new Parallel(threads);
        this.matmul = new Matmul(pool);
        this.warmUpMinBytes = warmUpMinBytes;
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
        if (Q8x8.ENABLED && (Q8x8.NL_NIBBLES || Q8x8.NL_SHUFFLE)) four.add("IQ4_NL");
        if (IQ4XSx8.ENABLED && IQ4XSx8.NIBBLES) four.add("IQ4_XS");
        if (IQ4XSx8.ENABLED && IQ4XSx8.servesGrid(GgmlType.IQ3_S)) four.add("IQ1_S/IQ1_M/IQ2_XXS/IQ2_XS/IQ2_S/IQ3_XXS/IQ3_S");
        if (Q6Kx8.Q3K_ENABLED && Q3Kx4.ENABLED) four.add("Q3_K");
        return (four.isEmpty() ? "" : ", " + String.join("/", four) + " in 4 bits") + (Q2Kx4.ENABLED ? ", Q2_K in 2" : "");
    }

    /** A matrix of each kernel the model uses, to warm that kernel up on a few of its rows ({@link #warmUp}). */
    private record WarmSource(String name, GgmlType type, int cols, MemorySegment data) {}
    private final java.util.Map<String, WarmSource> warm = new java.util.LinkedHashMap<>();

    /** Calls of each kernel per warm-up round ({@code -Dr1.cpu.warmup=N}, 0: no warm-up). */
    private static final int WARMUP = Integer.getInteger("r1.cpu.warmup", 400);

    /**
     * Runs every matmul kernel the model uses, through the calls a decoding step and a prompt make, on 48 whole rows of
     * one of its matrices, and the norms and element-wise ops on small vectors, in rounds, each followed by a wait
     * until the JIT's compiler threads have been idle a while, until a round sets off no more compiling. Without it
     * the first prompt ran in the interpreter's and C1's code, where every Vector API operation allocates, while C2
     * compiled the kernels one by one on the two cores the prompt also used: a 5-token prompt took 6-10 s on the 1.5B
     * default file (two Zen 4 cores), llama.cpp 0.15 s. Whole rows, not a few columns: kernels C2 compiled from the
     * short loops of 256 columns (with a tenth of its thresholds, to compile sooner) prefilled 10-20 % slower.
     */
    @Override
    public void warmUp() {
        // a small model's first prompt is short in uncompiled code too; tests load hundreds of them
        if (weightBytes >= warmUpMinBytes) warmUp(WARMUP);
        warm.clear();
    }

    /** Weights below which {@link #warmUp()} does nothing: 256 MiB, a quarter of the smallest R1 distill at 4 bits (1.5B: ~1 GB). */
    static final long WARMUP_MIN_BYTES = 256L << 20;
    private final long warmUpMinBytes;
    private long weightBytes;

    /** {@link #warmUp()} with {@code calls} calls of each kernel a round, whatever the model's size. */
    void warmUp(int calls) {
        if (calls <= 0 || warm.isEmpty()) return;
        long t0 = System.nanoTime();
        int rows = 48;
        java.util.List<Runnable> runs = new java.util.ArrayList<>();
        for (WarmSource src : warm.values()) {
            int cols = src.cols(); // whole rows: C2 shapes its loops by the trip counts it profiled
            long bytes = rows * WeightMatrix.rowBytes(src.type(), cols);
            if (src.data().byteSize() < bytes) continue;
            Matrix[] ms;
            try {
                ms = new Matrix[] {new Mat(prepare(src.name(), src.type(), rows, cols, src.data().asSlice(0, bytes), Arena.ofAuto(), pool))};
            } catch (RuntimeException e) { // a shape this layout refuses: that kernel compiles on first use instead
                continue;
            }
            Buffer x = new Buf(gaussian(8 * cols));
            Buffer[] outs = {new Buf(new float[8 * rows])};
            // C2 compiles a method once its calls plus its loops' turns pass a threshold (15000 on x86); rows shorter
            // than an R1 distill's (hidden >= 1536) turn the loops fewer times, so they get more calls: a round of
            // 128 columns otherwise reached it only in the fourth or fifth round, or not at all (CpuWarmUpTest's model)
            long n = (long) calls * Math.max(1, 2048 / cols);
            runs.add(() -> {
                for (long i = 0; i < n && !stopped(); i++) matmul(x, 1, ms, outs);
                for (long i = 0; i < n / 2 && !stopped(); i++) matmul(x, 2 + (int) (i % 7), ms, outs); // a prompt: pairs of tokens, a lone one
            });
        }
        Buffer a = new Buf(gaussian(4096)), b = new Buf(gaussian(4096)), c = new Buf(new float[4096]), w = new Buf(gaussian(1024));
        runs.add(() -> {
            for (int i = 0; i < calls && !stopped(); i++) {
                rmsNorm(a, w, 1e-6f, 1 + i % 4, 1024, c);
                swiglu(c, b, 4096);
                add(c, a, 4096);
            }
        });
        // at least three rounds: a round may end before its calls have reached C2's thresholds, compiling nothing yet
        for (int round = 0; round < 5 && !stopped(); round++) {
            for (Runnable r : runs) r.run();
            boolean compiled = awaitCompilerIdle();
            if (VERBOSE) System.err.printf("r1: warm-up round %d: %.2f s%n", round + 1, (System.nanoTime() - t0) / 1e9);
            if (!compiled && round >= 2) break;
        }
        // The rounds run uncompiled Vector API code, which allocates for every operation: G1 grew the heap to 1-1.8 GB
        // of garbage (1.5B Q5_K_M, two cores) beside ~40 MB live, and kept it. A full collection now lets it give that
        // back (the KV caches, allocated later, grow it again only as far as they need).
        System.gc();
    }

    private static final boolean VERBOSE = Boolean.getBoolean("r1.cpu.warmup.verbose");

    /** Whether the thread warming up was interrupted (a chat's first prompt came): it stops within one call. */
    private static boolean stopped() { return Thread.currentThread().isInterrupted(); }

    private static float[] gaussian(int n) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(n);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) rnd.nextGaussian();
        return f;
    }

    /**
     * Sleeps until the JIT's compiler threads have used no CPU for 300 ms (at most 20 s), leaving them the cores;
     * whether they compiled anything meanwhile. Their CPU time comes from {@code /proc/self/task} (Linux); where that
     * is not readable, one fixed wait of a second.
     */
    static boolean awaitCompilerIdle() {
        long ticks = compilerTicks(), start = ticks, quiet = System.nanoTime(), end = quiet + 20_000_000_000L;
        if (ticks < 0) {
            sleep(1000);
            return false;
        }
        while (System.nanoTime() - quiet < 300_000_000L && System.nanoTime() < end) {
            if (!sleep(50)) return false;
            long now = compilerTicks();
            if (now != ticks) {
                ticks = now;
                quiet = System.nanoTime();
            }
        }
        return ticks != start;
    }

    private static boolean sleep(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** CPU clock ticks (user + system) of this JVM's compiler threads so far, or -1 where /proc cannot say. */
    static long compilerTicks() {
        long sum = 0;
        try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks = java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : tasks) {
                try {
                    if (!java.nio.file.Files.readString(t.resolve("comm")).contains("Compiler")) continue; // "C2 CompilerThre"
                    String stat = java.nio.file.Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    sum += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime: fields 14 and 15 of proc(5)
                } catch (java.nio.file.NoSuchFileException gone) {
                    // a compiler thread that ended since the listing
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return sum;
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
        warm.putIfAbsent(w.kernel() + "/" + type, new WarmSource(name, type, cols, data));
        weightBytes += w.rowBytes() * rows;
        // repacked or copied (HALF_COPY): the file's pages are no longer read; embed() may still read rows: they fault back in
        if (w.packed() != null || w.data() != data) InputPages.release(data, 0, w.rowBytes() * rows);
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
        if (REPACK && IQ4XSx8.ENABLED && type == GgmlType.IQ4_XS) {
            if (IQ4XSx8.NIBBLES && IQ4XSx8.fits(rows, cols)) p = IQ4XSx8.repack(data, rows, cols, arena, pool);
            else if (!IQ4XSx8.NIBBLES && Q6Kx8.fits(rows, cols)) p = Q6Kx8.repackIQ4XS(data, rows, cols, arena, pool); // a byte a value
        }
        if (REPACK && IQ4XSx8.ENABLED && IQ4XSx8.servesGrid(type) && IQ4XSx8.fits(rows, cols)) p = IQ4XSx8.repackGrid(data, type, rows, cols, arena, pool);
        if (REPACK && Q8x8.ENABLED && Q8x8.serves(type) && Q8x8.fits(rows, cols)) p = Q8x8.repack(data, type, rows, cols, arena, pool);
        if (REPACK && type == GgmlType.Q6_K && Q6Kx8.fits(rows, cols)) {
            p = Q6Kx8.ggmlLanes(name) && Q6Kx6.ENABLED ? Q6Kx6.repack(data, rows, cols, arena, pool) : Q6Kx8.repack(data, rows, cols, arena, pool, Q6Kx8.ggmlLanes(name));
        }
        if (REPACK && Q2Kx4.ENABLED && type == GgmlType.Q2_K && Q2Kx4.fits(rows, cols)) p = Q2Kx4.repack(data, rows, cols, arena, pool);
        if (REPACK && Q6Kx8.Q3K_ENABLED && type == GgmlType.Q3_K && Q6Kx8.fits(rows, cols)) {
            p = Q3Kx4.ENABLED ? Q3Kx4.repack(data, rows, cols, arena, pool) : Q6Kx8.repackQ3K(data, rows, cols, arena, pool);
        }
        if (REPACK && type == GgmlType.Q4_K && Q4Kx8.fits(rows, cols)) p = Q4Kx8.repack(data, rows, cols, arena, pool);
        if (REPACK && Q5Kx8.ENABLED && type == GgmlType.Q5_K && Q5Kx8.fits(rows, cols)) p = Q5Kx8.repack(data, rows, cols, arena, pool);
        if (p == null && HALF_COPY && (type == GgmlType.F16 || type == GgmlType.BF16)) {
            long bytes = WeightMatrix.rowBytes(type, cols) * rows, chunk = 16L << 20;
            MemorySegment src = data, c = arena.allocate(bytes, 64);
            pool.forRange((int) ((bytes + chunk - 1) / chunk), 1, (a, b) -> {
                for (int k = a; k < b; k++) MemorySegment.copy(src, k * chunk, c, k * chunk, Math.min(chunk, bytes - k * chunk));
            });
            data = c;
        }
        return new WeightMatrix(name, type, rows, cols, data, p);
    }

    /**
     * F16 / BF16 matrices, which no layout repacks, copied once at load onto the engine's huge pages: the same bytes,
     * which the one-token kernels stream faster there than from the mapped file's 4 KiB pages (1.5B F16 decode +4 % on
     * Sapphire Rapids, docs/BENCHMARKS.md session 39); the file's pages are released as repacked ones are. Copied
     * into any arena, the warm-up's too: kernels C2 compiled on the mapping's segment class (the warm-up's rows) ran the
     * copies at half speed. {@code -Dr1.cpu.halfcopy=false}: read from the mapping.
     */
    static final boolean HALF_COPY = REPACK && !"false".equals(System.getProperty("r1.cpu.halfcopy")) && HugePageArena.available();

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
