package dev.r1.engine.cuda;

import dev.r1.bindings.CudaDriver;
import dev.r1.bindings.CudaException;
import dev.r1.bindings.NativeLibraryException;
import dev.r1.engine.model.Backend;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CUDA backend: weights uploaded once as stored (quantized), activations and an F16 KV cache in device
 * memory, every op one or two kernel launches on one stream, each kernel with one argument block reused
 * across launches. The token position and token ids live in device memory: eager ops set them with a
 * stream-ordered memset, and inside {@link #capture} they are copied from pinned host memory that
 * {@link #setStepInputs} rewrites, so one captured decode step replays for every token.
 *
 * <p>Matmuls of up to {@link #MATVEC_MAX_TOKENS} tokens quantize the activations once (q8_1 blocks for
 * the 32-element types, Q8_K for the K-quants and IQ4_XS, as the CPU backend does) and run a dp4a matvec per weight; longer chunks
 * run cuBLAS GemmEx on weights dequantized to F16 when cuBLAS is present, else the WMMA kernel. A residual
 * add directly followed by the RMSNorm of the same rows is launched as one fused kernel.
 */
public final class CudaBackend implements Backend {
    /** Up to this many tokens a matmul runs as matvecs (weights streamed once per token, from L2 after the first). */
    public static final int MATVEC_MAX_TOKENS = 8;
    static final int THREADS = 256;

    record Buf(long ptr, int size) implements Buffer {}

    record Mat(long ptr, GgmlType type, int rows, int cols) implements Matrix {}

    record Kv(long[] k, long[] v, int contextSize, int kvDim) implements Cache {
        @Override public long bytes() { return 2L * k.length * contextSize * kvDim * 2; }
    }

    /**
     * A step's rows by sequence: the kernels take one cache and a first position (a device int, so a
     * captured step replays at the position set before each launch); rows of several sequences (a batched
     * decode) run as one launch per run of consecutive positions of one cache.
     */
    static final class Rows implements Step {
        final Kv[] caches;
        final int[] positions;
        int n;

        Rows(int capacity) {
            caches = new Kv[capacity];
            positions = new int[capacity];
        }

        @Override public int capacity() { return positions.length; }

        /** The end (exclusive) of the run of rows starting at {@code t}: same cache, consecutive positions. */
        int runEnd(int t) {
            int e = t + 1;
            while (e < n && caches[e] == caches[t] && positions[e] == positions[e - 1] + 1) e++;
            return e;
        }
    }

    private final CudaDevice dev;
    private final Cublas cublas;
    private final String cublasNote;
    private final Arena arena = Arena.ofShared();
    private final Map<String, ArgBlock> args = new HashMap<>();
    private final List<Long> allocations = new ArrayList<>();
    private final IdentityHashMap<float[], Long> ropeFactors = new IdentityHashMap<>();
    private final long pos;
    private final MemorySegment pinnedPos, pinnedTok;
    private int tokenCapacity = 1;
    private long devTokens;
    private final Scratch q8 = new Scratch(), q8d = new Scratch(), q8s = new Scratch(), qk = new Scratch(), qkd = new Scratch(),
            qks = new Scratch(), halfX = new Scratch(), halfW = new Scratch(), attnPart = new Scratch(), attnCount = new Scratch();
    private int attnCountZeroed; // how many of attnCount's ints are known to be zero
    private MemorySegment hostStage;
    private int attnSplits = 1;
    private int lastPos = Integer.MIN_VALUE;
    private Integer capturedPos;
    private boolean capturing;
    private Buf pendingX, pendingY;
    private int pendingLen;
    private boolean useCublas = true;
    private long weightBytes;
    private final List<Runnable> captureOutputs = new ArrayList<>();
    private final List<MemorySegment> stages = new ArrayList<>();

    /** Opens device 0; throws {@link NativeLibraryException} with one line when there is no usable GPU. */
    public CudaBackend() {
        this.dev = new CudaDevice();
        StringBuilder why = new StringBuilder();
        Cublas c = "false".equals(System.getProperty("r1.cuda.cublas")) ? null : Cublas.open(dev.stream(), why);
        this.cublas = c;
        this.cublasNote = c != null ? c.library : why.toString();
        pos = alloc(4, "position");
        devTokens = alloc(4L * tokenCapacity, "token ids");
        pinnedPos = dev.pinned(4);
        pinnedTok = dev.pinned(4);
    }

    /**
     * Null when a CUDA backend can open here, else the one-line reason (no driver, no GPU, no kernels
     * in this build, an unsupported architecture); for {@code r1 info} and for choosing a default.
     */
    public static String unavailableReason() {
        if (Fatbin.resource() == null) return CudaDevice.unavailableWithoutKernels();
        try {
            CudaDriver.load();
            return null;
        } catch (NativeLibraryException | CudaException e) {
            return e.getMessage();
        }
    }

    public CudaDevice device() { return dev; }

    /** Which library serves prefill GEMMs, or why cuBLAS is not used. */
    public String gemmPath() {
        return cublas != null && useCublas ? "cuBLAS (" + cublasNote + ")" : "r1_gemm (WMMA); cuBLAS: " + (cublas != null ? "off" : cublasNote);
    }

    /** Whether prefill GEMMs go to cuBLAS when it is present (else the WMMA kernel); for checks and benchmarks. */
    public void useCublas(boolean on) { useCublas = on; }

    public boolean hasCublas() { return cublas != null; }

    /** Bytes of weight matrices uploaded (what a decode step streams from memory). */
    public long weightBytes() { return weightBytes; }

    /** Fills a buffer with NaN, so that a kernel that leaves an element unwritten shows. */
    public void poison(Buffer b) {
        flush();
        wrote(b);
        dev.setInts(p(b), 0x7fc00000, ((Buf) b).size);
    }

    @Override public String name() { return "cuda (" + dev.name + ", sm_" + dev.sm + ")"; }

    private long alloc(long bytes, String what) {
        long p = dev.alloc(bytes, what);
        allocations.add(p);
        return p;
    }

    private int generation, captures;

    // The q8_1 scratch holds the quantization of q8Of's first q8Len floats (null: of nothing known), written
    // by the op that produced them (norm, SwiGLU, attention's merge) in decode steps, so the matvec that
    // reads them next skips its quantize launch (~110 launches a 28-layer step). Every write to a buffer
    // goes through wrote(), which forgets it; so do frees and scratch reallocations.
    private Buf q8Of;
    private long q8Len;
    private int stepRows = Integer.MAX_VALUE;
    private boolean fuseQ8 = !"false".equals(System.getProperty("r1.cuda.fuseq8"));

    /** Producers quantize their output for the next matvec (default) or leave it to the matvec (tests compare). */
    public void fuseQuantize(boolean on) { fuseQ8 = on; q8Of = null; }

    private void wrote(Buffer b) {
        if (q8Of != null && q8Of.equals(b)) q8Of = null;
    }

    private static final long[] NO_Q8 = {0, 0, 0}; // null pointers: the kernel writes no q8_1 blocks

    /** q8_1 scratch pointers {quants, scales, sums} for len floats produced into out, or {@link #NO_Q8}: no fusion here. */
    private long[] fusedQ8(Buffer out, long len) {
        if (!fuseQ8 || stepRows > MATVEC_MAX_TOKENS || len % 32 != 0) return NO_Q8;
        long nb = len / 32;
        long[] q = {q8.at(len, "q8 quants"), q8d.at(4 * nb, "q8 scales"), q8s.at(4 * nb, "q8 sums")};
        q8Of = (Buf) out;
        q8Len = len;
        return q;
    }

    /** Steps recorded so far ({@link #capture}), for tests of when sessions record again. */
    public int captures() { return captures; }

    @Override public int prefillChunk() { return 512; }

    @Override public Backend.Replay captureStep(Runnable step) { return capture(step); }

    /** A device buffer that grows to the largest size asked (before a capture, sizes settle in a warm-up step). */
    private final class Scratch {
        long ptr, bytes;

        long at(long need, String what) {
            if (need > bytes) {
                if (capturing) throw new IllegalStateException("scratch '" + what + "' must grow inside a graph capture; run the step once before capturing");
                if (ptr != 0) {
                    dev.sync();
                    dev.free(ptr);
                    allocations.remove(ptr);
                }
                ptr = alloc(need, what);
                bytes = need;
                generation++; // a recorded step pointing at the old buffer is stale
                if (this == attnCount) attnCountZeroed = 0;
                q8Of = null;  // and what the q8 scratch held is gone if it was this one
            }
            return ptr;
        }
    }

    private ArgBlock args(String kernel, String signature) {
        return args.computeIfAbsent(kernel, k -> new ArgBlock(arena, signature));
    }

    private static long p(Buffer b) { return ((Buf) b).ptr; }

    private static int blocks(long n) { return (int) Math.max(1, Math.min(65535, (n + THREADS - 1) / THREADS)); }

    @Override
    public Buffer buffer(int floats) { return new Buf(alloc(4L * floats, "activations"), floats); }

    @Override
    public Matrix matrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        GgmlType t = type;
        MemorySegment src = data;
        if (!keepsAsStored(type)) {
            float[] f = new float[Math.multiplyExact(rows, cols)]; // the IQ1-IQ3 grid types: kept as F32 on the device
            type.dequantize(data, 0, f, 0, f.length);
            src = Arena.ofAuto().allocateFrom(ValueLayout.JAVA_FLOAT, f);
            t = GgmlType.F32;
        }
        if (isFloat(t) && cols % 4 != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': " + cols + " columns; the cuda backend needs a multiple of 4");
        }
        long bytes = t.byteSize((long) rows * cols);
        long ptr = alloc(bytes, "tensor '" + name + "' (" + t + ", " + rows + "x" + cols + ")");
        dev.upload(ptr, src, bytes);
        weightBytes += bytes;
        return new Mat(ptr, t, rows, cols);
    }

    /** The token table when the output head is separate: uploaded as is, not counted as streamed per token. */
    @Override
    public Matrix table(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        long before = weightBytes;
        Matrix m = matrix(name, type, rows, cols, data);
        weightBytes = before;
        return m;
    }

    @Override
    public Buffer vector(float[] values) {
        long ptr = alloc(4L * values.length, "vector");
        try (Arena a = Arena.ofConfined()) {
            dev.upload(ptr, a.allocateFrom(ValueLayout.JAVA_FLOAT, values), 4L * values.length);
        }
        return new Buf(ptr, values.length);
    }

    @Override
    public Cache kvCache(int layers, int ctx, int kvDim, boolean f16) {
        // always F16 (as llama.cpp's default): the attention kernels read halves
        long[] k = new long[layers], v = new long[layers];
        for (int l = 0; l < layers; l++) {
            k[l] = alloc(2L * ctx * kvDim, "KV cache keys, layer " + l);
            v[l] = alloc(2L * ctx * kvDim, "KV cache values, layer " + l);
        }
        // a split per 32 positions of the context, up to 64: at depth 512 of a 1.5B that is 17 busy splits a
        // KV head instead of the 4 that ctx/256 gave, which left the H200 with 8 blocks and 150 us a layer
        attnSplits = Math.max(1, Math.min(64, ctx / 32));
        return new Kv(k, v, ctx, kvDim);
    }

    @Override public Step step(int rows) { return new Rows(rows); }

    @Override
    public void setStep(Step step, int n, Cache[] caches, int[] positions) {
        Rows r = (Rows) step;
        if (n > r.capacity()) throw new IllegalArgumentException(n + " rows in a step of " + r.capacity());
        for (int t = 0; t < n; t++) {
            r.caches[t] = (Kv) caches[t];
            r.positions[t] = positions[t];
        }
        r.n = n;
        stepRows = n;
    }

    @Override
    public boolean copyCache(Cache from, Cache to, int positions) {
        if (capturing) throw new IllegalStateException("a cache cannot be copied inside a graph capture");
        flush();
        dev.ensureCurrent();
        Kv a = (Kv) from, b = (Kv) to;
        long bytes = 2L * positions * a.kvDim(); // [ctx][kvDim] halves: a prefix of positions is a prefix of bytes
        if (bytes == 0) return true;
        for (int l = 0; l < a.k().length; l++) {
            dev.copyAsync(b.k()[l], a.k()[l], bytes);
            dev.copyAsync(b.v()[l], a.v()[l], bytes);
        }
        return true;
    }

    @Override
    public void free(Cache cache) {
        flush();
        dev.sync();
        Kv c = (Kv) cache;
        for (long[] ptrs : new long[][] {c.k, c.v}) {
            for (long ptr : ptrs) {
                if (allocations.remove(ptr)) dev.free(ptr);
            }
        }
    }

    @Override
    public void free(Buffer buffer) {
        wrote(buffer); // its address may come back as another buffer
        flush();
        dev.sync();
        long ptr = ((Buf) buffer).ptr;
        if (allocations.remove(ptr)) dev.free(ptr);
    }

    // ---- positions and token ids in device memory ----

    private void setPos(int pos0) {
        if (capturing) { // one copy node per step: every op of a decode step is at the same position
            if (capturedPos != null && capturedPos == pos0) return;
            if (capturedPos != null) throw new IllegalStateException("a captured step uses one position, got " + capturedPos + " and " + pos0);
            capturedPos = pos0;
            pinnedPos.set(ValueLayout.JAVA_INT, 0, pos0);
            dev.uploadAsync(pos, pinnedPos, 4);
        } else if (pos0 != lastPos) {
            dev.setInts(pos, pos0, 1);
            lastPos = pos0;
        }
    }

    /** Sets the token id and position the next replay of a captured decode step reads. */
    public void setStepInputs(int token, int position) {
        pinnedTok.set(ValueLayout.JAVA_INT, 0, token);
        pinnedPos.set(ValueLayout.JAVA_INT, 0, position);
        lastPos = Integer.MIN_VALUE; // the device value now follows the replays
    }

    /** A captured decode step: its graph and the host copies of what it read back (toHost calls). */
    public final class Captured implements Backend.Replay {
        private final CudaDevice.Graph graph;
        private final List<Runnable> outputs;
        private final int generation = CudaBackend.this.generation;

        private Captured(CudaDevice.Graph graph, List<Runnable> outputs) {
            this.graph = graph;
            this.outputs = List.copyOf(outputs);
        }

        /** False once a scratch buffer it points at was reallocated. */
        @Override public boolean valid() { return generation == CudaBackend.this.generation; }

        /** Replays the step for {@code token} at {@code position}; on return the toHost arrays hold its results. */
        @Override
        public void run(int token, int position) {
            dev.ensureCurrent();
            q8Of = null; // the replay rewrites the q8 scratch behind the host's back
            setStepInputs(token, position);
            graph.launch();
            dev.sync();
            for (Runnable r : outputs) r.run();
        }

        @Override public void close() { graph.close(); }
    }

    /**
     * Records {@code step} (ops on this backend, e.g. one {@code Transformer.forward} of one token) as a
     * CUDA graph. Run the step once eagerly first, so scratch buffers have their final sizes. A toHost
     * inside it becomes a captured copy to pinned memory, copied on to its array after each replay.
     */
    public Captured capture(Runnable step) {
        flush();
        dev.sync();
        capturing = true;
        capturedPos = null;
        captureOutputs.clear();
        dev.beginCapture();
        try {
            step.run();
            flush();
        } catch (RuntimeException | Error e) {
            capturing = false;
            // nothing the aborted recording held back is real: the caller runs the step plainly
            pendingX = pendingY = null;
            pendingRope = null;
            try {
                dev.endCapture().close(); // a capture must end before the stream is usable again
            } catch (RuntimeException s) {
                e.addSuppressed(s);
            }
            throw e;
        } finally {
            capturing = false;
            lastPos = Integer.MIN_VALUE;
            q8Of = null; // what the recording claimed was never computed
        }
        captures++;
        return new Captured(dev.endCapture(), captureOutputs);
    }

    @Override
    public void embed(Matrix table, int[] ids, int from, int n, Buffer out) {
        flush();
        wrote(out);
        Mat m = (Mat) table;
        for (int t = 0; t < n; t++) {
            int id = ids[from + t];
            if (id < 0 || id >= m.rows) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + m.rows);
        }
        if (capturing) {
            if (n != 1) throw new IllegalStateException("a captured step embeds one token, not " + n);
            pinnedTok.set(ValueLayout.JAVA_INT, 0, ids[from]);
            dev.uploadAsync(devTokens, pinnedTok, 4);
        } else if (n == 1) {
            dev.setInts(devTokens, ids[from], 1);
        } else {
            if (n > tokenCapacity) {
                dev.sync();
                dev.free(devTokens);
                allocations.remove(devTokens);
                tokenCapacity = n;
                devTokens = alloc(4L * n, "token ids");
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(4L * n);
                MemorySegment.copy(ids, from, s, ValueLayout.JAVA_INT, 0, n);
                dev.upload(devTokens, s, 4L * n);
            }
        }
        dev.launch(CudaKernels.EMBED, n, 1, THREADS, 0,
                args(CudaKernels.EMBED, "PIIPP").set(m.ptr, m.type.id(), m.cols, devTokens, p(out)));
    }

    private static int normThreads(int dim) { return Math.min(1024, Math.max(32, (dim / 4 + 31) / 32 * 32)); }

    @Override
    public void rmsNorm(Buffer x, Buffer w, float eps, int n, int dim, Buffer out) {
        flushRope(); // before the add held for this norm, which stays held for it
        boolean fuseAdd = pendingX != null && pendingX.equals(x) && pendingLen == n * dim;
        if (!fuseAdd) flush();
        wrote(x);
        wrote(out);
        long[] q = fusedQ8(out, (long) n * dim);
        if (fuseAdd) {
            Buf y = pendingY;
            pendingX = pendingY = null;
            dev.launch(CudaKernels.ADD_RMSNORM, n, 1, normThreads(dim), 0,
                    args(CudaKernels.ADD_RMSNORM, "PPPPIFPPP").set(p(x), y.ptr, p(w), p(out), dim, eps, q[0], q[1], q[2]));
            return;
        }
        dev.launch(CudaKernels.RMSNORM, n, 1, normThreads(dim), 0,
                args(CudaKernels.RMSNORM, "PPPIFPPP").set(p(x), p(w), p(out), dim, eps, q[0], q[1], q[2]));
    }

    /** Launches what is held back for fusion: a RoPE waiting for its partner, a residual add for its RMSNorm. */
    private void flush() {
        flushRope();
        if (pendingX == null) return;
        Buf x = pendingX, y = pendingY;
        pendingX = pendingY = null;
        dev.launch(CudaKernels.ADD, blocks(pendingLen), 1, THREADS, 0, args(CudaKernels.ADD, "PPI").set(x.ptr, y.ptr, pendingLen));
    }

    @Override
    public void add(Buffer x, Buffer y, int len) {
        flush();
        wrote(x);
        pendingX = (Buf) x;
        pendingY = (Buf) y;
        pendingLen = len;
    }

    @Override
    public void addBias(Buffer x, Buffer bias, int n, int dim) {
        flush();
        wrote(x);
        dev.launch(CudaKernels.ADD_BIAS, blocks((long) n * dim), 1, THREADS, 0,
                args(CudaKernels.ADD_BIAS, "PPII").set(p(x), p(bias), n, dim));
    }

    @Override
    public void swiglu(Buffer gate, Buffer up, int len) {
        flush();
        wrote(gate);
        long[] q = fusedQ8(gate, len);
        dev.launch(CudaKernels.SWIGLU, blocks(len), 1, THREADS, 0, args(CudaKernels.SWIGLU, "PPIPPP").set(p(gate), p(up), len, q[0], q[1], q[2]));
    }

    @Override
    public void rope(Buffer x, int n, int heads, int headDim, Step step, Rope rope) {
        wrote(x);
        Rows rows = (Rows) step;
        if (n > 0 && rows.runEnd(0) == n) { // one sequence: the queries wait for the keys, one launch for both
            PendingRope r = pendingRope;
            if (r != null && r.n == n && r.headDim == headDim && r.pos0 == rows.positions[0] && r.rope.equals(rope)) {
                pendingRope = null;
                rope(r.x, n, r.heads, headDim, r.pos0, rope, p(x), heads);
                return;
            }
            flush();
            pendingRope = new PendingRope(p(x), n, heads, headDim, rows.positions[0], rope);
            return;
        }
        for (int t = 0; t < n; ) {
            int e = rows.runEnd(t);
            rope(p(x) + 4L * t * heads * headDim, e - t, heads, headDim, rows.positions[t], rope, 0, 0);
            t = e;
        }
    }

    private record PendingRope(long x, int n, int heads, int headDim, int pos0, Rope rope) {}
    private PendingRope pendingRope;

    private void flushRope() {
        if (pendingRope == null) return;
        PendingRope r = pendingRope;
        pendingRope = null;
        rope(r.x, r.n, r.heads, r.headDim, r.pos0, r.rope, 0, 0);
    }

    /** Rows at device address {@code x}, row r at position {@code pos0 + r}. */
    private void rope(long x, int n, int heads, int headDim, int pos0, Rope rope, long x2, int heads2) {
        flush();
        setPos(pos0);
        long factors = 0;
        if (rope.factors() != null) {
            Long f = ropeFactors.get(rope.factors());
            if (f == null) {
                f = ((Buf) vector(rope.factors())).ptr;
                ropeFactors.put(rope.factors(), f);
            }
            factors = f;
        }
        dev.launch(CudaKernels.ROPE, blocks((long) n * (heads + heads2) * headDim / 2), 1, THREADS, 0,
                args(CudaKernels.ROPE, "PIIIPFPIPI").set(x, n, heads, headDim, pos, rope.thetaScale(), factors, rope.neox() ? 1 : 0, x2, heads2));
    }

    @Override
    public void matmulBiased(Buffer x, int n, Matrix[] ws, Buffer[] outs, Buffer[] biases, boolean sequences) {
        if (n > MATVEC_MAX_TOKENS) Backend.super.matmulBiased(x, n, ws, outs, biases, sequences); // prefill: a bias kernel is nothing next to the GEMM
        else matvecs(x, n, ws, outs, biases);
    }

    @Override
    public void matmul(Buffer x, int n, Matrix[] ws, Buffer[] outs) {
        if (n <= MATVEC_MAX_TOKENS) {
            matvecs(x, n, ws, outs, null);
            return;
        }
        flush();
        for (Buffer o : outs) wrote(o);
        boolean quantizedPrefill = !f16Prefill(n);
        if (quantizedPrefill) quantizeActivations(x, n, ws);
        for (int i = 0; i < ws.length; i++) {
            Mat m = (Mat) ws[i];
            boolean quantized = !isFloat(m.type);
            if (quantized && quantizedPrefill) mm(m, n, p(outs[i]));
            else gemm(x, n, m, p(outs[i]));
        }
    }

    /**
     * Which path a prefill chunk of quantized weights takes ({@code -Dr1.cuda.prefill=auto|exact|f16}):
     * the exact 8-bit path ({@code r1_mm_*}: activations quantized as the CPU backend does, integer block
     * sums, so GPU and CPU differ only in float sum order) or the F16 tensor-core GEMM on weights
     * dequantized per call, which rounds activations to 11 bits instead (tiny models' KL against the CPU
     * backend 1e-3..1e-2). On an H200 the GEMM prefilled 512 tokens of a 7B-shaped Q4_0 model in 42 ms, the
     * exact path in 890 ms, so {@code auto} (the default) takes the GEMM from {@link #F16_PREFILL_MIN}
     * tokens and the exact path for shorter chunks, where it costs little.
     */
    static final String PREFILL = System.getProperty("r1.cuda.prefill", "auto");
    static final int F16_PREFILL_MIN = 64;

    static boolean f16Prefill(int n) {
        return switch (PREFILL) {
            case "f16" -> true;
            case "exact" -> false;
            default -> n >= F16_PREFILL_MIN;
        };
    }

    /**
     * The quantized types with kernels of their own, by the activations they dot: 32-element blocks against q8_1,
     * K-quants against Q8_K; each with its {matvec, prefill} kernel. F32, F16 and BF16 ({@link #isFloat}) dot float
     * activations; other types (the IQ1-IQ3 grids) are uploaded dequantized to F32.
     */
    static final Map<GgmlType, String[]> Q8_1_TYPES = Map.of(
            GgmlType.Q4_0, new String[] {CudaKernels.MV_Q4_0, CudaKernels.MM_Q4_0}, GgmlType.Q8_0, new String[] {CudaKernels.MV_Q8_0, CudaKernels.MM_Q8_0},
            GgmlType.Q4_1, new String[] {CudaKernels.MV_Q4_1, CudaKernels.MM_Q4_1}, GgmlType.Q5_0, new String[] {CudaKernels.MV_Q5_0, CudaKernels.MM_Q5_0},
            GgmlType.Q5_1, new String[] {CudaKernels.MV_Q5_1, CudaKernels.MM_Q5_1}, GgmlType.IQ4_NL, new String[] {CudaKernels.MV_IQ4_NL, CudaKernels.MM_IQ4_NL});
    static final Map<GgmlType, String[]> Q8_K_TYPES = Map.of(
            GgmlType.Q2_K, new String[] {CudaKernels.MV_Q2_K, CudaKernels.MM_Q2_K}, GgmlType.Q3_K, new String[] {CudaKernels.MV_Q3_K, CudaKernels.MM_Q3_K},
            GgmlType.Q4_K, new String[] {CudaKernels.MV_Q4_K, CudaKernels.MM_Q4_K}, GgmlType.Q5_K, new String[] {CudaKernels.MV_Q5_K, CudaKernels.MM_Q5_K},
            GgmlType.Q6_K, new String[] {CudaKernels.MV_Q6_K, CudaKernels.MM_Q6_K}, GgmlType.IQ4_XS, new String[] {CudaKernels.MV_IQ4_XS, CudaKernels.MM_IQ4_XS});

    /** Whether the backend keeps a matrix of this type as stored (else it uploads it dequantized to F32). */
    public static boolean keepsAsStored(GgmlType t) {
        return isFloat(t) || Q8_1_TYPES.containsKey(t) || Q8_K_TYPES.containsKey(t);
    }

    /**
     * Bytes of weights this backend puts on the device for a file (what {@code r1 info} reports): each tensor as
     * stored, or as F32 where {@link #keepsAsStored} says no; the KV cache and scratch come on top.
     */
    public static long deviceWeightBytes(dev.r1.models.gguf.GgufFile f) {
        long bytes = 0;
        for (dev.r1.models.gguf.GgufTensor t : f.tensors()) bytes += keepsAsStored(t.type()) ? t.byteSize() : 4 * t.nElements();
        return bytes;
    }

    /** Weights kept as floats: a float matvec for decoding, the F16 GEMM (dequantized per call) for prefill. */
    static boolean isFloat(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 || t == GgmlType.BF16;
    }

    /** Activations quantized once for every matrix that dots 8-bit activations (q8_1 and/or Q8_K). */
    private void quantizeActivations(Buffer x, int n, Matrix[] ws) {
        boolean q8_1 = false, q8k = false;
        int cols = ws[0].cols();
        for (Matrix w : ws) {
            GgmlType t = ((Mat) w).type;
            q8_1 |= Q8_1_TYPES.containsKey(t);
            q8k |= Q8_K_TYPES.containsKey(t);
        }
        long total = (long) n * cols;
        if (q8_1 && !(q8Of != null && q8Of.equals(x) && q8Len == total)) { // else its producer quantized it
            int nb = (int) (total / 32);
            long qq = q8.at(total, "q8 quants"), qd = q8d.at(4L * nb, "q8 scales"), qs = q8s.at(4L * nb, "q8 sums");
            dev.launch(CudaKernels.QUANTIZE_Q8_1, (nb + 7) / 8, 1, THREADS, 0, args(CudaKernels.QUANTIZE_Q8_1, "PPPPI").set(p(x), qq, qd, qs, nb));
            q8Of = (Buf) x; // what the scratch now holds: another matmul of x reuses it
            q8Len = total;
        }
        if (q8k) {
            int nsb = (int) (total / 256);
            dev.launch(CudaKernels.QUANTIZE_Q8_K, nsb, 1, 256, 0, args(CudaKernels.QUANTIZE_Q8_K, "PPPP")
                    .set(p(x), qk.at(total, "q8_K quants"), qkd.at(4L * nsb, "q8_K scales"), qks.at(4L * total / 16, "q8_K sums")));
        }
    }

    /** Prefill of a quantized matrix with the decode path's exact 8-bit arithmetic, 8 tokens per weight pass. */
    private void mm(Mat m, int n, long out) {
        int gx = (m.rows + 3) / 4, gy = (n + 7) / 8;
        if (m.type == GgmlType.Q8_0) { // the one kernel without the activations' block sums
            dev.launch(CudaKernels.MM_Q8_0, gx, gy, 128, 0, args(CudaKernels.MM_Q8_0, "PIIPPIP").set(m.ptr, m.rows, m.cols, q8.ptr, q8d.ptr, n, out));
            return;
        }
        boolean k = Q8_K_TYPES.containsKey(m.type);
        String[] kernels = k ? Q8_K_TYPES.get(m.type) : Q8_1_TYPES.get(m.type);
        if (kernels == null) throw new IllegalArgumentException(m.type + " is not a quantized type");
        dev.launch(kernels[1], gx, gy, 128, 0, args(kernels[1], "PIIPPPIP")
                .set(m.ptr, m.rows, m.cols, k ? qk.ptr : q8.ptr, k ? qkd.ptr : q8d.ptr, k ? qks.ptr : q8s.ptr, n, out));
    }

    /** A decode step's matmul (n ≤ {@link #MATVEC_MAX_TOKENS}), biases (or null) added as the products are stored. */
    private void matvecs(Buffer x, int n, Matrix[] ws, Buffer[] outs, Buffer[] biases) {
        flush();
        for (Buffer o : outs) wrote(o);
        quantizeActivations(x, n, ws);
        matvec(x, n, ws[0].cols(), ws, outs, biases);
    }

    private void matvec(Buffer x, int n, int cols, Matrix[] ws, Buffer[] outs, Buffer[] biases) {
        // consecutive matrices of one type, up to three, in one launch (q/k/v, gate/up)
        for (int i = 0; i < ws.length; ) {
            GgmlType t = ((Mat) ws[i]).type;
            int k = i + 1;
            while (k < ws.length && k - i < 3 && ((Mat) ws[k]).type == t) k++;
            matvecGroup(x, n, t, cols, ws, outs, biases, i, k);
            i = k;
        }
    }

    private void matvecGroup(Buffer x, int n, GgmlType t, int cols, Matrix[] ws, Buffer[] outs, Buffer[] biases, int from, int to) {
        long[] w = new long[3], o = new long[3], b = new long[3];
        int[] rows = new int[3];
        int total = 0;
        for (int i = from; i < to; i++) {
            Mat m = (Mat) ws[i];
            w[i - from] = m.ptr;
            rows[i - from] = m.rows;
            o[i - from] = p(outs[i]);
            if (biases != null && biases[i] != null) b[i - from] = p(biases[i]);
            total += m.rows;
        }
        String kernel;
        ArgBlock a;
        boolean k = Q8_K_TYPES.containsKey(t);
        String[] kernels = k ? Q8_K_TYPES.get(t) : Q8_1_TYPES.get(t);
        if (t == GgmlType.Q8_0) { // the one kernel without the activations' block sums
            a = args(kernel = CudaKernels.MV_Q8_0, "PPPIIIIPPPPPPPP").set(w[0], w[1], w[2], rows[0], rows[1], rows[2], cols,
                    q8.ptr, q8d.ptr, o[0], o[1], o[2], b[0], b[1], b[2]);
        } else if (kernels != null) { // Q4_0's staged kernel takes rows of whole 128-block passes only
            kernel = t == GgmlType.Q4_0 && cols % 128 != 0 ? CudaKernels.MV_Q4_0_ANY : kernels[0];
            a = args(kernel, "PPPIIIIPPPPPPPPP").set(w[0], w[1], w[2], rows[0], rows[1], rows[2], cols, k ? qk.ptr : q8.ptr,
                    k ? qkd.ptr : q8d.ptr, k ? qks.ptr : q8s.ptr, o[0], o[1], o[2], b[0], b[1], b[2]);
        } else {
            a = args(kernel = t == GgmlType.F16 ? CudaKernels.MV_F16 : t == GgmlType.BF16 ? CudaKernels.MV_BF16 : CudaKernels.MV_F32,
                    "PPPIIIIPPPPPPP").set(w[0], w[1], w[2], rows[0], rows[1], rows[2], cols, p(x), o[0], o[1], o[2], b[0], b[1], b[2]);
        }
        dev.launch(kernel, (total + 3) / 4, n, 128, 0, a);
    }

    private void gemm(Buffer x, int n, Mat m, long out) {
        if (cublas != null && useCublas) {
            long total = (long) n * m.cols;
            long hx = halfX.at(2 * total, "F16 activations");
            dev.launch(CudaKernels.TO_HALF, blocks(total), 1, THREADS, 0, args(CudaKernels.TO_HALF, "PPI").set(p(x), hx, (int) total));
            long hw = halfW.at(2L * m.rows * m.cols, "F16 weights");
            dev.launch(CudaKernels.DEQUANT_F16, m.rows, 1, THREADS, 0,
                    args(CudaKernels.DEQUANT_F16, "PIIP").set(m.ptr, m.type.id(), m.cols, hw));
            dev.ensureCurrent();
            dev.profiled("cublasGemmEx", () -> cublas.gemm(hw, m.rows, m.cols, hx, n, out));
        } else {
            dev.launch(CudaKernels.GEMM, (m.rows + 63) / 64, (n + 63) / 64, 128, 0,
                    args(CudaKernels.GEMM, "PIIIPIP").set(m.ptr, m.type.id(), m.rows, m.cols, p(x), n, out));
        }
    }

    @Override
    public void attention(Step step, int layer, int n, Buffer q, Buffer k, Buffer v,
                          int heads, int kvHeads, int headDim, Buffer out) {
        Rows rows = (Rows) step;
        int qRow = 4 * heads * headDim, kvRow = 4 * kvHeads * headDim;
        wrote(out);
        boolean decoding = true; // every row a run of its own: each merge can quantize its row for the o matvec
        for (int t = 0; t < n; t++) decoding &= rows.runEnd(t) == t + 1;
        long[] fq = decoding ? fusedQ8(out, (long) n * heads * headDim) : NO_Q8;
        for (int t = 0; t < n; ) {
            int e = rows.runEnd(t);
            long r = (long) t * heads * headDim; // this row's first element: its q8 blocks start at r / 32
            long[] rq = fq == NO_Q8 ? NO_Q8 : new long[] {fq[0] + r, fq[1] + 4 * (r / 32), fq[2] + 4 * (r / 32)};
            attention(rows.caches[t], layer, rows.positions[t], e - t, p(q) + (long) t * qRow, p(k) + (long) t * kvRow,
                    p(v) + (long) t * kvRow, heads, kvHeads, headDim, p(out) + (long) t * qRow, rq);
            t = e;
        }
    }

    /** One run of rows of one sequence at positions {@code pos0 ..}, at device addresses q, k, v, out. */
    private void attention(Kv c, int layer, int pos0, int n, long q, long k, long v,
                           int heads, int kvHeads, int headDim, long out, long[] q8out) {
        flush();
        if (pos0 < 0 || pos0 + n > c.contextSize) {
            throw new IllegalStateException("positions " + pos0 + ".." + (pos0 + n) + " exceed the context of " + c.contextSize);
        }
        if (headDim % 32 != 0 || headDim > 256 || heads % kvHeads != 0 || heads / kvHeads > 32) {
            throw new IllegalArgumentException("the cuda attention kernels need headDim a multiple of 32 up to 256 and at most 32 query heads per KV head; got "
                    + headDim + ", " + heads + "/" + kvHeads);
        }
        setPos(pos0);
        int kvDim = kvHeads * headDim;
        dev.launch(CudaKernels.KV_APPEND, blocks((long) n * kvDim), 1, THREADS, 0,
                args(CudaKernels.KV_APPEND, "PPPPPII").set(k, v, c.k[layer], c.v[layer], pos, n, kvDim));
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int tiles = 32 * (headDim + 2) * 2 + 32 * headDim * 2;
        if (n == 1) {
            int group = heads / kvHeads;
            long part = attnPart.at(4L * heads * attnSplits * (headDim + 2), "attention partials");
            long count = attnCount.at(4L * kvHeads, "attention split counters");
            if (attnCountZeroed < kvHeads) { // fresh counters start at zero; the kernel leaves them at zero
                if (capturing) throw new IllegalStateException("attention counters must be set up before a graph capture");
                dev.setInts(count, 0, kvHeads);
                attnCountZeroed = kvHeads;
            }
            dev.launch(CudaKernels.ATTN_DECODE, kvHeads, attnSplits, 32 * group, group * headDim * 4 + tiles,
                    args(CudaKernels.ATTN_DECODE, "PPPPPIIIFIPPPPP").set(q, c.k[layer], c.v[layer], part, pos, heads, kvHeads, headDim, scale,
                            attnSplits, count, out, q8out[0], q8out[1], q8out[2]));
        } else {
            dev.launch(CudaKernels.ATTN_PREFILL, heads, (n + 7) / 8, 256, 8 * headDim * 4 + tiles,
                    args(CudaKernels.ATTN_PREFILL, "PPPPPIIIIF").set(q, c.k[layer], c.v[layer], out, pos, n, heads, kvHeads, headDim, scale));
        }
    }

    @Override
    public void copyRow(Buffer src, int row, int dim, Buffer dst) {
        flush();
        wrote(dst);
        dev.copyAsync(p(dst), p(src) + 4L * row * dim, 4L * dim);
    }

    @Override
    public void toHost(Buffer src, int off, int len, float[] dst) {
        flush();
        if (capturing) { // a captured copy into a pinned buffer of its own, handed to dst after each replay
            MemorySegment stage = dev.pinned(4L * len);
            stages.add(stage);
            dev.downloadAsync(stage, p(src) + 4L * off, 4L * len);
            captureOutputs.add(() -> MemorySegment.copy(stage, ValueLayout.JAVA_FLOAT, 0, dst, 0, len));
            return;
        }
        if (hostStage == null || hostStage.byteSize() < 4L * len) {
            if (hostStage != null) dev.freePinned(hostStage);
            hostStage = dev.pinned(Math.max(4L * len, 1 << 16));
        }
        dev.download(hostStage, p(src) + 4L * off, 4L * len);
        MemorySegment.copy(hostStage, ValueLayout.JAVA_FLOAT, 0, dst, 0, len);
    }

    @Override
    public void close() {
        flush();
        dev.sync();
        for (long a : allocations) dev.free(a);
        allocations.clear();
        if (cublas != null) cublas.close();
        dev.freePinned(pinnedPos);
        dev.freePinned(pinnedTok);
        if (hostStage != null) dev.freePinned(hostStage);
        for (MemorySegment st : stages) dev.freePinned(st);
        dev.close();
        arena.close();
    }
}
