package dev.r1.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The four cuBLAS calls prefill needs, bound by hand through FFM (no cuBLAS headers to jextract here):
 * create/destroy a handle, put it on our stream, and {@code cublasGemmEx} (F16 inputs, F32 output and
 * compute: tensor cores). Looked up as {@code libcublas.so.13}, then {@code .12}; {@code R1_CUBLAS}
 * names another file. Optional: without it the backend's own WMMA kernel serves prefill.
 */
public final class Cublas implements AutoCloseable {
    static final int OP_N = 0, OP_T = 1, R_16F = 2, R_32F = 0, COMPUTE_32F = 68, GEMM_DEFAULT = -1;
    private static final java.lang.foreign.AddressLayout A = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;

    private final MethodHandle destroy, gemmEx;
    private final MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment alpha, beta;
    public final String library;

    /** What {@link #open} tried: the candidate file names in order. */
    static List<String> candidates(String override) {
        List<String> c = new ArrayList<>();
        if (override != null && !override.isBlank()) c.add(override);
        else {
            c.add("libcublas.so.13");
            c.add("libcublas.so.12");
        }
        return c;
    }

    /**
     * Binds cuBLAS on {@code stream} (in the current context), or returns null and appends why to
     * {@code whyNot}: no library found (a plain reason, not an error: cuBLAS is optional).
     */
    public static Cublas open(MemorySegment stream, StringBuilder whyNot) {
        String override = System.getenv("R1_CUBLAS");
        for (String name : candidates(override)) {
            SymbolLookup lib;
            try {
                lib = SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                whyNot.append(name).append(": not found; ");
                continue;
            }
            return new Cublas(lib, name, stream);
        }
        whyNot.append(override != null && !override.isBlank() ? "R1_CUBLAS=" + override + " could not be loaded" : "no libcublas.so.13 or .12 on the library path");
        return null;
    }

    private Cublas(SymbolLookup lib, String name, MemorySegment stream) {
        Linker l = Linker.nativeLinker();
        MethodHandle create = l.downcallHandle(lib.findOrThrow("cublasCreate_v2"), FunctionDescriptor.of(I, A));
        MethodHandle setStream = l.downcallHandle(lib.findOrThrow("cublasSetStream_v2"), FunctionDescriptor.of(I, A, A));
        destroy = l.downcallHandle(lib.findOrThrow("cublasDestroy_v2"), FunctionDescriptor.of(I, A));
        // cublasGemmEx(handle, transa, transb, m, n, k, alpha*, A, Atype, lda, B, Btype, ldb, beta*, C, Ctype, ldc, computeType, algo)
        gemmEx = l.downcallHandle(lib.findOrThrow("cublasGemmEx"),
                FunctionDescriptor.of(I, A, I, I, I, I, I, A, L, I, I, L, I, I, A, L, I, I, I, I));
        library = name;
        try {
            MemorySegment p = arena.allocate(A);
            status((int) create.invokeExact(p), "cublasCreate");
            handle = p.get(A, 0);
            status((int) setStream.invokeExact(handle, stream), "cublasSetStream");
        } catch (Throwable t) {
            throw rethrow(t);
        }
        alpha = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        beta = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
    }

    private static RuntimeException rethrow(Throwable t) {
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }

    static void status(int s, String call) {
        if (s != 0) throw new IllegalStateException(call + " failed with cublasStatus_t " + s);
    }

    /**
     * {@code out[t*rows + r] = Σ_k w[r*cols + k] * x[t*cols + k]} for F16 {@code w} (rows x cols) and
     * {@code x} (n x cols), F32 {@code out}: in cuBLAS's column-major terms C(rows x n) = Wᵀ·X with W
     * seen as a cols x rows matrix.
     */
    public void gemm(long w, int rows, int cols, long x, int n, long out) {
        try {
            status((int) gemmEx.invokeExact(handle, OP_T, OP_N, rows, n, cols, alpha, w, R_16F, cols, x, R_16F, cols, beta,
                    out, R_32F, rows, COMPUTE_32F, GEMM_DEFAULT), "cublasGemmEx(" + rows + "x" + cols + " . " + n + " tokens)");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void close() {
        try {
            int ignored = (int) destroy.invokeExact(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        arena.close();
    }
}
