package dev.r1.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.engine.cpu.CpuOps;
import dev.r1.engine.cpu.KQuants;
import dev.r1.engine.cpu.KQuants2;
import dev.r1.engine.cpu.Parallel;
import dev.r1.engine.cpu.QuantKernels;
import dev.r1.engine.model.Backend;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CUDA kernels' per-element arithmetic (native/cuda/r1_math.cuh, built for the host by {@link HostMath})
 * against the Java CPU kernels and the models' dequantization on the same random inputs: bit-exact where
 * both do the same operations in the same order, a stated tolerance where the order of a float sum differs.
 */
class CudaMathTest {
    static HostMath m;
    final Random rnd = new Random(42);

    @BeforeAll
    static void build() {
        m = HostMath.load();
        assumeTrue(m != null, HostMath.whyNot());
    }

    @Test
    void halfConversionsAreExact() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(2L * 65536), f = a.allocate(4L * 65536);
            for (int i = 0; i < 65536; i++) h.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) i);
            m.halfToFloat.invokeExact(h, f, 65536);
            for (int i = 0; i < 65536; i++) {
                float want = Float.float16ToFloat((short) i), got = f.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                if (Float.isNaN(want)) assertTrue(Float.isNaN(got), "half " + i);
                else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "half 0x" + Integer.toHexString(i));
            }
            int n = 200_000;
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = switch (i % 4) {
                    case 0 -> Float.intBitsToFloat(rnd.nextInt()); // anything, NaN and infinities included
                    case 1 -> (float) rnd.nextGaussian() * 1e-5f;  // half subnormals
                    case 2 -> Float.float16ToFloat((short) rnd.nextInt(0x7c00)) * (1 + (rnd.nextInt(3) - 1) * 0x1p-11f); // ties
                    default -> 65504f + rnd.nextFloat() * 32;       // the overflow edge
                };
            }
            MemorySegment xs = HostMath.floats(a, x), hs = a.allocate(2L * n);
            m.floatToHalf.invokeExact(xs, hs, n);
            for (int i = 0; i < n; i++) {
                short want = Float.floatToFloat16(x[i]), got = hs.getAtIndex(ValueLayout.JAVA_SHORT, i);
                if (Float.isNaN(x[i])) assertTrue(Float.isNaN(Float.float16ToFloat(got)), "NaN " + x[i]);
                else assertEquals(want, got, "float " + x[i] + " (" + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ")");
            }
        }
    }

    /** Random rows of a type with finite half scales, as bytes. */
    byte[] randomRows(GgmlType t, int rows, int cols) {
        int bs = t.blockSize(), ts = t.typeSize(), blocks = rows * cols / bs;
        byte[] b = new byte[blocks * ts];
        rnd.nextBytes(b);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < blocks; k++) {
            int o = k * ts;
            switch (t) {
                case Q4_0, Q8_0, Q5_0, IQ4_NL, IQ4_XS -> bb.putShort(o, Float.floatToFloat16(rnd.nextFloat() * 0.02f + 1e-4f));
                case Q4_K, Q5_K, Q4_1, Q5_1 -> {
                    bb.putShort(o, Float.floatToFloat16(rnd.nextFloat() * 0.01f));
                    bb.putShort(o + 2, Float.floatToFloat16(rnd.nextFloat() * 0.01f));
                }
                case Q2_K -> {
                    bb.putShort(o + 80, Float.floatToFloat16(rnd.nextFloat() * 0.01f));
                    bb.putShort(o + 82, Float.floatToFloat16(rnd.nextFloat() * 0.01f));
                }
                case Q3_K -> bb.putShort(o + 108, Float.floatToFloat16(rnd.nextFloat() * 0.01f));
                case Q6_K -> bb.putShort(o + 208, Float.floatToFloat16(rnd.nextFloat() * 0.01f));
                case F16 -> { for (int i = 0; i < bs; i++) bb.putShort(o + 2 * i, Float.floatToFloat16((float) rnd.nextGaussian())); }
                case BF16 -> { } // every bit pattern, NaNs and infinities included: widening is exact
                case F32 -> { for (int i = 0; i < bs; i++) bb.putFloat(o + 4 * i, (float) rnd.nextGaussian()); }
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return b;
    }

    @Test
    void dequantizationMatchesTheModelsBitForBit() throws Throwable {
        for (GgmlType t : KernelCheck.NATIVE) {
            int rows = 3, cols = 512;
            byte[] w = randomRows(t, rows, cols);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment ws = a.allocateFrom(ValueLayout.JAVA_BYTE, w), out = a.allocate(4L * rows * cols);
                m.dequant.invokeExact(t.id(), ws, rows, cols, out);
                float[] want = new float[rows * cols];
                t.dequantize(ws, 0, want, 0, rows * cols);
                for (int i = 0; i < rows * cols; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(out.getAtIndex(ValueLayout.JAVA_FLOAT, i)),
                            t + " element " + i);
                }
            }
        }
    }

    float[] activations(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian() * (i % 97 == 0 ? 8 : 1);
        for (int i = 64; i < 96; i++) x[i] = 0; // an all-zero block: scale 0, not NaN
        return x;
    }

    @Test
    void q8ActivationsMatchTheCpuQuantizers() throws Throwable {
        int cols = 2048;
        float[] x = activations(cols);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment xs = HostMath.floats(a, x), q = a.allocate(cols), d = a.allocate(4L * cols / 32), s = a.allocate(4L * cols / 16);
            m.quantizeQ8_1.invokeExact(xs, q, d, s, cols / 32);
            short[] wq = new short[cols];
            float[] wd = new float[cols / 32], wds = new float[cols / 32];
            QuantKernels.quantizeQ8(x, 0, cols, wq, 0, wd, 0);
            QuantKernels.blockSums(wq, 0, wd, wds, 0, cols / 32);
            for (int i = 0; i < cols; i++) assertEquals(wq[i], q.get(ValueLayout.JAVA_BYTE, i), "q8_0 quant " + i);
            for (int b = 0; b < cols / 32; b++) {
                assertEquals(wd[b], d.getAtIndex(ValueLayout.JAVA_FLOAT, b), "q8_0 scale " + b);
                assertEquals(wds[b], wd[b] * s.getAtIndex(ValueLayout.JAVA_INT, b), "q8_1 sum " + b);
            }
            m.quantizeQ8K.invokeExact(xs, q, d, s, cols / 256);
            float[] kd = new float[cols / 256];
            int[] kb = new int[cols / 16];
            KQuants.quantizeQ8K(x, 0, cols, wq, 0, kd, 0, kb, 0);
            for (int i = 0; i < cols; i++) assertEquals(wq[i], q.get(ValueLayout.JAVA_BYTE, i), "q8_K quant " + i);
            for (int b = 0; b < cols / 256; b++) assertEquals(kd[b], d.getAtIndex(ValueLayout.JAVA_FLOAT, b), "q8_K scale " + b);
            for (int g = 0; g < cols / 16; g++) assertEquals(kb[g], s.getAtIndex(ValueLayout.JAVA_INT, g), "q8_K 16-sum " + g);
        }
    }

    /** Q8_K values in the pair layout the CPU's {@link KQuants2} kernels read. */
    static short[] pairs(short[] q) {
        short[] p = new short[q.length];
        KQuants2.toPairs(q, 0, q.length, p, 0);
        return p;
    }

    @Test
    void kQuantDotsMatchTheCpuBitForBit() throws Throwable {
        // Integer sums per super-block are exact on both sides and the float terms are added in the same
        // order (super-block by super-block), so the results must be identical.
        int cols = 2560, rows = 16;
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS}) {
            byte[] w = randomRows(t, rows, cols);
            float[] x = activations(cols);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment ws = a.allocateFrom(ValueLayout.JAVA_BYTE, w), xs = HostMath.floats(a, x);
                MemorySegment q = a.allocate(cols), d = a.allocate(4L * cols / 256), s = a.allocate(4L * cols / 16);
                m.quantizeQ8K.invokeExact(xs, q, d, s, cols / 256);
                short[] wq = new short[cols];
                float[] kd = new float[cols / 256];
                int[] kb = new int[cols / 16];
                KQuants.quantizeQ8K(x, 0, cols, wq, 0, kd, 0, kb, 0);
                long rb = (long) cols / 256 * t.typeSize();
                for (int r = 0; r < rows; r++) {
                    float got = (float) m.dot.invokeExact(t.id(), ws.asSlice(r * rb), cols, q, d, s);
                    if (t != GgmlType.Q4_K) {
                        // the CPU kernels add in ggml's AVX2 order (eight float lanes per row); the GPU's sums each
                        // super-block's integers whole: the same products, floats combined in another order. So both
                        // are held to float64 over the same 8-bit activations, within a few roundings of the sum
                        float cpu = t == GgmlType.Q6_K ? KQuants.dotQ6_K(ws, r * rb, cols / 256, wq, 0, kd, 0, kb, 0)
                                : KQuants2.dot(t, ws, r * rb, cols / 256, wq, pairs(wq), 0, kd, 0, kb, 0);
                        float[] deq = new float[cols];
                        t.dequantize(ws, r * rb, deq, 0, cols);
                        double ref = 0, mag = 0;
                        for (int i = 0; i < cols; i++) {
                            double p = (double) deq[i] * wq[i] * kd[i / 256];
                            ref += p;
                            mag += Math.abs(p);
                        }
                        // ~25 super-block terms a row, each within a rounding or two of float64: 1e-6 of their magnitudes
                        assertEquals(ref, got, 1e-6 * mag, t + " row " + r + ": GPU against float64");
                        assertEquals(ref, cpu, 1e-6 * mag, t + " row " + r + ": CPU against float64");
                        continue;
                    }
                    float want = KQuants.dotQ4_K(ws, r * rb, cols / 256, wq, 0, kd, 0, kb, 0);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), t + " row " + r + ": " + want + " vs " + got);
                }
            }
        }
    }

    @Test
    void q4AndQ8DotsAgreeWithTheCpuAndWithDouble() throws Throwable {
        // The CPU adds block products in vector lanes and reduces them at the end; the kernel adds whole
        // block terms. Both are a sum of the same 64 exactly computed integers times float scales, so each
        // is held to float64 within a few roundings of the sum of magnitudes.
        int cols = 2048, nb = cols / 32, rows = 8;
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.IQ4_NL}) {
            byte[] w = randomRows(t, rows, cols);
            float[] x = activations(cols);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment ws = a.allocateFrom(ValueLayout.JAVA_BYTE, w), xs = HostMath.floats(a, x);
                MemorySegment q = a.allocate(cols), d = a.allocate(4L * nb), s = a.allocate(4L * nb);
                m.quantizeQ8_1.invokeExact(xs, q, d, s, nb);
                short[] wq = new short[cols], pq = new short[cols];
                float[] wd = new float[nb], wds = new float[nb], pd = new float[nb];
                QuantKernels.quantizeQ8(x, 0, cols, wq, 0, wd, 0);
                QuantKernels.blockSums(wq, 0, wd, wds, 0, nb);
                QuantKernels.quantizeQ8Pairs(x, 0, cols, pq, 0, pd, 0);
                long rb = (long) nb * t.typeSize();
                float[] deq = new float[cols];
                for (int r = 0; r < rows; r++) {
                    t.dequantize(ws, r * rb, deq, 0, cols);
                    double ref = 0, mag = 0;
                    for (int b = 0; b < nb; b++) {
                        double term = 0;
                        for (int i = 0; i < 32; i++) term += (double) deq[32 * b + i] * wq[32 * b + i];
                        ref += term * wd[b];
                        mag += Math.abs(term * wd[b]);
                    }
                    float got = (float) m.dot.invokeExact(t.id(), ws.asSlice(r * rb), cols, q, d, s);
                    double tol = 1e-6 * mag + 1e-12;
                    assertEquals(ref, got, tol, t + " row " + r + " (kernel)");
                    if (t != GgmlType.Q4_0 && t != GgmlType.Q8_0) continue; // the CPU's other kernels: LlamaCppParityTest
                    float cpu = t == GgmlType.Q4_0 ? QuantKernels.dotQ4_0(ws, r * rb, nb, wq, 0, wd, wds, 0)
                            : QuantKernels.dotQ8_0(ws, r * rb, nb, pq, 0, pd, 0, QuantKernels.laneScratch());
                    assertEquals(ref, cpu, tol, t + " row " + r + " (cpu)");
                }
            }
        }
    }

    @Test
    void rmsNormSwigluAndRopeMatchTheCpu() throws Throwable {
        int n = 3, dim = 1536;
        float[] x = activations(n * dim), w = activations(dim);
        try (Arena a = Arena.ofConfined(); Parallel pool = new Parallel(1)) {
            MemorySegment out = a.allocate(4L * n * dim);
            m.rmsnorm.invokeExact(HostMath.floats(a, x), HostMath.floats(a, w), out, n, dim, 1e-6f);
            float[] want = new float[n * dim];
            CpuOps.rmsNorm(x, w, 1e-6f, n, dim, want);
            assertArrayEquals(want, out.toArray(ValueLayout.JAVA_FLOAT), "rmsnorm: same order, same bits");

            float[] g = activations(4096), u = activations(4096);
            for (int i = 0; i < 16; i++) g[i] = (i - 8) * 12.5f; // past |x| > 87: the saturating branch of exp
            MemorySegment gs = HostMath.floats(a, g);
            m.swiglu.invokeExact(gs, HostMath.floats(a, u), g.length);
            CpuOps.swiglu(pool, g, u, g.length);
            assertArrayEquals(g, gs.toArray(ValueLayout.JAVA_FLOAT), "swiglu: ggml's exp on both sides, same bits");

            // cos/sin: CUDA's (here the host's double cos/sin, rounded) against the CPU's glibc-exact sinf/cosf,
            // which differ in the last bit for ~1% of angles; the error that makes scales with the pair's inputs.
            for (boolean neox : new boolean[] {true, false}) {
                int heads = 4, hd = 128, pos0 = 517;
                float[] r = activations(n * heads * hd), factors = new float[hd / 2];
                for (int i = 0; i < factors.length; i++) factors[i] = 1 + i % 8;
                for (float[] f : new float[][] {null, factors}) {
                    float thetaScale = Backend.Rope.of(10000f, hd, f, neox).thetaScale();
                    MemorySegment rs = HostMath.floats(a, r);
                    m.rope.invokeExact(rs, n, heads, hd, pos0, thetaScale, (MemorySegment) (f == null ? MemorySegment.NULL : HostMath.floats(a, f)), neox ? 1 : 0);
                    float[] cpu = r.clone();
                    CpuOps.rope(cpu, n, heads, hd, pos0, thetaScale, f, neox);
                    float[] got = rs.toArray(ValueLayout.JAVA_FLOAT);
                    for (int i = 0; i < cpu.length; i++) {
                        int d = i % hd, partner = i - d + (neox ? (d + hd / 2) % hd : d ^ 1);
                        float scale = Math.max(Math.abs(cpu[i]), Math.max(Math.abs(r[i]), Math.abs(r[partner])));
                        assertEquals(cpu[i], got[i], 2 * Math.ulp(scale), "rope neox=" + neox + " " + i);
                    }
                }
            }
        }
    }

    @Test
    void splitSoftmaxAttentionMatchesDouble() throws Throwable {
        // Flash-decoding's per-split partials merged: against softmax(q.K * scale) . V in float64 on the
        // same half-precision keys and values. Float error only (exp within ~2 ulp, sums of <= 300 terms).
        int hd = 128, len = 301;
        float scale = (float) (1 / Math.sqrt(hd));
        float[] q = activations(hd);
        short[] k = new short[len * hd], v = new short[len * hd];
        for (int i = 0; i < k.length; i++) {
            k[i] = Float.floatToFloat16((float) rnd.nextGaussian());
            v[i] = Float.floatToFloat16((float) rnd.nextGaussian());
        }
        double[] sc = new double[len], want = new double[hd];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int p = 0; p < len; p++) {
            double s = 0;
            for (int c = 0; c < hd; c++) s += (double) q[c] * Float.float16ToFloat(k[p * hd + c]);
            sc[p] = s * scale;
            max = Math.max(max, sc[p]);
        }
        for (int p = 0; p < len; p++) sum += sc[p] = Math.exp(sc[p] - max);
        for (int p = 0; p < len; p++) for (int c = 0; c < hd; c++) want[c] += sc[p] / sum * Float.float16ToFloat(v[p * hd + c]);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment qs = HostMath.floats(a, q), ks = a.allocateFrom(ValueLayout.JAVA_SHORT, k),
                    vs = a.allocateFrom(ValueLayout.JAVA_SHORT, v), out = a.allocate(4L * hd);
            for (int splits : new int[] {1, 3, 8, 16}) { // 16 splits of 32: some ranges are empty
                m.attention.invokeExact(qs, ks, vs, len, hd, scale, splits, out);
                for (int c = 0; c < hd; c++) assertEquals(want[c], out.getAtIndex(ValueLayout.JAVA_FLOAT, c), 2e-6, "splits " + splits + " dim " + c);
            }
        }
    }
}
