package dev.r1.models.tensor;

import dev.r1.models.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Dequantization against hand-built blocks. The expected values come from the logical contents of a
 * block (scales, mins, quants), packed by this test's own encoder and evaluated in float64. For every
 * type here the float32 result of ggml's operation order is exactly the float64 value rounded once
 * (the intermediate products are exact in float32), so we compare bit for bit.
 */
class GgmlTypeTest {

    private static final Random RND = new Random(42);

    /** A random finite f16 value (no inf/NaN), either sign, including subnormals. */
    private static short randomF16() {
        while (true) {
            short h = (short) RND.nextInt(1 << 16);
            if (((h >>> 10) & 0x1F) != 0x1F) return h;
        }
    }

    private static double f16(short h) {
        // Independent decode of IEEE binary16 in float64.
        int e = (h >>> 10) & 0x1F, m = h & 0x3FF;
        double sign = (h & 0x8000) != 0 ? -1 : 1;
        return e == 0 ? sign * m * Math.pow(2, -24) : sign * (1024 + m) * Math.pow(2, e - 25);
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static float[] run(GgmlType t, ByteBuffer bytes, int n, int pad) {
        // Put the blocks at an odd offset to prove nothing assumes alignment.
        byte[] raw = new byte[pad + bytes.capacity()];
        System.arraycopy(bytes.array(), 0, raw, pad, bytes.capacity());
        float[] out = new float[n + 3];
        t.dequantize(MemorySegment.ofArray(raw), pad, out, 3, n);
        float[] trimmed = new float[n];
        System.arraycopy(out, 3, trimmed, 0, n);
        return trimmed;
    }

    private static void assertBitExact(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            float e = (float) expected[i];
            if (Float.floatToIntBits(e) != Float.floatToIntBits(actual[i]) && !(e == 0 && actual[i] == 0)) {
                fail("element " + i + ": expected " + e + " (" + expected[i] + ") but was " + actual[i]);
            }
        }
    }

    @Test
    void q4_0() {
        int blocks = 5;
        ByteBuffer b = le(blocks * 18);
        double[] expected = new double[blocks * 32];
        for (int blk = 0; blk < blocks; blk++) {
            short d = randomF16();
            int[] q = new int[32];
            for (int i = 0; i < 32; i++) q[i] = RND.nextInt(16);
            b.putShort(d);
            for (int j = 0; j < 16; j++) b.put((byte) (q[j] | (q[j + 16] << 4)));
            for (int i = 0; i < 32; i++) expected[blk * 32 + i] = (q[i] - 8) * f16(d);
        }
        assertBitExact(expected, run(GgmlType.Q4_0, b, blocks * 32, 1));
    }

    @Test
    void q8_0() {
        int blocks = 5;
        ByteBuffer b = le(blocks * 34);
        double[] expected = new double[blocks * 32];
        for (int blk = 0; blk < blocks; blk++) {
            short d = randomF16();
            b.putShort(d);
            for (int i = 0; i < 32; i++) {
                int q = RND.nextInt(256) - 128;
                b.put((byte) q);
                expected[blk * 32 + i] = q * f16(d);
            }
        }
        assertBitExact(expected, run(GgmlType.Q8_0, b, blocks * 32, 3));
    }

