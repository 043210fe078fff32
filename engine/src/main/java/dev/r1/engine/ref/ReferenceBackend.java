package dev.r1.engine.ref;

import dev.r1.engine.model.Backend;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * Every {@link Backend} op as the obvious loops: weights dequantized with the models module's own
 * dequantization, activations left unquantized, sums and transcendental functions in float64, one thread.
 * Slow and plain on purpose: the op harness runs each op of a fast backend (CPU now, CUDA next) against
 * it, as llm.c pairs each kernel with its CPU reference. The KV cache rounds to F16 when asked, since that
 * rounding is part of what the op means.
 */
public final class ReferenceBackend implements Backend {

    record Buf(float[] a) implements Buffer {
        @Override public int size() { return a.length; }
    }

    /** A matrix dequantized once to float64 rows. */
    record Mat(String name, int rows, int cols, double[] w) implements Matrix {}

    static final class Kv implements Cache {
        final int layers, ctx, kvDim;
        final boolean f16;
        final float[][] k, v;

        Kv(int layers, int ctx, int kvDim, boolean f16) {
            this.layers = layers;
            this.ctx = ctx;
            this.kvDim = kvDim;
            this.f16 = f16;
            this.k = new float[layers][ctx * kvDim];
            this.v = new float[layers][ctx * kvDim];
        }

        @Override public int contextSize() { return ctx; }
        @Override public long bytes() { return 2L * layers * ctx * kvDim * (f16 ? 2 : 4); }
    }

    record Rows(Kv[] caches, int[] positions) implements Step {
        @Override public int capacity() { return positions.length; }
    }

    @Override public String name() { return "reference (float64, 1 thread)"; }

    @Override public Buffer buffer(int floats) { return new Buf(new float[floats]); }

