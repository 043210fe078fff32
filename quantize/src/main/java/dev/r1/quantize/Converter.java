package dev.r1.quantize;

import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Converts an HF model directory (config.json, tokenizer files, single or sharded BF16/F16/F32
 * safetensors) or an F32/F16/BF16 GGUF into a GGUF of the target type, with llama-quantize's tensor
 * policy ({@link TensorPolicy}), llama.cpp's metadata and the Llama q/k permutation.
 *
 * <p>Streams tensor by tensor and, within a tensor, chunk by chunk of rows, so memory stays bounded by
 * a few chunk buffers whatever the model size; rows are quantized in parallel ({@link TensorStreamer}). The output is written
 * to a temporary file in the target directory and renamed into place only when complete (a failed or
 * killed run leaves no output); the input is only read.
 */
public final class Converter {
    private Converter() {}

    /** Room kept for the GGUF header (vocabulary, merges, template) in the free-space check. */
    private static final long HEADER_ALLOWANCE = 64L << 20;

    /** Bytes usable in a directory; a parameter so tests can stand in for a full disk. */
    @FunctionalInterface
    interface FreeSpace {
        long usableBytes(Path dir) throws IOException;
    }

    private static final FreeSpace FILE_STORE = dir -> Files.getFileStore(dir).getUsableSpace();

    /** Converts {@code in} to {@code out}; see {@link ConvertOptions}. */
    public static ConversionReport convert(Path in, Path out, ConvertOptions opt) {
        return convert(in, out, opt, FILE_STORE);
    }

