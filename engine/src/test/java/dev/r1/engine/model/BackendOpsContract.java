package dev.r1.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.engine.ref.ReferenceBackend;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.Quantizers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every {@link Backend} op of a backend against {@link ReferenceBackend} on random inputs at several
 * shapes: a backend's test extends this and names the backend (the CPU one here; CUDA plugs in the same
 * way and skips where no GPU is). Outputs are poisoned (NaN) before each op, so an op that leaves part of
 * its output unwritten fails. The engine's test run repeats the harness at 128-bit vectors
 * ({@code -Dr1.cpu.vectorBits=128}) so the narrow paths are checked on any machine.
 *
 * <p>Tolerances, as relative L2 error: exact where both sides do the same float operations (copies,
 * dequantized embeddings); 1e-6 for element-wise float ops; 1e-5 for float matrices; 1.5e-2 where the
 * backend quantizes activations to 8 bits per block as ggml does (Q8_0/Q4_0/K-quants: the reference
 * multiplies unquantized activations; 4e-2 for K-quants, whose Q8_K activations share one scale per 256
 * values, so this data's outliers cost them more; a wrong kernel is off by O(1)); 3e-3 for attention over an F16 cache (the backend rounds queries
 * to F16 too, as llama.cpp does).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendOpsContract {
    protected abstract Backend backend();

    /** Why this backend cannot run here (no GPU...), or null. */
    protected String unavailable() { return null; }

    private Backend be;
    private final ReferenceBackend ref = new ReferenceBackend();
    private final Arena arena = Arena.ofShared();

    @BeforeAll
    void open() {
        String why = unavailable();
        assumeTrue(why == null, why);
        be = backend();
    }

    @AfterAll
    void close() {
        if (be != null) be.close();
        arena.close();
    }

    static float[] random(int n, long seed, double scale) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * scale * (i % 29 == 3 ? 6 : 1));
        return x;
    }

    /** Uploads {@code values} to both backends and returns {ours, reference}. */
    private Backend.Buffer[] pair(float[] values) {
        return new Backend.Buffer[] {be.vector(values), ref.vector(values)};
    }

    private Backend.Buffer[] poisoned(int n) {
        float[] nan = new float[n];
        java.util.Arrays.fill(nan, Float.NaN);
        return pair(nan);
    }

    private static float[] host(Backend b, Backend.Buffer buf, int n) {
        float[] out = new float[n];
        b.toHost(buf, 0, n, out);
        return out;
    }

    private void assertClose(Backend.Buffer[] got, int n, double tol, String what) {
        float[] a = host(be, got[0], n), b = host(ref, got[1], n);
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            assertTrue(Float.isFinite(a[i]), what + ": element " + i + " is " + a[i]);
            num += (double) (a[i] - b[i]) * (a[i] - b[i]);
            den += (double) b[i] * b[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-300));
        assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol);
    }

    private MemorySegment weights(GgmlType type, int rows, int cols, long seed) {
        float[] w = random(rows * cols, seed, 0.05);
        byte[] bytes = Quantizers.quantize(Quantizers.forId(type.id()), "w", w, rows, cols);
        MemorySegment seg = arena.allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return seg;
    }

    private static double matmulTolerance(GgmlType t) {
        return switch (t) {
            case F32 -> 1e-5;
            // the CPU backend rounds activations to the weights' type, as ggml's CPU code (HalfKernels): 2^-11 / 2^-8 each
            case F16 -> 1e-3;
            case BF16 -> 8e-3;
            case Q4_K, Q6_K -> 4e-2; // activations as Q8_K: one scale per 256 values, so outliers cost more bits
            default -> 1.5e-2;
        };
    }

    @ParameterizedTest(name = "{0} {1}x{2}, {3} rows of input")
    @CsvSource({"F32,64,96,1", "F32,40,64,3", "F16,64,128,2", "BF16,32,64,1", "Q8_0,64,128,1", "Q8_0,72,256,9",
            "Q4_0,64,128,1", "Q4_0,64,256,2", "Q4_0,128,64,9", "Q4_0,40,64,3", "Q4_K,32,256,1", "Q4_K,16,512,3",
            "Q6_K,64,256,1", "Q6_K,64,256,5", "Q6_K,24,256,2"})
    void matmulOneOrSeveralMatricesSharingTheInput(GgmlType type, int rows, int cols, int n) {
        MemorySegment w1 = weights(type, rows, cols, 11), w2 = weights(type, rows / 2 + 8 - (rows / 2) % 8, cols, 12);
        int rows2 = rows / 2 + 8 - (rows / 2) % 8;
        Backend.Matrix[] ours = {be.matrix("a", type, rows, cols, w1), be.matrix("b", type, rows2, cols, w2)};
        Backend.Matrix[] theirs = {ref.matrix("a", type, rows, cols, w1), ref.matrix("b", type, rows2, cols, w2)};
        Backend.Buffer[] x = pair(random(n * cols, 5, 1));
        Backend.Buffer[] o1 = poisoned(n * rows), o2 = poisoned(n * rows2);
        be.matmul(x[0], n, ours, new Backend.Buffer[] {o1[0], o2[0]});
        ref.matmul(x[1], n, theirs, new Backend.Buffer[] {o1[1], o2[1]});
        assertClose(o1, n * rows, matmulTolerance(type), type + " first matrix");
        assertClose(o2, n * rows2, matmulTolerance(type), type + " second matrix");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void embedRowsAsDequantized(GgmlType type) {
        int rows = 48, cols = 256;
        MemorySegment w = weights(type, rows, cols, 3);
        int[] tokens = {0, 47, 5, 5, 20};
        for (boolean table : new boolean[] {true, false}) {
            Backend.Matrix m = table ? be.table("e", type, rows, cols, w) : be.matrix("e", type, rows, cols, w);
            Backend.Buffer[] out = poisoned(3 * cols);
            be.embed(m, tokens, 1, 3, out[0]);
            ref.embed(ref.matrix("e", type, rows, cols, w), tokens, 1, 3, out[1]);
            assertArrayEquals(host(ref, out[1], 3 * cols), host(be, out[0], 3 * cols), type + (table ? " table" : " matrix"));
        }
    }

    @Test
    void elementwiseOps() {
        int n = 3, dim = 896;
        Backend.Buffer[] x = pair(random(n * dim, 1, 1)), w = pair(random(dim, 2, 1)), out = poisoned(n * dim);
        be.rmsNorm(x[0], w[0], 1e-6f, n, dim, out[0]);
        ref.rmsNorm(x[1], w[1], 1e-6f, n, dim, out[1]);
        assertClose(out, n * dim, 1e-6, "rmsNorm");

        Backend.Buffer[] b = pair(random(dim, 3, 1));
        be.addBias(x[0], b[0], n, dim);
        ref.addBias(x[1], b[1], n, dim);
        assertClose(x, n * dim, 1e-7, "addBias");

        Backend.Buffer[] y = pair(random(n * dim, 4, 1));
        be.add(x[0], y[0], n * dim);
        ref.add(x[1], y[1], n * dim);
        assertClose(x, n * dim, 1e-7, "add");

        Backend.Buffer[] g = pair(random(n * dim, 5, 3)), u = pair(random(n * dim, 6, 1));
        be.swiglu(g[0], u[0], n * dim);
        ref.swiglu(g[1], u[1], n * dim);
        assertClose(g, n * dim, 1e-6, "swiglu");

        Backend.Buffer[] row = poisoned(dim);
        be.copyRow(x[0], 2, dim, row[0]);
        ref.copyRow(x[1], 2, dim, row[1]);
        assertArrayEquals(host(ref, row[1], dim), host(be, row[0], dim), "copyRow");
    }

    @ParameterizedTest(name = "neox {0}, llama3 factors {1}")
    @CsvSource({"true,false", "false,false", "false,true"})
    void ropeAtEachRowsOwnPosition(boolean neox, boolean factors) {
        int heads = 4, hd = 64, n = 5;
        float[] f = null;
        if (factors) {
            f = new float[hd / 2];
            for (int i = 0; i < f.length; i++) f[i] = 1 + i % 5;
        }
        Backend.Rope rope = Backend.Rope.of(10000f, hd, f, neox);
        int[] pos = {0, 1, 2, 130, 7}; // a prefill chunk, then rows of other sequences (a batched step)
        Backend.Cache[] caches = new Backend.Cache[n], refCaches = new Backend.Cache[n];
        Backend.Cache c = be.kvCache(1, 256, hd, false), rc = ref.kvCache(1, 256, hd, false);
        java.util.Arrays.fill(caches, c);
        java.util.Arrays.fill(refCaches, rc);
        Backend.Step s = be.step(n), rs = ref.step(n);
        be.setStep(s, n, caches, pos);
        ref.setStep(rs, n, refCaches, pos);
        Backend.Buffer[] x = pair(random(n * heads * hd, 9, 1));
        be.rope(x[0], n, heads, hd, s, rope);
        ref.rope(x[1], n, heads, hd, rs, rope);
        assertClose(x, n * heads * hd, 1e-5, "rope");
        be.free(c);
    }

    @ParameterizedTest(name = "F16 cache {0}, {1} heads / {2} kv heads of {3}")
    @CsvSource({"false,8,2,64", "true,8,2,64", "true,4,4,128", "true,6,1,32"})
    void attentionPrefillDecodeAndABatchedStep(boolean f16, int heads, int kvHeads, int hd) {
        double tol = f16 ? 3e-3 : 1e-5;
        int ctx = 64, qDim = heads * hd, kvDim = kvHeads * hd;
        Backend.Cache a = be.kvCache(2, ctx, kvDim, f16), b = be.kvCache(2, ctx, kvDim, f16);
        Backend.Cache ra = ref.kvCache(2, ctx, kvDim, f16), rb = ref.kvCache(2, ctx, kvDim, f16);
        Backend.Step s = be.step(8), rs = ref.step(8);
        long seed = 100;
        // sequence a: a chunk of 7 at 0..6 on layer 1; sequence b: a chunk of 3; then one step with a row of each
        int[][] chunks = {{0, 1, 2, 3, 4, 5, 6}, {0, 1, 2}, {7, 3}};
        Backend.Cache[][] cacheRows = {{a, a, a, a, a, a, a}, {b, b, b}, {a, b}};
        Backend.Cache[][] refRows = {{ra, ra, ra, ra, ra, ra, ra}, {rb, rb, rb}, {ra, rb}};
        for (int k = 0; k < chunks.length; k++) {
            int n = chunks[k].length;
            be.setStep(s, n, cacheRows[k], chunks[k]);
            ref.setStep(rs, n, refRows[k], chunks[k]);
            Backend.Buffer[] q = pair(random(n * qDim, seed++, 1)), kk = pair(random(n * kvDim, seed++, 1)),
                    v = pair(random(n * kvDim, seed++, 1)), out = poisoned(n * qDim);
            be.attention(s, 1, n, q[0], kk[0], v[0], heads, kvHeads, hd, out[0]);
            ref.attention(rs, 1, n, q[1], kk[1], v[1], heads, kvHeads, hd, out[1]);
            assertClose(out, n * qDim, tol, "attention, step " + k);
        }
        be.free(a);
        be.free(b);
    }

    @ParameterizedTest(name = "F16 cache {0}")
    @ValueSource(booleans = {false, true})
    void aCopiedCachePrefixAttendsAsTheOriginal(boolean f16) {
        double tol = f16 ? 3e-3 : 1e-5;
        int heads = 4, kvHeads = 2, hd = 32, ctx = 32, qDim = heads * hd, kvDim = kvHeads * hd, keep = 5;
        Backend.Cache a = be.kvCache(2, ctx, kvDim, f16), b = be.kvCache(2, ctx, kvDim, f16);
        Backend.Cache ra = ref.kvCache(2, ctx, kvDim, f16);
        Backend.Step s = be.step(8), rs = ref.step(8);
        long seed = 300;
        for (int layer = 0; layer < 2; layer++) {
            // b holds other keys at 0..7 (past the copied prefix too, inside F16's blocks of eight)
            be.setStep(s, 8, new Backend.Cache[] {b, b, b, b, b, b, b, b}, new int[] {0, 1, 2, 3, 4, 5, 6, 7});
            be.attention(s, layer, 8, be.vector(random(8 * qDim, seed++, 1)), be.vector(random(8 * kvDim, seed++, 1)),
                    be.vector(random(8 * kvDim, seed++, 1)), heads, kvHeads, hd, be.buffer(8 * qDim));
            int[] pos = {0, 1, 2, 3, 4};
            be.setStep(s, keep, new Backend.Cache[] {a, a, a, a, a}, pos);
            ref.setStep(rs, keep, new Backend.Cache[] {ra, ra, ra, ra, ra}, pos);
            Backend.Buffer[] q = pair(random(keep * qDim, seed++, 1)), kk = pair(random(keep * kvDim, seed++, 1)),
                    v = pair(random(keep * kvDim, seed++, 1));
            be.attention(s, layer, keep, q[0], kk[0], v[0], heads, kvHeads, hd, be.buffer(keep * qDim));
            ref.attention(rs, layer, keep, q[1], kk[1], v[1], heads, kvHeads, hd, ref.buffer(keep * qDim));
        }
        assertTrue(be.copyCache(a, b, keep), be.name() + " copies caches");
        // one more position in the copy, then in the original: both attend over the same prefix as the reference
        for (Backend.Cache c : new Backend.Cache[] {b, a}) {
            for (int layer = 0; layer < 2; layer++) {
                be.setStep(s, 1, new Backend.Cache[] {c}, new int[] {keep});
                ref.setStep(rs, 1, new Backend.Cache[] {ra}, new int[] {keep});
                Backend.Buffer[] q = pair(random(qDim, 900 + layer, 1)), kk = pair(random(kvDim, 910 + layer, 1)),
                        v = pair(random(kvDim, 920 + layer, 1)), out = poisoned(qDim);
                be.attention(s, layer, 1, q[0], kk[0], v[0], heads, kvHeads, hd, out[0]);
                ref.attention(rs, layer, 1, q[1], kk[1], v[1], heads, kvHeads, hd, out[1]);
                assertClose(out, qDim, tol, (c == b ? "the copy" : "the original") + ", layer " + layer);
            }
        }
        be.free(a);
        be.free(b);
    }
}