    @Override
    public Matrix matrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        float[] f = type.dequantize(data.asSlice(0, (long) rows * cols / type.blockSize() * type.typeSize()));
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = f[i];
        return new Mat(name, rows, cols, w);
    }

    @Override public Buffer vector(float[] values) { return new Buf(values.clone()); }

    @Override public Cache kvCache(int layers, int ctx, int kvDim, boolean f16) { return new Kv(layers, ctx, kvDim, f16); }

    @Override
    public boolean copyCache(Cache from, Cache to, int positions) {
        Kv a = (Kv) from, b = (Kv) to;
        for (int l = 0; l < a.layers; l++) {
            System.arraycopy(a.k[l], 0, b.k[l], 0, positions * a.kvDim);
            System.arraycopy(a.v[l], 0, b.v[l], 0, positions * a.kvDim);
        }
        return true;
    }

    @Override public Step step(int rows) { return new Rows(new Kv[rows], new int[rows]); }

    @Override
    public void setStep(Step step, int n, Cache[] caches, int[] positions) {
        Rows r = (Rows) step;
        for (int t = 0; t < n; t++) {
            r.caches[t] = (Kv) caches[t];
            r.positions[t] = positions[t];
        }
    }

    private static float[] a(Buffer b) { return ((Buf) b).a; }

    @Override
    public void embed(Matrix table, int[] tokens, int from, int n, Buffer out) {
        Mat m = (Mat) table;
        for (int t = 0; t < n; t++) {
            int id = tokens[from + t];
            if (id < 0 || id >= m.rows) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + m.rows);
            for (int c = 0; c < m.cols; c++) a(out)[t * m.cols + c] = (float) m.w[id * m.cols + c];
        }
    }

    @Override
    public void rmsNorm(Buffer x, Buffer w, float eps, int n, int dim, Buffer out) {
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) a(x)[t * dim + i] * a(x)[t * dim + i];
            double scale = 1 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) a(out)[t * dim + i] = (float) (a(x)[t * dim + i] * scale * a(w)[i]);
        }
    }

    @Override
    public void matmul(Buffer x, int n, Matrix[] ws, Buffer[] outs) {
        for (int i = 0; i < ws.length; i++) {
            Mat m = (Mat) ws[i];
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < m.rows; r++) {
                    double s = 0;
                    for (int c = 0; c < m.cols; c++) s += m.w[r * m.cols + c] * a(x)[t * m.cols + c];
                    a(outs[i])[t * m.rows + r] = (float) s;
                }
            }
        }
    }

    @Override
    public void addBias(Buffer x, Buffer bias, int n, int dim) {
        for (int t = 0; t < n; t++) for (int i = 0; i < dim; i++) a(x)[t * dim + i] += a(bias)[i];
    }

    @Override
    public void rope(Buffer x, int n, int heads, int headDim, Step step, Rope rope) {
        int half = headDim / 2;
        int[] pos = ((Rows) step).positions;
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < half; i++) {
                double theta = pos[t] * Math.pow(rope.thetaScale(), i) / (rope.factors() == null ? 1 : rope.factors()[i]);
                double cos = Math.cos(theta), sin = Math.sin(theta);
                for (int h = 0; h < heads; h++) {
                    int o = (t * heads + h) * headDim;
                    int i0 = rope.neox() ? o + i : o + 2 * i, i1 = rope.neox() ? i0 + half : i0 + 1;
                    double p = a(x)[i0], q = a(x)[i1];
                    a(x)[i0] = (float) (p * cos - q * sin);
                    a(x)[i1] = (float) (p * sin + q * cos);
                }
            }
        }
    }

    @Override
    public void attention(Step step, int layer, int n, Buffer q, Buffer k, Buffer v, int heads, int kvHeads, int headDim, Buffer out) {
        Rows rows = (Rows) step;
        int kvDim = kvHeads * headDim, group = heads / kvHeads;
        for (int t = 0; t < n; t++) {
            Kv c = rows.caches[t];
            int p = rows.positions[t];
            if (p < 0 || p >= c.ctx) throw new IllegalStateException("position " + p + " exceeds the context of " + c.ctx);
            for (int d = 0; d < kvDim; d++) {
                c.k[layer][p * kvDim + d] = c.f16 ? Float.float16ToFloat(Float.floatToFloat16(a(k)[t * kvDim + d])) : a(k)[t * kvDim + d];
                c.v[layer][p * kvDim + d] = c.f16 ? Float.float16ToFloat(Float.floatToFloat16(a(v)[t * kvDim + d])) : a(v)[t * kvDim + d];
            }
        }
        double scale = 1 / Math.sqrt(headDim);
        for (int t = 0; t < n; t++) {
            Kv c = rows.caches[t];
            int len = rows.positions[t] + 1;
            for (int h = 0; h < heads; h++) {
                int g = h / group, qo = (t * heads + h) * headDim;
                double[] s = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) dot += (double) a(q)[qo + d] * c.k[layer][j * kvDim + g * headDim + d];
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < len; j++) sum += s[j] = Math.exp(s[j] - max);
                for (int d = 0; d < headDim; d++) {
                    double o = 0;
                    for (int j = 0; j < len; j++) o += s[j] * c.v[layer][j * kvDim + g * headDim + d];
                    a(out)[qo + d] = (float) (o / sum);
                }
            }
        }
    }

    @Override
    public void swiglu(Buffer gate, Buffer up, int len) {
        for (int i = 0; i < len; i++) {
            double g = a(gate)[i];
            a(gate)[i] = (float) (g / (1 + Math.exp(-g)) * a(up)[i]);
        }
    }

    @Override
    public void add(Buffer x, Buffer y, int len) {
        for (int i = 0; i < len; i++) a(x)[i] += a(y)[i];
    }

    @Override
    public void copyRow(Buffer src, int row, int dim, Buffer dst) {
        System.arraycopy(a(src), row * dim, a(dst), 0, dim);
    }

    @Override
    public void toHost(Buffer src, int off, int len, float[] dst) {
        System.arraycopy(a(src), off, dst, 0, len);
    }

    @Override
    public void close() {}
}