    @Test
    void q4_k() {
        int blocks = 3;
        ByteBuffer b = le(blocks * 144);
        double[] expected = new double[blocks * 256];
        for (int blk = 0; blk < blocks; blk++) {
            short d = randomF16(), dmin = randomF16();
            int[] sc = new int[8], mn = new int[8], q = new int[256];
            for (int j = 0; j < 8; j++) { sc[j] = RND.nextInt(64); mn[j] = RND.nextInt(64); }
            if (blk == 0) { sc[7] = 63; mn[7] = 63; sc[4] = 0; mn[4] = 48; } // edge bits of the packing
            for (int i = 0; i < 256; i++) q[i] = RND.nextInt(16);
            byte[] packed = new byte[12];
            for (int j = 0; j < 8; j++) {
                if (j < 4) {
                    packed[j] |= (byte) sc[j];
                    packed[j + 4] |= (byte) mn[j];
                } else {
                    packed[j + 4] |= (byte) ((sc[j] & 15) | ((mn[j] & 15) << 4));
                    packed[j - 4] |= (byte) ((sc[j] >> 4) << 6);
                    packed[j] |= (byte) ((mn[j] >> 4) << 6);
                }
            }
            byte[] qs = new byte[128];
            for (int i = 0; i < 256; i++) {
                int group = i / 64, r = i % 64;
                if (r < 32) qs[32 * group + r] |= (byte) q[i];
                else qs[32 * group + r - 32] |= (byte) (q[i] << 4);
            }
            b.putShort(d).putShort(dmin).put(packed).put(qs);
            for (int i = 0; i < 256; i++) {
                expected[blk * 256 + i] = f16(d) * sc[i / 32] * q[i] - f16(dmin) * mn[i / 32];
            }
        }
        assertBitExact(expected, run(GgmlType.Q4_K, b, blocks * 256, 5));
    }

    @Test
    void q6_k() {
        int blocks = 3;
        ByteBuffer b = le(blocks * 210);
        double[] expected = new double[blocks * 256];
        for (int blk = 0; blk < blocks; blk++) {
            short d = randomF16();
            int[] q = new int[256];
            byte[] scales = new byte[16];
            for (int i = 0; i < 256; i++) q[i] = RND.nextInt(64);
            for (int j = 0; j < 16; j++) scales[j] = (byte) (RND.nextInt(256) - 128);
            if (blk == 0) { q[0] = 63; q[255] = 0; scales[15] = -128; scales[0] = 127; }
            byte[] ql = new byte[128], qh = new byte[64];
            for (int i = 0; i < 256; i++) {
                int half = i / 128, k = (i % 128) / 32, l = i % 32;
                int lowByte = 64 * half + l + (k % 2 == 1 ? 32 : 0);
                ql[lowByte] |= (byte) (k < 2 ? (q[i] & 15) : (q[i] & 15) << 4);
                qh[32 * half + l] |= (byte) ((q[i] >> 4) << (2 * k));
            }
            b.put(ql).put(qh).put(scales).putShort(d);
            for (int i = 0; i < 256; i++) expected[blk * 256 + i] = f16(d) * scales[i / 16] * (q[i] - 32);
        }
        assertBitExact(expected, run(GgmlType.Q6_K, b, blocks * 256, 7));
    }

    @Test
    void floatTypes() {
        int n = 64;
        ByteBuffer f32 = le(4 * n), f16 = le(2 * n), bf16 = le(2 * n);
        double[] e32 = new double[n], e16 = new double[n], ebf = new double[n];
        for (int i = 0; i < n; i++) {
            float v = (float) RND.nextGaussian() * 100;
            f32.putFloat(v);
            e32[i] = v;
            short h = randomF16();
            f16.putShort(h);
            e16[i] = f16(h);
            int top = RND.nextInt(1 << 16);
            if (((top >>> 7) & 0xFF) == 0xFF) top &= ~0x4000; // keep it finite
            bf16.putShort((short) top);
            int exp = (top >>> 7) & 0xFF, man = top & 0x7F;
            double mag = exp == 0 ? man * Math.pow(2, -133) : (128 + man) * Math.pow(2, exp - 134);
            ebf[i] = (top & 0x8000) != 0 ? -mag : mag;
        }
        assertBitExact(e32, run(GgmlType.F32, f32, n, 1));
        assertBitExact(e16, run(GgmlType.F16, f16, n, 1));
        assertBitExact(ebf, run(GgmlType.BF16, bf16, n, 1));
    }

