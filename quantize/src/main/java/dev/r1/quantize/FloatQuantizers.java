package dev.r1.quantize;

/** The unquantized targets: F32 (copy), F16 and BF16 (ggml's round-to-nearest-even conversions). */
public final class FloatQuantizers {
    private FloatQuantizers() {}

    public static final RowQuantizer F32 = new Base(0, "F32", 4) {
        @Override public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
            for (int i = 0; i < n; i++) {
                int v = Float.floatToRawIntBits(x[off + i]);
                int p = yOff + 4 * i;
                y[p] = (byte) v;
                y[p + 1] = (byte) (v >> 8);
                y[p + 2] = (byte) (v >> 16);
                y[p + 3] = (byte) (v >> 24);
            }
        }
    };

    public static final RowQuantizer F16 = new Base(1, "F16", 2) {
        @Override public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
            for (int i = 0; i < n; i++) Bits.putShortLE(y, yOff + 2 * i, Bits.fp16(x[off + i]));
        }
    };

    public static final RowQuantizer BF16 = new Base(30, "BF16", 2) {
        @Override public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
            for (int i = 0; i < n; i++) Bits.putShortLE(y, yOff + 2 * i, Bits.bf16(x[off + i]));
        }
    };

    private abstract static class Base implements RowQuantizer {
        private final int id, size;
        private final String name;

        Base(int id, String name, int size) {
            this.id = id;
            this.name = name;
            this.size = size;
        }

        @Override public int ggmlTypeId() { return id; }
        @Override public String typeName() { return name; }
        @Override public int blockSize() { return 1; }
        @Override public int typeSize() { return size; }
        @Override public String toString() { return name; }
    }
}
