package dev.r1.models.gguf;

import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each GGUF cap of {@link Limits}: a file exactly at the cap opens, one past it is refused by name. */
class GgufLimitsTest {
    private static final int U8 = 0, STRING = 8, ARRAY = 9, UINT32 = 4, F32 = 0;

    private static GgufFile parse(byte[] b) {
        return GgufFile.parse(Path.of("limits.gguf"), MemorySegment.ofArray(b));
    }

    private static void refused(byte[] b, String... words) {
        ModelException e = assertThrows(ModelException.class, () -> parse(b));
        for (String w : words) assertTrue(e.getMessage().contains(w), e.getMessage());
    }

    /** One metadata string value of {@code len} bytes, written straight into an array (no stream copies). */
    private static byte[] oneString(long len, int count) {
        byte[] head = new GgufBytes().header(3, 0, count).bytes();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(head.length + count * (8 + 2 + 4 + 8 + len)))
                .order(ByteOrder.LITTLE_ENDIAN).put(head);
        for (int i = 0; i < count; i++) {
            b.putLong(2).put((byte) 'k').put((byte) ('a' + i)).putInt(STRING).putLong(len);
            b.position(b.position() + (int) len); // zero bytes: NUL characters are valid UTF-8
        }
        return b.array();
    }

    @Test
    void stringLength() {
        assertEquals(1, parse(oneString(Limits.GGUF_STRING_BYTES, 1)).metadata().size());
        refused(oneString(Limits.GGUF_STRING_BYTES + 1, 1), "string length", "exceeds the limit");
    }

    @Test
    void metadataBytes() {
        // Eight strings of the largest size fill the total exactly (keys count too: 2 bytes each).
        long each = Limits.GGUF_STRING_BYTES;
        int n = (int) (Limits.GGUF_METADATA_BYTES / each);
        byte[] atCap = oneString(each - 2, n);
        assertEquals(n, parse(atCap).metadata().size());
        byte[] past = oneString(each - 1, n);
        refused(past, "metadata strings exceed the limit");
    }

    private static byte[] entries(long n) {
        GgufBytes g = new GgufBytes().header(3, 0, n);
        for (long i = 0; i < n; i++) g.key(Long.toString(i, 36), U8).u8(1);
        return g.bytes();
    }

    @Test
    void metadataEntries() {
        assertEquals(Limits.GGUF_METADATA_ENTRIES, parse(entries(Limits.GGUF_METADATA_ENTRIES)).metadata().size());
        refused(entries(Limits.GGUF_METADATA_ENTRIES + 1), "metadata_kv_count", "limit");
    }

    private static byte[] u8Array(long n) {
        byte[] head = new GgufBytes().header(3, 0, 1).key("a", ARRAY).u32(U8).u64(n).bytes();
        return java.util.Arrays.copyOf(head, Math.toIntExact(head.length + n));
    }

    @Test
    void arrayElements() {
        assertEquals(Limits.GGUF_ARRAY_ELEMENTS, parse(u8Array(Limits.GGUF_ARRAY_ELEMENTS)).getArray("a").size());
        refused(u8Array(Limits.GGUF_ARRAY_ELEMENTS + 1), "exceeds the limit", "array elements");
    }

    private static byte[] nested(int depth) {
        GgufBytes g = new GgufBytes().header(3, 0, 1).key("a", ARRAY);
        for (int d = 1; d < depth; d++) g.u32(ARRAY).u64(1);
        return g.u32(U8).u64(1).u8(5).bytes();
    }

    @Test
    void arrayDepth() {
        assertEquals(1, parse(nested(Limits.GGUF_ARRAY_DEPTH)).getArray("a").size());
        refused(nested(Limits.GGUF_ARRAY_DEPTH + 1), "nested deeper than " + Limits.GGUF_ARRAY_DEPTH);
    }

    private static byte[] tensors(long n) {
        GgufBytes g = new GgufBytes().header(3, n, 0);
        for (long i = 0; i < n; i++) g.tensorInfo(Long.toString(i, 36), F32, 0, 0);
        return g.padTo(32).bytes();
    }

    @Test
    void tensorCount() {
        assertEquals(Limits.GGUF_TENSORS, parse(tensors(Limits.GGUF_TENSORS)).tensors().size());
        refused(tensors(Limits.GGUF_TENSORS + 1), "tensor_count", "limit");
    }

    private static byte[] oneTensor(String name, long... dims) {
        return new GgufBytes().header(3, 1, 0).tensorInfo(name, F32, 0, dims).padTo(32).raw(new byte[4]).bytes();
    }

    @Test
    void dimsAndNameLength() {
        assertEquals(4, parse(oneTensor("t", 1, 1, 1, 1)).tensors().getFirst().nDims());
        refused(oneTensor("t", 1, 1, 1, 1, 1), "n_dims must be 1..4");
        String name = "n".repeat(Limits.TENSOR_NAME_BYTES);
        assertEquals(name, parse(oneTensor(name, 1)).tensors().getFirst().name().replace("\0", ""));
        refused(oneTensor(name + "n", 1), "longer than 63 bytes");
    }

    private static byte[] aligned(long alignment) {
        return new GgufBytes().header(3, 0, 1).key("general.alignment", UINT32).u32(alignment).bytes();
    }

    @Test
    void alignment() {
        assertEquals(Limits.GGUF_ALIGNMENT, parse(aligned(Limits.GGUF_ALIGNMENT)).alignment());
        refused(aligned(Limits.GGUF_ALIGNMENT * 2), "general.alignment", "power of two");
    }
}
