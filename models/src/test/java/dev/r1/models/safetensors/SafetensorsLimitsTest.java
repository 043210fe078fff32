package dev.r1.models.safetensors;

import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors rules as the reference implementation states them, and the caps at and past their limit. */
class SafetensorsLimitsTest {
    private static SafetensorsFile parse(byte[] file) {
        return SafetensorsFile.parse(Path.of("limits.safetensors"), Arena.ofConfined(), MemorySegment.ofArray(file));
    }

    private static void refused(byte[] file, String... words) {
        ModelException e = assertThrows(ModelException.class, () -> parse(file).close());
        for (String w : words) assertTrue(e.getMessage().contains(w), e.getMessage());
    }

    /** Header JSON padded with spaces to {@code headerBytes}, then {@code dataBytes} of data. */
    private static byte[] file(String json, long headerBytes, int dataBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(8 + headerBytes + dataBytes)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerBytes).put(j);
        Arrays.fill(b.array(), 8 + j.length, (int) (8 + headerBytes), (byte) ' ');
        return b.array();
    }

    private static byte[] file(String json, int dataBytes) {
        return file(json, json.getBytes(StandardCharsets.UTF_8).length, dataBytes);
    }

    @Test
    void headerSize() {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = parse(file(json, Limits.SAFETENSORS_HEADER_BYTES, 4))) {
            assertEquals(1, f.tensors().size());
        }
        refused(file(json, Limits.SAFETENSORS_HEADER_BYTES + 1, 4), "header length", "exceeds the limit");
    }

    private static String shape(int dims) {
        StringBuilder s = new StringBuilder("[1");
        for (int i = 1; i < dims; i++) s.append(",1");
        return s.append(']').toString();
    }

    @Test
    void dimensions() {
        String at = "{\"a\":{\"dtype\":\"F32\",\"shape\":" + shape(Limits.SAFETENSORS_DIMS) + ",\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = parse(file(at, 4))) {
            assertEquals(Limits.SAFETENSORS_DIMS, f.tensors().getFirst().shape().length);
        }
        String past = "{\"a\":{\"dtype\":\"F32\",\"shape\":" + shape(Limits.SAFETENSORS_DIMS + 1) + ",\"data_offsets\":[0,4]}}";
        refused(file(past, 4), "more than " + Limits.SAFETENSORS_DIMS + " dimensions");
    }

    private static String t(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void tensorsTileTheDataAreaExactly() {
        // Out of header order, sorted by offset they tile [0, 10): accepted.
        try (SafetensorsFile f = parse(file("{" + t("b", "BF16", "[3]", 4, 10) + "," + t("a", "F32", "[1]", 0, 4) + "}", 10))) {
            assertEquals(2, f.tensors().size());
        }
        refused(file("{" + t("a", "F32", "[1]", 0, 4) + "," + t("b", "BF16", "[3]", 6, 12) + "}", 12), "gap");
        refused(file("{" + t("a", "F32", "[1]", 0, 4) + "," + t("b", "BF16", "[3]", 2, 8) + "}", 8), "overlaps");
        refused(file("{" + t("a", "F32", "[1]", 0, 4) + "}", 5), "trailing bytes");
        refused(file("{" + t("a", "F32", "[2]", 0, 8) + "}", 4), "truncated");
    }

    @Test
    void sizeIsShapeTimesDtype() {
        refused(file("{" + t("a", "F32", "[3]", 0, 8) + "}", 8), "needs 12 bytes");
        refused(file("{" + t("a", "BF16", "[4611686018427387904,4]", 0, 8) + "}", 8), "overflows");
    }

    @Test
    void duplicateKeysAreRefused() {
        refused(file("{" + t("a", "F32", "[1]", 0, 4) + "," + t("a", "F32", "[1]", 4, 8) + "}", 8), "Duplicate", "'a'");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "Duplicate");
    }

    @Test
    void onlyWhitespaceMayFollowTheHeaderObject() {
        String json = "{" + t("a", "F32", "[1]", 0, 4) + "}";
        try (SafetensorsFile f = parse(file(json, json.length() + 7, 4))) {  // space padding, as writers align
            assertEquals(1, f.tensors().size());
        }
        refused(file(json + "{}", 4), "header", "Trailing token");
    }
}
