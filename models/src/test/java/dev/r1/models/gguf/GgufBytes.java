package dev.r1.models.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The test's own GGUF encoder, written from the format description independently of
 * {@link GgufWriter}: raw little-endian bytes, appended by hand, so tests can build valid and
 * deliberately broken files byte by byte.
 */
final class GgufBytes {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    GgufBytes raw(byte... b) { out.writeBytes(b); return this; }
    GgufBytes u8(int v) { out.write(v & 0xFF); return this; }
    GgufBytes u16(int v) { return u8(v).u8(v >> 8); }
    GgufBytes u32(long v) { return u16((int) v).u16((int) (v >> 16)); }
    GgufBytes u64(long v) { return u32(v).u32(v >>> 32); }
    GgufBytes f32(float v) { return u32(Float.floatToRawIntBits(v)); }
    GgufBytes f64(double v) { return u64(Double.doubleToRawLongBits(v)); }

    GgufBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.writeBytes(b);
        return this;
    }

    GgufBytes header(int version, long tensors, long kvs) {
        return raw((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F').u32(version).u64(tensors).u64(kvs);
    }

    /** Key and type tag; the caller appends the value. */
    GgufBytes key(String key, int type) { return str(key).u32(type); }

    GgufBytes tensorInfo(String name, int type, long offset, long... dims) {
        str(name).u32(dims.length);
        for (long d : dims) u64(d);
        return u32(type).u64(offset);
    }

    GgufBytes padTo(int alignment) {
        while (out.size() % alignment != 0) out.write(0);
        return this;
    }

    int size() { return out.size(); }

    byte[] bytes() { return out.toByteArray(); }
}
