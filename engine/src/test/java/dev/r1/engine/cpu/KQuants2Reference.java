package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IQ4_NLType;
import dev.r1.models.tensor.IQ4_XSType;
import dev.r1.models.tensor.Q3_KType;
import dev.r1.models.tensor.Q4_KType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Plain scalar dots of Q5_K/Q3_K/Q2_K/IQ4_XS rows with Q8_K activations, one element at a time from the
 * block layouts, in ggml's AVX2 float order: each super-block's integer products gathered into eight lanes
 * (lane k: elements 4k..4k+3 of every 32), lane {@code k} of the float accumulator
 * {@code fma(superScale, (float) lane, acc[k])}, the eight summed as {@code hsum_float_8} does.
 */
final class KQuants2Reference {
    private KQuants2Reference() {}

    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static int u8(MemorySegment w, long off) { return w.get(ValueLayout.JAVA_BYTE, off) & 0xFF; }

    private static float f16(MemorySegment w, long off) { return Float.float16ToFloat(w.get(F16, off)); }

    static float dot(GgmlType type, MemorySegment w, long rowOff, int sbs, short[] q, float[] d, int[] bsums) {
        float[] acc = new float[8];
        float summs = 0; // Q5_K's mins part, a separate scalar in ggml
        for (int s = 0; s < sbs; s++) {
            long b = rowOff + (long) s * type.typeSize();
            long[] lane = new long[8];
            for (int e = 0; e < 256; e++) {
                int l = e % 32, h = e / 128, k = e % 128 / 32, val, scale;
                switch (type) {
                    case Q5_K -> {
                        int sub = e / 32, byt = u8(w, b + 48 + 32 * (sub / 2) + l);
                        val = (sub % 2 == 0 ? byt & 15 : byt >>> 4) + 16 * ((u8(w, b + 16 + l) >>> sub) & 1);
                        scale = Q4_KType.scale(w, b + 4, sub);
                    }
                    case Q3_K -> {
                        int lo = (u8(w, b + 32 + 32 * h + l) >>> (2 * k)) & 3;
                        val = lo - (((u8(w, b + l) >>> (4 * h + k)) & 1) != 0 ? 0 : 4);
                        scale = Q3_KType.scale(w, b + 96, e / 16) - 32;
                    }
                    case Q2_K -> {
                        val = (u8(w, b + 16 + 32 * h + l) >>> (2 * k)) & 3;
                        scale = u8(w, b + e / 16) & 15;
                    }
                    case IQ4_XS -> {
                        int sub = e / 32, byt = u8(w, b + 8 + 16 * sub + l % 16);
                        val = IQ4_NLType.value(l < 16 ? byt & 15 : byt >>> 4);
                        scale = IQ4_XSType.scale(w, b, sub) - 32;
                    }
                    default -> throw new IllegalArgumentException(type.name());
                }
                lane[l / 4] += (long) scale * val * q[256 * s + e];
            }
            float dy = d[s];
            switch (type) {
                case Q5_K -> {
                    long mins = 0;
                    for (int sub = 0; sub < 8; sub++) mins += (long) Q4_KType.min(w, b + 4, sub) * (bsums[16 * s + 2 * sub] + bsums[16 * s + 2 * sub + 1]);
                    summs = Math.fma(-dy * f16(w, b + 2), (float) mins, summs);
                    add(acc, dy * f16(w, b), lane);
                }
                case Q2_K -> {
                    long[] mins = new long[8];
                    for (int g = 0; g < 16; g++) mins[g / 2] += (long) (u8(w, b + g) >>> 4) * bsums[16 * s + g];
                    add(acc, -dy * f16(w, b + 82), mins);
                    add(acc, dy * f16(w, b + 80), lane);
                }
                case Q3_K -> add(acc, dy * f16(w, b + 108), lane);
                default -> add(acc, f16(w, b) * dy, lane);
            }
        }
        float[] half = new float[4];
        for (int i = 0; i < 4; i++) half[i] = acc[i + 4] + acc[i];
        return (half[0] + half[2]) + (half[1] + half[3]) + summs;
    }

    private static void add(float[] acc, float scale, long[] lane) {
        for (int k = 0; k < 8; k++) {
            if (lane[k] != (int) lane[k]) throw new AssertionError("lane overflows 32 bits: " + lane[k]);
            acc[k] = Math.fma(scale, (float) lane[k], acc[k]);
        }
    }
}