    /** {@link #convert(Path, Path, ConvertOptions)} with the free space read from {@code freeSpace}. */
    static ConversionReport convert(Path in, Path out, ConvertOptions opt, FreeSpace freeSpace) {
        long t0 = System.nanoTime();
        checkPaths(in, out, opt.force());
        try (ModelSource src = ModelSource.open(in)) {
            ModelConfig c = src.config();
            // llama-quantize writes tensors in its loader's order: non-layer tensors first, then layer by
            // layer, by name within each; the same order makes the files equal byte for byte.
            List<ModelSource.Tensor> tensors = new ArrayList<>(src.tensors());
            tensors.sort(java.util.Comparator.comparingInt((ModelSource.Tensor t) -> TensorPolicy.layerOf(t.name()))
                    .thenComparing(ModelSource.Tensor::name));
            List<String> warnings = new ArrayList<>();
            List<TensorPolicy.Choice> choices = new ArrayList<>();
            boolean tied = tensors.stream().noneMatch(t -> t.name().equals("output.weight"));
            TensorPolicy.Model model = new TensorPolicy.Model(c.layers(), tied, ModelSource.isLlama70b(c),
                    c.heads() / c.kvHeads(), opt.imatrix() != null);
            long outBytes = 0, totalElements = 0, weights = 0;
            java.util.SortedSet<String> requantized = new java.util.TreeSet<>();
            for (ModelSource.Tensor t : tensors) {
                TensorPolicy.Choice ch = TensorPolicy.choose(t.name(), t.dims(), opt.target(), opt.pure(), model);
                // as llama-quantize: a tensor already of its output type is copied; others are converted
                if (!copied(t, ch)) {
                    if (!t.sourceType().canDequantize()) {
                        throw new QuantizeException(in + ": tensor " + t.name() + " is " + t.sourceType() + ", which r1"
                                + " cannot decode (it reads " + dev.r1.models.tensor.GgmlType.dequantizableNames()
                                + "); convert from the F16/BF16 original, or use llama-quantize --allow-requantize");
                    }
                    if (t.sourceType().isQuantized()) {
                        if (!opt.allowRequantize()) {
                            throw new QuantizeException(in + ": tensor " + t.name() + " is already " + t.sourceType()
                                    + "; requantizing loses quality twice. Convert from the F16/BF16 original, or pass"
                                    + " --allow-requantize");
                        }
                        requantized.add(t.sourceType().name());
                    }
                }
                if (ch.note() != null) warnings.add(t.name() + ": " + ch.note());
                choices.add(ch);
                outBytes += ch.type().byteSize(t.elements());
                totalElements += t.elements();
                weights += t.elements();
            }
            if (!requantized.isEmpty()) { // llama-quantize's warning for --allow-requantize
                warnings.add(0, "requantizing tensors from " + String.join(", ", requantized) + ": this can severely"
                        + " reduce quality compared to quantizing from 16bit or 32bit");
            }
            checkFreeSpace(out, outBytes + HEADER_ALLOWANCE, freeSpace);
            final long total = totalElements;

            List<ConversionReport.TensorReport> reports = new ArrayList<>();
            try (GgufWriter w = GgufWriter.create(out, opt.force());
                 TensorStreamer streamer = new TensorStreamer(opt.measureError())) {
                for (Map.Entry<String, GgufValue> e : src.metadata().entrySet()) w.put(e.getKey(), e.getValue());
                w.putUInt32("general.quantization_version", 2);
                w.putUInt32("general.file_type", opt.target().fileType());
                Imatrix imx = opt.imatrix();
                if (imx != null && imx.file() != null) { // what llama-quantize --imatrix records, in its order
                    w.putString("quantize.imatrix.file", truncate(imx.file()));
                    if (!imx.datasets().isEmpty()) w.putString("quantize.imatrix.dataset", truncate(imx.datasets().get(0)));
                    // uint32, as llama-quantize writes its integer overrides (llama-quant.cpp, ggml-org/llama.cpp#14182)
                    w.putUInt32("quantize.imatrix.entries_count", imx.values().size());
                    if (imx.chunkCount() > 0) w.putUInt32("quantize.imatrix.chunks_count", imx.chunkCount());
                }
                for (int i = 0; i < tensors.size(); i++) {
                    w.addTensor(tensors.get(i).name(), choices.get(i).type(), tensors.get(i).dims());
                }
                long[] done = {0};
                for (int i = 0; i < tensors.size(); i++) {
                    ModelSource.Tensor t = tensors.get(i);
                    TensorPolicy.Choice ch = choices.get(i);
                    int index = i;
                    double[][] err = new double[1][]; // sum of squared errors, max |error|, elements
                    if (copied(t, ch)) {
                        w.writeTensorData(t.name(), t.stored());
                        err[0] = new double[] {0, 0, t.elements()};
                    } else {
                        float[] im = imatrixFor(opt, t, warnings);
                        w.writeTensorData(t.name(), sink -> err[0] = streamer.write(t, ch.type(), im, sink, e -> {
                            if (opt.progress() != null) {
                                opt.progress().update(new ConvertOptions.Event(t.name(), index, tensors.size(),
                                        done[0] + e, total, (System.nanoTime() - t0) / 1e9));
                            }
                        }));
                    }
                    done[0] += t.elements();
                    double rmse = Math.sqrt(err[0][0] / Math.max(1, err[0][2]));
                    reports.add(new ConversionReport.TensorReport(t.name(), t.dims(), t.sourceType().name(),
                            ch.type().name(), ch.type().byteSize(t.elements()), rmse, err[0][1], ch.note()));
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

    /**
     * {@code t}'s column weights from the importance matrix, as llama-quantize looks them up: none (and a
     * warning) when the matrix has no entry, an error when the entry's length is not the row length.
     */
    private static float[] imatrixFor(ConvertOptions opt, ModelSource.Tensor t, List<String> warnings) {
        if (opt.imatrix() == null || t.dims().length < 2) return null;
        float[] im = opt.imatrix().values().get(t.name());
        if (im == null) {
            warnings.add(t.name() + ": the importance matrix has no entry for it; quantized without");
            return null;
        }
        if (im.length != t.rowLength()) {
            throw new QuantizeException("importance matrix entry " + t.name() + " has " + im.length
                    + " values, the tensor's rows " + t.rowLength() + "; was it computed for another model?");
        }
        return im;
    }

    /** llama-quantize passes these strings through a 128-byte override buffer. */
    private static String truncate(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return b.length <= 127 ? s : new String(b, 0, 127, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Whether {@code t} is written as stored: it comes from a GGUF in the type chosen for it. */
    private static boolean copied(ModelSource.Tensor t, TensorPolicy.Choice ch) {
        return t.stored() != null && t.sourceType() == ch.type();
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

    private static void checkFreeSpace(Path out, long needed, FreeSpace freeSpace) {
        Path dir = out.toAbsolutePath().normalize().getParent();
        try {
            long free = freeSpace.usableBytes(dir);
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
