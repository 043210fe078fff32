package dev.r1.models.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Little-endian serialization of GGUF header pieces (metadata values, strings, tensor infos). */
final class GgufEncoder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);

    int size() { return out.size(); }

    byte[] toByteArray() { return out.toByteArray(); }

    void u8(int v) { out.write(v); }

    void u16(int v) { out.write(v); out.write(v >>> 8); }

    void u32(long v) { for (int i = 0; i < 4; i++) out.write((int) (v >>> (8 * i))); }

    void u64(long v) { for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i))); }

    void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.writeBytes(b);
    }

    /** A value's payload (without its type tag). */
    void value(GgufValue v) {
        switch (v.type()) {
            case UINT8, INT8 -> u8((Integer) v.value());
            case UINT16, INT16 -> u16((Integer) v.value());
            case INT32 -> u32((Integer) v.value());
            case UINT32, UINT64, INT64 -> {
                if (v.type() == GgufValueType.UINT32) u32((Long) v.value()); else u64((Long) v.value());
            }
            case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v.value()));
            case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v.value()));
            case BOOL -> u8((Boolean) v.value() ? 1 : 0);
            case STRING -> string((String) v.value());
            case ARRAY -> array((GgufArray) v.value());
        }
    }

    void array(GgufArray a) {
        u32(a.elementType().id());
        int n = a.size();
        u64(n);
        Object raw = a.rawValues();
        switch (raw) {
            case int[] ints -> {
                for (int x : ints) {
                    switch (a.elementType().fixedSize()) {
                        case 1 -> u8(x);
                        case 2 -> u16(x);
                        default -> u32(x);
                    }
                }
            }
            case long[] longs -> {
                for (long x : longs) if (a.elementType() == GgufValueType.UINT32) u32(x); else u64(x);
            }
            case float[] fs -> { for (float x : fs) u32(Float.floatToRawIntBits(x)); }
            case double[] ds -> { for (double x : ds) u64(Double.doubleToRawLongBits(x)); }
            case boolean[] bs -> { for (boolean x : bs) u8(x ? 1 : 0); }
            case String[] ss -> { for (String x : ss) string(x); }
            case GgufArray[] as -> { for (GgufArray x : as) array(x); }
            default -> throw new IllegalStateException("unexpected array storage " + raw.getClass());
        }
    }
}
