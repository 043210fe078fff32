package dev.r1.quantize;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Entry point to the quantizers: look one up by ggml type, and quantize many rows at once (in parallel,
 * with the input checked for NaN/Inf so a broken tensor is reported by name, not silently encoded).
 */
public final class Quantizers {
    private Quantizers() {}

    /** Every type r1 can write. */
    public static final List<RowQuantizer> ALL = List.of(FloatQuantizers.F32, FloatQuantizers.F16,
            Q4_0Quantizer.INSTANCE, Q4_1Quantizer.INSTANCE, Q5_0Quantizer.INSTANCE, Q5_1Quantizer.INSTANCE,
            Q8_0Quantizer.INSTANCE, Q2_KQuantizer.INSTANCE, Q3_KQuantizer.INSTANCE, Q4_KQuantizer.INSTANCE,
            Q5_KQuantizer.INSTANCE, Q6_KQuantizer.INSTANCE, IQ4Quantizer.NL, IQ4Quantizer.XS, FloatQuantizers.BF16);

    /** Rows per parallel task: enough work to amortise scheduling, small enough to balance 2..64 cores. */
    private static final long TASK_ELEMENTS = 1 << 16;

    /** The quantizer for ggml type id {@code ggmlTypeId} ({@code enum ggml_type}). */
    public static RowQuantizer forId(int ggmlTypeId) {
        for (RowQuantizer q : ALL) if (q.ggmlTypeId() == ggmlTypeId) return q;
        throw new QuantizeException("r1 cannot write ggml type id " + ggmlTypeId + "; it writes "
                + ALL.stream().map(q -> q.typeName() + "(" + q.ggmlTypeId() + ")").toList());
    }

    /** The quantizer writing {@code type}. */
    public static RowQuantizer forType(dev.r1.models.tensor.GgmlType type) {
        return forId(type.id());
    }

    /** The quantizer for a ggml type name such as {@code Q4_0} or {@code q4_k} (case-insensitive). */
    public static RowQuantizer forName(String typeName) {
        for (RowQuantizer q : ALL) if (q.typeName().equalsIgnoreCase(typeName)) return q;
        throw new QuantizeException("r1 cannot write ggml type " + typeName + "; it writes "
                + ALL.stream().map(RowQuantizer::typeName).toList());
    }

    /**
     * Quantizes {@code rows} rows of {@code nPerRow} floats from {@code src[srcOff..]} into
     * {@code dst[dstOff..]} (rows back to back, as ggml lays them out), in parallel when there is enough
     * work.
     *
     * @param tensorName named in errors (NaN/Inf input, bad row length)
     * @throws QuantizeException if a value is NaN or infinite, or the row length does not fit the type
     */
    public static void quantizeRows(RowQuantizer q, String tensorName, float[] src, int srcOff, int rows,
                                    int nPerRow, MemorySegment dst, long dstOff) {
        quantizeRows(q, tensorName, src, srcOff, rows, nPerRow, null, dst, dstOff);
    }

