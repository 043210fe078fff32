package dev.r1.quantize;

import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Converts an HF model directory (config.json, tokenizer files, single or sharded BF16/F16/F32
 * safetensors) or an F32/F16/BF16 GGUF into a GGUF of the target type, with llama-quantize's tensor
 * policy ({@link TensorPolicy}), llama.cpp's metadata and the Llama q/k permutation.
 *
 * <p>Streams tensor by tensor and, within a tensor, chunk by chunk of rows, so memory stays bounded by
 * a few chunk buffers whatever the model size; rows are quantized in parallel. The output is written
 * to a temporary file in the target directory and renamed into place only when complete (a failed or
 * killed run leaves no output); the input is only read.
 */
public final class Converter {
    private Converter() {}

    /** Floats per chunk: 16 MiB of input rows on the heap at a time. */
    private static final long CHUNK_ELEMENTS = 4L << 20;
    /** Room kept for the GGUF header (vocabulary, merges, template) in the free-space check. */
    private static final long HEADER_ALLOWANCE = 64L << 20;

    /** Converts {@code in} to {@code out}; see {@link ConvertOptions}. */
    public static ConversionReport convert(Path in, Path out, ConvertOptions opt) {
        long t0 = System.nanoTime();
        checkPaths(in, out, opt.force());
        try (ModelSource src = ModelSource.open(in)) {
            ModelConfig c = src.config();
            List<ModelSource.Tensor> tensors = src.tensors();
            List<String> warnings = new ArrayList<>();
            List<TensorPolicy.Choice> choices = new ArrayList<>();
            boolean tied = tensors.stream().noneMatch(t -> t.name().equals("output.weight"));
            long outBytes = 0, totalElements = 0, weights = 0;
            for (ModelSource.Tensor t : tensors) {
                if (t.sourceType().isQuantized()) {
                    if (!opt.allowRequantize()) {
                        throw new QuantizeException(in + ": tensor " + t.name() + " is already " + t.sourceType()
                                + "; requantizing loses quality twice. Convert from the F16/BF16 original, or pass"
                                + " --allow-requantize");
                    }
                    warnings.add("requantizing " + t.name() + " from " + t.sourceType());
                }
                TensorPolicy.Choice ch = TensorPolicy.choose(t.name(), t.dims(), opt.target(), opt.pure(), c.layers(),
                        tied, ModelSource.isLlama70b(c));
                if (ch.note() != null) warnings.add(t.name() + ": " + ch.note());
                choices.add(ch);
                outBytes += ch.type().byteSize(t.elements());
                totalElements += t.elements();
                weights += t.elements();
            }
            checkFreeSpace(out, outBytes + HEADER_ALLOWANCE);
            final long total = totalElements;

            List<ConversionReport.TensorReport> reports = new ArrayList<>();
            try (GgufWriter w = GgufWriter.create(out, opt.force())) {
                for (Map.Entry<String, GgufValue> e : src.metadata().entrySet()) w.put(e.getKey(), e.getValue());
                w.putUInt32("general.quantization_version", 2);
                w.putUInt32("general.file_type", opt.target().fileType());
                for (int i = 0; i < tensors.size(); i++) {
                    w.addTensor(tensors.get(i).name(), choices.get(i).type(), tensors.get(i).dims());
                }
                long[] done = {0};
                for (int i = 0; i < tensors.size(); i++) {
                    ModelSource.Tensor t = tensors.get(i);
                    TensorPolicy.Choice ch = choices.get(i);
                    int index = i;
                    double[] err = new double[3]; // sum of squared errors, max |error|, elements
                    w.writeTensorData(t.name(), sink -> writeTensor(t, ch.type(), opt, sink, err, e -> {
                        if (opt.progress() != null) {
                            opt.progress().update(new ConvertOptions.Event(t.name(), index, tensors.size(),
                                    done[0] + e, total, (System.nanoTime() - t0) / 1e9));
                        }
                    }));
                    done[0] += t.elements();
                    double rmse = opt.measureError() ? Math.sqrt(err[0] / Math.max(1, err[2])) : Double.NaN;
                    reports.add(new ConversionReport.TensorReport(t.name(), t.dims(), t.sourceType().name(),
                            ch.type().name(), ch.type().byteSize(t.elements()), rmse,
                            opt.measureError() ? err[1] : Double.NaN, ch.note()));
                }
                w.commit();
            }
            long written;
            try {
                written = Files.size(out);
            } catch (IOException e) {
                written = outBytes;
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            return new ConversionReport(in.toString(), out.toString(), opt.target().name(), src.inputBytes(), written,
                    weights, weights == 0 ? 0 : outBytes * 8.0 / totalElements, secs, List.copyOf(reports),
                    List.copyOf(warnings));
        } catch (ModelException e) {
            throw new QuantizeException(e.getMessage(), e);
        }
    }

    /** Streams one tensor: read a chunk of rows, quantize it in parallel, measure its error, write it. */
    private static void writeTensor(ModelSource.Tensor t, GgmlType type, ConvertOptions opt,
                                    java.nio.channels.WritableByteChannel sink, double[] err,
                                    java.util.function.LongConsumer progress) throws IOException {
        RowQuantizer q = Quantizers.forType(type);
        int rowLength = Math.toIntExact(t.rowLength());
        long rows = t.rows();
        int chunkRows = (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / rowLength));
        long rowBytes = q.rowBytes(rowLength);
        float[] in = new float[Math.toIntExact((long) chunkRows * rowLength)];
        byte[] outBuf = new byte[Math.toIntExact(chunkRows * rowBytes)];
        float[] back = opt.measureError() && type != GgmlType.F32 ? new float[in.length] : null;
        for (long r0 = 0; r0 < rows; r0 += chunkRows) {
            int n = (int) Math.min(chunkRows, rows - r0);
            t.reader().read(r0, n, in);
            Quantizers.quantizeRows(q, t.name(), in, 0, n, rowLength, MemorySegment.ofArray(outBuf), 0);
            if (back != null) measure(type, outBuf, in, back, n, rowLength, err);
            else err[2] += (double) n * rowLength;
            ByteBuffer b = ByteBuffer.wrap(outBuf, 0, Math.toIntExact(n * rowBytes));
            while (b.hasRemaining()) sink.write(b);
            progress.accept((r0 + n) * rowLength);
        }
    }

