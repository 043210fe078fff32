package dev.r1.bindings;

import static org.junit.jupiter.api.Assertions.*;

import dev.r1.bindings.llama.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loads the fetched pinned llama.cpp (.deps/llama, see native/fetch-deps.sh) and checks the failure messages. */
class NativeLibrariesTest {

    @Test
    void loadsPinnedLibrariesAndACpuBackend() {
        LlamaLibrary lib = NativeLibraries.llama();
        assertTrue(lib.cpuVariants().contains("haswell"), lib.cpuVariants().toString());
        assertTrue(lib.cpuVariants().contains(lib.cpuVariant()), lib.cpuVariant());
        assertTrue(Llama.ggml_backend_dev_count() >= 1);
        // A call through the bindings that checks real behaviour, not just linkage: ggml's Q4_0 is 32
        // weights in 18 bytes (f16 scale + 16 bytes of nibbles).
        assertEquals(32, Llama.ggml_blck_size(Llama.GGML_TYPE_Q4_0()));
        assertEquals(18, Llama.ggml_type_size(Llama.GGML_TYPE_Q4_0()));
        assertEquals(18 * 4, Llama.ggml_row_size(Llama.GGML_TYPE_Q4_0(), 128));
        assertSame(lib, NativeLibraries.llama(), "loaded once per JVM");
        assertFalse(lib.devices().isEmpty());
        assertTrue(lib.devices().getFirst().contains("CPU"), lib.devices().toString());
    }

    @Test
    void missingFolderNamesItAndTheFetchCommand(@TempDir Path tmp) {
        Path nowhere = tmp.resolve("no-such-dir");
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(nowhere, "--llama-lib"));
        assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("native/fetch-deps.sh"), e.getMessage());
        assertTrue(e.getMessage().contains("--llama-lib"), e.getMessage());
    }

    @Test
    void folderWithoutLibllamaNamesTheMissingFile(@TempDir Path tmp) {
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(tmp, "env R1_LLAMA_LIB"));
        assertTrue(e.getMessage().contains("libggml-base.so missing"), e.getMessage());
        assertTrue(e.getMessage().contains("native/fetch-deps.sh"), e.getMessage());
    }

    @Test
    void corruptLibraryIsACleanErrorNotACrash(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("libggml-base.so"), "not an ELF file");
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.load(tmp, "--llama-lib"));
        assertTrue(e.getMessage().contains("cannot load"), e.getMessage());
        assertTrue(e.getMessage().contains("libggml-base.so"), e.getMessage());
    }

    @Test
    void libraryLackingBoundSymbolsIsNamed() {
        // libc has none of llama.cpp's symbols: stands in for a libllama of another version.
        var e = assertThrows(NativeLibraryException.class, () -> NativeLibraries.checkSymbols(
                Llama.class, java.lang.foreign.Linker.nativeLinker().defaultLookup(), "libc"));
        assertTrue(e.getMessage().contains("llama_decode") || e.getMessage().contains("function(s)"), e.getMessage());
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
        // ggml's loader scores a variant against CPUID and returns NULL when it lacks a required feature.
        boolean avx512 = cpuFlags().contains(" avx512f");
        if (avx512) return; // nothing to refuse on this machine; the positive path is covered above
        Path lib = NativeLibraries.llamaLibDir().toAbsolutePath().resolve("libggml-cpu-skylakex.so");
        try (Arena a = Arena.ofConfined()) {
            assertEquals(MemorySegment.NULL, Llama.ggml_backend_load(a.allocateFrom(lib.toString())));
        }
    }

    static String cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                    .findFirst().orElse("") + " ";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