    @Test
    void idsAndSizesMatchGgml() {
        int[][] expected = {{0, 1, 4}, {1, 1, 2}, {2, 32, 18}, {8, 32, 34}, {12, 256, 144}, {14, 256, 210}, {30, 1, 2}};
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.BF16};
        for (int i = 0; i < types.length; i++) {
            assertEquals(expected[i][0], types[i].id());
            assertEquals(expected[i][1], types[i].blockSize());
            assertEquals(expected[i][2], types[i].typeSize());
            assertSame(types[i], GgmlType.fromId(expected[i][0]));
        }
        assertEquals(4096L * 4096 / 32 * 18, GgmlType.Q4_0.byteSize(4096L * 4096));
        assertEquals(151936L * 1536 / 256 * 210, GgmlType.Q6_K.byteSize(151936L * 1536));
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void byteSizeRejectsPartialBlocksAndOverflow(GgmlType t) {
        if (t.blockSize() > 1) assertThrows(IllegalArgumentException.class, () -> t.byteSize(t.blockSize() + 1));
        assertThrows(IllegalArgumentException.class, () -> t.byteSize(-t.blockSize()));
        long huge = Long.MAX_VALUE / t.blockSize() * t.blockSize();
        if (t.typeSize() > t.blockSize()) assertThrows(ArithmeticException.class, () -> t.byteSize(huge));
        else assertTrue(t.byteSize(huge) > 0); // fewer bytes than elements: cannot overflow
        assertEquals(0, t.byteSize(0));
    }

    @Test
    void removedAndUnknownIdsAreRefusedByName() {
        ModelException e = assertThrows(ModelException.class, () -> GgmlType.fromId(4));
        assertTrue(e.getMessage().contains("Q4_2") && e.getMessage().contains("removed"), e.getMessage());
        e = assertThrows(ModelException.class, () -> GgmlType.fromId(32));
        assertTrue(e.getMessage().contains("Q4_0_4_8"), e.getMessage());
        e = assertThrows(ModelException.class, () -> GgmlType.fromId(1234));
        assertTrue(e.getMessage().contains("unknown ggml type id 1234"), e.getMessage());
        assertThrows(ModelException.class, () -> GgmlType.fromId(-1));
        assertThrows(ModelException.class, () -> GgmlType.fromId(43));
        for (GgmlType t : GgmlType.values()) assertSame(t, GgmlType.fromId(t.id()));
    }

    @Test
    void typesWithoutADecoderSaySoAndNameTheLlamaCppBackend() {
        assertTrue(GgmlType.Q5_K.canDequantize());
        assertTrue(GgmlType.IQ2_XXS.canDequantize());
        assertTrue(GgmlType.IQ1_S.canDequantize());
        assertFalse(GgmlType.TQ1_0.canDequantize());
        assertEquals(54, GgmlType.TQ1_0.typeSize());
        assertEquals(54L * 4, GgmlType.TQ1_0.byteSize(1024));
        ModelException e = assertThrows(ModelException.class,
                () -> GgmlType.TQ1_0.dequantize(MemorySegment.ofArray(new byte[54])));
        assertTrue(e.getMessage().contains("TQ1_0") && e.getMessage().contains("--backend llama.cpp"), e.getMessage());
        assertTrue(e.getMessage().contains("Q5_K"), e.getMessage());
    }

    @Test
    void dequantizeWholeSegment() {
        ByteBuffer b = le(18);
        b.putShort(Float.floatToFloat16(0.5f));
        for (int j = 0; j < 16; j++) b.put((byte) 0x9F); // low 15 -> 3.5, high 9 -> 0.5
        float[] out = GgmlType.Q4_0.dequantize(MemorySegment.ofArray(b.array()));
        for (int j = 0; j < 16; j++) {
            assertEquals(3.5f, out[j]);
            assertEquals(0.5f, out[j + 16]);
        }
        assertThrows(IllegalArgumentException.class, () -> GgmlType.Q4_0.dequantize(MemorySegment.ofArray(new byte[19])));
    }
}
