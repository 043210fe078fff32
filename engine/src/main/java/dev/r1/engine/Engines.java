package dev.r1.engine;

import dev.r1.engine.llamacpp.LlamaCppModel;
import dev.r1.engine.llamacpp.LlamaCppSession;
import dev.r1.engine.cuda.CudaBackend;
import dev.r1.engine.model.Backend;
import dev.r1.engine.model.JavaModel;
import dev.r1.engine.model.JavaSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The one place a backend is chosen by name, for the CLI, the server, eval and the Java API alike:
 * {@code java} (our engine on the CPU), {@code llama.cpp} (through the generated bindings), and
 * {@code cuda} (our forward pass on an NVIDIA GPU through the driver API, {@code CudaBackend}).
 */
public final class Engines {
    /** The names users type after {@code --backend}, canonical spelling. */
    public static final List<String> NAMES = List.of("auto", "java", "llama.cpp", "cuda");

    /**
     * Matrix types the Java engine has kernels for (bit-identical to llama.cpp's haswell library, at its
     * speed); other types it can still run, slowly, by dequantizing rows: {@code auto} leaves those to llama.cpp.
     */
    public static final java.util.Set<dev.r1.models.tensor.GgmlType> JAVA_KERNELS = java.util.EnumSet.of(
            dev.r1.models.tensor.GgmlType.F32, dev.r1.models.tensor.GgmlType.Q4_0, dev.r1.models.tensor.GgmlType.Q8_0,
            dev.r1.models.tensor.GgmlType.Q4_K, dev.r1.models.tensor.GgmlType.Q6_K,
            dev.r1.models.tensor.GgmlType.Q4_1, dev.r1.models.tensor.GgmlType.Q5_0, dev.r1.models.tensor.GgmlType.Q5_1,
            dev.r1.models.tensor.GgmlType.IQ4_NL);

    /** A backend picked for a file, and why (for the one line {@code auto} prints). */
    public record Choice(String backend, String why) {}

    /**
     * {@code auto}: our engine when it has a kernel for every matrix type of {@code file}, llama.cpp
     * otherwise; any other name is checked and returned as it is.
     */
    public static Choice resolve(String backend, Path file) {
        String n = check(backend);
        if (!n.equals("auto")) return new Choice(n, null);
        java.util.Set<String> missing = new java.util.TreeSet<>();
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(file)) {
            for (dev.r1.models.gguf.GgufTensor t : f.tensors()) {
                boolean matrix = t.nElements() > t.dim(0);
                if (matrix && !JAVA_KERNELS.contains(t.type())) missing.add(t.type().name());
            }
        }
        return missing.isEmpty() ? new Choice("java", "the Java engine has kernels for every tensor type of this file")
                : new Choice("llama.cpp", "the Java engine has no kernel for " + String.join(", ", missing)
                        + " (--backend java runs it slowly, dequantizing rows)");
    }

    private Engines() {}

    /** The canonical spelling of a backend name ("llamacpp" and "llama" are llama.cpp). */
    public static String canonical(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "llamacpp", "llama", "llama-cpp" -> "llama.cpp";
            default -> n;
        };
    }

    /** @throws IllegalArgumentException naming the backends there are when {@code name} is none of them */
    public static String check(String name) {
        String n = canonical(name);
        if (!NAMES.contains(n)) throw new IllegalArgumentException("unknown backend '" + name + "'; choose one of " + NAMES);
        return n;
    }

    /**
     * Loads {@code file} on {@code backend} with {@code threads} CPU threads (the Java backend's pool; a
     * llama.cpp session takes its own count from {@link SessionOptions#threads()}).
     */
    public static Model load(String backend, Path file, int threads) {
        return switch (resolve(backend, file).backend()) {
            case "llama.cpp" -> LlamaCppModel.load(file);
            case "cuda" -> JavaModel.load(file, Engines::cuda, threads);
            default -> JavaModel.load(file, threads);
        };
    }

    /** Loads {@code file} and opens one session that owns the model (closing the session closes both). */
    public static Session open(String backend, Path file, SessionOptions o) {
        return switch (resolve(backend, file).backend()) {
            case "llama.cpp" -> LlamaCppSession.open(file, o);
            case "cuda" -> JavaSession.open(file, o, Engines::cuda);
            default -> JavaSession.open(file, o);
        };
    }

    /** The CUDA backend, or one line saying why there is none here (no driver, no GPU, no kernels built). */
    private static Backend cuda(int threads) {
        String why = CudaBackend.unavailableReason();
        if (why != null) throw new IllegalStateException("--backend cuda: " + why);
        return new CudaBackend();
    }
}
