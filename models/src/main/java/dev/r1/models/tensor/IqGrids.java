package dev.r1.models.tensor;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.r1.bindings.LlamaLibrary;
import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.NativeLibraryException;
import dev.r1.models.ModelException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The lookup grids of ggml's IQ1/IQ2/IQ3 types (which 8 or 4 values an index stands for) and the table of 8-bit sign
 * patterns their 7-bit sign fields name.
 *
 * <p>Why read from ggml at run time: the grids are ggml's own tables (hundreds of points chosen from a lattice by
 * ggml's authors), not something a rule derives, and r1 writes its own code rather than copying ggml's. So the
 * first time a file needs them they are read out of the pinned libggml-base.so that the llama.cpp backend loads:
 * its exported {@code dequantize_row_*} functions are run on blocks made so that every index appears once with
 * scale and signs known, and the values that come back are the grid. Tests hold our dequantizers and kernels to
 * ggml's on random blocks, so a wrong read fails there. Without the libraries these types cannot be decoded by
 * r1 (the llama.cpp backend cannot run either), and the error names the fetch command.
 */
public final class IqGrids {
    /** IQ2_XXS (256), IQ2_XS (512), IQ2_S (1024) entries: eight unsigned magnitudes, byte j = value j. */
    public final long[] iq2xxs, iq2xs, iq2s;
    /** IQ3_XXS (256), IQ3_S (512) entries: four unsigned magnitudes, byte j = value j. */
    public final int[] iq3xxs, iq3s;
    /** IQ2_XXS/IQ2_XS/IQ3_XXS sign fields: 7 bits name 8 signs (bit j set: value j negative). */
    public final byte[] ksigns;
    /** The same as byte masks (byte j 0xFF where value j is negative), what the decoders apply. */
    public final long[] ksignMasks = new long[128];
    /** IQ1_S and IQ1_M (2048 entries): eight signed values in {-1, 0, 1}, byte j = value j. */
    public final long[] iq1s;

    private static volatile IqGrids loaded;

    private IqGrids(long[] iq2xxs, long[] iq2xs, long[] iq2s, int[] iq3xxs, int[] iq3s, byte[] ksigns, long[] iq1s) {
        this.iq2xxs = iq2xxs;
        this.iq2xs = iq2xs;
        this.iq2s = iq2s;
        this.iq3xxs = iq3xxs;
        this.iq3s = iq3s;
        this.ksigns = ksigns;
        for (int i = 0; i < 128; i++) ksignMasks[i] = IqGridType.MASK8[ksigns[i] & 0xFF];
        this.iq1s = iq1s;
    }

    /** The grids, read from ggml on first use. @throws ModelException when the pinned libraries are not there */
    public static IqGrids get() {
        IqGrids g = loaded;
        if (g != null) return g;
        synchronized (IqGrids.class) {
            if (loaded == null) loaded = read();
            return loaded;
        }
    }

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final short F16_ONE = 0x3C00;

