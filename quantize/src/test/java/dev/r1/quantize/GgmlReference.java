package dev.r1.quantize;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ggml's own quantizer, {@code ggml_quantize_chunk} from the pinned prebuilt libggml-base.so, called
 * through a hand-made FFM downcall. The reference our quantizers must match byte for byte.
 */
final class GgmlReference {
    private static final MethodHandle QUANTIZE_CHUNK;

    static {
        String deps = System.getProperty("r1.deps");
        if (deps == null) throw new IllegalStateException("system property r1.deps is not set (surefire sets it)");
        Path lib = Path.of(deps, "llama", "libggml-base.so");
        if (!Files.isRegularFile(lib)) {
            throw new IllegalStateException(lib + " is missing: run native/fetch-deps.sh (./test.sh does)");
        }
        SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        QUANTIZE_CHUNK = Linker.nativeLinker().downcallHandle(
                lookup.findOrThrow("ggml_quantize_chunk"),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS));
    }

    private GgmlReference() {}

    /** ggml's encoding of {@code rows x nPerRow} floats as type {@code ggmlType}, no importance matrix. */
    static byte[] quantize(int ggmlType, float[] src, int rows, int nPerRow, long rowBytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, src);
            MemorySegment out = arena.allocate(rows * rowBytes, 64);
            long written;
            try {
                written = (long) QUANTIZE_CHUNK.invokeExact(ggmlType, in, out, 0L, (long) rows, (long) nPerRow,
                        MemorySegment.NULL);
            } catch (Throwable t) {
                throw new AssertionError("ggml_quantize_chunk failed", t);
            }
            if (written != rows * rowBytes) {
                throw new AssertionError("ggml wrote " + written + " bytes, expected " + rows * rowBytes);
            }
            return out.toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
