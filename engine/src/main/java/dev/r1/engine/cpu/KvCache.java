package dev.r1.engine.cpu;

/**
 * Keys and values of every layer for {@code ctx} positions, token-major ({@code [pos][kvDim]}) so that
 * appending a chunk of tokens is one copy per layer. F16 halves the memory (what llama.cpp uses by
 * default); F32 skips the conversions. F16 keys are stored in blocks of eight positions, transposed
 * within the block ({@code [pos/8][kvDim][pos%8]}): attention then scores eight positions per vector
 * ({@link F16Math#scoresBlocked}) with no sum across lanes per position, reading one contiguous run per
 * block; appending a token writes kvDim scattered halves, a negligible cost.
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
            k16 = new short[layers][((ctx + 15) & ~15) * kvDim]; // whole 16-position pairs of blocks (keysBlocked16)
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

    /**
     * Copies positions {@code 0..n} of every layer into {@code dst} (same layers, kvDim and type). F16 keys go
     * in whole blocks of eight: the positions past {@code n} in the last block are overwritten when {@code dst}
     * stores them, and attention never reads a position before it is stored.
     */
    public void copyPrefixTo(KvCache dst, int n) {
        if (dst.layers != layers || dst.kvDim != kvDim || dst.f16 != f16)
            throw new IllegalArgumentException("caches of different shapes");
        if (n < 0 || n > ctx || n > dst.ctx) throw new IllegalArgumentException(n + " positions do not fit both caches");
        int keyPositions = Math.min((n + 7) & ~7, (dst.ctx + 7) & ~7);
        for (int l = 0; l < layers; l++) {
            if (f16) {
                System.arraycopy(k16[l], 0, dst.k16[l], 0, keyPositions * kvDim);
                System.arraycopy(v16[l], 0, dst.v16[l], 0, n * kvDim);
            } else {
                System.arraycopy(k32[l], 0, dst.k32[l], 0, n * kvDim);
                System.arraycopy(v32[l], 0, dst.v32[l], 0, n * kvDim);
            }
        }
    }

    /** Stores {@code n} rows of keys and values for positions {@code pos0 ..}. */
    void store(int layer, int pos0, int n, float[] k, float[] v) {
        store(layer, pos0, n, k, v, 0);
    }

    /** Rows {@code row0 .. row0+n} of {@code k}/{@code v} at positions {@code pos0 ..}. */
    void store(int layer, int pos0, int n, float[] k, float[] v, int row0) {
        if (pos0 < 0 || pos0 + n > ctx) {
            throw new IllegalStateException("positions " + pos0 + ".." + (pos0 + n) + " exceed the context of " + ctx);
        }
        int len = n * kvDim, at = pos0 * kvDim, src = row0 * kvDim;
        if (f16) {
            short[] kk = k16[layer], vv = v16[layer];
            for (int i = 0; i < len; i++) vv[at + i] = Float.floatToFloat16(v[src + i]);
            for (int t = 0; t < n; t++) {
                for (int d = 0; d < kvDim; d++) kk[keyAt(pos0 + t, d)] = Float.floatToFloat16(k[src + t * kvDim + d]);
            }
        } else {
            System.arraycopy(k, src, k32[layer], at, len);
            System.arraycopy(v, src, v32[layer], at, len);
        }
    }

    /** Rows {@code from..to} of one head's keys (or values) as floats, {@code len} each, into {@code dst}. */
    void rows(boolean values, int layer, int from, int to, int off, int len, float[] dst) {
        for (int p = from; p < to; p++) {
            int at = p * kvDim + off, d = (p - from) * len;
            if (f16 && values) F16Math.toFloat(v16[layer], at, dst, d, len);
            else if (f16) for (int x = 0; x < len; x++) dst[d + x] = Float.float16ToFloat(k16[layer][keyAt(p, off + x)]);
            else System.arraycopy(values ? v32[layer] : k32[layer], at, dst, d, len);
        }
    }

    /**
     * F16 keys of positions {@code from .. from+n} ({@code from} a multiple of 8, {@code n} rounded up to 8),
     * dimensions {@code [off, off+hd)}, widened in the cache's blocked layout: {@code dst[(p/8)*hd*8 + x*8 +
     * p%8]} for p counted from {@code from}. Positions past {@code from+n} in the last block hold whatever
     * the cache holds there (finite or not, they only reach lanes nobody reads).
     */
    void keysBlocked(int layer, int from, int n, int off, int hd, float[] dst) {
        short[] kk = k16[layer];
        for (int b = 0; b < (n + 7) >> 3; b++) F16Math.toFloat(kk, keyAt(from + 8 * b, off), dst, b * hd * 8, hd * 8);
    }

    /**
     * As {@link #keysBlocked}, in blocks of sixteen positions ({@code dst[(p/16)*hd*16 + x*16 + p%16]}, {@code from}
     * a multiple of 16, {@code n} rounded up to 16), for {@link F16Math#scoresBlocked16}: each pair of the cache's
     * 8-position blocks widened side by side.
     */
    void keysBlocked16(int layer, int from, int n, int off, int hd, float[] dst) {
        short[] kk = k16[layer];
        for (int b = 0; b < (n + 15) >> 4; b++) {
            int lo = keyAt(from + 16 * b, off), hi = keyAt(from + 16 * b + 8, off), d = b * hd * 16;
            for (int x = 0; x < hd; x++) {
                F16Math.widen8(kk, lo + 8 * x, dst, d + 16 * x);
                F16Math.widen8(kk, hi + 8 * x, dst, d + 16 * x + 8);
            }
        }
    }

    /** Index of F16 key element {@code d} of position {@code p} in the blocked layout {@code [p/8][kvDim][p%8]}. */
    private int keyAt(int p, int d) { return ((p >> 3) * kvDim + d) * 8 + (p & 7); }

    /** Key row of {@code pos}, kv head slice {@code [off, off+len)}, as floats into {@code dst}. */
    void key(int layer, int pos, int off, int len, float[] dst) { rows(false, layer, pos, pos + 1, off, len, dst); }

    /** Value row of {@code pos}, as {@link #key}. */
    void value(int layer, int pos, int off, int len, float[] dst) { rows(true, layer, pos, pos + 1, off, len, dst); }

    /** The F32 arrays, for kernels that read rows in place (null when F16). */
    float[] keys32(int layer) { return f16 ? null : k32[layer]; }
    float[] values32(int layer) { return f16 ? null : v32[layer]; }
}
