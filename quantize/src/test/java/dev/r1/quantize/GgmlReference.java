package dev.r1.quantize;

import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.llama.Llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml's own quantizer, {@code ggml_quantize_chunk} from the pinned prebuilt libggml-base.so (loaded by
 * {@link NativeLibraries#llama()} from {@code r1.deps}), through the generated bindings. The reference
 * our quantizers must match byte for byte.
 */
final class GgmlReference {
    static {
        NativeLibraries.llama(); // throws, naming the folder and the fetch command, when .deps is missing
    }

    private GgmlReference() {}

    /** ggml's encoding of {@code rows x nPerRow} floats as type {@code ggmlType}, no importance matrix. */
    static byte[] quantize(int ggmlType, float[] src, int rows, int nPerRow, long rowBytes) {
        return quantize(ggmlType, src, rows, nPerRow, rowBytes, null);
    }

    /** The same with an importance matrix of {@code nPerRow} column weights (null: none). */
    static byte[] quantize(int ggmlType, float[] src, int rows, int nPerRow, long rowBytes, float[] imatrix) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, src);
            MemorySegment out = arena.allocate(rows * rowBytes, 64);
            MemorySegment qw = imatrix == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_FLOAT, imatrix);
            long written = Llama.ggml_quantize_chunk(ggmlType, in, out, 0L, rows, nPerRow, qw);
            if (written != rows * rowBytes) {
                throw new AssertionError("ggml wrote " + written + " bytes, expected " + rows * rowBytes);
            }
            return out.toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
