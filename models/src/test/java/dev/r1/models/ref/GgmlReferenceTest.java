package dev.r1.models.ref;

import dev.r1.models.gguf.GgufArray;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.gguf.GgufValueType;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Our dequantization and GGUF files against ggml's C code. */
class GgmlReferenceTest {
    @TempDir Path dir;

    /** Every type id of the pinned ggml has our block size, bytes per block and name; removed ids are refused. */
    @Test
    void everyGgmlTypeIdHasGgmlsSizes() throws Throwable {
        MethodHandle blck = NativeGgml.fn("ggml_blck_size", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        MethodHandle size = NativeGgml.fn("ggml_type_size", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        MethodHandle name = NativeGgml.fn("ggml_type_name", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        int count = 0;
        for (int id = 0; id < 64; id++) {
            long b = id < 43 ? (long) blck.invokeExact(id) : 0; // GGML_TYPE_COUNT = 43 in the pinned header
            if (b == 0) {
                int i = id;
                assertThrows(dev.r1.models.ModelException.class, () -> GgmlType.fromId(i), "id " + id);
                continue;
            }
            GgmlType t = GgmlType.fromId(id);
            assertEquals(b, t.blockSize(), t.name());
            assertEquals((long) size.invokeExact(id), t.typeSize(), t.name());
            assertEquals(NativeGgml.cString((MemorySegment) name.invokeExact(id)).toUpperCase(java.util.Locale.ROOT), t.name());
            count++;
        }
        assertEquals(GgmlType.values().length, count);
    }

    /** ggml's f16 field offsets within a block of each type r1 decodes (for random, then non-finite, scales). */
    static final Object[][] DECODED = {{GgmlType.Q4_0, "q4_0", 0}, {GgmlType.Q8_0, "q8_0", 0}, {GgmlType.Q4_K, "q4_K", 0, 2},
            {GgmlType.Q6_K, "q6_K", 208}, {GgmlType.Q4_1, "q4_1", 0, 2}, {GgmlType.Q5_0, "q5_0", 0},
            {GgmlType.Q5_1, "q5_1", 0, 2}, {GgmlType.Q2_K, "q2_K", 80, 82}, {GgmlType.Q3_K, "q3_K", 108},
            {GgmlType.Q5_K, "q5_K", 0, 2}, {GgmlType.IQ4_NL, "iq4_nl", 0}, {GgmlType.IQ4_XS, "iq4_xs", 0}};

    /** Random blocks (with finite f16 scales) dequantized by ggml and by us must agree bit for bit. */
    @Test
    void dequantizationIsBitExactWithGgml() throws Throwable {
        Random rnd = new Random(2026);
        for (Object[] c : DECODED) {
            compareWithGgml(c, rnd, h -> (short) (h & ~(1 << 14)), false); // random exponent < 31: finite
            compareWithGgml(c, rnd, h -> h, false);                         // any f16, subnormal to huge
        }
    }

    /** Infinite and NaN scales pass through as in ggml (it does not refuse them either): same NaN/inf positions. */
    @Test
    void nonFiniteScalesDecodeAsGgmlDoes() throws Throwable {
        Random rnd = new Random(7);
        short[] special = {0x7C00, (short) 0xFC00, 0x7E00, 0x7C01, (short) 0xFE00, 0, (short) 0x8000};
        for (Object[] c : DECODED) {
            compareWithGgml(c, rnd, h -> special[Math.floorMod(h, special.length)], true);
        }
    }

    private static void compareWithGgml(Object[] c, Random rnd, java.util.function.IntUnaryOperator f16, boolean nanAsClass)
            throws Throwable {
        GgmlType type = (GgmlType) c[0];
        assertTrue(type.canDequantize(), type.name());
        MethodHandle ref = NativeGgml.dequantizeRow((String) c[1]);
        int blocks = 64, n = blocks * type.blockSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate((long) blocks * type.typeSize());
            for (long i = 0; i < src.byteSize(); i++) src.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
            for (int b = 0; b < blocks; b++) {
                for (int k = 2; k < c.length; k++) {
                    long at = (long) b * type.typeSize() + (Integer) c[k];
                    src.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) f16.applyAsInt(rnd.nextInt(1 << 16)));
                }
            }
            MemorySegment dst = arena.allocate(4L * n);
            ref.invokeExact(src, dst, (long) n);
            float[] expected = dst.toArray(ValueLayout.JAVA_FLOAT);
            float[] actual = new float[n];
            type.dequantize(src, 0, actual, 0, n);
            for (int i = 0; i < n; i++) {
                // NaN payloads are the hardware's business (both sides multiply NaN by the same operands)
                boolean same = Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i])
                        || nanAsClass && Float.isNaN(expected[i]) && Float.isNaN(actual[i]);
                if (!same) fail(type + " element " + i + ": ggml " + expected[i] + ", r1 " + actual[i]);
            }
        }
    }

    /** ggml's gguf reader accepts what GgufWriter writes and sees the same keys, types, offsets. */
    @Test
    void ggmlReadsOurGguf() throws Throwable {
        Path p = dir.resolve("ours.gguf");
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.string("qwen2"));
        meta.put("general.alignment", GgufValue.uint32(64));
        meta.put("qwen2.block_count", GgufValue.uint32(2));
        meta.put("qwen2.rope.freq_base", GgufValue.float32(1e6f));
        meta.put("i8", GgufValue.int8(-3));
        meta.put("u16", GgufValue.uint16(9));
        meta.put("i64", GgufValue.int64(-5));
        meta.put("f64", GgufValue.float64(2.5));
        meta.put("b", GgufValue.bool(true));
        meta.put("tokenizer.ggml.tokens", GgufValue.array(GgufArray.ofStrings("<s>", "Ġthe", "中")));
        meta.put("tokenizer.ggml.token_type", GgufValue.array(GgufArray.ofInt32(3, 1, 1)));
        meta.put("scores", GgufValue.array(GgufArray.ofFloat32(0f, -1f, -2f)));
        meta.put("flags", GgufValue.array(GgufArray.of(GgufValueType.BOOL, new boolean[] {true, false})));
        try (GgufWriter w = GgufWriter.create(p)) {
            w.putAll(meta);
            w.addTensor("token_embd.weight", GgmlType.Q4_K, 256, 3);
            w.addTensor("output_norm.weight", GgmlType.F32, 5);
            w.addTensor("blk.0.attn_q.weight", GgmlType.Q6_K, 512, 2, 1);
            w.addTensor("x", GgmlType.BF16, 3);
            w.writeTensorData("token_embd.weight", ByteBuffer.allocate((int) GgmlType.Q4_K.byteSize(768)));
            w.writeTensorData("output_norm.weight", ByteBuffer.allocate(20));
            w.writeTensorData("blk.0.attn_q.weight", ByteBuffer.allocate((int) GgmlType.Q6_K.byteSize(1024)));
            w.writeTensorData("x", ByteBuffer.allocate(6));
            w.commit();
        }
        MethodHandle init = NativeGgml.ggufInit();
        MethodHandle free = NativeGgml.ggufFree();
        try (Arena arena = Arena.ofConfined(); GgufFile ours = GgufFile.open(p)) {
            MemorySegment params = arena.allocate(NativeGgml.INIT_PARAMS);
            params.set(ValueLayout.JAVA_BOOLEAN, 0, true);
            MemorySegment ctx = (MemorySegment) init.invokeExact(arena.allocateFrom(p.toString()), params);
            assertNotEquals(MemorySegment.NULL, ctx, "ggml rejected our file (see its log on stderr)");
            try {
                assertEquals(3L, (long) NativeGgml.ctxLong("gguf_get_version").invokeExact(ctx) & 0xFFFFFFFFL);
                assertEquals(64L, (long) NativeGgml.ctxLong("gguf_get_alignment").invokeExact(ctx));
                assertEquals(ours.dataStart(), (long) NativeGgml.ctxLong("gguf_get_data_offset").invokeExact(ctx));
                long nKv = (long) NativeGgml.ctxLong("gguf_get_n_kv").invokeExact(ctx);
                assertEquals(meta.size(), nKv);
                int i = 0;
                for (Map.Entry<String, GgufValue> e : meta.entrySet()) {
                    MemorySegment key = (MemorySegment) NativeGgml.ctxIdPtr("gguf_get_key").invokeExact(ctx, (long) i);
                    assertEquals(e.getKey(), NativeGgml.cString(key));
                    int t = (int) NativeGgml.ctxIdInt("gguf_get_kv_type").invokeExact(ctx, (long) i);
                    assertEquals(e.getValue().type().id(), t, e.getKey());
                    if (e.getValue().value() instanceof GgufArray a) {
                        assertEquals(a.size(), (long) NativeGgml.ctxIdLong("gguf_get_arr_n").invokeExact(ctx, (long) i));
                        int et = (int) NativeGgml.ctxIdInt("gguf_get_arr_type").invokeExact(ctx, (long) i);
                        assertEquals(a.elementType().id(), et);
                    }
                    i++;
                }
                long nT = (long) NativeGgml.ctxLong("gguf_get_n_tensors").invokeExact(ctx);
                assertEquals(ours.tensors().size(), nT);
                for (int k = 0; k < nT; k++) {
                    GgufTensor t = ours.tensors().get(k);
                    MemorySegment name = (MemorySegment) NativeGgml.ctxIdPtr("gguf_get_tensor_name").invokeExact(ctx, (long) k);
                    assertEquals(t.name(), NativeGgml.cString(name));
                    assertEquals(t.type().id(), (int) NativeGgml.ctxIdInt("gguf_get_tensor_type").invokeExact(ctx, (long) k));
                    assertEquals(t.dataOffset(), (long) NativeGgml.ctxIdLong("gguf_get_tensor_offset").invokeExact(ctx, (long) k));
                    assertEquals(t.byteSize(), (long) NativeGgml.ctxIdLong("gguf_get_tensor_size").invokeExact(ctx, (long) k));
                }
            } finally {
                free.invokeExact(ctx);
            }
        }
    }

    /** A file written by ggml's own gguf writer reads back with every value, type and byte intact. */
    @Test
    void weReadGgmlsGguf() throws Throwable {
        Path p = dir.resolve("ggml.gguf");
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment g = (MemorySegment) NativeGgml.fn("gguf_init_empty",
                    FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
            Object[][] scalars = {{"u8", "u8", ValueLayout.JAVA_BYTE, (byte) 200}, {"i8", "i8", ValueLayout.JAVA_BYTE, (byte) -7},
                    {"u16", "u16", ValueLayout.JAVA_SHORT, (short) 65000}, {"i16", "i16", ValueLayout.JAVA_SHORT, (short) -300},
                    {"u32", "u32", ValueLayout.JAVA_INT, -1}, {"i32", "i32", ValueLayout.JAVA_INT, -123456},
                    {"f32", "f32", ValueLayout.JAVA_FLOAT, 1e-5f}, {"u64", "u64", ValueLayout.JAVA_LONG, 1L << 40},
                    {"i64", "i64", ValueLayout.JAVA_LONG, -(1L << 40)}, {"f64", "f64", ValueLayout.JAVA_DOUBLE, Math.E},
                    {"bool", "bool", ValueLayout.JAVA_BOOLEAN, true}};
            for (Object[] s : scalars) {
                FunctionDescriptor setFd = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, (MemoryLayout) s[2]);
                NativeGgml.fn("gguf_set_val_" + s[1], setFd).invoke(g, arena.allocateFrom((String) s[0]), s[3]);
            }
            NativeGgml.fn("gguf_set_val_str", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS))
                    .invokeExact(g, arena.allocateFrom("general.name"), arena.allocateFrom("ggml wrote me ✓"));
            String[] toks = {"<｜begin▁of▁sentence｜>", "", "Ġworld"};
            MemorySegment ptrs = arena.allocate(ValueLayout.ADDRESS, toks.length);
            for (int i = 0; i < toks.length; i++) ptrs.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(toks[i]));
            NativeGgml.fn("gguf_set_arr_str", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)).invokeExact(g, arena.allocateFrom("tokens"), ptrs, (long) toks.length);
            MethodHandle setArr = NativeGgml.fn("gguf_set_arr_data", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            setArr.invokeExact(g, arena.allocateFrom("ints"), 5, arena.allocateFrom(ValueLayout.JAVA_INT, 1, -2, 3), 3L);
            setArr.invokeExact(g, arena.allocateFrom("floats"), 6, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0.5f, -0.25f), 2L);

            // Tensors: metadata from a no_alloc ggml context, data pointers handed to the gguf context.
            MemoryLayout initParams = MemoryLayout.structLayout(ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_BOOLEAN, MemoryLayout.paddingLayout(7));
            MemorySegment ip = arena.allocate(initParams);
            ip.set(ValueLayout.JAVA_LONG, 0, 1 << 20);
            ip.set(ValueLayout.JAVA_BOOLEAN, 16, true);
            MemorySegment ctx = (MemorySegment) NativeGgml.fn("ggml_init", FunctionDescriptor.of(ValueLayout.ADDRESS, initParams)).invokeExact(ip);
            MethodHandle new2d = NativeGgml.fn("ggml_new_tensor_2d", FunctionDescriptor.of(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            MethodHandle setName = NativeGgml.fn("ggml_set_name", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle add = NativeGgml.fn("gguf_add_tensor", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle setData = NativeGgml.fn("gguf_set_tensor_data", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            Object[][] tensors = {{"a.weight", GgmlType.F32, 3L, 2L}, {"b.weight", GgmlType.Q8_0, 64L, 2L}, {"c", GgmlType.F16, 5L, 1L}};
            Map<String, byte[]> contents = new LinkedHashMap<>();
            for (Object[] t : tensors) {
                GgmlType type = (GgmlType) t[1];
                MemorySegment tensor = (MemorySegment) new2d.invokeExact(ctx, type.id(), (long) t[2], (long) t[3]);
                MemorySegment named = (MemorySegment) setName.invokeExact(tensor, arena.allocateFrom((String) t[0]));
                add.invokeExact(g, named);
                byte[] bytes = new byte[(int) type.byteSize((long) t[2] * (long) t[3])];
                rnd.nextBytes(bytes);
                contents.put((String) t[0], bytes);
                MemorySegment buf = arena.allocate(bytes.length);
                buf.copyFrom(MemorySegment.ofArray(bytes));
                setData.invokeExact(g, arena.allocateFrom((String) t[0]), buf);
            }
            boolean ok = (boolean) NativeGgml.fn("gguf_write_to_file", FunctionDescriptor.of(ValueLayout.JAVA_BOOLEAN,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_BOOLEAN)).invokeExact(g, arena.allocateFrom(p.toString()), false);
            assertTrue(ok, "ggml failed to write");
            NativeGgml.ggufFree().invokeExact(g);
            NativeGgml.fn("ggml_free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)).invokeExact(ctx);

            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(GgufValue.uint8(200), f.get("u8"));
                assertEquals(GgufValue.int8(-7), f.get("i8"));
                assertEquals(GgufValue.uint16(65000), f.get("u16"));
                assertEquals(GgufValue.int16(-300), f.get("i16"));
                assertEquals(GgufValue.uint32(0xFFFF_FFFFL), f.get("u32"));
                assertEquals(GgufValue.int32(-123456), f.get("i32"));
                assertEquals(GgufValue.float32(1e-5f), f.get("f32"));
                assertEquals(GgufValue.uint64(1L << 40), f.get("u64"));
                assertEquals(GgufValue.int64(-(1L << 40)), f.get("i64"));
                assertEquals(GgufValue.float64(Math.E), f.get("f64"));
                assertEquals(GgufValue.bool(true), f.get("bool"));
                assertEquals("ggml wrote me ✓", f.getString("general.name"));
                assertArrayEquals(toks, f.getStringArray("tokens"));
                assertEquals(GgufArray.ofInt32(1, -2, 3), f.getArray("ints"));
                assertArrayEquals(new float[] {0.5f, -0.25f}, f.getFloatArray("floats"));
                assertEquals(3, f.tensors().size());
                for (Object[] t : tensors) {
                    GgufTensor gt = f.tensor((String) t[0]);
                    assertEquals(t[1], gt.type());
                    assertEquals((long) t[2], gt.dim(0));
                    assertArrayEquals(contents.get((String) t[0]), f.data(gt).toArray(ValueLayout.JAVA_BYTE), gt.name());
                }
            }
        }
    }
}
