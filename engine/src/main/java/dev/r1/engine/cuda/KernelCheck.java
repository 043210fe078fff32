package dev.r1.engine.cuda;

import dev.r1.engine.cpu.CpuBackend;
import dev.r1.engine.model.Backend;
import dev.r1.engine.model.Backend.Buffer;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Every CUDA op against the CPU backend on the same random inputs, through the {@link Backend} interface
 * both implement; GPU outputs are filled with NaN before each op, so an unwritten element fails. Each result
 * is the largest difference relative to the largest CPU value, held to a tolerance that says why:
 * 0 where both do the same arithmetic, float-rounding levels where only a sum order differs, 3e-3 where
 * the GPU rounds activations to F16 (prefill GEMM) or the CPU rounds attention accumulators to F16 (ggml's).
 */
public final class KernelCheck {
    /** One line of the check table. */
    public record Row(String what, double error, double tolerance) {
        public boolean ok() { return error <= tolerance; }
        @Override public String toString() {
            return String.format("%-44s %-4s rel err %.2e (tol %.0e)", what, ok() ? "ok" : "FAIL", error, tolerance);
        }
    }

    private final CpuBackend cpu;
    private final CudaBackend gpu;
    private final Random rnd;
    private final List<Row> rows = new ArrayList<>();
    private final Arena arena = Arena.ofAuto();

    private final boolean small;

    /** @param small shapes for the host emulator (test/emu): slow per thread, so fewer rows, tokens and heads */
    public KernelCheck(CpuBackend cpu, CudaBackend gpu, long seed, boolean small) {
        this.cpu = cpu;
        this.gpu = gpu;
        this.rnd = new Random(seed);
        this.small = small;
    }

    public KernelCheck(CpuBackend cpu, CudaBackend gpu, long seed) {
        this(cpu, gpu, seed, false);
    }

    /** Runs every check; the rows, in order. */
    public List<Row> run() {
        for (GgmlType t : NATIVE) embed(t);
        norms();
        elementwise();
        rope();
        for (GgmlType t : TYPES) for (int n : new int[] {1, 3, small ? 20 : 40}) matmul(t, n);
        for (GgmlType t : MORE) for (int n : small ? new int[] {1, 9} : new int[] {1, 3, 40}) matmul(t, n);
        if (!small) matmul(GgmlType.Q4_0, CudaBackend.F16_PREFILL_MIN + 8); // a long prefill chunk: the F16 GEMM under 'auto'
        // Q4_0 decode rows over several 128-block passes (the last one short), and a width off the 4-block grid
        for (int n : new int[] {1, 2}) {
            matmul(GgmlType.Q4_0, n, 259, 4480);  // 2 passes: 2 warps a row
            matmul(GgmlType.Q4_0, n, 259, 16640); // 5 passes: 4 warps a row, one of them with a second pass
            matmul(GgmlType.Q4_0, n, 259, 800);
        }
        grouped(new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q4_0}, 1);
        grouped(new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q4_0}, 2, true);
        grouped(new GgmlType[] {GgmlType.Q8_0, GgmlType.F16, GgmlType.Q4_K}, 1, true); // one launch each, biased or not
        grouped(new GgmlType[] {GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K}, 2);
        grouped(new GgmlType[] {GgmlType.Q5_K, GgmlType.Q5_K, GgmlType.Q5_K}, 2, true); // Q5_K_M's q/k/v
        grouped(new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}, small ? 20 : 40);
        if (gpu.hasCublas()) {
            gpu.useCublas(false);
            matmul(GgmlType.F16, small ? 20 : 40);
            gpu.useCublas(true);
        }
        attention();
        return rows;
    }

    /** The types checked at every token count ({@link #TYPES}) or, to keep the emulator's run short, at one and at a prefill chunk. */
    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};
    static final GgmlType[] MORE = {GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.IQ4_NL, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.IQ4_XS};
    /** Every type with kernels of its own on the device (embedding, dequantization, matvec and prefill). */
    public static final GgmlType[] NATIVE = java.util.stream.Stream.concat(java.util.Arrays.stream(TYPES), java.util.Arrays.stream(MORE))
            .toArray(GgmlType[]::new);

    float[] gaussian(int n, float sd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian() * sd;
        return x;
    }

    /** Random rows of a type with finite half scales: a matrix's bytes. */
    public static MemorySegment randomRows(Random rnd, GgmlType t, int rows, int cols, Arena arena) {
        int bs = t.blockSize(), ts = t.typeSize();
        long blocks = (long) rows * cols / bs;
        byte[] b = new byte[Math.toIntExact(blocks * ts)];
        rnd.nextBytes(b);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        float s = (float) (1 / Math.sqrt(cols));
        for (int k = 0; k < blocks; k++) {
            int o = k * ts;
            switch (t) {
                case Q4_0, Q8_0 -> bb.putShort(o, Float.floatToFloat16(s * (t == GgmlType.Q4_0 ? 0.4f : 0.02f) * (0.5f + rnd.nextFloat())));
                case Q5_0 -> bb.putShort(o, Float.floatToFloat16(s * 0.2f * (0.5f + rnd.nextFloat())));
                case IQ4_NL -> bb.putShort(o, Float.floatToFloat16(s * 0.03f * (0.5f + rnd.nextFloat())));
                case IQ4_XS -> bb.putShort(o, Float.floatToFloat16(s * 0.001f * (0.5f + rnd.nextFloat())));
                case Q4_1, Q5_1 -> {
                    bb.putShort(o, Float.floatToFloat16(s * 0.1f * (0.5f + rnd.nextFloat())));
                    bb.putShort(o + 2, Float.floatToFloat16(-s * rnd.nextFloat()));
                }
                case Q2_K -> {
                    bb.putShort(o + 80, Float.floatToFloat16(s * 0.1f * (0.5f + rnd.nextFloat())));
                    bb.putShort(o + 82, Float.floatToFloat16(s * 0.05f * rnd.nextFloat()));
                }
                case Q3_K -> bb.putShort(o + 108, Float.floatToFloat16(s * 0.01f * (0.5f + rnd.nextFloat())));
                case Q4_K, Q5_K -> {
                    bb.putShort(o, Float.floatToFloat16(s * (t == GgmlType.Q4_K ? 0.01f : 0.005f) * (0.5f + rnd.nextFloat())));
                    bb.putShort(o + 2, Float.floatToFloat16(s * 0.01f * rnd.nextFloat()));
                }
                case Q6_K -> bb.putShort(o + 208, Float.floatToFloat16(s * 0.002f * (0.5f + rnd.nextFloat())));
                case F16 -> bb.putShort(o, Float.floatToFloat16((float) rnd.nextGaussian() * s));
                case BF16 -> bb.putShort(o, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian() * s) >>> 16));
                case F32 -> bb.putFloat(o, (float) rnd.nextGaussian() * s);
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, b);
    }

    private Buffer[] both(float[] v) { return new Buffer[] {cpu.vector(v), gpu.vector(v)}; }

    private Buffer[] out(int n) {
        Buffer[] b = {cpu.buffer(n), gpu.buffer(n)};
        gpu.poison(b[1]);
        return b;
    }

    private void compare(String what, Buffer[] b, double tol) {
        int n = b[0].size();
        float[] want = new float[n], got = new float[n];
        cpu.toHost(b[0], 0, n, want);
        gpu.toHost(b[1], 0, n, got);
        rows.add(new Row(what, relErr(want, got), tol));
    }

    /** The largest difference relative to the largest reference magnitude; infinite where either holds a NaN. */
    static double relErr(float[] want, float[] got) {
        double max = 0, err = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            if (Float.isNaN(got[i]) || Float.isNaN(want[i])) err = Double.POSITIVE_INFINITY; // poison left, or a NaN made
            else err = Math.max(err, Math.abs((double) want[i] - got[i]));
        }
        return max == 0 ? err : err / max;
    }

    private void embed(GgmlType t) {
        int vocab = 64, cols = 512;
        MemorySegment data = randomRows(rnd, t, vocab, cols, arena);
        Backend.Matrix[] m = {cpu.table("embd", t, vocab, cols, data), gpu.table("embd", t, vocab, cols, data)};
        int[] ids = {3, 17, 63, 0, 17};
        Buffer[] o = out(ids.length * cols);
        cpu.embed(m[0], ids, 0, ids.length, o[0]);
        gpu.embed(m[1], ids, 0, ids.length, o[1]);
        compare("embed " + t + " (5 rows)", o, 0);
        Buffer[] o1 = out(cols);
        cpu.embed(m[0], ids, 1, 1, o1[0]);
        gpu.embed(m[1], ids, 1, 1, o1[1]);
        compare("embed " + t + " (1 row, memset id)", o1, 0);
    }

    private void norms() {
        int n = 3, dim = 1536;
        Buffer[] x = both(gaussian(n * dim, 1)), y = both(gaussian(n * dim, 1)), w = both(gaussian(dim, 1)), o = out(n * dim);
        cpu.rmsNorm(x[0], w[0], 1e-6f, n, dim, o[0]);
        gpu.rmsNorm(x[1], w[1], 1e-6f, n, dim, o[1]);
        compare("rmsnorm 3x1536 (double sums, other order)", o, 1e-6);
        Buffer[] o2 = out(n * dim);
        cpu.add(x[0], y[0], n * dim);
        cpu.rmsNorm(x[0], w[0], 1e-6f, n, dim, o2[0]);
        gpu.add(x[1], y[1], n * dim); // held back and fused with the norm
        gpu.rmsNorm(x[1], w[1], 1e-6f, n, dim, o2[1]);
        compare("add + rmsnorm fused: sum", x, 0);
        compare("add + rmsnorm fused: norm", o2, 1e-6);
    }

    private void elementwise() {
        int n = small ? 2 : 5, dim = small ? 1024 : 8960;
        Buffer[] x = both(gaussian(n * dim, 3)), b = both(gaussian(dim, 1)), u = both(gaussian(n * dim, 1));
        cpu.addBias(x[0], b[0], n, dim);
        gpu.addBias(x[1], b[1], n, dim);
        compare("bias " + n + "x" + dim, x, 0);
        cpu.swiglu(x[0], u[0], n * dim);
        gpu.swiglu(x[1], u[1], n * dim);
        compare("swiglu " + n + "x" + dim + " (ggml exp on both)", x, 0);
    }

    private void rope() {
        int n = 4, heads = 12, hd = 128;
        float[] factors = new float[hd / 2];
        for (int i = 0; i < factors.length; i++) factors[i] = 1 + (i % 7);
        for (boolean neox : new boolean[] {true, false}) {
            for (float[] f : new float[][] {null, factors}) {
                Backend.Rope r = Backend.Rope.of(1_000_000f, hd, f, neox);
                Buffer[] x = both(gaussian(n * heads * hd, 1));
                Backend.Cache cc = cpu.kvCache(1, 1024, hd, true), gc = gpu.kvCache(1, 1024, hd, true);
                cpu.rope(x[0], n, heads, hd, at(cpu, cc, 700, n), r);
                gpu.rope(x[1], n, heads, hd, at(gpu, gc, 700, n), r);
                cpu.free(cc);
                gpu.free(gc);
                compare("rope " + (neox ? "neox" : "normal") + (f != null ? " + rope_freqs" : "") + " at 700 (cos/sin libm)", x, 1e-6);
            }
        }
    }

    private void matmul(GgmlType t, int n) {
        // rows not a multiple of the 4 per block nor of 64; super-blocks not a multiple of 4 per warp step
        matmul(t, n, small ? 259 : 1027, small ? 768 : 1536);
    }

    private void matmul(GgmlType t, int n, int rows, int cols) {
        MemorySegment data = randomRows(rnd, t, rows, cols, arena);
        Backend.Matrix[] m = {cpu.matrix("w", t, rows, cols, data), gpu.matrix("w", t, rows, cols, data)};
        Buffer[] x = both(gaussian(n * cols, 1)), o = out(n * rows);
        cpu.matmul(x[0], n, new Backend.Matrix[] {m[0]}, new Buffer[] {o[0]});
        gpu.matmul(x[1], n, new Backend.Matrix[] {m[1]}, new Buffer[] {o[1]});
        String path = path(t, n);
        compare("matmul " + t + " " + rows + "x" + cols + " x " + n + " (" + path + ")", o, tolerance(t, path));
    }

    /**
     * As {@link #tolerance(String)}, but looser for F16/BF16 matvecs (below) and 1e-3 for Q4_1 and Q5_1 on the 8-bit path: their minimum multiplies the
     * activation block's sum, which the CPU takes as ggml's q8_1 does, {@code f16(d·Σq)} (11 bits), and the GPU
     * exactly as {@code d·Σq} from the integer sum (measured 5e-5 to 3e-4, emulated, against the CPU; both
     * kernels are held to float64 by CudaMathTest).
     */
    private static double tolerance(GgmlType t, String path) {
        if ((t == GgmlType.Q4_1 || t == GgmlType.Q5_1) && path.startsWith("dp4a")) return 1e-3;
        // the CPU rounds activations to the weights' type as ggml's CPU code does (11 bits F16, 8 bits BF16), the GPU's
        // matvec reads them in float as ggml-cuda's does (measured 1.9e-4 to 2.2e-4 F16, 1.7e-3 to 2.0e-3 BF16, emulated)
        if (path.equals("matvec") && t == GgmlType.F16) return 1e-3;
        if (path.equals("matvec") && t == GgmlType.BF16) return 8e-3;
        return tolerance(path);
    }

    /** Which kernel the backend picks for a matmul of type t over n tokens. */
    private String path(GgmlType t, int n) {
        boolean quantized = !CudaBackend.isFloat(t);
        if (n <= CudaBackend.MATVEC_MAX_TOKENS) return quantized ? "dp4a matvec" : "matvec";
        if (quantized && !CudaBackend.f16Prefill(n)) return "dp4a mm";
        String gemm = gpu.gemmPath().startsWith("cuBLAS") ? "cuBLAS F16" : "r1_gemm F16";
        return quantized ? gemm + ", q" : gemm;
    }

    /**
     * 2e-5: the same 8-bit activations and exact integer block sums as the CPU, only float sums reordered.
     * 3e-3: F16 tensor-core GEMM on float weights (activations and weights rounded to 11 bits).
     * 1e-2: F16 GEMM on quantized weights, against the CPU's 8-bit activations (measured 6e-3 emulated).
     */
    private static double tolerance(String path) {
        return path.startsWith("dp4a") || path.equals("matvec") ? 2e-5 : path.endsWith(", q") ? 1e-2 : 3e-3;
    }

    /** Matrices sharing an input (q/k/v shapes of the 1.5B): one launch per run of a type on the GPU. */
    private void grouped(GgmlType[] types, int n) {
        grouped(types, n, false);
    }

    /** biased: with a bias on the first and last matrix (Qwen's q/k/v through matmulBiased), none on the middle one. */
    private void grouped(GgmlType[] types, int n, boolean biased) {
        int cols = small ? 768 : 1536;
        int[] rowsOf = small ? new int[] {130, 64, 68} : new int[] {1536, 256, 260};
        Backend.Matrix[] mc = new Backend.Matrix[types.length], mg = new Backend.Matrix[types.length];
        Buffer[][] o = new Buffer[types.length][];
        for (int i = 0; i < types.length; i++) {
            MemorySegment data = randomRows(rnd, types[i], rowsOf[i], cols, arena);
            mc[i] = cpu.matrix("w" + i, types[i], rowsOf[i], cols, data);
            mg[i] = gpu.matrix("w" + i, types[i], rowsOf[i], cols, data);
            o[i] = out(n * rowsOf[i]);
        }
        Buffer[] x = both(gaussian(n * cols, 1));
        Buffer[] oc = new Buffer[types.length], og = new Buffer[types.length];
        for (int i = 0; i < types.length; i++) {
            oc[i] = o[i][0];
            og[i] = o[i][1];
        }
        if (biased) {
            Buffer[] bc = new Buffer[types.length], bg = new Buffer[types.length];
            for (int i = 0; i < types.length; i += 2) {
                float[] b = gaussian(rowsOf[i], 1);
                bc[i] = cpu.vector(b);
                bg[i] = gpu.vector(b);
            }
            cpu.matmulBiased(x[0], n, mc, oc, bc, false);
            gpu.matmulBiased(x[1], n, mg, og, bg, false);
        } else {
            cpu.matmul(x[0], n, mc, oc);
            gpu.matmul(x[1], n, mg, og);
        }
        for (int i = 0; i < types.length; i++) {
            String path = path(types[i], n);
            compare("matmul group " + java.util.Arrays.toString(types) + " x " + n + (biased ? " + bias" : "") + ": #" + i + " (" + path + ")",
                    o[i], tolerance(types[i], path));
        }
    }

    private void attention() {
        int heads = small ? 4 : 12, kvHeads = 2, hd = small ? 64 : 128, ctx = small ? 1024 : 512, kvDim = kvHeads * hd;
        Backend.Cache[] c = {cpu.kvCache(1, ctx, kvDim, true), gpu.kvCache(1, ctx, kvDim, true)};
        int n = small ? 40 : 300;
        float[] kp = gaussian(n * kvDim, 1), vp = gaussian(n * kvDim, 1);
        Buffer[] q = both(gaussian(n * heads * hd, 1)), k = both(kp), v = both(vp);
        Buffer[] o = out(n * heads * hd);
        cpu.attention(at(cpu, c[0], 0, n), 0, n, q[0], k[0], v[0], heads, kvHeads, hd, o[0]);
        gpu.attention(at(gpu, c[1], 0, n), 0, n, q[1], k[1], v[1], heads, kvHeads, hd, o[1]);
        compare("attention prefill " + n + " tokens, GQA " + heads + "/" + kvHeads + ", hd " + hd + ", F16 KV", o, 3e-3);
        // the cache as the kernels hold it (F16), for a float64 reference of the decode steps
        float[][] keys = new float[n + 2][], vals = new float[n + 2][];
        for (int t = 0; t < n; t++) {
            keys[t] = half(java.util.Arrays.copyOfRange(kp, t * kvDim, (t + 1) * kvDim));
            vals[t] = half(java.util.Arrays.copyOfRange(vp, t * kvDim, (t + 1) * kvDim));
        }
        for (int pos : new int[] {n, n + 1}) {
            float[] qd = gaussian(heads * hd, 1), kd = gaussian(kvDim, 1), vd = gaussian(kvDim, 1);
            keys[pos] = half(kd);
            vals[pos] = half(vd);
            Buffer[] q1 = both(qd), k1 = both(kd), v1 = both(vd), o1 = out(heads * hd);
            cpu.attention(at(cpu, c[0], pos, 1), 0, 1, q1[0], k1[0], v1[0], heads, kvHeads, hd, o1[0]);
            gpu.attention(at(gpu, c[1], pos, 1), 0, 1, q1[1], k1[1], v1[1], heads, kvHeads, hd, o1[1]);
            // against float64, not the CPU backend: the CPU rounds its decode accumulators to F16 as ggml does
            // (~2-3e-3 from the exact value), the GPU keeps F32, so only the exact value tells GPU errors apart
            compareExact("attention decode at " + pos + " (flash-decoding, merge) vs float64", o1[1],
                    decodeReference(qd, keys, vals, pos, heads, kvHeads, hd), 2e-5);
        }
    }

    private static float[] half(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        return r;
    }

    /** softmax(q·K / sqrt(hd)) V over positions 0..pos in float64, each query head on its KV head (GQA). */
    private static double[] decodeReference(float[] q, float[][] keys, float[][] vals, int pos, int heads, int kvHeads, int hd) {
        double scale = (float) (1.0 / Math.sqrt(hd)); // the float the kernels use
        double[] out = new double[heads * hd];
        for (int h = 0; h < heads; h++) {
            int kh = h / (heads / kvHeads) * hd;
            double[] s = new double[pos + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j <= pos; j++) {
                double dot = 0;
                for (int e = 0; e < hd; e++) dot += (double) q[h * hd + e] * keys[j][kh + e];
                s[j] = dot * scale;
                max = Math.max(max, s[j]);
            }
            for (int j = 0; j <= pos; j++) sum += s[j] = Math.exp(s[j] - max);
            for (int j = 0; j <= pos; j++)
                for (int e = 0; e < hd; e++) out[h * hd + e] += s[j] / sum * vals[j][kh + e];
        }
        return out;
    }

    private void compareExact(String what, Buffer b, double[] want, double tol) {
        int n = b.size();
        float[] got = new float[n];
        gpu.toHost(b, 0, n, got);
        double max = 0, err = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(want[i]));
            err = Float.isNaN(got[i]) ? Double.POSITIVE_INFINITY : Math.max(err, Math.abs(want[i] - got[i]));
        }
        rows.add(new Row(what, max == 0 ? err : err / max, tol));
    }

    /** A step of {@code n} rows of one sequence at positions {@code pos0 ..}. */
    private static Backend.Step at(Backend be, Backend.Cache cache, int pos0, int n) {
        Backend.Step st = be.step(n);
        Backend.Cache[] caches = new Backend.Cache[n];
        int[] pos = new int[n];
        for (int t = 0; t < n; t++) {
            caches[t] = cache;
            pos[t] = pos0 + t;
        }
        be.setStep(st, n, caches, pos);
        return st;
    }
}
