package dev.r1.bindings;

import dev.r1.bindings.llama.Llama;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The one place that finds and loads the pinned llama.cpp libraries (libggml-base, libggml, libllama and
 * one ggml CPU backend) before any generated binding class is touched.
 *
 * <p>The generated classes resolve symbols in static initializers, so a missing library would surface as
 * an {@code ExceptionInInitializerError} far from its cause. Here every library is loaded by path and every
 * generated symbol is checked first; anything wrong becomes one {@link NativeLibraryException} that names
 * the folder and the command that fetches it.
 *
 * <p>Folder, first match wins: {@link #setLlamaLibDir} (the CLI's {@code --llama-lib DIR}), env
 * {@code R1_LLAMA_LIB}, system property {@code r1.deps} + {@code /llama}, then {@code ./.deps/llama}.
 */
public final class NativeLibraries {
    /** The command that fetches the pinned prebuilt libraries into {@code .deps/llama}. */
    public static final String FETCH_COMMAND = "native/fetch-deps.sh";
    /** The llama.cpp release the generated bindings were made from. */
    public static final String PINNED = "llama.cpp v0.4.0 (npm @node-llama-cpp/linux-x64@3.21.1)";
    /** The release string the prebuilt set's _nlcBuildMetadata.json carries. */
    static final String PINNED_RELEASE = "v0.4.0";
    /** Env var naming one CPU variant (libggml-cpu-VARIANT.so) to load instead of ggml's own pick ({@code auto}: ggml's pick). */
    public static final String CPU_VARIANT_ENV = "R1_GGML_CPU";

    // Load order matters: each is dlopen'ed by path, and later ones find earlier ones by soname.
    private static final List<String> LIBS = List.of("libggml-base.so", "libggml.so", "libllama.so");

    private static Path dirOverride;
    private static LlamaLibrary loaded;

    private NativeLibraries() {}

    /** Sets the folder holding libllama.so (the CLI's {@code --llama-lib}); must precede {@link #llama()}. */
    public static synchronized void setLlamaLibDir(Path dir) {
        if (loaded != null && !loaded.dir().equals(dir.toAbsolutePath().normalize()))
            throw new IllegalStateException("llama.cpp is already loaded from " + loaded.dir());
        dirOverride = dir;
    }

    /** Where the libraries will be looked for, and why there (for messages). */
    public static synchronized Path llamaLibDir() {
        return resolveDir().dir();
    }

    private record Resolved(Path dir, String source) {}

    private static Resolved resolveDir() {
        if (dirOverride != null) return new Resolved(dirOverride, "--llama-lib");
        String env = System.getenv("R1_LLAMA_LIB");
        if (env != null && !env.isBlank()) return new Resolved(Path.of(env), "env R1_LLAMA_LIB");
        String deps = System.getProperty("r1.deps");
        if (deps != null && !deps.isBlank()) return new Resolved(Path.of(deps, "llama"), "system property r1.deps");
        return new Resolved(Path.of(".deps", "llama"), "default ./.deps/llama");
    }

    /**
     * Loads llama.cpp once per JVM (idempotent) and returns what was loaded.
     *
     * @throws NativeLibraryException when a library is missing, not loadable, or lacks a bound symbol
     */
    public static synchronized LlamaLibrary llama() {
        if (loaded != null) return loaded;
        Resolved r = resolveDir();
        loaded = load(r.dir(), r.source());
        return loaded;
    }

    /** Uncached load from {@code dir}; {@code source} says where the folder came from, for messages. */
    static LlamaLibrary load(Path dirGiven, String source) {
        Path dir = dirGiven.toAbsolutePath().normalize();
        String where = dir + " (from " + source + ")";
        if (!Files.isDirectory(dir))
            throw new NativeLibraryException("llama.cpp libraries not found: no folder " + where
                    + ". Fetch the pinned " + PINNED + " with " + FETCH_COMMAND
                    + ", or point --llama-lib / R1_LLAMA_LIB at a folder holding libllama.so.");
        checkRelease(dir, where);
        for (String lib : LIBS) loadOne(dir.resolve(lib), where);
        checkSymbols(Llama.class, SymbolLookup.loaderLookup(), where);
        LlamaLog.install();
        Llama.llama_backend_init();
        String variant = loadCpuBackend(dir, where);
        return new LlamaLibrary(dir, variant, cpuVariantsIn(dir), devices(),
                cString(Llama.llama_print_system_info()).strip());
    }

    private static void loadOne(Path lib, String where) {
        if (!Files.exists(lib))
            throw new NativeLibraryException("llama.cpp library " + lib.getFileName() + " missing in " + where
                    + ". Fetch the pinned " + PINNED + " with " + FETCH_COMMAND + ".");
        // Checked here because dlopen's own error for a non-ELF file is vague (and makes HotSpot print a
        // stack-guard warning while it retries).
        if (!isElf(lib))
            throw new NativeLibraryException("cannot load " + lib + ": not a shared library (no ELF header)."
                    + " Re-fetch the pinned " + PINNED + " with " + FETCH_COMMAND + ".");
        try {
            System.load(lib.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new NativeLibraryException("cannot load " + lib + ": " + e.getMessage()
                    + ". It is not a usable linux-x64 build; re-fetch the pinned " + PINNED + " with "
                    + FETCH_COMMAND + ".", e);
        }
    }

    /**
     * The npm prebuilt set says which llama.cpp release it was built from; another release may have the same
     * symbols but different struct layouts, which no symbol check catches. A folder without the file (a
     * user's own build) is taken on trust.
     */
    static void checkRelease(Path dir, String where) {
        Path meta = dir.resolve("_nlcBuildMetadata.json");
        if (!Files.isRegularFile(meta)) return;
        String json;
        try {
            json = Files.readString(meta);
        } catch (IOException e) {
            return;
        }
        var m = java.util.regex.Pattern.compile("\"release\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (m.find() && !m.group(1).equals(PINNED_RELEASE))
            throw new NativeLibraryException("the llama.cpp libraries in " + where + " are release " + m.group(1)
                    + " (" + meta.getFileName() + "), but r1's bindings are generated for " + PINNED
                    + ". Re-fetch with " + FETCH_COMMAND + " or regenerate the bindings (native/gen-bindings.sh).");
    }

    private static boolean isElf(Path lib) {
        try (var in = Files.newInputStream(lib)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * jextract puts each bound function in a nested holder class named after its C symbol; checking them
     * all here (without initializing them) turns a version mismatch into one message.
     */
    static void checkSymbols(Class<?> header, SymbolLookup lookup, String where) {
        List<String> missing = new ArrayList<>();
        for (Class<?> holder : header.getDeclaredClasses()) {
            String sym = holder.getSimpleName();
            if (lookup.find(sym).isEmpty()) missing.add(sym);
        }
        if (!missing.isEmpty())
            throw new NativeLibraryException("the libraries in " + where + " lack " + missing.size()
                    + " function(s) r1 binds, e.g. " + missing.subList(0, Math.min(5, missing.size()))
                    + ": not the pinned " + PINNED + ". Re-fetch with " + FETCH_COMMAND + ".");
    }

    /**
     * ggml scores every libggml-cpu-*.so against the CPU and keeps the best; {@code R1_GGML_CPU} loads
     * exactly one variant instead (for a VM whose CPUID promises more than it delivers; tests pin haswell),
     * {@code R1_GGML_CPU=auto} leaves the choice to ggml.
     */
    private static String loadCpuBackend(Path dir, String where) {
        String want = System.getenv(CPU_VARIANT_ENV);
        try (Arena a = Arena.ofConfined()) {
            if (want != null && !want.isBlank() && !want.trim().equalsIgnoreCase("auto")) {
                Path lib = cpuBackendLib(dir, want, where);
                if (Llama.ggml_backend_load(a.allocateFrom(lib.toString())).equals(MemorySegment.NULL))
                    throw new NativeLibraryException(CPU_VARIANT_ENV + "=" + want + ": ggml refused " + lib
                            + " (this CPU lacks the instructions it was built for); variants: " + cpuVariantsIn(dir));
            } else {
                Llama.ggml_backend_load_all_from_path(a.allocateFrom(dir.toString()));
            }
        }
        if (Llama.ggml_backend_dev_count() == 0)
            throw new NativeLibraryException("no ggml CPU backend could be loaded from " + where
                    + " (none of " + cpuVariantsIn(dir) + " suits this CPU). Re-fetch with " + FETCH_COMMAND + ".");
        return loadedCpuVariant().orElse("unknown");
    }

    /** The file for {@code R1_GGML_CPU=want}, or an error listing the variants that exist. */
    static Path cpuBackendLib(Path dir, String want, String where) {
        Path lib = dir.resolve("libggml-cpu-" + want.trim().toLowerCase(Locale.ROOT) + ".so");
        if (!Files.exists(lib))
            throw new NativeLibraryException(CPU_VARIANT_ENV + "=" + want + ": no " + lib.getFileName()
                    + " in " + where + "; variants there: " + cpuVariantsIn(dir));
        return lib;
    }

    /** ggml's devices as "NAME: description" (CPU, and GPUs when a GPU backend library is present). */
    static List<String> devices() {
        List<String> out = new ArrayList<>();
        for (long i = 0, n = Llama.ggml_backend_dev_count(); i < n; i++) {
            MemorySegment dev = Llama.ggml_backend_dev_get(i);
            out.add(cString(Llama.ggml_backend_dev_name(dev)) + ": " + cString(Llama.ggml_backend_dev_description(dev)));
        }
        return out;
    }

    /** A NUL-terminated string owned by the library (never freed by us). */
    public static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Which libggml-cpu-*.so the process has mapped: ggml does not say which one it picked. */
    static java.util.Optional<String> loadedCpuVariant() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.map(l -> l.substring(l.lastIndexOf('/') + 1))
                    .filter(f -> f.startsWith("libggml-cpu-") && f.endsWith(".so"))
                    .map(f -> f.substring("libggml-cpu-".length(), f.length() - 3))
                    .findFirst();
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    static List<String> cpuVariantsIn(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(f -> f.startsWith("libggml-cpu-") && f.endsWith(".so"))
                    .map(f -> f.substring("libggml-cpu-".length(), f.length() - 3)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
