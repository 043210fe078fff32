package dev.r1.models.gguf;

import dev.r1.models.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Each malformed header gets a ModelException naming the file and the offending field. */
class GgufValidationTest {
    @TempDir Path dir;
    private int n;

    private void rejects(byte[] bytes, String... expectedInMessage) throws IOException {
        Path p = dir.resolve("bad" + (n++) + ".gguf");
        Files.write(p, bytes);
        ModelException e = assertThrows(ModelException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        for (String s : expectedInMessage) assertTrue(e.getMessage().contains(s), "'" + s + "' not in: " + e.getMessage());
    }

    /** A file with one key/value written by {@code kv} and no tensors. */
    private static byte[] oneKv(Consumer<GgufBytes> kv) {
        GgufBytes b = new GgufBytes().header(3, 0, 1);
        kv.accept(b);
        return b.bytes();
    }

    /** A file with one tensor info written by {@code info} and {@code dataBytes} of data. */
    private static byte[] oneTensor(Consumer<GgufBytes> info, int dataBytes) {
        GgufBytes b = new GgufBytes().header(3, 1, 0);
        info.accept(b);
        b.padTo(32);
        for (int i = 0; i < dataBytes; i++) b.u8(0);
        return b.bytes();
    }

    @Test
    void magicAndVersion() throws IOException {
        rejects(new byte[0], "magic", "too small");
        rejects("GGML-and-more-bytes-here-------".getBytes(), "magic", "not a GGUF file");
        rejects(new GgufBytes().header(1, 0, 0).bytes(), "version", "v1");
        rejects(new GgufBytes().header(4, 0, 0).bytes(), "version", "found 4");
        rejects(new GgufBytes().header(3 << 24, 0, 0).bytes(), "version", "big-endian");
        rejects(java.util.Arrays.copyOf(new GgufBytes().header(3, 0, 0).bytes(), 10), "tensor_count", "truncated");
    }

    @Test
    void counts() throws IOException {
        rejects(new GgufBytes().header(3, 1L << 40, 0).bytes(), "tensor_count", "cannot fit");
        rejects(new GgufBytes().header(3, 0, -1L).bytes(), "metadata_kv_count");
        rejects(new GgufBytes().header(3, 0, 2).key("a", 7).u8(1).u64(1L << 40).raw(new byte[20]).bytes(),
                "metadata[1] key", "past the end");
        rejects(new GgufBytes().header(3, 0, 2).key("a", 7).u8(1).key("b", 77).raw(new byte[16]).bytes(),
                "metadata 'b'", "unknown value type id 77");
    }

    @Test
    void stringsAndArrays() throws IOException {
        rejects(oneKv(b -> b.u64(1L << 40).raw(new byte[16])), "metadata[0] key", "past the end");
        rejects(oneKv(b -> b.key("k", 8).u64(100).raw((byte) 'x')), "metadata 'k'", "past the end");
        rejects(oneKv(b -> b.key("k", 13).u8(0)), "metadata 'k'", "unknown value type id 13");
        rejects(oneKv(b -> b.key("k", 7).u8(2)), "metadata 'k'", "BOOL must be 0 or 1");
        rejects(oneKv(b -> b.key("k", 9).u32(6).u64(1L << 50).f32(1)), "metadata 'k'", "cannot fit");
        rejects(oneKv(b -> b.key("k", 9).u32(99).u64(0)), "metadata 'k'", "unknown array element type");
        rejects(oneKv(b -> b.key("k", 9).u32(8).u64(2).str("a").u64(1L << 62)), "metadata 'k'[1]", "past the end");
        // Arrays nested past the depth limit.
        rejects(oneKv(b -> {
            b.key("k", 9);
            for (int i = 0; i < 20; i++) b.u32(9).u64(1);
            b.u32(0).u64(0);
        }), "metadata 'k'", "nested deeper");
        rejects(new GgufBytes().header(3, 0, 2).key("k", 7).u8(1).key("k", 7).u8(0).bytes(), "metadata 'k'", "duplicate");
    }

    @Test
    void heapCapsHoldEvenWhenTheBytesExist() throws IOException {
        // A 16 MiB + 1 string whose bytes are really there (sparse file): refused by the per-string cap.
        Path p = dir.resolve("big.gguf");
        Files.write(p, oneKv(b -> b.key("k", 8).u64((1L << 24) + 1)));
        try (var raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(raf.length() + (1L << 24) + 1);
        }
        ModelException e = assertThrows(ModelException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("metadata 'k'") && e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void alignmentKey() throws IOException {
        rejects(oneKv(b -> b.key("general.alignment", 4).u32(48)), "general.alignment", "power of two");
        rejects(oneKv(b -> b.key("general.alignment", 4).u32(0)), "general.alignment", "power of two");
        rejects(oneKv(b -> b.key("general.alignment", 5).u32(32)), "general.alignment", "expected UINT32");
    }

    @Test
    void tensorInfos() throws IOException {
        rejects(oneTensor(b -> b.tensorInfo("t", 0, 0, 1, 1, 1, 1, 1), 4), "tensor 't'", "n_dims must be 1..4, found 5");
        rejects(oneTensor(b -> b.tensorInfo("t", 0, 0), 4), "tensor 't'", "found 0");
        rejects(oneTensor(b -> b.tensorInfo("t", 0, 0, -4), 4), "tensor 't'", "ne[0]");
        rejects(oneTensor(b -> b.tensorInfo("t", 0, 0, 1L << 40, 1L << 40), 4), "tensor 't'", "overflows");
        rejects(oneTensor(b -> b.tensorInfo("t", 0, 0, 1L << 62), 4), "tensor 't'", "overflows");
        rejects(oneTensor(b -> b.tensorInfo("t", 4, 0, 32), 20), "tensor 't' type", "Q4_2");
        rejects(oneTensor(b -> b.tensorInfo("t", 77, 0, 32), 20), "tensor 't' type", "unknown ggml type id 77");
        rejects(oneTensor(b -> b.tensorInfo("t", 2, 0, 48), 40), "tensor 't'", "not a multiple of the Q4_0 block size 32");
        rejects(oneTensor(b -> b.tensorInfo("t", 0, 16, 4), 64), "tensor 't'", "not a multiple of the alignment 32");
        rejects(oneTensor(b -> b.tensorInfo("t", 0, 0, 4), 15), "tensor 't'", "runs past the end");
        rejects(oneTensor(b -> b.tensorInfo("t", 0, Long.MAX_VALUE - 31, 4), 16), "tensor 't'", "runs past the end");
        rejects(oneTensor(b -> b.tensorInfo("x".repeat(64), 0, 0, 4), 16), "name is longer than 63 bytes");
    }

    @Test
    void duplicateAndOverlappingTensors() throws IOException {
        GgufBytes dup = new GgufBytes().header(3, 2, 0).tensorInfo("t", 0, 0, 4).tensorInfo("t", 0, 32, 4).padTo(32);
        rejects(dup.raw(new byte[64]).bytes(), "tensor 't'", "duplicate tensor name");
        GgufBytes overlap = new GgufBytes().header(3, 2, 0).tensorInfo("a", 0, 0, 16).tensorInfo("b", 0, 32, 4).padTo(32);
        rejects(overlap.raw(new byte[64]).bytes(), "tensor 'b'", "overlaps tensor 'a'");
    }

    @Test
    void acceptsMetadataOnlyFileAndEmptyTensor() throws IOException {
        Path p = dir.resolve("meta.gguf");
        Files.write(p, oneKv(b -> b.key("general.name", 8).str("vocab only")));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals("vocab only", f.getString("general.name"));
            assertTrue(f.tensors().isEmpty());
        }
        Path q = dir.resolve("empty-tensor.gguf");
        Files.write(q, new GgufBytes().header(3, 1, 0).tensorInfo("e", 0, 0, 0, 5).bytes());
        try (GgufFile f = GgufFile.open(q)) {
            assertEquals(0, f.data("e").byteSize());
        }
    }
}
