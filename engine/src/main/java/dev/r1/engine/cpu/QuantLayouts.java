package dev.r1.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian unaligned layouts for reading ggml blocks (18- and 34-byte blocks are unaligned), and the repacked kernels' split store. */
final class QuantLayouts {
    private QuantLayouts() {}

    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Stores one super-block {@code s} of a repacked group, built in {@code block} as its header ({@code header} bytes)
     * then eight units of {@code unit} bytes, into the split layout the two-pass, two-group kernels stream
     * ({@code Q3Kx4}, {@code IQ4XSx8}, {@code Q6Kx8}'s lanes): per super-block the header and every unit's first half,
     * then after the group's last super-block the units' second halves of every super-block. {@code groupOff}: the
     * group's first byte in {@code dst}.
     */
    static void storeSplit(byte[] block, int header, int unit, MemorySegment dst, long groupOff, int sbs, int s) {
        int half = unit / 2;
        long first = groupOff + (long) s * (header + 8L * half), second = groupOff + (long) sbs * (header + 8L * half) + (long) s * 8 * half;
        MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, first, header);
        for (int i = 0; i < 8; i++) {
            MemorySegment.copy(block, header + unit * i, dst, ValueLayout.JAVA_BYTE, first + header + (long) half * i, half);
            MemorySegment.copy(block, header + unit * i + half, dst, ValueLayout.JAVA_BYTE, second + (long) half * i, half);
        }
    }
}
