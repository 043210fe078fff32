package dev.r1.quantize;

import dev.r1.models.tensor.GgmlType;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/**
 * Streams one tensor after another into the output. A chunk of rows is split into small tasks, and
 * each task decodes its rows from the input, checks them for NaN/Inf, quantizes them and (when asked)
 * measures their error, all while the rows are still in the core's cache; meanwhile a writer thread
 * writes the previous chunk. Profiling showed the earlier separate passes (decode a 16 MiB chunk,
 * then quantize it, then measure it, then write it) spending most of their time moving floats through
 * memory and waiting for the write.
 */
final class TensorStreamer implements AutoCloseable {
    /** Input elements per chunk: bounds the output buffers (two chunks, about 5 MB for Q4_0). */
    private static final long CHUNK_ELEMENTS = 4L << 20;
    /** Input elements per parallel task: its floats (256 KiB) stay in L2. */
    private static final long TASK_ELEMENTS = 1 << 16;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private final boolean measure;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "r1-quantize-writer");
        t.setDaemon(true);
        return t;
    });

    /** @param measure whether to measure each tensor's error (decoded output vs input) */
    TensorStreamer(boolean measure) {
        this.measure = measure;
    }

    /**
     * Writes {@code t} as {@code type} to {@code sink} and returns its error: sum of squared errors,
     * max |error|, elements (NaN, NaN, elements when not measuring).
     *
     * @param progress called on this thread with the input elements done so far
     */
    double[] write(ModelSource.Tensor t, GgmlType type, WritableByteChannel sink, LongConsumer progress) throws IOException {
        return write(t, type, null, sink, progress);
    }

    /** As {@link #write(ModelSource.Tensor, GgmlType, WritableByteChannel, LongConsumer)}, with column weights (or null). */
    double[] write(ModelSource.Tensor t, GgmlType type, float[] imatrix, WritableByteChannel sink, LongConsumer progress)
            throws IOException {
        RowQuantizer q = Quantizers.forType(type);
        int rowLength = Math.toIntExact(t.rowLength());
        Quantizers.checkRowLength(q, t.name(), rowLength);
        long rows = t.rows();
        int rowBytes = Math.toIntExact(q.rowBytes(rowLength));
        int chunkRows = (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / rowLength));
        int taskRows = (int) Math.max(1, Math.min(chunkRows, TASK_ELEMENTS / rowLength));
        boolean measureThis = measure && type != GgmlType.F32;
        byte[][] bufs = {new byte[Math.multiplyExact(chunkRows, rowBytes)],
                rows > chunkRows ? new byte[chunkRows * rowBytes] : null};
        @SuppressWarnings("unchecked") Future<Void>[] pending = new Future[2];
        double[] err = {0, 0, (double) rows * rowLength};
        boolean ok = false;
        try {
            int k = 0;
            for (long r0 = 0; r0 < rows; r0 += chunkRows, k ^= 1) {
                int n = (int) Math.min(chunkRows, rows - r0);
                await(pending[k]); // the buffer's previous chunk is written before the buffer is reused
                byte[] out = bufs[k];
                long first = r0;
                int tasks = (n + taskRows - 1) / taskRows;
                IntStream range = IntStream.range(0, tasks);
                if (tasks > 1) range = range.parallel();
                double[][] parts = range.mapToObj(i -> {
                    int from = i * taskRows, count = Math.min(taskRows, n - from);
                    return encode(t, q, type, imatrix, first + from, count, rowLength, out, from * rowBytes, measureThis);
                }).toArray(double[][]::new);
                t.release().done(first, n);
                if (measureThis) {
                    for (double[] p : parts) { // in row order, so the report is deterministic
                        err[0] += p[0];
                        err[1] = Math.max(err[1], p[1]);
                    }
                }
                ByteBuffer b = ByteBuffer.wrap(out, 0, n * rowBytes);
                pending[k] = writer.submit(() -> {
                    while (b.hasRemaining()) sink.write(b);
                    return null;
                });
                progress.accept((r0 + n) * rowLength);
            }
            await(pending[0]);
            await(pending[1]);
            t.release().done(0, rows);
            ok = true;
        } finally {
            if (!ok) { // never leave a write running into a file the caller is about to discard
                for (Future<Void> f : pending) {
                    if (f != null) {
                        try {
                            f.get();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } catch (ExecutionException ignored) {
                            // the first failure is already propagating
                        }
                    }
                }
            }
        }
        if (!measure) { // (F32 output is exact: its measured error stays 0)
            err[0] = Double.NaN;
            err[1] = Double.NaN;
        }
        return err;
    }

    /** Decodes, checks, quantizes (and measures) rows {@code [first, first+count)} into {@code out[outOff..]}. */
    private static double[] encode(ModelSource.Tensor t, RowQuantizer q, GgmlType type, float[] imatrix, long first, int count,
                                   int rowLength, byte[] out, int outOff, boolean measure) {
        int n = count * rowLength;
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < n) scratch[0] = new float[n];
        float[] x = scratch[0];
        t.reader().read(first, count, x);
        Quantizers.checkFinite(t.name(), x, 0, count, rowLength, first);
        int rowBytes = Math.toIntExact(q.rowBytes(rowLength));
        for (int r = 0; r < count; r++) q.quantizeRow(x, r * rowLength, rowLength, imatrix, out, outOff + r * rowBytes);
        if (!measure) return null;
        if (scratch[1].length < n) scratch[1] = new float[n];
        float[] back = scratch[1];
        type.dequantize(MemorySegment.ofArray(out), outOff, back, 0, n);
        double se = 0, max = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) back[i] - x[i];
            se += d * d;
            max = Math.max(max, Math.abs(d));
        }
        return new double[] {se, max};
    }

    private static void await(Future<Void> f) throws IOException {
        if (f == null) return;
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException(e.getCause());
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }
}
