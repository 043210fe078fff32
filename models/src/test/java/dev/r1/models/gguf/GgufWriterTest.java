package dev.r1.models.gguf;

import dev.r1.models.ModelException;
import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class GgufWriterTest {
    @TempDir Path dir;

    static Map<String, GgufValue> everyType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.string("qwen2"));
        m.put("u8", GgufValue.uint8(255));
        m.put("i8", GgufValue.int8(-128));
        m.put("u16", GgufValue.uint16(65535));
        m.put("i16", GgufValue.int16(-32768));
        m.put("u32", GgufValue.uint32(0xFFFF_FFFFL));
        m.put("i32", GgufValue.int32(Integer.MIN_VALUE));
        m.put("u64", GgufValue.uint64(-2L));
        m.put("i64", GgufValue.int64(Long.MIN_VALUE));
        m.put("f32", GgufValue.float32(Float.NaN));
        m.put("f64", GgufValue.float64(-0.0));
        m.put("bool", GgufValue.bool(false));
        m.put("empty", GgufValue.string(""));
        m.put("unicode", GgufValue.string("<｜Assistant｜><think>\n中文 🚀"));
        m.put("a.u8", GgufValue.array(GgufArray.of(GgufValueType.UINT8, new int[] {0, 1, 255})));
        m.put("a.i8", GgufValue.array(GgufArray.of(GgufValueType.INT8, new int[] {-128, 127})));
        m.put("a.u16", GgufValue.array(GgufArray.of(GgufValueType.UINT16, new int[] {65535})));
        m.put("a.i16", GgufValue.array(GgufArray.of(GgufValueType.INT16, new int[] {-1, 2})));
        m.put("a.u32", GgufValue.array(GgufArray.of(GgufValueType.UINT32, new long[] {0xFFFF_FFFFL, 3})));
        m.put("a.i32", GgufValue.array(GgufArray.ofInt32(1, -2, 3)));
        m.put("a.u64", GgufValue.array(GgufArray.of(GgufValueType.UINT64, new long[] {-1L})));
        m.put("a.i64", GgufValue.array(GgufArray.of(GgufValueType.INT64, new long[] {Long.MAX_VALUE, 0})));
        m.put("a.f32", GgufValue.array(GgufArray.ofFloat32(1.5f, -0f, Float.MIN_VALUE)));
        m.put("a.f64", GgufValue.array(GgufArray.of(GgufValueType.FLOAT64, new double[] {1e300, -1e-300})));
        m.put("a.bool", GgufValue.array(GgufArray.of(GgufValueType.BOOL, new boolean[] {true, false, true})));
        m.put("a.str", GgufValue.array(GgufArray.ofStrings("Ġthe", "", "<think>")));
        m.put("a.empty", GgufValue.array(GgufArray.ofStrings()));
        m.put("a.nested", GgufValue.array(GgufArray.ofArrays(GgufArray.ofInt32(7),
                GgufArray.ofArrays(GgufArray.ofStrings("deep")), GgufArray.ofFloat32())));
        return m;
    }

    private static byte[] randomBytes(long n, long seed) {
        byte[] b = new byte[(int) n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8, 32, 64, 4096})
    void roundTripsEveryValueTypeAndAlignment(int alignment) throws IOException {
        Path out = dir.resolve("rt.gguf");
        Map<String, GgufValue> meta = everyType();
        if (alignment > 0) meta.put("general.alignment", GgufValue.uint32(alignment));
        byte[] a = randomBytes(GgmlType.Q4_K.byteSize(512), 1);
        byte[] b = randomBytes(GgmlType.F16.byteSize(7), 2);
        byte[] c = randomBytes(GgmlType.Q6_K.byteSize(256 * 3), 3);
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putAll(meta);
            w.addTensor("blk.0.ffn_up.weight", GgmlType.Q4_K, 256, 2);
            w.addTensor("odd", GgmlType.F16, 7);
            w.addTensor("x".repeat(63), GgmlType.Q6_K, 256, 1, 3, 1);
            w.writeTensorData("blk.0.ffn_up.weight", ByteBuffer.wrap(a));
            w.writeTensorData("odd", MemorySegment.ofArray(b));
            w.writeTensorData("x".repeat(63), ch -> {
                ch.write(ByteBuffer.wrap(c, 0, 100));
                ch.write(ByteBuffer.wrap(c, 100, c.length - 100));
            });
            assertEquals(out.toAbsolutePath(), w.commit());
        }
        int align = alignment == 0 ? 32 : alignment;
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(3, f.version());
            assertEquals(align, f.alignment());
            assertEquals(meta, f.metadata());
            assertEquals(0, f.dataStart() % align);
            assertArrayEquals(a, f.data("blk.0.ffn_up.weight").toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertArrayEquals(b, f.data("odd").toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertArrayEquals(c, f.data("x".repeat(63)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertArrayEquals(new long[] {256, 1, 3, 1}, f.tensor("x".repeat(63)).dims());
            long expectedOffset = 0;
            for (GgufTensor t : f.tensors()) {
                assertEquals(expectedOffset, t.dataOffset(), t.name());
                expectedOffset += (t.byteSize() + align - 1) / align * align;
            }
            // Every tensor's data is padded, like ggml's writer: the file ends on the alignment.
            assertEquals(f.dataStart() + expectedOffset, f.fileSize());
        }
    }

    /** The writer's bytes equal those of the test's own hand encoder for the same content. */
    @Test
    void bytesMatchIndependentEncoder() throws IOException {
        Path out = dir.resolve("same.gguf");
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putString("general.architecture", "llama").putUInt32("llama.block_count", 2).putFloat32("f", 0.25f)
                    .putStringArray("tokens", "a", "bc").putBoolean("t", true).putInt32("i", -3).putUInt64("u", 9);
            w.addTensor("w", GgmlType.F32, 3, 1);
            w.addTensor("v", GgmlType.Q8_0, 32);
            w.writeTensorData("w", ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).flip());
            w.writeTensorData("v", ByteBuffer.wrap(new byte[34]));
            w.commit();
        }
        GgufBytes e = new GgufBytes().header(3, 2, 7);
        e.key("general.architecture", 8).str("llama").key("llama.block_count", 4).u32(2).key("f", 6).f32(0.25f)
                .key("tokens", 9).u32(8).u64(2).str("a").str("bc").key("t", 7).u8(1).key("i", 5).u32(-3).key("u", 10).u64(9);
        e.tensorInfo("w", 0, 0, 3, 1).tensorInfo("v", 8, 32, 32).padTo(32);
        e.f32(1).f32(2).f32(3).padTo(32).raw(new byte[34]).padTo(32);
        assertArrayEquals(e.bytes(), Files.readAllBytes(out));
    }

    @Test
    void refusesToOverwriteUnlessAsked() throws IOException {
        Path out = dir.resolve("exists.gguf");
        Files.writeString(out, "keep me");
        ModelException e = assertThrows(ModelException.class, () -> GgufWriter.create(out));
        assertTrue(e.getMessage().contains("refusing to overwrite"), e.getMessage());
        assertEquals("keep me", Files.readString(out));
        // The target appearing between create and commit is caught too.
        Path later = dir.resolve("later.gguf");
        try (GgufWriter w = GgufWriter.create(later)) {
            Files.writeString(later, "raced");
            assertThrows(ModelException.class, w::commit);
        }
        assertEquals("raced", Files.readString(later));
        try (GgufWriter w = GgufWriter.create(out, true)) {
            w.putString("k", "v");
            w.commit();
        }
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("v", f.getString("k"));
        }
        assertNoTempFiles();
    }

    @Test
    void failedOrAbandonedWritesLeaveNothing() throws IOException {
        Path out = dir.resolve("fail.gguf");
        try (GgufWriter w = GgufWriter.create(out)) {
            w.addTensor("t", GgmlType.F32, 4);
            assertThrows(ModelException.class, () -> w.writeTensorData("t", ch -> { throw new IOException("disk full"); }));
            assertThrows(IllegalStateException.class, w::commit);
        }
        try (GgufWriter w = GgufWriter.create(out)) {
            w.addTensor("t", GgmlType.F32, 4);
            w.addTensor("u", GgmlType.F32, 4);
            w.writeTensorData("t", ByteBuffer.allocate(16));
            assertThrows(IllegalStateException.class, w::commit); // 'u' never written
        }
        try (GgufWriter w = GgufWriter.create(out)) {
            w.addTensor("t", GgmlType.F32, 4);
            // never committed: abandoned
        }
        assertFalse(Files.exists(out));
        assertNoTempFiles();
    }

    @Test
    void misuseIsRejected() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("m.gguf"))) {
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("x".repeat(64), GgmlType.F32, 1));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("é".repeat(32), GgmlType.F32, 1)); // 64 bytes
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GgmlType.Q4_0, 33));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("d", GgmlType.F32, 1, 1, 1, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> w.putUInt32("general.alignment", 24));
            assertThrows(IllegalArgumentException.class, () -> w.putInt32("general.alignment", 32));
            assertThrows(IllegalArgumentException.class, () -> GgufValue.uint8(256));
            assertThrows(IllegalArgumentException.class, () -> GgufArray.of(GgufValueType.INT8, new int[] {200}));
            assertThrows(IllegalArgumentException.class, () -> GgufArray.of(GgufValueType.FLOAT32, new double[1]));
            w.addTensor("a", GgmlType.F32, 2).addTensor("b", GgmlType.F32, 2);
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("a", GgmlType.F32, 2));
            assertThrows(IllegalStateException.class, () -> w.writeTensorData("b", ByteBuffer.allocate(8)));
        }
        try (GgufWriter w = GgufWriter.create(dir.resolve("m2.gguf"))) {
            w.addTensor("a", GgmlType.F32, 2);
            assertThrows(IllegalArgumentException.class, () -> w.writeTensorData("a", ByteBuffer.allocate(7)));
        }
        try (GgufWriter w = GgufWriter.create(dir.resolve("m3.gguf"))) {
            w.addTensor("a", GgmlType.F32, 2);
            assertThrows(IllegalStateException.class, () -> w.writeTensorData("a", ch -> ch.write(ByteBuffer.allocate(9))));
        }
        try (GgufWriter w = GgufWriter.create(dir.resolve("m4.gguf"))) {
            w.addTensor("a", GgmlType.F32, 1);
            w.writeTensorData("a", ByteBuffer.allocate(4));
            assertThrows(IllegalStateException.class, () -> w.putString("late", "x"));
            assertEquals(1, w.tensorInfos().size());
            w.commit();
        }
        assertNoTempFiles();
    }

    private void assertNoTempFiles() throws IOException {
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temp file left behind");
        }
    }
}