    /** Adds the chunk's squared error and max |error| (decoded output vs input, in double) to err. */
    private static void measure(GgmlType type, byte[] out, float[] in, float[] back, int rows, int rowLength, double[] err) {
        long rowBytes = type.byteSize(rowLength);
        MemorySegment seg = MemorySegment.ofArray(out);
        double[][] parts = IntStream.range(0, rows).parallel().mapToObj(r -> {
            type.dequantize(seg, r * rowBytes, back, r * rowLength, rowLength);
            double se = 0, max = 0;
            for (int i = r * rowLength; i < (r + 1) * rowLength; i++) {
                double d = (double) back[i] - in[i];
                se += d * d;
                max = Math.max(max, Math.abs(d));
            }
            return new double[] {se, max};
        }).toArray(double[][]::new);
        for (double[] p : parts) {
            err[0] += p[0];
            err[1] = Math.max(err[1], p[1]);
        }
        err[2] += (double) rows * rowLength;
    }

    /**
     * The default output name: next to the input, {@code <name>-<type>.gguf} (an HF directory's name, or
     * a GGUF's name without {@code .gguf} and a trailing {@code -f16}/{@code -bf16}/{@code -f32}).
     */
    public static Path defaultOutput(Path in, TargetType target) {
        Path abs = in.toAbsolutePath().normalize();
        String base = abs.getFileName().toString();
        if (!Files.isDirectory(abs)) {
            base = base.replaceFirst("(?i)\\.gguf$", "").replaceFirst("(?i)[-.](f16|bf16|f32)$", "");
        }
        Path dir = abs.getParent() == null ? abs : abs.getParent();
        return dir.resolve(base + "-" + target.fileSuffix() + ".gguf");
    }

    private static void checkPaths(Path in, Path out, boolean force) {
        Path a = in.toAbsolutePath().normalize(), b = out.toAbsolutePath().normalize();
        if (a.equals(b) || b.startsWith(a) && !Files.isDirectory(a)) {
            throw new QuantizeException(out + ": the output would replace the input; choose another name");
        }
        try {
            if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
                throw new QuantizeException(out + ": the output is the input file; choose another name");
            }
        } catch (IOException ignored) {
            // unreadable paths fail below with a clearer message
        }
        if (Files.isDirectory(out)) throw new QuantizeException(out + ": is a directory; give an output file name");
        if (!force && Files.exists(out)) {
            throw new QuantizeException(out + ": already exists; refusing to overwrite it (use --force to replace it)");
        }
        Path dir = b.getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new QuantizeException(out + ": directory " + dir + " does not exist");
    }

    private static void checkFreeSpace(Path out, long needed) {
        Path dir = out.toAbsolutePath().normalize().getParent();
        try {
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < needed) {
                throw new QuantizeException(dir + ": needs about " + mb(needed) + " MB free for " + out.getFileName()
                        + ", only " + mb(free) + " MB available");
            }
        } catch (IOException e) {
            throw new QuantizeException(dir + ": cannot check free space: " + e.getMessage(), e);
        }
    }

    private static long mb(long bytes) { return (bytes + 999_999) / 1_000_000; }
}
