package dev.r1.bindings;

import static org.junit.jupiter.api.Assertions.*;

import dev.r1.bindings.llama.Llama;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loads the fetched pinned llama.cpp (.deps/llama, see native/fetch-deps.sh) and checks the failure messages. */
class NativeLibrariesTest {

    @Test
    void loadsThePinnedLibrariesAndACpuBackend() {
        LlamaLibrary lib = NativeLibraries.llama();
        assertSame(lib, NativeLibraries.llama(), "loaded once per JVM");
        assertTrue(lib.cpuVariants().contains("haswell"), lib.cpuVariants().toString());
        assertTrue(lib.cpuVariants().contains(lib.cpuVariant()), lib.cpuVariant() + " not in " + lib.cpuVariants());
        assertFalse(lib.devices().isEmpty());
        assertTrue(lib.devices().getFirst().startsWith("CPU"), lib.devices().toString());
        assertTrue(lib.systemInfo().contains("CPU"), lib.systemInfo());
        // Generated calls that need the loaded library and check behaviour, not just linkage: ggml's own
        // block sizes (Q8_0: f16 scale + 32 int8; Q4_0: f16 scale + 16 bytes of nibbles).
        assertEquals(32, Llama.ggml_blck_size(Llama.GGML_TYPE_Q8_0()));
        assertEquals(34, Llama.ggml_type_size(Llama.GGML_TYPE_Q8_0()));
        assertEquals(18L * 4, Llama.ggml_row_size(Llama.GGML_TYPE_Q4_0(), 128));
        assertEquals("q4_K", NativeLibraries.cString(Llama.ggml_type_name(Llama.GGML_TYPE_Q4_K())));
    }

    @Test
    void missingFolderNamesItAndTheFetchCommand(@TempDir Path tmp) {
        Path dir = tmp.resolve("nowhere");
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(dir, "--llama-lib"));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("native/fetch-deps.sh"), e.getMessage());
        assertTrue(e.getMessage().contains("--llama-lib"), e.getMessage());
    }

    @Test
    void missingLibraryInAnExistingFolderIsNamed(@TempDir Path tmp) {
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(tmp, "env R1_LLAMA_LIB"));
        assertTrue(e.getMessage().contains("libggml-base.so missing"), e.getMessage());
        assertTrue(e.getMessage().contains("env R1_LLAMA_LIB"), e.getMessage());
        assertTrue(e.getMessage().contains("native/fetch-deps.sh"), e.getMessage());
    }

    @Test
    void aFileThatIsNotALibraryIsAClearErrorNotACrash(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("libggml-base.so"), "not an ELF file");
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(tmp, "--llama-lib"));
        assertTrue(e.getMessage().startsWith("cannot load " + tmp.resolve("libggml-base.so")), e.getMessage());
        assertTrue(e.getMessage().contains("native/fetch-deps.sh"), e.getMessage());
    }

    @Test
    void anElfOfTheWrongKindIsAClearError(@TempDir Path tmp) throws IOException {
        // An ELF header with nothing behind it (a truncated download): dlopen rejects it.
        byte[] elf = Files.readAllBytes(NativeLibraries.llamaLibDir().resolve("libggml-base.so"));
        Files.write(tmp.resolve("libggml-base.so"), java.util.Arrays.copyOf(elf, 64));
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(tmp, "--llama-lib"));
        assertTrue(e.getMessage().startsWith("cannot load " + tmp.resolve("libggml-base.so")), e.getMessage());
    }

    @Test
    void anotherLlamaCppReleaseIsRefusedBeforeLoading(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("_nlcBuildMetadata.json"),
                "{\"buildOptions\":{\"llamaCpp\":{\"repo\":\"ggml-org/llama.cpp\",\"release\":\"b9999\"}}}");
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(tmp, "--llama-lib"));
        assertTrue(e.getMessage().contains("release b9999"), e.getMessage());
        assertTrue(e.getMessage().contains("v0.4.0"), e.getMessage());
        // The fetched set carries the pinned release.
        NativeLibraries.checkRelease(NativeLibraries.llamaLibDir(), "fetched");
    }

    @Test
    void aLibraryLackingBoundFunctionsIsNamed() {
        // libc has none of llama.cpp's symbols: it stands in for a libllama of another release.
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.checkSymbols(
                Llama.class, Linker.nativeLinker().defaultLookup(), "libc"));
        assertTrue(e.getMessage().contains("lack"), e.getMessage());
        assertTrue(e.getMessage().contains("native/fetch-deps.sh"), e.getMessage());
    }

    @Test
    void unknownCpuVariantListsTheAvailableOnes() {
        Path dir = NativeLibraries.llamaLibDir().toAbsolutePath();
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.cpuBackendLib(dir, "pentium4", "x"));
        assertTrue(e.getMessage().contains("R1_GGML_CPU=pentium4"), e.getMessage());
        assertTrue(e.getMessage().contains("haswell"), e.getMessage());
    }

    @Test
    void ggmlRefusesAVariantThisCpuCannotRun() {
        NativeLibraries.llama();
        // ggml scores a variant against CPUID and refuses (NULL) one needing a feature the CPU lacks; this is
        // what makes R1_GGML_CPU=sapphirerapids a clean error, not a SIGILL, on a CPU without AMX.
        if (cpuFlags().contains(" amx_tile ")) return; // everything runs here; nothing to refuse
        Path lib = NativeLibraries.llamaLibDir().toAbsolutePath().resolve("libggml-cpu-sapphirerapids.so");
        try (Arena a = Arena.ofConfined()) {
            assertEquals(MemorySegment.NULL, Llama.ggml_backend_load(a.allocateFrom(lib.toString())));
        }
    }

    static String cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                    .findFirst().orElse("") + " ";
        } catch (IOException e) {
            return "";
        }
    }
}
