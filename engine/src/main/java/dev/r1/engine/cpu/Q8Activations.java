package dev.r1.engine.cpu;

/**
 * Activations quantized to 8 bits per block of 32, as llama.cpp's Q8_0 does, so that quantized weights
 * meet them in integer multiplies instead of a float conversion per weight. Quants are kept widened to
 * {@code short}: the kernels multiply in 16-bit lanes, and an activation row is re-read once per weight
 * row, so paying the widening once here (a few KB that stay in L1/L2) beats paying it per row.
 * For each block we keep the scale {@code d} and {@code d * sum(q)}, which weight types with an offset
 * (Q4_0's -8, Q4_K's mins) need.
 */
public final class Q8Activations {
    public static final int BLOCK = 32;

    private short[] q = new short[0];
    private float[] d = new float[0];
    private float[] ds = new float[0];
    private int cols;
    private int tokens;

    /** Quantized values, {@code tokens x cols}, row stride {@link #cols()}. */
    public short[] q() { return q; }
    /** Per-block scales, {@code tokens x cols/32}. */
    public float[] d() { return d; }
    /** Per-block {@code d * sum(q)}. */
    public float[] ds() { return ds; }
    public int cols() { return cols; }
    public int tokens() { return tokens; }
    public int blocksPerRow() { return cols / BLOCK; }

    /** Quantizes {@code n} rows of {@code cols} floats from {@code x[off ..]} (row stride {@code cols}). */
    public void quantize(float[] x, int off, int n, int cols, Parallel pool) {
        if (cols % BLOCK != 0) throw new IllegalArgumentException("row length " + cols + " is not a multiple of " + BLOCK);
        ensure(n, cols);
        int blocks = n * (cols / BLOCK);
        if (pool == null || blocks < 256) {
            quantizeBlocks(x, off, 0, blocks);
        } else {
            pool.forRange(blocks, Math.max(64, blocks / (pool.size() * 4)), (b0, b1) -> quantizeBlocks(x, off, b0, b1));
        }
    }

    private void ensure(int n, int cols) {
        this.cols = cols;
        this.tokens = n;
        int len = n * cols;
        if (q.length < len) q = new short[len];
        if (d.length < len / BLOCK) {
            d = new float[len / BLOCK];
            ds = new float[len / BLOCK];
        }
    }

    private void quantizeBlocks(float[] x, int off, int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            int base = b * BLOCK;
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(x[off + base + i]));
            float scale = amax / 127f;
            float inv = scale == 0 ? 0 : 1f / scale;
            int sum = 0;
            for (int i = 0; i < BLOCK; i++) {
                int v = Math.round(x[off + base + i] * inv); // |v| <= 127 since |x| <= amax
                q[base + i] = (short) v;
                sum += v;
            }
            d[b] = scale;
            ds[b] = scale * sum;
        }
    }
}
