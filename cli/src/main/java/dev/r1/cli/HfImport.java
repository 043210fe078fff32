package dev.r1.cli;

import dev.r1.models.safetensors.SafetensorsModel;
import dev.r1.models.safetensors.SafetensorsTensor;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.ConvertOptions;
import dev.r1.quantize.Converter;
import dev.r1.quantize.TargetType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Lets {@code r1 run}/{@code serve}/{@code eval} take a Hugging Face directory: its safetensors weights are
 * written once, in the type they are stored in (BF16, F16 or F32: no quantization, nothing lost), to a GGUF
 * in the cache ({@code $R1_CACHE/imported}, keyed by the directory's path, file sizes and times), which
 * later runs reuse — as ollama imports a model once. Both engines then read the same file.
 */
final class HfImport {
    private HfImport() {}

    /** {@code model} itself when it is a file, else the imported GGUF of the HF directory (importing it first). */
    static Path gguf(Path model) throws IOException {
        if (!Files.isDirectory(model)) return model;
        Path out = BenchCommand.cacheDir().resolve("imported").resolve(name(model));
        if (Files.isRegularFile(out)) {
            System.err.printf("r1: %s: using its import %s%n", model, out);
            return out;
        }
        TargetType target = storedType(model);
        Files.createDirectories(out.getParent());
        System.err.printf("r1: %s: importing its %s weights as stored into %s (once; later runs reuse it)%n", model, target, out);
        Progress bar = new Progress("import " + target, 1_000_000);
        Converter.convert(model, out, ConvertOptions.of(target).withMeasureError(false)
                .withProgress(e -> bar.update((long) (e.fraction() * 1_000_000))));
        bar.done();
        return out;
    }

    /** The type most weight bytes are stored in; BF16/F16/F32 map to the GGUF type of the same name. */
    static TargetType storedType(Path dir) {
        Map<GgmlType, Long> bytes = new TreeMap<>();
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            for (SafetensorsTensor t : m.tensors()) bytes.merge(t.dtype().ggmlType(), t.end() - t.begin(), Long::sum);
        }
        GgmlType most = bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(GgmlType.BF16);
        return switch (most) {
            case F32 -> TargetType.F32;
            case F16 -> TargetType.F16;
            default -> TargetType.BF16;
        };
    }

    /** The directory's name and a digest of what would change its weights: path, files' sizes and times. */
    static String name(Path dir) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(dir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    md.update((f.getFileName() + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            return dir.toAbsolutePath().normalize().getFileName() + "-" + HexFormat.of().formatHex(md.digest(), 0, 6) + ".gguf";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