    private static IqGrids read() {
        LlamaLibrary lib;
        try {
            lib = NativeLibraries.llama();
        } catch (NativeLibraryException e) {
            throw new ModelException("the IQ1/IQ2/IQ3 types' lookup grids are read from ggml's library, which is not there: "
                    + e.getMessage(), e);
        }
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup base = SymbolLookup.libraryLookup(lib.dir().resolve("libggml-base.so"), a);
            Reader r = new Reader(base, a);
            // IQ2_XXS: 66 bytes; 8 sub-blocks of (4 index bytes, then 28 sign bits and a 4-bit scale); scale 0: db = 1/8
            long[] iq2xxs = new long[256];
            byte[] ksigns = new byte[128];
            {
                MemorySegment blocks = a.allocate(66L * 8);
                for (int b = 0; b < 8; b++) {
                    blocks.set(Layouts.I16, 66L * b, F16_ONE);
                    for (int i = 0; i < 32; i++) blocks.set(Layouts.I8, 66L * b + 2 + 8 * (i / 4) + (i % 4), (byte) (32 * b + i));
                }
                float[] y = r.run("dequantize_row_iq2_xxs", blocks, 8);
                for (int e = 0; e < 256; e++) iq2xxs[e] = magnitudes8(y, 8 * e, 8f);
                // the sign patterns: index 0 everywhere (no zero magnitude in these grids), sign field s in slot s
                MemorySegment signs = a.allocate(66L * 4);
                for (int s = 0; s < 128; s++) {
                    int b = s / 32, ib = (s % 32) / 4, l = s % 4;
                    long at = 66L * b + 2 + 8 * ib + 4;
                    signs.set(Layouts.I16, 66L * b, F16_ONE);
                    signs.set(Layouts.I32, at, signs.get(Layouts.I32, at) | s << (7 * l));
                }
                float[] z = r.run("dequantize_row_iq2_xxs", signs, 4);
                for (int s = 0; s < 128; s++) {
                    int bits = 0;
                    for (int j = 0; j < 8; j++) if (z[8 * s + j] < 0) bits |= 1 << j;
                    ksigns[s] = (byte) bits;
                }
            }
            // IQ2_XS: 74 bytes; 32 16-bit words (9-bit index, 7-bit sign field), 8 scale bytes; scales 0: db = 1/8
            long[] iq2xs = new long[512];
            {
                MemorySegment blocks = a.allocate(74L * 16);
                for (int b = 0; b < 16; b++) {
                    blocks.set(Layouts.I16, 74L * b, F16_ONE);
                    for (int i = 0; i < 32; i++) blocks.set(Layouts.I16, 74L * b + 2 + 2 * i, (short) (32 * b + i));
                }
                float[] y = r.run("dequantize_row_iq2_xs", blocks, 16);
                for (int e = 0; e < 512; e++) iq2xs[e] = magnitudes8(y, 8 * e, 8f);
            }
            // IQ2_S: 82 bytes; 32 low index bytes, 32 sign bytes, 8 bytes of index bits 8-9 (2 per index), 8 scale bytes
            long[] iq2s = new long[1024];
            {
                MemorySegment blocks = a.allocate(82L * 32);
                for (int b = 0; b < 32; b++) {
                    blocks.set(Layouts.I16, 82L * b, F16_ONE);
                    for (int i = 0; i < 32; i++) {
                        int e = 32 * b + i;
                        blocks.set(Layouts.I8, 82L * b + 2 + i, (byte) e);
                        long qh = 82L * b + 66 + i / 4;
                        blocks.set(Layouts.I8, qh, (byte) (blocks.get(Layouts.I8, qh) | (e >> 8) << (2 * (i % 4))));
                    }
                }
                float[] y = r.run("dequantize_row_iq2_s", blocks, 32);
                for (int e = 0; e < 1024; e++) iq2s[e] = magnitudes8(y, 8 * e, 8f);
            }
            // IQ3_XXS: 98 bytes; 64 index bytes (4 values each), 8 words of signs and scale; scale 0: db = 1/4
            int[] iq3xxs = new int[256];
            {
                MemorySegment blocks = a.allocate(98L * 4);
                for (int b = 0; b < 4; b++) {
                    blocks.set(Layouts.I16, 98L * b, F16_ONE);
                    for (int i = 0; i < 64; i++) blocks.set(Layouts.I8, 98L * b + 2 + i, (byte) (64 * b + i));
                }
                float[] y = r.run("dequantize_row_iq3_xxs", blocks, 4);
                for (int e = 0; e < 256; e++) iq3xxs[e] = (int) magnitudes4(y, 4 * e, 4f);
            }
            // IQ3_S: 110 bytes; 64 low index bytes, 8 bytes of index bit 8 (one per index), 32 sign bytes, 4 scale
            // bytes; scales 0: db = 1
            int[] iq3s = new int[512];
            {
                MemorySegment blocks = a.allocate(110L * 8);
                for (int b = 0; b < 8; b++) {
                    blocks.set(Layouts.I16, 110L * b, F16_ONE);
                    for (int i = 0; i < 64; i++) {
                        int e = 64 * b + i;
                        blocks.set(Layouts.I8, 110L * b + 2 + i, (byte) e);
                        long qh = 110L * b + 66 + i / 8;
                        blocks.set(Layouts.I8, qh, (byte) (blocks.get(Layouts.I8, qh) | (e >> 8) << (i % 8)));
                    }
                }
                float[] y = r.run("dequantize_row_iq3_s", blocks, 8);
                for (int e = 0; e < 512; e++) iq3s[e] = (int) magnitudes4(y, 4 * e, 1f);
            }
            // IQ1_S: 50 bytes; f16 d, 32 low index bytes, 8 16-bit words (four 3-bit index tops, 3-bit scale, delta
            // sign); words 0: scale 1, delta +1/8, so each value is grid + 1/8 (exact in float), 1/8 taken back
            long[] iq1s = new long[2048];
            {
                MemorySegment blocks = a.allocate(50L * 64);
                for (int b = 0; b < 64; b++) {
                    blocks.set(Layouts.I16, 50L * b, F16_ONE);
                    for (int i = 0; i < 32; i++) {
                        int e = 32 * b + i;
                        blocks.set(Layouts.I8, 50L * b + 2 + i, (byte) e);
                        long qh = 50L * b + 34 + 2 * (i / 4);
                        blocks.set(Layouts.I16, qh, (short) (blocks.get(Layouts.I16, qh) | (e >> 8) << (3 * (i % 4))));
                    }
                }
                float[] y = r.run("dequantize_row_iq1_s", blocks, 64);
                for (int e = 0; e < 2048; e++) iq1s[e] = ternary8(y, 8 * e);
            }
            return new IqGrids(iq2xxs, iq2xs, iq2s, iq3xxs, iq3s, ksigns, iq1s);
        }
    }

    /** Eight values {@code y[o..o+8)} times {@code scale}, each a whole number 0..255, as the bytes of a long. */
    private static long magnitudes8(float[] y, int o, float scale) {
        return magnitudes4(y, o, scale) | magnitudes4(y, o + 4, scale) << 32;
    }

    private static long magnitudes4(float[] y, int o, float scale) {
        long v = 0;
        for (int j = 0; j < 4; j++) {
            float m = y[o + j] * scale;
            // 1..127: the kernels negate a byte in place (IqGridType.eight), which needs a magnitude that is not 0
            if (!(m >= 1 && m <= 127 && m == (int) m)) {
                throw new ModelException("ggml's library gave a grid value " + y[o + j] + " that is not a magnitude: "
                        + "not the pinned " + NativeLibraries.PINNED + "?");
            }
            v |= (long) (int) m << (8 * j);
        }
        return v;
    }

    /** Eight values {@code y[o..o+8)} less 1/8, each -1, 0 or 1, as the (signed) bytes of a long. */
    private static long ternary8(float[] y, int o) {
        long v = 0;
        for (int j = 0; j < 8; j++) {
            float m = y[o + j] - 0.125f;
            if (!(m == -1 || m == 0 || m == 1)) {
                throw new ModelException("ggml's library gave an IQ1 grid value " + y[o + j] + " that is not -1, 0 or 1 "
                        + "plus 1/8: not the pinned " + NativeLibraries.PINNED + "?");
            }
            v |= ((long) (int) m & 0xFF) << (8 * j);
        }
        return v;
    }

    /** Runs one of ggml's row dequantizers on {@code blocks} super-blocks. */
    private record Reader(SymbolLookup base, Arena a) {
        float[] run(String fn, MemorySegment blocks, int n) {
            MethodHandle h = Linker.nativeLinker().downcallHandle(base.find(fn).orElseThrow(
                    () -> new ModelException("ggml's library lacks " + fn + ": not the pinned " + NativeLibraries.PINNED)),
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
            MemorySegment out = a.allocate(F, 256L * n);
            try {
                h.invokeExact(blocks, out, 256L * n);
            } catch (Throwable t) {
                throw new ModelException("reading the IQ grids from ggml failed: " + t, t);
            }
            return out.toArray(F);
        }
    }
}
