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

    public KernelCheck(CpuBackend cpu, CudaBackend gpu, long seed) {
        this.cpu = cpu;
        this.gpu = gpu;
        this.rnd = new Random(seed);
    }

    /** Runs every check; the rows, in order. */
    public List<Row> run() {
        for (GgmlType t : TYPES) embed(t);
        norms();
        elementwise();
        rope();
        for (GgmlType t : TYPES) for (int n : new int[] {1, 3, 40}) matmul(t, n);
        grouped(new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q4_0}, 1);
        grouped(new GgmlType[] {GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K}, 2);
        grouped(new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}, 40);
        if (gpu.hasCublas()) {
            gpu.useCublas(false);
            matmul(GgmlType.Q4_0, 40);
            gpu.useCublas(true);
        }
        attention();
        return rows;
    }

    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K};

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
                case Q4_K -> {
                    bb.putShort(o, Float.floatToFloat16(s * 0.01f * (0.5f + rnd.nextFloat())));
                    bb.putShort(o + 2, Float.floatToFloat16(s * 0.01f * rnd.nextFloat()));
                }
                case Q6_K -> bb.putShort(o + 208, Float.floatToFloat16(s * 0.002f * (0.5f + rnd.nextFloat())));
                case F16 -> bb.putShort(o, Float.floatToFloat16((float) rnd.nextGaussian() * s));
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
        double max = 0, err = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(want[i]));
            if (Float.isNaN(got[i]) || Float.isNaN(want[i])) err = Double.POSITIVE_INFINITY; // poison left, or a NaN made
            else err = Math.max(err, Math.abs((double) want[i] - got[i]));
        }
        rows.add(new Row(what, max == 0 ? err : err / max, tol));
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
        int n = 5, dim = 8960;
        Buffer[] x = both(gaussian(n * dim, 3)), b = both(gaussian(dim, 1)), u = both(gaussian(n * dim, 1));
        cpu.addBias(x[0], b[0], n, dim);
        gpu.addBias(x[1], b[1], n, dim);
        compare("bias 5x8960", x, 0);
        cpu.swiglu(x[0], u[0], n * dim);
        gpu.swiglu(x[1], u[1], n * dim);
        compare("swiglu 5x8960 (ggml exp on both)", x, 0);
    }

    private void rope() {
        int n = 4, heads = 12, hd = 128;
        float[] factors = new float[hd / 2];
        for (int i = 0; i < factors.length; i++) factors[i] = 1 + (i % 7);
        for (boolean neox : new boolean[] {true, false}) {
            for (float[] f : new float[][] {null, factors}) {
                Backend.Rope r = Backend.Rope.of(1_000_000f, hd, f, neox);
                Buffer[] x = both(gaussian(n * heads * hd, 1));
                cpu.rope(x[0], n, heads, hd, 700, r);
                gpu.rope(x[1], n, heads, hd, 700, r);
                compare("rope " + (neox ? "neox" : "normal") + (f != null ? " + rope_freqs" : "") + " at 700 (cos/sin libm)", x, 1e-6);
            }
        }
    }

    private void matmul(GgmlType t, int n) {
        int rows = 1027, cols = 1536; // rows not a multiple of the 4 per block nor of 64; 6 super-blocks
        MemorySegment data = randomRows(rnd, t, rows, cols, arena);
        Backend.Matrix[] m = {cpu.matrix("w", t, rows, cols, data), gpu.matrix("w", t, rows, cols, data)};
        Buffer[] x = both(gaussian(n * cols, 1)), o = out(n * rows);
        cpu.matmul(x[0], n, new Backend.Matrix[] {m[0]}, new Buffer[] {o[0]});
        gpu.matmul(x[1], n, new Backend.Matrix[] {m[1]}, new Buffer[] {o[1]});
        boolean gemm = n > CudaBackend.MATVEC_MAX_TOKENS;
        String path = gemm ? (gpu.gemmPath().startsWith("cuBLAS") ? "cuBLAS" : "r1_gemm") : t == GgmlType.F32 || t == GgmlType.F16 ? "matvec" : "dp4a matvec";
        compare("matmul " + t + " 1027x1536 x " + n + " (" + path + ")", o, gemm ? 3e-3 : 2e-5);
    }

    /** Matrices sharing an input (q/k/v shapes of the 1.5B): one launch per run of a type on the GPU. */
    private void grouped(GgmlType[] types, int n) {
        int cols = 1536;
        int[] rowsOf = {1536, 256, 260};
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
        cpu.matmul(x[0], n, mc, oc);
        gpu.matmul(x[1], n, mg, og);
        for (int i = 0; i < types.length; i++) {
            compare("matmul group " + java.util.Arrays.toString(types) + " x " + n + ": #" + i, o[i],
                    n > CudaBackend.MATVEC_MAX_TOKENS ? 3e-3 : 2e-5);
        }
    }

    private void attention() {
        int heads = 12, kvHeads = 2, hd = 128, ctx = 512, kvDim = kvHeads * hd;
        Backend.Cache[] c = {cpu.kvCache(1, ctx, kvDim, true), gpu.kvCache(1, ctx, kvDim, true)};
        int n = 300;
        Buffer[] q = both(gaussian(n * heads * hd, 1)), k = both(gaussian(n * kvDim, 1)), v = both(gaussian(n * kvDim, 1));
        Buffer[] o = out(n * heads * hd);
        cpu.attention(c[0], 0, 0, n, q[0], k[0], v[0], heads, kvHeads, hd, o[0]);
        gpu.attention(c[1], 0, 0, n, q[1], k[1], v[1], heads, kvHeads, hd, o[1]);
        compare("attention prefill 300 tokens, GQA 12/2, F16 KV", o, 3e-3);
        for (int pos : new int[] {300, 301}) {
            Buffer[] q1 = both(gaussian(heads * hd, 1)), k1 = both(gaussian(kvDim, 1)), v1 = both(gaussian(kvDim, 1)), o1 = out(heads * hd);
            cpu.attention(c[0], 0, pos, 1, q1[0], k1[0], v1[0], heads, kvHeads, hd, o1[0]);
            gpu.attention(c[1], 0, pos, 1, q1[1], k1[1], v1[1], heads, kvHeads, hd, o1[1]);
            compare("attention decode at " + pos + " (flash-decoding, merge)", o1, 3e-3);
        }
    }
}
