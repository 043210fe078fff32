package dev.r1.engine.cpu;

import dev.r1.models.tensor.IQ4_NLType;
import dev.r1.models.tensor.IQ4_XSType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_XS weights repacked at load time in 4 bits, {@code R} = 16 rows side by side (512-bit machines), in the float
 * operations of ggml's AVX2 {@code vec_dot_iq4_xs_q8_K}, exactly; the IQ1-IQ3 grid types in the same layout. The
 * row-major kernel ({@link KQuants2#dotIQ4_XS}) looks its levels up 16 bytes at a time and sums lanes per row: 0.31x
 * llama.cpp's decode speed on Zen 4 (docs/BENCHMARKS.md, session 18).
 *
 * <p>Layout, per group of R rows and per super-block of 256 (140·R bytes, 1.03x the file): the R scales {@code d} as
 * f32; the 8 sub-block scales {@code ls - 32} as {@code [sub-block][row]} int8; per sub-block {@link Q4x8}'s nibble
 * words, which {@link #gemvNibbles} looks up in a 16-level table (one {@code vpermw}). Per row, ggml's order: per
 * super-block eight integer lanes, lane k the sum over the sub-blocks of {@code ls·(products of elements 4k .. 4k+3 of
 * the sub-block)}, exact; {@code acc_k = fma(d_w·d_a, (float) lane_k, acc_k)}; {@code hsum_float_8}. The decoding kernels
 * sum those lanes in float ({@code fma(ls, sum of four products, lane)}), which is exact: every partial sum is an integer
 * below 2^24 (|ls| <= 32, four products of at most 127·127, eight sub-blocks: at most 16 516 096), and on Intel the fma
 * is one uop where the integer multiply by ls ({@code vpmulld}) was two (session 38).
 *
 * <p>AVX2 has no {@code vpermw}: there IQ4_XS takes Q6_K's byte layout instead ({@link Q6Kx8#repackIQ4XS}, whose ggml
 * lanes are IQ4_XS's), as it does here with {@code -Dr1.cpu.iq4xsnibbles=false}. (This class's own byte layout, read in
 * two passes one group a call, streamed 16 GMAC/s from memory under AVX2 code where that one streams 29.)
 */
public final class IQ4XSx8 {
    private IQ4XSx8() {}

    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /** One element pair of each of the R rows: the bytes that widen into one {@link #S16} vector. */
    static final VectorSpecies<Byte> B8 = VectorSpecies.of(byte.class, VectorShape.forBitSize(VectorWidths.REPACK.vectorBitSize() / 2));
    /** The R scales of one sub-block: the bytes that widen into one {@link #I32} vector. */
    static final VectorSpecies<Byte> SCALES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F32.length() * 8)));
    /** Rows per group: one per float lane. */
    public static final int R = F32.length();
    static final int QK = KQuants.QK;
    private static final int SC = 4 * R, VALUES = 12 * R;
    /**
     * IQ4_XS kept in 4 bits on 512-bit machines ({@link #gemvNibbles}, as {@link Q8x8#NL_NIBBLES} keeps IQ4_NL): per
     * sub-block {@link Q4x8}'s nibble words, looked up in the kernel. Elsewhere, or with {@code
     * -Dr1.cpu.iq4xsnibbles=false}, IQ4_XS takes Q6_K's byte layout ({@link Q6Kx8#repackIQ4XS}) and the grid types stay row-major.
     */
    public static final boolean NIBBLES = R == 16 && Boolean.parseBoolean(System.getProperty("r1.cpu.iq4xsnibbles", "true"));
    /** Bytes per group per super-block: 140·R (the file's 136·R and f32 scales). */
    public static final int BLOCK = VALUES + QK / 2 * R;
    /**
     * The 4-bit layout splits each group as {@link Q3Kx4} does: per super-block its header and the first half (slices
     * 0-7, 8·R bytes) of each sub-block's words ({@code SPLIT} bytes), then after the last super-block the second halves
     * ({@code HALF} bytes each), so each of {@link #half2}'s passes reads one stream from memory.
     */
    private static final int HALF = 8 * 8 * R, SPLIT = VALUES + HALF;
    /**
     * The 4-bit layout with a scale per 16 values (IQ2_XS, IQ2_S: {@link #repackGrid}): the header holds 16 scale rows
     * per super-block (sub-block j's first half at row 2j, its second at 2j + 1), the rest as {@link #BLOCK}'s.
     */
    private static final int VALUES16 = 20 * R, SPLIT16 = VALUES16 + HALF;
    public static final int BLOCK16 = VALUES16 + QK / 2 * R;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** {@code -Dr1.cpu.iq4xsrepack=false} keeps IQ4_XS row-major (the kernel this one is checked against). */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("r1.cpu.iq4xsrepack", "true"));

    public static boolean fits(int rows, int cols) {
        return rows % R == 0 && cols % QK == 0 && R * 8 == SCALES.vectorBitSize() && R * 2 == S16.length() && B8.length() == S16.length();
    }

    /**
     * The 4-bit layout's level tables ({@link #S16}'s lanes each, the first 16 used) follow the last group (and IQ1_S's
     * delta scales): the decoding kernels' ({@link #lutDecode}), then the panel kernels' ({@link #lut}), the matrix's last
     * bytes; IQ1_M has a third, its delta table, before both. For IQ4_XS
     * ({@code kvalues_iq4nl}) and the IQ2/IQ3 grid types (their signed grid values, {@link #repackGrid}) the two are the
     * same; IQ1_S decodes its grid values alone (ggml's {@code vec_dot} keeps the delta apart, {@link #iq1Delta}) and
     * takes {@code 8·grid ± 1} in the panel order, from the same nibbles.
     */
    static final int LUT_BYTES = 2 * S16.length();

    /** Bytes of a repacked matrix. */
    public static long bytes(int rows, int cols) { return (long) rows / R * (cols / QK) * BLOCK + 2 * LUT_BYTES; }

    /**
     * Bytes of a repacked matrix of {@code type}: {@link #BLOCK16}'s layout for the types with a scale per 16 ({@link #per16});
     * IQ1_S adds its signed delta scales ({@link #DELTAS} bytes a group per super-block) before the tables.
     */
    public static long bytes(dev.r1.models.tensor.GgmlType type, int rows, int cols) {
        if (type == dev.r1.models.tensor.GgmlType.IQ1_S) return bytes(rows, cols) + (long) rows / R * (cols / QK) * DELTAS;
        if (type == dev.r1.models.tensor.GgmlType.IQ1_M) return (long) rows / R * (cols / QK) * BLOCK16 + 3 * LUT_BYTES; // and its delta table
        return per16(type) ? (long) rows / R * (cols / QK) * BLOCK16 + 2 * LUT_BYTES : bytes(rows, cols);
    }

    /** IQ1_S's delta scales per group and super-block: {@code ±8·(2s+1)} per sub-block of 32 and row, {@code [sub-block][row]}. */
    public static final int DELTAS = 8 * R;

    /** IQ2_XS, IQ2_S and IQ1_M: a scale per 16 values ({@link #BLOCK16}'s layout); the kernels take {@code per16} from the matrix's kernel. */
    public static boolean per16(dev.r1.models.tensor.GgmlType t) {
        return t == dev.r1.models.tensor.GgmlType.IQ2_XS || t == dev.r1.models.tensor.GgmlType.IQ2_S || t == dev.r1.models.tensor.GgmlType.IQ1_M;
    }

    /** The panel kernels' level table, the last of {@code w} ({@link #LUT_BYTES}). */
    private static ShortVector lut(MemorySegment w) {
        return ShortVector.fromMemorySegment(S16, w, w.byteSize() - LUT_BYTES, LE);
    }

    /**
     * A decoding kernel's level table: {@code table} 0 the one just before the panel kernels' ({@link #lut}), 1 IQ1_M's
     * delta table just before that ({@link #repackIQ1}).
     */
    private static ShortVector lutDecode(MemorySegment w, int table) {
        return ShortVector.fromMemorySegment(S16, w, w.byteSize() - (2L + table) * LUT_BYTES, LE);
    }

    /** Both tables at the end of {@code dst}. */
    private static void putTables(MemorySegment dst, short[] decode, short[] panel) {
        MemorySegment.copy(decode, 0, dst, ValueLayout.JAVA_SHORT_UNALIGNED, dst.byteSize() - 2 * LUT_BYTES, S16.length());
        MemorySegment.copy(panel, 0, dst, ValueLayout.JAVA_SHORT_UNALIGNED, dst.byteSize() - LUT_BYTES, S16.length());
    }

    /**
     * Repacks an IQ4_XS matrix into {@code arena}, groups of rows spread over {@code pool}; null when one of its
     * scales is infinite or NaN (such a matrix keeps the row-major kernel, which propagates it as llama.cpp does).
     */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R, in = IQ4_XSType.TYPE_SIZE;
        long rowBytes = (long) sbs * in;
        MemorySegment dst = arena.allocate(bytes(rows, cols), 64);
        putTables(dst, Q8x8.NL_TABLE, Q8x8.NL_TABLE);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            // byte arrays, not per-byte segment accesses: repacking runs once per load
            byte[] b = new byte[in], out = new byte[BLOCK];
            int[] nib = new int[32];
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        long o = ((long) g * R + r) * rowBytes + (long) s * in;
                        if (!readBlock(src, o, b, out, r)) bad[0] = true;
                        for (int j = 0; j < 8; j++) {
                            out[SC + j * R + r] = (byte) (IQ4_XSType.scale(src, o, j) - 32);
                            // sub-block j as Q4x8 lays a Q4_0 block out: per slice group m a word per row
                            Q4x8.nibbleWords(b, IQ4_XSType.OFF_QS + 16 * j, nib, r, out, VALUES + 16 * R * j);
                        }
                    }
                    QuantLayouts.storeSplit(out, VALUES, 16 * R, dst, (long) g * sbs * BLOCK, sbs, s);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    /**
     * Copies the IQ4_XS block at {@code o} into {@code b} and row {@code r}'s d, widened to f32, into {@code out[4r ..
     * 4r+4)} (where both layouts keep it); false when d is infinite or NaN.
     */
    static boolean readBlock(MemorySegment src, long o, byte[] b, byte[] out, int r) {
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, o, b, 0, IQ4_XSType.TYPE_SIZE);
        int d = Float.floatToRawIntBits(Float.float16ToFloat((short) ((b[0] & 0xFF) | b[1] << 8)));
        for (int k = 0; k < 4; k++) out[4 * r + k] = (byte) (d >> 8 * k);
        return (b[1] & 0x7c) != 0x7c;
    }

    /**
     * The lookup-grid types this layout also takes on 512-bit machines ({@link #NIBBLES}): IQ2_XXS, IQ3_XXS and IQ3_S,
     * whose scales go per 32 values as IQ4_XS's do, and IQ2_XS and IQ2_S with a scale per 16 ({@link #BLOCK16}); their
     * signed grid values are at most 16 (the IQ2 types 6 or 8, the IQ3 types 16), so a nibble and a level table hold them. ggml's AVX2 {@code vec_dot} for these sums the same eight
     * exact integer lanes as for IQ4_XS (grid·activation in {@code maddubs} pairs, then {@code madd} with {@code 2s+1}),
     * and its IQ panel gemm one exact sum a super-block; the type's factor (1/8, 1/4, 1) is a power of two, so folding it
     * into the stored {@code d} (exact) gives ggml's {@code factor·hsum} and {@code (d·factor)·d_a} bit for bit.
     * {@code -Dr1.cpu.iqgridrepack=false} keeps them row-major ({@link IQuants}).
     */
    public static boolean servesGrid(dev.r1.models.tensor.GgmlType t) {
        return NIBBLES && GRID_REPACK && (t == dev.r1.models.tensor.GgmlType.IQ2_XXS || t == dev.r1.models.tensor.GgmlType.IQ3_XXS
                || t == dev.r1.models.tensor.GgmlType.IQ3_S || per16(t) || t == dev.r1.models.tensor.GgmlType.IQ1_S);
    }

    static final boolean GRID_REPACK = Boolean.parseBoolean(System.getProperty("r1.cpu.iqgridrepack", "true"));

    /** A grid type's signed values, ascending, from the pinned ggml's grid tables ({@link dev.r1.models.tensor.IqGrids}). */
    static short[] gridLevels(dev.r1.models.tensor.GgmlType t) {
        dev.r1.models.tensor.IqGrids g = dev.r1.models.tensor.IqGrids.get();
        java.util.TreeSet<Integer> mags = new java.util.TreeSet<>();
        switch (t) {
            case IQ2_XXS -> { for (long e : g.iq2xxs) for (int k = 0; k < 8; k++) mags.add((int) (e >>> 8 * k) & 0xFF); }
            case IQ2_XS -> { for (long e : g.iq2xs) for (int k = 0; k < 8; k++) mags.add((int) (e >>> 8 * k) & 0xFF); }
            case IQ2_S -> { for (long e : g.iq2s) for (int k = 0; k < 8; k++) mags.add((int) (e >>> 8 * k) & 0xFF); }
            case IQ3_XXS -> { for (int e : g.iq3xxs) for (int k = 0; k < 4; k++) mags.add(e >>> 8 * k & 0xFF); }
            case IQ3_S -> { for (int e : g.iq3s) for (int k = 0; k < 4; k++) mags.add(e >>> 8 * k & 0xFF); }
            default -> throw new IllegalArgumentException("not a grid type this layout takes: " + t);
        }
        java.util.TreeSet<Integer> levels = new java.util.TreeSet<>();
        for (int m : mags) {
            levels.add(m);
            levels.add(-m);
        }
        short[] out = new short[levels.size()];
        int i = 0;
        for (int v : levels) out[i++] = (short) v;
        return out;
    }

    /**
     * Repacks an IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS or IQ3_S matrix into the 4-bit layout ({@link #servesGrid}): each super-block decoded
     * as {@link IQuants} decodes it, its values as nibbles indexing the type's levels ({@link #gridLevels}, stored after
     * the last group), its scales {@code 2s+1} per 32, and {@code d·factor}. Null (the row-major kernels then serve) when
     * a scale {@code d} is infinite or NaN, when the levels do not fit a nibble, or when a per-32 type's two scales of
     * one 32 differ.
     */
    public static MemorySegment repackGrid(MemorySegment src, dev.r1.models.tensor.GgmlType type, int rows, int cols, Arena arena, Parallel pool) {
        if (!servesGrid(type)) throw new IllegalArgumentException(type + " is not repacked here");
        if (type == dev.r1.models.tensor.GgmlType.IQ1_S || type == dev.r1.models.tensor.GgmlType.IQ1_M) return repackIQ1(src, type, rows, cols, arena, pool);
        dev.r1.models.tensor.IqGridType t = (dev.r1.models.tensor.IqGridType) type.layout();
        dev.r1.models.tensor.IqGrids grids = dev.r1.models.tensor.IqGrids.get();
        short[] levels = gridLevels(type);
        if (levels.length > 16) return null;
        int[] code = new int[256];
        java.util.Arrays.fill(code, -1);
        for (int i = 0; i < levels.length; i++) code[levels[i] + 128] = i;
        short[] table = new short[S16.length()];
        for (int i = 0; i < table.length; i++) table[i] = levels[Math.min(i, levels.length - 1)];
        int sbs = cols / QK, groups = rows / R, in = t.typeSize();
        long rowBytes = (long) sbs * in;
        float factor = t.factor();
        boolean p16 = per16(type);
        int values = p16 ? VALUES16 : VALUES, block = p16 ? BLOCK16 : BLOCK;
        MemorySegment dst = arena.allocate(bytes(type, rows, cols), 64);
        putTables(dst, table, table);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            byte[] out = new byte[block], v = new byte[QK], nibbles = new byte[16];
            int[] sc = new int[16], nib = new int[32];
            for (int g = g0; g < g1 && !bad[0]; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        long o = ((long) g * R + r) * rowBytes + (long) s * in;
                        short h = src.get(QuantLayouts.I16, o);
                        if ((h & 0x7c00) == 0x7c00) bad[0] = true;
                        int d = Float.floatToRawIntBits(Float.float16ToFloat(h) * factor); // exact: factor is a power of two
                        for (int k = 0; k < 4; k++) out[4 * r + k] = (byte) (d >> 8 * k);
                        t.decode(src, o, grids, v, 0, sc, 0);
                        for (int j = 0; j < 8; j++) {
                            if (!p16 && sc[2 * j] != sc[2 * j + 1] || sc[2 * j] < -128 || sc[2 * j] > 127 || sc[2 * j + 1] < -128 || sc[2 * j + 1] > 127) bad[0] = true;
                            if (p16) { // each 16's own scale: rows 2j and 2j + 1
                                out[SC + 2 * j * R + r] = (byte) sc[2 * j];
                                out[SC + (2 * j + 1) * R + r] = (byte) sc[2 * j + 1];
                            } else {
                                out[SC + j * R + r] = (byte) sc[2 * j];
                            }
                            for (int l = 0; l < 16; l++) { // ggml's IQ4 nibble order: byte l holds elements l and l + 16
                                int lo = code[v[32 * j + l] + 128], hi = code[v[32 * j + l + 16] + 128];
                                if (lo < 0 || hi < 0) bad[0] = true;
                                nibbles[l] = (byte) (lo & 0xF | (hi & 0xF) << 4);
                            }
                            Q4x8.nibbleWords(nibbles, 0, nib, r, out, values + 16 * R * j);
                        }
                    }
                    QuantLayouts.storeSplit(out, values, 16 * R, dst, (long) g * sbs * block, sbs, s);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    /**
     * IQ1_S and IQ1_M in the 4-bit layout ({@link #servesGrid}; IQ1_M in {@link #BLOCK16}'s, its scales per 16): per value the
     * code {@code 2·(grid+1) + (delta > 0 ? 1 : 0)} (six codes), which the decoding table maps to {@code 8·grid} and the
     * panel table to {@code 8·grid ± 1}; scales {@code 2s+1}; {@code d/8} (exact). ggml's {@code vec_dot_iq1_s_q8_K} and
     * {@code vec_dot_iq1_m_q8_K} sum grid·activation in IQ4_XS's eight lanes and multiply by {@code d = d_a·d_w}: here the
     * lanes hold 8x those integers and the fma takes {@code (d_w/8)·d_a = d/8} exactly, so {@code fma} gives the same
     * floats. Their delta parts differ: IQ1_S's is one integer a super-block from the activations' block sums
     * ({@link #iq1Delta}: the signed scales {@code ±8·(2s+1)} per sub-block and row, {@link #DELTAS}, after the last group);
     * IQ1_M's eight more lanes of {@code ±activation·scale} with their own float accumulators, which a second decoding pass
     * reads through a third table (code -> {@code ±8}), {@code fma(hsum8(delta), 1/8, hsum8(grid))} as ggml ends. The panel
     * order ({@code fma((float) Σ ls·(8·grid ± 1)·a, (d/8)·d_a, acc)}) reads the same nibbles through the panel table.
     * Null when a {@code d} is infinite or NaN (the row-major kernels serve).
     */
    static MemorySegment repackIQ1(MemorySegment src, dev.r1.models.tensor.GgmlType type, int rows, int cols, Arena arena, Parallel pool) {
        boolean m = type == dev.r1.models.tensor.GgmlType.IQ1_M;
        dev.r1.models.tensor.IqGrids grids = dev.r1.models.tensor.IqGrids.get();
        short[] decode = new short[S16.length()], panel = new short[S16.length()], deltaTable = new short[S16.length()];
        for (int c = 0; c < decode.length; c++) {
            int k = Math.min(c, 5), grid = k / 2 - 1, sign = (k & 1) != 0 ? 1 : -1;
            decode[c] = (short) (8 * grid);
            panel[c] = (short) (8 * grid + sign);
            deltaTable[c] = (short) (8 * sign);
        }
        int sbs = cols / QK, groups = rows / R, in = m ? dev.r1.models.tensor.IQ1_MType.TYPE_SIZE : dev.r1.models.tensor.IQ1_SType.TYPE_SIZE;
        int values = m ? VALUES16 : VALUES, block = m ? BLOCK16 : BLOCK;
        long rowBytes = (long) sbs * in, deltas = (long) groups * sbs * block;
        MemorySegment dst = arena.allocate(bytes(type, rows, cols), 64);
        putTables(dst, decode, panel);
        if (m) MemorySegment.copy(deltaTable, 0, dst, ValueLayout.JAVA_SHORT_UNALIGNED, dst.byteSize() - 3L * LUT_BYTES, S16.length());
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            byte[] out = new byte[block], v = new byte[QK], delta = new byte[32], nibbles = new byte[16], dl = new byte[DELTAS];
            int[] sc = new int[16], nib = new int[32];
            for (int g = g0; g < g1 && !bad[0]; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        long o = ((long) g * R + r) * rowBytes + (long) s * in;
                        float dw = m ? dev.r1.models.tensor.IQ1_MType.d(src, o) : dev.r1.models.tensor.IQ1_SType.d(src, o);
                        if (!Float.isFinite(dw)) bad[0] = true;
                        int d = Float.floatToRawIntBits(dw * 0.125f); // exact: a power of two
                        for (int k = 0; k < 4; k++) out[4 * r + k] = (byte) (d >> 8 * k);
                        if (m) dev.r1.models.tensor.IQ1_MType.decode(src, o, grids, v, 0, sc, 0, delta, 0);
                        else dev.r1.models.tensor.IQ1_SType.decode(src, o, grids, v, 0, sc, 0, delta, 0);
                        for (int j = 0; j < 8; j++) {
                            if (m) { // each 16's own scale: rows 2j and 2j + 1
                                out[SC + 2 * j * R + r] = (byte) sc[2 * j];
                                out[SC + (2 * j + 1) * R + r] = (byte) sc[2 * j + 1];
                            } else {
                                out[SC + j * R + r] = (byte) sc[2 * j];
                                dl[j * R + r] = (byte) (8 * delta[4 * j] * sc[2 * j]);
                            }
                            for (int l = 0; l < 16; l++) { // ggml's IQ4 nibble order: byte l holds elements l and l + 16
                                int e = 32 * j + l;
                                int lo = 2 * (v[e] + 1) + (delta[e >> 3] > 0 ? 1 : 0), hi = 2 * (v[e + 16] + 1) + (delta[(e + 16) >> 3] > 0 ? 1 : 0);
                                nibbles[l] = (byte) (lo | hi << 4);
                            }
                            Q4x8.nibbleWords(nibbles, 0, nib, r, out, values + 16 * R * j);
                        }
                    }
                    QuantLayouts.storeSplit(out, values, 16 * R, dst, (long) g * sbs * block, sbs, s);
                    if (!m) MemorySegment.copy(dl, 0, dst, ValueLayout.JAVA_BYTE, deltas + ((long) g * sbs + s) * DELTAS, DELTAS);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    /**
     * IQ1_S's delta part of one group (at {@code off}) · one token, after a decoding kernel left {@code hsum_float_8} of
     * the grid lanes in {@code out[o .. o+R)}: per super-block {@code acc1 = fma(d_w·d_a, (float) Σ_j bsum_j·±8·ls_j,
     * acc1)} ({@code bsum_j} the token's sum of sub-block j, from its Q8_K sums of 16 {@code bs}; the stored
     * {@code d_w} is d/8, so this is ggml's {@code fma(d, sumi1, accum1)}, exactly), then {@code out += 0.125f·acc1},
     * a multiply and an add as ggml's.
     */
    static void iq1Delta(MemorySegment w, long off, int sbs, float[] d, int dOff, int[] bs, int bOff, float[] out, int o) {
        long groups = (w.byteSize() - 2 * LUT_BYTES) / ((long) sbs * (BLOCK + DELTAS)), g = off / ((long) sbs * BLOCK);
        long db = groups * sbs * BLOCK + g * sbs * DELTAS;
        FloatVector acc = FloatVector.zero(F32);
        for (int s = 0; s < sbs; s++) {
            IntVector sum = IntVector.zero(I32);
            long so = db + (long) s * DELTAS;
            int b = bOff + 16 * s;
            for (int j = 0; j < 8; j++) {
                sum = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, so + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0))
                        .lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 2 * j] + bs[b + 2 * j + 1])).lanewise(VectorOperators.ADD, sum);
            }
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, off + (long) s * SPLIT, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s]));
            acc = dv.lanewise(VectorOperators.FMA, (FloatVector) sum.convertShape(VectorOperators.I2F, F32, 0), acc);
        }
        FloatVector.fromArray(F32, out, o).lanewise(VectorOperators.ADD, acc.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, 0.125f))).intoArray(out, o);
    }

    /**
     * IQ1_M's delta part of one group · one token, after a decoding kernel left {@code hsum8} of the grid lanes in
     * {@code out[o .. o+R)}: the same kernel through the delta table into {@code tmp[0 .. R)}, then
     * {@code out = fma(tmp, 1/8, out)}, ggml's {@code fma(hsum8(accum2), IQ1M_DELTA, hsum8(accum1))}.
     */
    static void iq1mDelta(MemorySegment w, long off, int sbs, int[] qi, int qiOff, float[] d, int dOff, float[] tmp, float[] out, int o) {
        gemvNibbles(w, off, sbs, qi, qiOff, d, dOff, tmp, 0, true, 1);
        FloatVector.fromArray(F32, tmp, 0).lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, 0.125f), FloatVector.fromArray(F32, out, o))
                .intoArray(out, o);
    }

    /**
     * One group of R rows (at {@code off}) · one token, {@code out[o .. o+R)} ({@code qi} the token's Q8_K values as pairs
     * from {@code qiOff}, {@link Q4Kx8#pairs}; {@code d} its scales per super-block from {@code dOff}), in one pass: per sub-block the 16 slices of element pairs
     * masked out as {@link Q4x8#gemv} does, looked up in the 16 levels ({@code selectFrom}: one {@code vpermw}),
     * multiplied by the broadcast activation pairs; slices {@code 4m + 2L2} and {@code 4m + 2L2 + 1} hold elements
     * {@code 8m + 4L2 .. 8m + 4L2 + 3}, so their two 16-bit products (|each| <= 127·127) summed and widened are ggml's
     * integer lane {@code 2m + L2} of the sub-block, times its scale into the super-block's eight exact lanes; then
     * ggml's fma per lane and super-block and {@code hsum_float_8}.
     */
    static void gemvNibbles(MemorySegment w, long off, int sbs, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o, boolean per16) {
        gemvNibbles(w, off, sbs, qi, qiOff, d, dOff, out, o, per16, 0);
    }

    /** {@link #gemvNibbles} through decoding table {@code table} ({@link #lutDecode}). */
    static void gemvNibbles(MemorySegment w, long off, int sbs, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o, boolean per16,
                            int table) {
        int values = per16 ? VALUES16 : VALUES, split = per16 ? SPLIT16 : SPLIT, scStep = per16 ? 2 * R : R, scHi = per16 ? R : 0;
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), LUT = lutDecode(w, table);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * split, ho = off + (long) sbs * split + (long) s * HALF;
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s]));
            FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int j = 0; j < 8; j++) {
                FloatVector sc = (FloatVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) scStep * j, LE).convertShape(VectorOperators.B2F, F32, 0);
                // the second 16's scale: the same row again where scales go per 32
                FloatVector sc2 = (FloatVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) scStep * j + scHi, LE).convertShape(VectorOperators.B2F, F32, 0);
                long wo = bo + values + 8L * R * j, wh = ho + 8L * R * j;
                int qb = qiOff + s * (QK / 2) + 16 * j;
                ShortVector v;
                IntVector p;
                v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a0);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a1 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a1);
                v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a2 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a2);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a3 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a3);
                v = ShortVector.fromMemorySegment(S16, w, wh, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a4 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a4);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a5 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a5);
                v = ShortVector.fromMemorySegment(S16, w, wh + 4L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a6 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a6);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a7 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a7);
            }
            l0 = dv.lanewise(VectorOperators.FMA, a0, l0);
            l1 = dv.lanewise(VectorOperators.FMA, a1, l1);
            l2 = dv.lanewise(VectorOperators.FMA, a2, l2);
            l3 = dv.lanewise(VectorOperators.FMA, a3, l3);
            l4 = dv.lanewise(VectorOperators.FMA, a4, l4);
            l5 = dv.lanewise(VectorOperators.FMA, a5, l5);
            l6 = dv.lanewise(VectorOperators.FMA, a6, l6);
            l7 = dv.lanewise(VectorOperators.FMA, a7, l7);
        }
        // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7))
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))))
                .intoArray(out, o);
    }

    /**
     * llama.cpp's IQ panel order ({@link IQuants#dotPanel}, taken for 8+ tokens where the rows come in eights) on the
     * 4-bit layout: the same products as {@link #gemvNibbles}, but per row and super-block one exact integer sum of
     * all eight lanes (integer adds: any order gives the same sum), then {@code fma((float) sum, d_w·d_a, acc)}, and no
     * {@code hsum_float_8}. One group of R rows · one token into {@code out[o .. o+R)}.
     */
    static void panelNibbles(MemorySegment w, long off, int sbs, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o, boolean per16) {
        int values = per16 ? VALUES16 : VALUES, split = per16 ? SPLIT16 : SPLIT, scStep = per16 ? 2 * R : R, scHi = per16 ? R : 0;
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), LUT = lut(w);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32);
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * split, ho = off + (long) sbs * split + (long) s * HALF;
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s]));
            IntVector a0 = IntVector.zero(I32), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int j = 0; j < 8; j++) {
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) scStep * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                // the second 16's scale: the same row again where scales go per 32
                IntVector sc2 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) scStep * j + scHi, LE).convertShape(VectorOperators.B2I, I32, 0);
                long wo = bo + values + 8L * R * j, wh = ho + 8L * R * j;
                int qb = qiOff + s * (QK / 2) + 16 * j;
                ShortVector v;
                IntVector p;
                v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a0 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a1 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a2 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a3 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
                v = ShortVector.fromMemorySegment(S16, w, wh, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a4 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a4);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a5 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a5);
                v = ShortVector.fromMemorySegment(S16, w, wh + 4L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a6 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a6);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a7 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a7);
            }
            // the super-block's exact integer sum per row, then one fma (llama.cpp's panel order; no lanes)
            IntVector t = a0.lanewise(VectorOperators.ADD, a1).lanewise(VectorOperators.ADD, a2.lanewise(VectorOperators.ADD, a3))
                    .lanewise(VectorOperators.ADD, a4.lanewise(VectorOperators.ADD, a5).lanewise(VectorOperators.ADD, a6.lanewise(VectorOperators.ADD, a7)));
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) t.convertShape(VectorOperators.I2F, F32, 0), l0);
        }
        l0.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
    }


    /**
     * {@link #panelNibbles} for four tokens (token k's pairs at {@code qiOff + k·qiStride}, its scales at {@code dOff +
     * k·dStride}, its R outputs at {@code out[o + k·oStride ..)}): each loaded weight vector's levels looked up once for
     * the four, per token the same integer sums (exact, so in any order) and the same fma a super-block, so the same floats.
     */
    static void panelNibbles4(MemorySegment w, long off, int sbs, int[] qi, int qiOff, int qiStride, float[] d, int dOff, int dStride,
                              float[] out, int o, int oStride, boolean per16) {
        int values = per16 ? VALUES16 : VALUES, split = per16 ? SPLIT16 : SPLIT, scStep = per16 ? 2 * R : R, scHi = per16 ? R : 0;
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), LUT = lut(w);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * split, ho = off + (long) sbs * split + (long) s * HALF;
            IntVector a0 = IntVector.zero(I32), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < 8; j++) {
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) scStep * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                IntVector sc2 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) scStep * j + scHi, LE).convertShape(VectorOperators.B2I, I32, 0);
                long wo = bo + values + 8L * R * j, wh = ho + 8L * R * j;
                int q0 = qiOff + s * (QK / 2) + 16 * j, q1 = q0 + qiStride, q2 = q1 + qiStride, q3 = q2 + qiStride;
                ShortVector v, e0, e1, e2, e3;
                IntVector p;
                // two loops of two weight vectors, not written out: 78-84 against 73-76 GMAC/s at 64 tokens (session 30)
                for (int k = 0; k < 8; k += 4) { // the sub-block's first 16 values: its first scale
                    v = ShortVector.fromMemorySegment(S16, w, wo + (long) k * R, LE);
                    e0 = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    e1 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    e2 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    e3 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a0 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a0 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a1 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a1 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a2 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a2 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a3 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a3 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
                }
                for (int k = 0; k < 8; k += 4) { // the second 16 (the second half's stream): its second scale
                    v = ShortVector.fromMemorySegment(S16, w, wh + (long) k * R, LE);
                    e0 = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    e1 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    e2 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    e3 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 8 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 8 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a0 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a0);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 8 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 8 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a0 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a0);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 8 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 8 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a1 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a1);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 8 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 8 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a1 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a1);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 8 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 8 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a2 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a2);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 8 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 8 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a2 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a2);
                    p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 8 + k + 0]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 8 + k + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a3 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a3);
                    p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 8 + k + 2]).reinterpretShape(S16, 0)))
                            .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 8 + k + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                    a3 = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, a3);
                }
            }
            FloatVector dw = FloatVector.fromMemorySegment(F32, w, bo, LE);
            l0 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s])).lanewise(VectorOperators.FMA, (FloatVector) a0.convertShape(VectorOperators.I2F, F32, 0), l0);
            l1 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + dStride + s])).lanewise(VectorOperators.FMA, (FloatVector) a1.convertShape(VectorOperators.I2F, F32, 0), l1);
            l2 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + 2 * dStride + s])).lanewise(VectorOperators.FMA, (FloatVector) a2.convertShape(VectorOperators.I2F, F32, 0), l2);
            l3 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + 3 * dStride + s])).lanewise(VectorOperators.FMA, (FloatVector) a3.convertShape(VectorOperators.I2F, F32, 0), l3);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        l0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
        l1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + oStride);
        l2.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 2 * oStride);
        l3.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 3 * oStride);
    }

    /**
     * IQ4_XS in ggml's AMX order ({@link GgmlVariant}): llama.cpp's {@code sapphirerapids} library multiplies IQ4_XS
     * (AVX512-VNNI for one token, AMX tiles for prompts) as one exact integer per row and super-block, {@code Σ_j ls_j ·
     * (Σ products of sub-block j)}, then {@code acc = fma((float) sum, d_w·d_a, acc)}: {@link #panelNibbles}' floats,
     * where its other libraries keep vec_dot's eight float lanes ({@link #gemvNibbles}). {@code -Dr1.cpu.iq4xsamx} overrides.
     */
    public static final boolean AMX_ORDER = Boolean.parseBoolean(System.getProperty("r1.cpu.iq4xsamx", String.valueOf(GgmlVariant.AMX)));

    /**
     * Two groups, {@code (w, off)} into {@code out[o ..)} and {@code (w2, off2)} into {@code out2[o2 ..)}, · one token:
     * {@link #gemvNibbles} for each, bit for bit, in two passes of four lanes ({@link #half2}) so that both groups'
     * sixteen lanes fit the registers: two weight streams per thread, as {@link Q3Kx4#gemv2}. {@code lanes}: 8·R floats.
     */
    public static void gemv2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qi, int qiOff, float[] d, int dOff,
                             float[] lanes, float[] out, int o, float[] out2, int o2, boolean per16) {
        half2(w, off, w2, off2, sbs, qi, qiOff, d, dOff, lanes, null, 0, out, o, out2, o2, per16);
        half2(w, off, w2, off2, sbs, qi, qiOff, d, dOff, lanes, null, 1, out, o, out2, o2, per16);
    }

    /**
     * {@link #gemv2} of IQ4_XS in ggml's AMX order ({@link #AMX_ORDER}): the same two passes and lanes, but at each
     * super-block's end its lanes (integers below 2^24, exact in float) made integers and added, pass 0's four per row
     * kept in {@code sums} ({@code 2·R·sbs} ints), pass 1's added to them: the super-block's exact integer, then one fma,
     * {@link #panelNibbles}' floats. (One pass over both halves, four streams, with the integer kept as it went, ran
     * 12.1 GB/s from memory against these passes' 13.7: {@code MatvecBench 2 IQ4_XS 268800}, session 43.)
     */
    public static void gemv2Amx(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qi, float[] d,
                                int[] sums, float[] out, int o, float[] out2, int o2) {
        half2(w, off, w2, off2, sbs, qi, 0, d, 0, null, sums, 0, out, o, out2, o2, false); // no float lanes pass between them
        half2(w, off, w2, off2, sbs, qi, 0, d, 0, null, sums, 1, out, o, out2, o2, false);
    }

    /**
     * {@link #gemv2}'s lanes {@code 4h .. 4h+3} of both groups (slices {@code 8h .. 8h+7} of every chunk): half 0 leaves
     * them in {@code lanes} (group 2's after group 1's), half 1 adds all eight per group in {@code hsum_float_8}'s order.
     */
    private static void half2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qi, int qiOff, float[] d, int dOff,
                              float[] lanes, int[] sums, int h, float[] out, int o, float[] out2, int o2, boolean per16) {
        boolean amx = sums != null; // ggml's AMX order: the super-block's integer, one fma (gemv2Amx)
        int values = per16 ? VALUES16 : VALUES, split = per16 ? SPLIT16 : SPLIT, scStep = per16 ? 2 * R : R, scHi = per16 ? R : 0;
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), LUT = lutDecode(w, 0), LUT2 = lutDecode(w2, 0);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, m0 = l0, m1 = l0, m2 = l0, m3 = l0;
        long vBase = h == 0 ? values : (long) sbs * split, vStep = h == 0 ? split : HALF;
        int scOff = h == 0 ? 0 : scHi; // the second half's lanes take the second 16's scale
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * split, bo2 = off2 + (long) s * split, vs = vBase + s * vStep;
            FloatVector da = FloatVector.broadcast(F32, d[dOff + s]);
            FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int c = 0; c < 8; c++) {
                // every lane of sub-block c takes its scale
                FloatVector sa = (FloatVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) scStep * c + scOff, LE).convertShape(VectorOperators.B2F, F32, 0);
                FloatVector sb = (FloatVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + SC + (long) scStep * c + scOff, LE).convertShape(VectorOperators.B2F, F32, 0);
                long wo = off + vs + 8L * R * c, wo2 = off2 + vs + 8L * R * c;
                int qb = qiOff + s * (QK / 2) + 16 * c + 8 * h;
                ShortVector v, u;
                IntVector p;
                v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
                u = ShortVector.fromMemorySegment(S16, w2, wo2 + 0L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sa, a0);
                p = (IntVector) u.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) u.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                b0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sb, b0);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a1 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sa, a1);
                p = (IntVector) ((ShortVector) ((IntVector) u.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) u.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                b1 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sb, b1);
                v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
                u = ShortVector.fromMemorySegment(S16, w2, wo2 + 4L * R, LE);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a2 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sa, a2);
                p = (IntVector) u.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) u.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                b2 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sb, b2);
                p = (IntVector) ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a3 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sa, a3);
                p = (IntVector) ((ShortVector) ((IntVector) u.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) u.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                b3 = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16))
                        .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sb, b3);
            }
            if (amx) { // this half's four lanes as one integer per row (each lane exact: an integer below 2^24)
                IntVector ta = ((IntVector) a0.convertShape(VectorOperators.F2I, I32, 0)).lanewise(VectorOperators.ADD, (IntVector) a1.convertShape(VectorOperators.F2I, I32, 0))
                        .lanewise(VectorOperators.ADD, ((IntVector) a2.convertShape(VectorOperators.F2I, I32, 0)).lanewise(VectorOperators.ADD, (IntVector) a3.convertShape(VectorOperators.F2I, I32, 0)));
                IntVector tb = ((IntVector) b0.convertShape(VectorOperators.F2I, I32, 0)).lanewise(VectorOperators.ADD, (IntVector) b1.convertShape(VectorOperators.F2I, I32, 0))
                        .lanewise(VectorOperators.ADD, ((IntVector) b2.convertShape(VectorOperators.F2I, I32, 0)).lanewise(VectorOperators.ADD, (IntVector) b3.convertShape(VectorOperators.F2I, I32, 0)));
                if (h == 0) {
                    ta.intoArray(sums, 2 * R * s);
                    tb.intoArray(sums, 2 * R * s + R);
                } else {
                    ta = ta.lanewise(VectorOperators.ADD, IntVector.fromArray(I32, sums, 2 * R * s));
                    tb = tb.lanewise(VectorOperators.ADD, IntVector.fromArray(I32, sums, 2 * R * s + R));
                    l0 = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, da).lanewise(VectorOperators.FMA, (FloatVector) ta.convertShape(VectorOperators.I2F, F32, 0), l0);
                    m0 = FloatVector.fromMemorySegment(F32, w2, bo2, LE).lanewise(VectorOperators.MUL, da).lanewise(VectorOperators.FMA, (FloatVector) tb.convertShape(VectorOperators.I2F, F32, 0), m0);
                }
                continue;
            }
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, da);
            l0 = dv.lanewise(VectorOperators.FMA, a0, l0);
            l1 = dv.lanewise(VectorOperators.FMA, a1, l1);
            l2 = dv.lanewise(VectorOperators.FMA, a2, l2);
            l3 = dv.lanewise(VectorOperators.FMA, a3, l3);
            dv = FloatVector.fromMemorySegment(F32, w2, bo2, LE).lanewise(VectorOperators.MUL, da);
            m0 = dv.lanewise(VectorOperators.FMA, b0, m0);
            m1 = dv.lanewise(VectorOperators.FMA, b1, m1);
            m2 = dv.lanewise(VectorOperators.FMA, b2, m2);
            m3 = dv.lanewise(VectorOperators.FMA, b3, m3);
        }
        if (amx) {
            if (h == 1) {
                FloatVector Z = FloatVector.broadcast(F32, -0.0f); // a last lanewise: C2 sees the vectors' exact class
                l0.lanewise(VectorOperators.ADD, Z).intoArray(out, o);
                m0.lanewise(VectorOperators.ADD, Z).intoArray(out2, o2);
            }
            return;
        }
        int L = R, G = 4 * L; // floats
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        if (h == 0) {
            // stored through a last lanewise (+ -0.0 changes no value), which gives C2 the vectors' exact class
            l0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 0);
            l1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, L);
            l2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 2 * L);
            l3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 3 * L);
            m0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G);
            m1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + L);
            m2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 2 * L);
            m3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 3 * L);
        } else {
            // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7)); this half holds lanes 4..7
            FloatVector s0 = FloatVector.fromArray(F32, lanes, 0).lanewise(VectorOperators.ADD, l0);
            FloatVector s2 = FloatVector.fromArray(F32, lanes, 2 * L).lanewise(VectorOperators.ADD, l2);
            FloatVector s1 = FloatVector.fromArray(F32, lanes, L).lanewise(VectorOperators.ADD, l1);
            FloatVector s3 = FloatVector.fromArray(F32, lanes, 3 * L).lanewise(VectorOperators.ADD, l3);
            NEG0.lanewise(VectorOperators.ADD, s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))).intoArray(out, o);
            s0 = FloatVector.fromArray(F32, lanes, G).lanewise(VectorOperators.ADD, m0);
            s2 = FloatVector.fromArray(F32, lanes, G + 2 * L).lanewise(VectorOperators.ADD, m2);
            s1 = FloatVector.fromArray(F32, lanes, G + L).lanewise(VectorOperators.ADD, m1);
            s3 = FloatVector.fromArray(F32, lanes, G + 3 * L).lanewise(VectorOperators.ADD, m3);
            NEG0.lanewise(VectorOperators.ADD, s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))).intoArray(out2, o2);
        }
    }

}
