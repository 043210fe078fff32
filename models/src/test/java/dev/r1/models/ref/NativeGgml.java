package dev.r1.models.ref;

import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * ggml's own C implementation (the pinned prebuilt libggml-base.so in {@code .deps/llama}), called
 * through raw FFM downcalls: the independent reference for our GGUF encoding and dequantization.
 * Tests are skipped when the library has not been fetched ({@code native/fetch-deps.sh}).
 */
final class NativeGgml {
    static final Arena ARENA = Arena.ofShared();
    private static SymbolLookup lookup;
    private static final Linker LINKER = Linker.nativeLinker();

    static synchronized SymbolLookup lookup() {
        String deps = System.getProperty("r1.deps", ".deps");
        Path lib = Path.of(deps, "llama", "libggml-base.so");
        Assumptions.assumeTrue(Files.exists(lib), "ggml reference library not fetched: " + lib);
        if (lookup == null) lookup = SymbolLookup.libraryLookup(lib, ARENA);
        return lookup;
    }

    static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lookup().find(name).orElseThrow(() -> new IllegalStateException("no symbol " + name)), fd);
    }

    /** {@code void dequantize_row_<type>(const void * x, float * y, int64_t k)}. */
    static MethodHandle dequantizeRow(String type) {
        return fn("dequantize_row_" + type, FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
    }

    /** {@code struct gguf_init_params { bool no_alloc; struct ggml_context ** ctx; }}, passed by value. */
    static final MemoryLayout INIT_PARAMS = MemoryLayout.structLayout(
            ValueLayout.JAVA_BOOLEAN.withName("no_alloc"), MemoryLayout.paddingLayout(7), ADDRESS.withName("ctx"));

    static MethodHandle ggufInit() { return fn("gguf_init_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, INIT_PARAMS)); }
    static MethodHandle ggufFree() { return fn("gguf_free", FunctionDescriptor.ofVoid(ADDRESS)); }
    static MethodHandle ctxLong(String name) { return fn(name, FunctionDescriptor.of(JAVA_LONG, ADDRESS)); }
    static MethodHandle ctxIdLong(String name) { return fn(name, FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG)); }
    static MethodHandle ctxIdInt(String name) { return fn(name, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG)); }
    static MethodHandle ctxIdPtr(String name) { return fn(name, FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG)); }

    static String cString(MemorySegment p) {
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    private NativeGgml() {}
}
