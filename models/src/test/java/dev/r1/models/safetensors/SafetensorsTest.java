package dev.r1.models.safetensors;

import dev.r1.models.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsTest {
    @TempDir Path dir;

    /** The test's own safetensors encoder: 8-byte LE length, JSON header, raw data. */
    static byte[] file(String headerJson, byte[] data) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static byte[] floatsLE(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    @Test
    void readsSingleFileOfEachDtype() throws IOException {
        byte[] f32 = floatsLE(1f, -2f, 3.5f, 0f, 7f, 8f);              // [2,3] F32: 24 bytes
        short[] halfs = {Float.floatToFloat16(0.5f), Float.floatToFloat16(-3f)};
        ByteBuffer data = ByteBuffer.allocate(24 + 4 + 4).order(ByteOrder.LITTLE_ENDIAN);
        data.put(f32).putShort(halfs[0]).putShort(halfs[1]);
        data.putShort((short) (Float.floatToIntBits(1.5f) >>> 16)).putShort((short) (Float.floatToIntBits(-256f) >>> 16));
        String header = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("model.embed_tokens.weight", "F32", "[2,3]", 0, 24) + ","
                + entry("h", "F16", "[2]", 24, 28) + "," + entry("b", "BF16", "[1,2]", 28, 32) + "}";
        Path p = write("model.safetensors", file(header, data.array()));
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            assertEquals(3, m.tensors().size());
            SafetensorsTensor t = m.tensor("model.embed_tokens.weight");
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertArrayEquals(new long[] {3, 2}, t.ggmlDims());
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 0f, 7f, 8f}, t.dtype().ggmlType().dequantize(m.data(t)));
            assertArrayEquals(new float[] {0.5f, -3f}, SafetensorsDtype.F16.ggmlType().dequantize(m.data("h")));
            assertArrayEquals(new float[] {1.5f, -256f}, SafetensorsDtype.BF16.ggmlType().dequantize(m.data("b")));
            assertEquals("pt", m.files().get(0).metadata().get("format"));
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("model.embed_tokens.weight", "h", "b"), f.tensors().stream().map(SafetensorsTensor::name).toList());
        }
    }

    @Test
    void readsShardedModel() throws IOException {
        Random rnd = new Random(5);
        float[] a = new float[6], b = new float[4];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat();
        for (int i = 0; i < b.length; i++) b[i] = rnd.nextFloat();
        write("model-00001-of-00002.safetensors", file("{" + entry("x.weight", "F32", "[3,2]", 0, 24) + "}", floatsLE(a)));
        write("model-00002-of-00002.safetensors", file("{" + entry("y.weight", "F32", "[4]", 0, 16) + "}", floatsLE(b)));
        Files.writeString(dir.resolve(SafetensorsModel.INDEX), """
                {"metadata": {"total_size": 40}, "weight_map": {"y.weight": "model-00002-of-00002.safetensors",
                 "x.weight": "model-00001-of-00002.safetensors"}}""");
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            assertEquals(2, m.files().size());
            assertArrayEquals(a, SafetensorsDtype.F32.ggmlType().dequantize(m.data("x.weight")));
            assertArrayEquals(b, SafetensorsDtype.F32.ggmlType().dequantize(m.data("y.weight")));
            assertEquals(List.of("x.weight", "y.weight"), m.tensors().stream().map(SafetensorsTensor::name).toList());
        }
        // The index must agree with the shards.
        write("two.safetensors", file("{" + entry("p", "F32", "[1]", 0, 4) + "," + entry("q", "F32", "[1]", 4, 8) + "}", new byte[8]));
        Files.writeString(dir.resolve("bad1.json"), "{\"weight_map\": {\"p\": \"two.safetensors\"}}");
        assertRejects(() -> SafetensorsModel.open(dir.resolve("bad1.json")), "bad1.json", "weight_map", "'q'", "does not list it");
        Files.writeString(dir.resolve("bad2.json"), "{\"weight_map\": {\"x.weight\": \"model-00002-of-00002.safetensors\","
                + " \"y.weight\": \"model-00002-of-00002.safetensors\"}}");
        assertRejects(() -> SafetensorsModel.open(dir.resolve("bad2.json")), "weight_map.x.weight", "no such tensor");
        Files.writeString(dir.resolve("bad3.json"), "{\"weight_map\": {\"x.weight\": \"../model-00001-of-00002.safetensors\"}}");
        assertRejects(() -> SafetensorsModel.open(dir.resolve("bad3.json")), "plain file name");
        Files.writeString(dir.resolve("bad4.json"), "{\"weight_map\": {\"x.weight\": \"missing.safetensors\"}}");
        assertRejects(() -> SafetensorsModel.open(dir.resolve("bad4.json")), "missing.safetensors", "not found");
        Files.writeString(dir.resolve("bad5.json"), "{\"weight_map\": {}}");
        assertRejects(() -> SafetensorsModel.open(dir.resolve("bad5.json")), "weight_map", "non-empty");
    }

    private static void assertRejects(org.junit.jupiter.api.function.Executable ex, String... fragments) {
        ModelException e = assertThrows(ModelException.class, ex);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
    }

    private int n;

    private void rejects(byte[] bytes, String... fragments) throws IOException {
        Path p = write("bad" + (n++) + ".safetensors", bytes);
        ModelException e = assertThrows(ModelException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
    }

    @Test
    void strictHeaderValidation() throws IOException {
        byte[] d8 = new byte[8];
        rejects(new byte[5], "header length", "too small");
        rejects(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array(), "header length", "does not fit");
        rejects(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array(), "header length");
        rejects(file("[1, 2]", d8), "header", "starting with '{'");
        rejects(file("{\"a\": ", d8), "header", "not valid JSON");
        rejects(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("a", "F32", "[2]", 0, 8) + "}", d8), "header", "Duplicate");
        rejects(file("{" + entry("a", "F64", "[1]", 0, 8) + "}", d8), "tensor 'a' dtype", "'F64' is not supported");
        rejects(file("{\"a\": 3}", d8), "tensor 'a'", "expected an object");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", d8), "unexpected field 'x'");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", d8), "tensor 'a' shape");
        rejects(file("{" + entry("a", "F32", "[-2]", 0, 8) + "}", d8), "tensor 'a' shape", "non-negative");
        rejects(file("{" + entry("a", "F32", "[2.5]", 0, 8) + "}", d8), "tensor 'a' shape");
        rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", d8), "tensor 'a' data_offsets");
        rejects(file("{" + entry("a", "F32", "[2]", 8, 0) + "}", d8), "data_offsets", "before begin");
        rejects(file("{" + entry("a", "F32", "[3]", 0, 8) + "}", d8), "tensor 'a'", "needs 12 bytes", "span 8");
        rejects(file("{" + entry("a", "F32", "[4611686018427387904, 4]", 0, 8) + "}", d8), "overflows");
        rejects(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", new byte[12]),
                "tensor 'b' data_offsets", "overlaps");
        rejects(file("{" + entry("a", "F32", "[1]", 4, 8) + "}", d8), "tensor 'a' data_offsets", "gap");
        rejects(file("{" + entry("a", "F32", "[2]", 0, 8) + "}", new byte[7]), "data", "truncated");
        rejects(file("{" + entry("a", "F32", "[2]", 0, 8) + "}", new byte[9]), "data", "trailing");
        rejects(file("{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__.k", "expected a string");
        assertRejects(() -> SafetensorsModel.open(dir.resolve("none")), "not found");
        assertRejects(() -> SafetensorsModel.open(Files.createDirectories(dir.resolve("empty"))), "no model.safetensors");
    }

    /** Random corruptions of a valid file: ModelException or a readable file, nothing else. */
    @Test
    void corruptedFilesFailCleanly() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("w", "BF16", "[4,8]", 0, 64) + "," + entry("v", "F32", "[8]", 64, 96) + "}";
        byte[] valid = file(header, new byte[96]);
        Random rnd = new Random(77);
        Path p = dir.resolve("fuzz.safetensors");
        for (int i = 0; i < 600; i++) {
            byte[] b = i % 2 == 0 ? Arrays.copyOf(valid, rnd.nextInt(valid.length)) : valid.clone();
            if (i % 2 == 1) for (int k = 0; k < 1 + rnd.nextInt(4); k++) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            Files.write(p, b);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (SafetensorsTensor t : f.tensors()) t.dtype().ggmlType().dequantize(f.data(t));
            } catch (ModelException expected) {
                // fine
            } catch (Throwable t) {
                fail("iteration " + i + " threw " + t, t);
            }
        }
    }
}
