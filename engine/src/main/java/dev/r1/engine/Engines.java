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
     * Matrix types the Java engine has kernels for, each bit-identical to llama.cpp's haswell library
     * (Q4_1/Q5_1 within its tolerance): every type the reader can decode. The rest (MXFP4, the ternary types) only
     * llama.cpp runs.
     */
    public static final java.util.Set<dev.r1.models.tensor.GgmlType> JAVA_KERNELS = java.util.EnumSet.of(
            dev.r1.models.tensor.GgmlType.F32, dev.r1.models.tensor.GgmlType.Q4_0, dev.r1.models.tensor.GgmlType.Q8_0,
            dev.r1.models.tensor.GgmlType.Q4_K, dev.r1.models.tensor.GgmlType.Q6_K,
            dev.r1.models.tensor.GgmlType.Q5_K, dev.r1.models.tensor.GgmlType.Q3_K, dev.r1.models.tensor.GgmlType.Q2_K,
            dev.r1.models.tensor.GgmlType.IQ4_XS,
            dev.r1.models.tensor.GgmlType.Q4_1, dev.r1.models.tensor.GgmlType.Q5_0, dev.r1.models.tensor.GgmlType.Q5_1,
            dev.r1.models.tensor.GgmlType.IQ4_NL,
            // read in place, activations rounded to the weights' type as ggml does (HalfKernels, session 36)
            dev.r1.models.tensor.GgmlType.F16, dev.r1.models.tensor.GgmlType.BF16,
            // the lookup-grid types: exact (IQuants, IQ1Quants; the IQ2/IQ3 types repacked on 512-bit machines), no auto
            dev.r1.models.tensor.GgmlType.IQ2_XXS, dev.r1.models.tensor.GgmlType.IQ2_XS, dev.r1.models.tensor.GgmlType.IQ2_S,
            dev.r1.models.tensor.GgmlType.IQ3_XXS, dev.r1.models.tensor.GgmlType.IQ3_S,
            dev.r1.models.tensor.GgmlType.IQ1_S, dev.r1.models.tensor.GgmlType.IQ1_M);

    /**
     * Whether llama.cpp prefills with AMX here: the CPU has AMX-INT8, so ggml loads its {@code sapphirerapids} library
     * (unless {@code R1_GGML_CPU} names another variant), whose AMX tiles multiply int8 blocks 16x16 at a time and the
     * Vector API cannot reach ({@link dev.r1.engine.cpu.GgmlVariant#amx} decides it).
     */
    public static final boolean LLAMA_AMX = dev.r1.engine.cpu.GgmlVariant.AMX;

    /**
     * The types llama.cpp's AMX library prefills several times faster than the Java engine, measured on a Sapphire
     * Rapids-class machine (2 vCPU, session 37, 1.5B files, prompt 32): Java's prefill 0.35x llama.cpp's for Q4_0, 0.24x
     * Q4_1, 0.19x Q8_0, 0.22-0.24x Q5_K, 0.30x Q6_K, 0.30x F16 (ggml's AVX512-FP16 there), with decode within 0.8-1.1x
     * either way; Q4_K (0.31x) and IQ4_XS (0.27x), never in {@link #AUTO_JAVA}, are here for the line auto prints.
     * {@code auto} leaves these to llama.cpp on such machines; Q5_0, Q5_1, Q3_K stay ours (decode 1.1-2x, prefill
     * 0.7-1.4x).
     */
    static final java.util.Set<dev.r1.models.tensor.GgmlType> AMX_TYPES = java.util.EnumSet.of(
            dev.r1.models.tensor.GgmlType.Q4_0, dev.r1.models.tensor.GgmlType.Q4_1, dev.r1.models.tensor.GgmlType.Q8_0,
            dev.r1.models.tensor.GgmlType.Q5_K, dev.r1.models.tensor.GgmlType.Q6_K, dev.r1.models.tensor.GgmlType.F16,
            dev.r1.models.tensor.GgmlType.Q4_K, dev.r1.models.tensor.GgmlType.IQ4_XS);

    /**
     * The types whose Java kernels run at llama.cpp's speed (decode measured >= 0.9x, docs/BENCHMARKS.md):
     * {@code auto} picks the Java engine only for files made of these. Q4_0 and Q8_0 (repacked, {@code Q4x8} /
     * {@code Q8x8}) on AVX2 and Zen 4; Q5_0, Q5_1 (repacked a byte per value, {@code Q8x8}) 0.93-1.23x on
     * Zen 4, and 1.5x their row-major kernels at 256 bits (session 19); Q4_1 in 4 bits 1.33-1.72x on Zen 4, 0.97x
     * over seven pairs under AVX2 code (session 23). The other kernels are exact but slower
     * today somewhere: Q4_K ({@code Q4Kx8}) decodes a Q4_K_M file at 0.93-1.05x on Zen 4 but prefills at 0.6x (and
     * decodes at 0.78x under AVX2 code, session 31), Q2_K 0.90-0.92x decode, 0.7x prefill in 2 bits ({@code Q2Kx4}, 512-bit machines;
     * 0.51x under AVX2 code, session 22); IQ4_NL and IQ4_XS decode at 1.1-1.3x in 4 bits on 512-bit machines but
     * prefill at 0.4x / 0.55x (docs/BENCHMARKS.md, session 26; IQ4_NL 0.59x since session 30, IQ4_XS 0.61x since its 8+-token prompts take llama.cpp's
     * IQ panel order on the repacked layout, session 30), and the IQ1-IQ3 types decode at 0.24-0.28x (session 29) but for
     * IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S in IQ4_XS's 4-bit layout on 512-bit machines, which decode at 1.7-2.8x and
     * prefill at 0.5-0.66x (session 30), and IQ1_S / IQ1_M there too (1.35x / 1.0x decode, 0.57x / 0.70x prefill, session 31); auto is there
     * to pick the faster engine, and a type joins this set when its figure does. Q3_K joins where it runs in 4 bits
     * ({@code Q3Kx4}, 512-bit machines: a Q3_K_M file decodes at 0.96x and prefills at 1.02x, session 20; 1.27x and
     * 1.0x since session 26), and Q5_K too ({@code Q5Kx8}, 512-bit machines: a Q5_K_M file decodes at 0.91-1.0x and
     * prefills at 1.0-1.2x, session 26), and Q6_K ({@code Q6Kx6}, 512-bit machines; elsewhere as the head only,
     * {@link #autoJavaAt}). F16 ({@code HalfKernels}, session 36): decode 1.25x on Zen 4 and 1.15x under AVX2 code,
     * prefill 1.0x and 0.82x. Not BF16: it decodes at 1.0-1.4x but prefills at 0.63x where ggml has AVX512-BF16's
     * pair-summing dot ({@code vdpbf16ps}, which the Vector API cannot reach) and at 0.79x under AVX2 code.
     */
    public static final java.util.Set<dev.r1.models.tensor.GgmlType> AUTO_JAVA = autoJava(LLAMA_AMX);

    /** {@link #AUTO_JAVA} on a machine where llama.cpp prefills with AMX ({@code amx}) or does not. */
    static java.util.Set<dev.r1.models.tensor.GgmlType> autoJava(boolean amx) {
        var set = java.util.EnumSet.of(
                dev.r1.models.tensor.GgmlType.F32, dev.r1.models.tensor.GgmlType.Q4_0, dev.r1.models.tensor.GgmlType.Q8_0,
                dev.r1.models.tensor.GgmlType.Q4_1, dev.r1.models.tensor.GgmlType.Q5_0, dev.r1.models.tensor.GgmlType.Q5_1,
                dev.r1.models.tensor.GgmlType.F16);
        // Q6_K everywhere in 6 bits (Q6Kx6, 512-bit machines): a Q6_K file decodes at 1.13-1.17x (session 28); under
        // AVX2 code its ggml-lanes kernel reads a byte per value and decodes one at 0.83x (session 28), so there only
        // the head stays (autoJavaAt)
        if (dev.r1.engine.cpu.Q6Kx6.ENABLED) set.add(dev.r1.models.tensor.GgmlType.Q6_K);
        // 512 bits only: under AVX2 code the 4-bit Q3_K kernels decode a Q3_K_M file at 0.75x (session 22)
        if (dev.r1.engine.cpu.Q6Kx8.Q3K_ENABLED && dev.r1.engine.cpu.Q3Kx4.ENABLED && dev.r1.engine.cpu.Q3Kx4.R >= 16) {
            set.add(dev.r1.models.tensor.GgmlType.Q3_K);
        }
        // 512 bits only, as Q3_K: not measured against llama.cpp's haswell library under AVX2 code
        if (dev.r1.engine.cpu.Q5Kx8.ENABLED && dev.r1.engine.cpu.Q5Kx8.R >= 16) set.add(dev.r1.models.tensor.GgmlType.Q5_K);
        if (amx) set.removeAll(AMX_TYPES);
        return java.util.Collections.unmodifiableSet(set);
    }

    /**
     * Whether this matrix runs at llama.cpp's speed in the Java engine: its type is in {@link #AUTO_JAVA}, or it is a
     * Q6_K head or embedding table (the Q4_0 files' and Q8_0 mixes' output; the head takes {@code Q6Kx8.gemv2},
     * 1.0x under AVX2 code in the default file, session 22; the embeddings are rows looked up, no kernel).
     */
    static boolean autoJavaAt(dev.r1.models.gguf.GgufTensor t, java.util.Set<dev.r1.models.tensor.GgmlType> fast) {
        if (fast.contains(t.type())) return true;
        return t.type() == dev.r1.models.tensor.GgmlType.Q6_K && !dev.r1.engine.cpu.Q6Kx8.ggmlLanes(t.name());
    }

    /** A backend picked for a file, and why (for the one line {@code auto} prints). */
    public record Choice(String backend, String why) {}

    /**
     * {@code auto}: our engine when its kernels for every matrix type of {@code file} run at llama.cpp's
     * speed ({@link #AUTO_JAVA}) and its copy of the weights fits in the memory available now, llama.cpp
     * otherwise; any other name is checked and returned as it is.
     */
    public static Choice resolve(String backend, Path file) {
        return resolve(backend, file, availableMemory());
    }

    /** As {@link #resolve(String, Path)}, with {@code available} bytes of memory (-1: unknown, not checked). */
    static Choice resolve(String backend, Path file, long available) {
        String n = check(backend);
        if (!n.equals("auto")) return new Choice(n, null);
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(file)) {
            return auto(f, available);
        }
    }

    /** {@code auto}'s choice for a file already open (as {@link #resolve(String, Path)} with "auto"). */
    public static Choice auto(dev.r1.models.gguf.GgufFile f) {
        return auto(f, availableMemory());
    }

    private static Choice auto(dev.r1.models.gguf.GgufFile f, long available) {
        return auto(f, available, LLAMA_AMX);
    }

    /** {@code auto}'s choice as on a machine where llama.cpp prefills with AMX ({@code amx}) or does not. */
    static Choice auto(dev.r1.models.gguf.GgufFile f, long available, boolean amx) {
        java.util.Set<dev.r1.models.tensor.GgmlType> fast = amx == LLAMA_AMX ? AUTO_JAVA : autoJava(amx);
        java.util.Set<String> missing = new java.util.TreeSet<>(), slower = new java.util.TreeSet<>();
        long fileBytes = 0;
        boolean byAmx = false; // a slower type is slower for the AMX prefill
        for (dev.r1.models.gguf.GgufTensor t : f.tensors()) {
            fileBytes += t.byteSize();
            boolean matrix = t.nElements() > t.dim(0);
            if (!matrix || autoJavaAt(t, fast)) continue;
            (JAVA_KERNELS.contains(t.type()) ? slower : missing).add(t.type().name());
            byAmx |= amx && JAVA_KERNELS.contains(t.type()) && AMX_TYPES.contains(t.type());
        }
        if (!missing.isEmpty()) { // every type the reader decodes has a kernel: these are types only ggml knows
            return new Choice("llama.cpp", "the Java engine has no kernel for " + String.join(", ", missing) + " (only llama.cpp runs it)");
        }
        if (!slower.isEmpty()) {
            return new Choice("llama.cpp", "the Java engine's " + String.join(", ", slower)
                    + " kernels are exact but slower than llama.cpp's here, in decode or prefill"
                    + (byAmx ? " (llama.cpp prefills them with this CPU's AMX)" : "") + " (--backend java runs them)");
        }
        // the repacked copy lives in memory; llama.cpp maps the file, whose pages the kernel may drop and reread
        long javaBytes = javaWeightBytes(f);
        if (available >= 0 && javaBytes > available * 9 / 10) {
            return new Choice("llama.cpp", String.format(Locale.ROOT,
                    "the Java engine's copy of the weights (%.1f GiB, repacked) would not fit in the %.1f GiB of memory"
                            + " available; llama.cpp maps the %.1f GiB file (--backend java tries anyway)",
                    javaBytes / 1073741824.0, available / 1073741824.0, fileBytes / 1073741824.0));
        }
        return new Choice("java", "the Java engine's kernels for every tensor type of this file run at llama.cpp's speed");
    }

    /** Bytes of weights the Java engine holds for the file (its repacked layouts, {@link #resident}). */
    public static long javaWeightBytes(dev.r1.models.gguf.GgufFile f) {
        long bytes = 0;
        for (dev.r1.models.gguf.GgufTensor t : f.tensors()) {
            bytes += t.nElements() > t.dim(0) ? (long) (t.byteSize() * resident(t.type(), t.name())) : t.byteSize();
        }
        return bytes;
    }

    /**
     * Bytes the Java engine holds per byte of a matrix of this type in the file, from the repacked layouts' own
     * sizes: those that store a byte per value ({@code Q8x8}: Q4_1 1.8x, or 1x in 4 bits, {@code Q8x8.Q41_NIBBLES}; Q5_0 1.55x, Q5_1 1.5x, IQ4_NL 1.9x, or 1x
     * where it stays in 4 bits, {@code Q8x8.NL_NIBBLES} / {@code NL_SHUFFLE}; IQ4_XS 1.03x in 4 bits, or 2.03x in Q6_K's byte layout; in 4 bits IQ2_XXS, IQ3_XXS and
     * IQ3_S grow 2.1x, 1.42x and 1.27x; Q3_K in Q6_K's layout 2.5x, or in 4
     * bits 1.35x; Q2_K in 2 bits 1.0x since session 37, 1.24x before), Q6_K's and Q5_K's; the others keep their size.
     */
    static double resident(dev.r1.models.tensor.GgmlType type, String name) {
        // Q6_K in ggml's lanes (all but the head) in 6 bits where Q6Kx6 is on, the head a byte a value
        if (type == dev.r1.models.tensor.GgmlType.Q6_K && dev.r1.engine.cpu.Q6Kx6.ENABLED && dev.r1.engine.cpu.Q6Kx8.ggmlLanes(name)) {
            return grown(dev.r1.engine.cpu.Q6Kx6.BLOCK, dev.r1.engine.cpu.Q6Kx6.R, type);
        }
        return resident(type);
    }

    /** As {@link #resident(dev.r1.models.tensor.GgmlType, String)} for a matrix that is not Q6_K outside the head. */
    static double resident(dev.r1.models.tensor.GgmlType type) {
        if (dev.r1.engine.cpu.Q8x8.serves(type)) return grown(dev.r1.engine.cpu.Q8x8.block(type), dev.r1.engine.cpu.Q8x8.R, type);
        return switch (type) {
            // in 4 bits, or a byte a value in Q6_K's layout (2.03x) where it takes no 4-bit layout (AVX2)
            case IQ4_XS -> dev.r1.engine.cpu.IQ4XSx8.NIBBLES ? grown(dev.r1.engine.cpu.IQ4XSx8.BLOCK, dev.r1.engine.cpu.IQ4XSx8.R, type)
                    : grown(dev.r1.engine.cpu.Q6Kx8.BLOCK, dev.r1.engine.cpu.Q6Kx8.R, type);
            // in IQ4_XS's 4-bit layout where it takes them: IQ2_XXS 2.1x, IQ3_XXS 1.42x, IQ3_S 1.27x
            case IQ2_XXS, IQ3_XXS, IQ3_S -> dev.r1.engine.cpu.IQ4XSx8.servesGrid(type)
                    ? grown(dev.r1.engine.cpu.IQ4XSx8.BLOCK, dev.r1.engine.cpu.IQ4XSx8.R, type) : 1.0;
            // IQ1_S 2.9x: 4 bits a value and its delta scales
            case IQ1_S -> dev.r1.engine.cpu.IQ4XSx8.servesGrid(type)
                    ? grown(dev.r1.engine.cpu.IQ4XSx8.BLOCK + dev.r1.engine.cpu.IQ4XSx8.DELTAS, dev.r1.engine.cpu.IQ4XSx8.R, type) : 1.0;
            // with a scale per 16: IQ2_XS 1.95x, IQ2_S 1.80x, IQ1_M 2.6x
            case IQ2_XS, IQ2_S, IQ1_M -> dev.r1.engine.cpu.IQ4XSx8.servesGrid(type)
                    ? grown(dev.r1.engine.cpu.IQ4XSx8.BLOCK16, dev.r1.engine.cpu.IQ4XSx8.R, type) : 1.0;
            case Q6_K -> grown(dev.r1.engine.cpu.Q6Kx8.BLOCK, dev.r1.engine.cpu.Q6Kx8.R, type);
            case Q2_K -> dev.r1.engine.cpu.Q2Kx4.ENABLED ? grown(dev.r1.engine.cpu.Q2Kx4.BLOCK, dev.r1.engine.cpu.Q2Kx4.R, type) : 1.0;
            case Q3_K -> !dev.r1.engine.cpu.Q6Kx8.Q3K_ENABLED ? 1.0
                    : dev.r1.engine.cpu.Q3Kx4.ENABLED ? grown(dev.r1.engine.cpu.Q3Kx4.BLOCK, dev.r1.engine.cpu.Q3Kx4.R, type)
                    : grown(dev.r1.engine.cpu.Q6Kx8.BLOCK, dev.r1.engine.cpu.Q6Kx8.R, type);
            case Q5_K -> grown(dev.r1.engine.cpu.Q5Kx8.BLOCK, dev.r1.engine.cpu.Q5Kx8.R, type);
            case Q4_K -> grown(dev.r1.engine.cpu.Q4Kx8.BLOCK, dev.r1.engine.cpu.Q4Kx8.R, type);
            default -> 1.0;
        };
    }

    /** A repacked layout's bytes per file byte: {@code block} bytes hold one block of each of {@code rows} rows. */
    private static double grown(int block, int rows, dev.r1.models.tensor.GgmlType type) {
        return block / (double) (rows * type.typeSize());
    }

    /** Linux's MemAvailable (page cache that can be dropped included), or -1 where it cannot be read. */
    static long availableMemory() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or no /proc: nothing to check against
        }
        return -1;
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
