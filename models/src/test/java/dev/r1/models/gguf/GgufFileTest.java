package dev.r1.models.gguf;

import dev.r1.models.ModelException;
import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GgufFileTest {
    @TempDir Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** Every metadata type, a nested array, and three tensors with known contents. */
    static GgufBytes sample(int version) {
        GgufBytes b = new GgufBytes().header(version, 3, 16);
        b.key("u8", 0).u8(200);
        b.key("i8", 1).u8(-5);
        b.key("u16", 2).u16(60000);
        b.key("i16", 3).u16(-1234);
        b.key("u32", 4).u32(4_000_000_000L);
        b.key("i32", 5).u32(-7);
        b.key("f32", 6).f32(1e-6f);
        b.key("bool", 7).u8(1);
        b.key("str", 8).str("héllo ✓");
        b.key("u64", 10).u64(-1L);
        b.key("i64", 11).u64(-9_000_000_000L);
        b.key("f64", 12).f64(Math.PI);
        b.key("tokens", 9).u32(8).u64(3).str("a").str("").str("<｜User｜>");
        b.key("floats", 9).u32(6).u64(2).f32(0.5f).f32(-2f);
        b.key("u8s", 9).u32(0).u64(3).u8(0).u8(128).u8(255);
        b.key("nested", 9).u32(9).u64(2)
                .u32(5).u64(2).u32(1).u32(-2)          // [1, -2] int32
                .u32(8).u64(1).str("x");               // ["x"]
        // tensors: F32 [4,2], Q4_0 [64], Q8_0 [32,2]
        b.tensorInfo("a.weight", 0, 0, 4, 2);
        b.tensorInfo("b.weight", 2, 32, 64);
        b.tensorInfo("c.weight", 8, 96, 32, 2);
        b.padTo(32);
        for (int i = 0; i < 8; i++) b.f32(i * 0.25f);            // 32 bytes
        for (int blk = 0; blk < 2; blk++) {                      // 36 bytes, padded to 64
            b.u16(Float.floatToFloat16(2f));
            for (int j = 0; j < 16; j++) b.u8(0x9F);
        }
        b.padTo(32);
        for (int blk = 0; blk < 2; blk++) {                      // 68 bytes
            b.u16(Float.floatToFloat16(0.5f));
            for (int j = 0; j < 32; j++) b.u8(j - 16);
        }
        return b.padTo(32);
    }

    @Test
    void readsEveryValueTypeAndTensor() throws IOException {
        for (int version : new int[] {2, 3}) {
            Path p = write("s" + version + ".gguf", sample(version).bytes());
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(version, f.version());
                assertEquals(32, f.alignment());
                assertEquals(GgufValue.uint8(200), f.get("u8"));
                assertEquals(GgufValue.int8(-5), f.get("i8"));
                assertEquals(GgufValue.uint16(60000), f.get("u16"));
                assertEquals(GgufValue.int16(-1234), f.get("i16"));
                assertEquals(GgufValue.uint32(4_000_000_000L), f.get("u32"));
                assertEquals(4_000_000_000L, f.getLong("u32"));
                assertEquals(-7, f.getInt("i32"));
                assertEquals(1e-6f, f.getFloat("f32"));
                assertTrue(f.getBoolean("bool"));
                assertEquals("héllo ✓", f.getString("str"));
                assertEquals(GgufValue.uint64(-1L), f.get("u64"));
                assertEquals(-9_000_000_000L, f.getLong("i64"));
                assertEquals((float) Math.PI, f.getFloat("f64"));
                assertArrayEquals(new String[] {"a", "", "<｜User｜>"}, f.getStringArray("tokens"));
                assertArrayEquals(new float[] {0.5f, -2f}, f.getFloatArray("floats"));
                assertArrayEquals(new int[] {0, 128, 255}, f.getIntArray("u8s"));
                GgufArray[] nested = f.getArray("nested").asArrays();
                assertEquals(GgufArray.ofInt32(1, -2), nested[0]);
                assertEquals(GgufArray.ofStrings("x"), nested[1]);
                assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "u64", "i64",
                        "f64", "tokens", "floats", "u8s", "nested"), List.copyOf(f.metadata().keySet()));

                assertEquals(3, f.tensors().size());
                GgufTensor a = f.tensor("a.weight");
                assertEquals(GgmlType.F32, a.type());
                assertArrayEquals(new long[] {4, 2}, a.dims());
                assertEquals(32, a.byteSize());
                float[] av = GgmlType.F32.dequantize(f.data(a));
                for (int i = 0; i < 8; i++) assertEquals(i * 0.25f, av[i]);
                float[] bv = GgmlType.Q4_0.dequantize(f.data("b.weight"));
                assertEquals(14f, bv[0]);      // (15 - 8) * 2
                assertEquals(2f, bv[16]);      // (9 - 8) * 2
                GgufTensor c = f.tensor("c.weight");
                assertEquals(96, c.dataOffset());
                assertEquals(68, c.byteSize());
                float[] cv = GgmlType.Q8_0.dequantize(f.data(c));
                assertEquals(-8f, cv[0]);
                assertEquals(7.5f, cv[63]);
                assertTrue(f.data(c).isReadOnly());
                assertEquals(f.dataStart() + 96, f.data(c).address() - f.segment().address());
            }
        }
    }

    @Test
    void accessorErrorsNameFileKeyAndTypes() throws IOException {
        Path p = write("acc.gguf", sample(3).bytes());
        try (GgufFile f = GgufFile.open(p)) {
            ModelException e = assertThrows(ModelException.class, () -> f.getString("qwen2.block_count"));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("qwen2.block_count"), e.getMessage());
            e = assertThrows(ModelException.class, () -> f.getString("u32"));
            assertTrue(e.getMessage().contains("expected STRING, found UINT32"), e.getMessage());
            e = assertThrows(ModelException.class, () -> f.getInt("u32"));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
            e = assertThrows(ModelException.class, () -> f.getLong("u64"));
            assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
            assertThrows(ModelException.class, () -> f.getStringArray("floats"));
            assertThrows(ModelException.class, () -> f.getIntArray("tokens"));
            assertThrows(ModelException.class, () -> f.tensor("nope"));
            assertTrue(f.optInt("missing").isEmpty());
            assertEquals(-7, f.optInt("i32").getAsInt());
            assertEquals(4.0f, f.getFloat("u8") / 50);
        }
    }

    @Test
    void honoursGeneralAlignment() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 2, 1);
        b.key("general.alignment", 4).u32(64);
        b.tensorInfo("x", 0, 0, 3).tensorInfo("y", 1, 64, 2);
        b.padTo(64).f32(1).f32(2).f32(3).padTo(64).u16(Float.floatToFloat16(-1)).u16(Float.floatToFloat16(4));
        Path p = write("al.gguf", b.bytes());
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataStart() % 64);
            assertArrayEquals(new float[] {-1, 4}, GgmlType.F16.dequantize(f.data("y")));
        }
    }

    @Test
    void closedFileSegmentsAreInvalid() throws IOException {
        Path p = write("c.gguf", sample(3).bytes());
        GgufFile f = GgufFile.open(p);
        MemorySegment s = f.data("a.weight");
        f.close();
        f.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void missingFileAndDirectory() {
        ModelException e = assertThrows(ModelException.class, () -> GgufFile.open(dir.resolve("none.gguf")));
        assertTrue(e.getMessage().contains("none.gguf") && e.getMessage().contains("not found"), e.getMessage());
        assertThrows(ModelException.class, () -> GgufFile.open(dir));
    }
}