    /**
     * As {@link #quantizeRows(RowQuantizer, String, float[], int, int, int, MemorySegment, long)} with an
     * importance matrix ({@code nPerRow} column weights, or null), as llama-quantize's {@code --imatrix}.
     */
    public static void quantizeRows(RowQuantizer q, String tensorName, float[] src, int srcOff, int rows,
                                    int nPerRow, float[] imatrix, MemorySegment dst, long dstOff) {
        checkRowLength(q, tensorName, nPerRow);
        if (imatrix != null && imatrix.length != nPerRow) {
            throw new QuantizeException("tensor " + tensorName + ": the importance matrix has " + imatrix.length
                    + " columns, the rows " + nPerRow);
        }
        long rowBytes = q.rowBytes(nPerRow);
        if (srcOff < 0 || (long) srcOff + (long) rows * nPerRow > src.length) {
            throw new IllegalArgumentException("tensor " + tensorName + ": " + rows + " rows of " + nPerRow
                    + " at " + srcOff + " exceed the source array of " + src.length);
        }
        if (dstOff < 0 || dstOff + rows * rowBytes > dst.byteSize()) {
            throw new IllegalArgumentException("tensor " + tensorName + ": " + rows * rowBytes
                    + " bytes at " + dstOff + " exceed the destination of " + dst.byteSize());
        }
        int rowsPerTask = (int) Math.max(1, TASK_ELEMENTS / Math.max(1, nPerRow));
        int tasks = (rows + rowsPerTask - 1) / rowsPerTask;
        // Workers fill heap buffers and only the calling thread writes dst, so a confined segment (or a
        // mapped file owned by the caller's arena) works as the destination.
        byte[][] parts = new byte[tasks][];
        IntStream range = IntStream.range(0, tasks);
        if (tasks > 1) range = range.parallel();
        range.forEach(t -> {
            int r0 = t * rowsPerTask, r1 = Math.min(rows, r0 + rowsPerTask);
            byte[] out = new byte[Math.toIntExact((r1 - r0) * rowBytes)];
            checkFinite(tensorName, src, srcOff + r0 * nPerRow, r1 - r0, nPerRow, r0);
            for (int r = r0; r < r1; r++) {
                int off = srcOff + r * nPerRow;
                q.quantizeRow(src, off, nPerRow, imatrix, out, (int) ((r - r0) * rowBytes));
            }
            parts[t] = out;
        });
        long pos = dstOff;
        for (byte[] part : parts) {
            MemorySegment.copy(part, 0, dst, ValueLayout.JAVA_BYTE, pos, part.length);
            pos += part.length;
        }
    }

    /** Quantizes one tensor held in one array into a new byte array (small tensors, tests). */
    public static byte[] quantize(RowQuantizer q, String tensorName, float[] src, int rows, int nPerRow) {
        return quantize(q, tensorName, src, rows, nPerRow, null);
    }

    /** {@link #quantize(RowQuantizer, String, float[], int, int)} with an importance matrix (or null). */
    public static byte[] quantize(RowQuantizer q, String tensorName, float[] src, int rows, int nPerRow, float[] imatrix) {
        checkRowLength(q, tensorName, nPerRow);
        byte[] out = new byte[Math.toIntExact(rows * q.rowBytes(nPerRow))];
        quantizeRows(q, tensorName, src, 0, rows, nPerRow, imatrix, MemorySegment.ofArray(out), 0);
        return out;
    }

    static void checkRowLength(RowQuantizer q, String tensorName, int nPerRow) {
        if (nPerRow <= 0 || nPerRow % q.blockSize() != 0) {
            throw new QuantizeException("tensor " + tensorName + ": rows of " + nPerRow + " elements cannot be "
                    + q.typeName() + ", which needs a multiple of " + q.blockSize());
        }
    }

    // 256 bits as every other vector loop in the process: one shape keeps the Vector API's shared type
    // profiles clean for the engine's kernels (engine VectorWidths), even on AVX-512
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /**
     * Throws, naming the tensor, row and column, if any of {@code rows} rows of {@code rowLength} floats
     * at {@code src[off..]} (rows {@code firstRow..} of the tensor) is NaN or infinite. The scan compares
     * magnitude bits (finite floats are below 0x7f800000) with vectors: a scalar Float.isFinite loop took
     * 6% of a whole Q4_0 conversion's CPU time.
     */
    static void checkFinite(String tensorName, float[] src, int off, int rows, int rowLength, long firstRow) {
        int n = rows * rowLength, i = 0;
        IntVector max = IntVector.zero(IntVector.SPECIES_256);
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            max = max.max(FloatVector.fromArray(F, src, off + i).reinterpretAsInts().and(0x7fffffff));
        }
        int m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, Float.floatToRawIntBits(src[off + i]) & 0x7fffffff);
        if (m < 0x7f800000) return;
        for (i = 0; i < n; i++) {
            if (!Float.isFinite(src[off + i])) {
                throw new QuantizeException("tensor " + tensorName + " has " + src[off + i] + " at row "
                        + (firstRow + i / rowLength) + ", column " + i % rowLength
                        + "; the input model is corrupt (NaN/Inf weights cannot be quantized)");
            }
        }
    }
}
