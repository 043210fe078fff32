package dev.r1.engine.cpu;

/**
 * Keys and values of every layer for {@code ctx} positions, token-major ({@code [pos][kvDim]}) so that
 * appending a chunk of tokens is one copy per layer. F16 halves the memory (what llama.cpp uses by
 * default); F32 skips the conversions.
 */
public final class KvCache {
    private final int layers, ctx, kvDim;
    private final boolean f16;
    private final float[][] k32, v32;
    private final short[][] k16, v16;

    public KvCache(int layers, int ctx, int kvDim, boolean f16) {
        if ((long) ctx * kvDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("KV cache of " + ctx + " x " + kvDim + " does not fit a Java array; lower the context");
        }
        this.layers = layers;
        this.ctx = ctx;
        this.kvDim = kvDim;
        this.f16 = f16;
        if (f16) {
            k16 = new short[layers][ctx * kvDim];
            v16 = new short[layers][ctx * kvDim];
            k32 = v32 = null;
        } else {
            k32 = new float[layers][ctx * kvDim];
            v32 = new float[layers][ctx * kvDim];
            k16 = v16 = null;
        }
    }

    public int contextSize() { return ctx; }
    public int kvDim() { return kvDim; }
    public boolean isF16() { return f16; }
    public int layers() { return layers; }

    /** Bytes held. */
    public long bytes() { return 2L * layers * ctx * kvDim * (f16 ? 2 : 4); }

    /** Stores {@code n} rows of keys and values for positions {@code pos0 ..}. */
    void store(int layer, int pos0, int n, float[] k, float[] v) {
        if (pos0 < 0 || pos0 + n > ctx) {
            throw new IllegalStateException("positions " + pos0 + ".." + (pos0 + n) + " exceed the context of " + ctx);
        }
        int len = n * kvDim, at = pos0 * kvDim;
        if (f16) {
            short[] kk = k16[layer], vv = v16[layer];
            for (int i = 0; i < len; i++) {
                kk[at + i] = Float.floatToFloat16(k[i]);
                vv[at + i] = Float.floatToFloat16(v[i]);
            }
        } else {
            System.arraycopy(k, 0, k32[layer], at, len);
            System.arraycopy(v, 0, v32[layer], at, len);
        }
    }

    /** Rows {@code from..to} of one head's keys (or values) as floats, {@code len} each, into {@code dst}. */
    void rows(boolean values, int layer, int from, int to, int off, int len, float[] dst) {
        for (int p = from; p < to; p++) {
            int at = p * kvDim + off, d = (p - from) * len;
            if (f16) F16Math.toFloat(values ? v16[layer] : k16[layer], at, dst, d, len);
            else System.arraycopy(values ? v32[layer] : k32[layer], at, dst, d, len);
        }
    }

    /** Key row of {@code pos}, kv head slice {@code [off, off+len)}, as floats into {@code dst}. */
    void key(int layer, int pos, int off, int len, float[] dst) { rows(false, layer, pos, pos + 1, off, len, dst); }

    /** Value row of {@code pos}, as {@link #key}. */
    void value(int layer, int pos, int off, int len, float[] dst) { rows(true, layer, pos, pos + 1, off, len, dst); }

    /** The F32 arrays, for kernels that read rows in place (null when F16). */
    float[] keys32(int layer) { return f16 ? null : k32[layer]; }
    float[] values32(int layer) { return f16 ? null : v32[layer]; }
}
