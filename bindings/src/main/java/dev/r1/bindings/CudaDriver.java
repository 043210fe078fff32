package dev.r1.bindings;

import dev.r1.bindings.cuda.Cuda;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;

/**
 * Loads the CUDA driver (libcuda.so.1, installed with the NVIDIA driver, not the toolkit) and initializes
 * it, before anything touches the generated {@link Cuda} class.
 *
 * <p>{@code Cuda} binds against libcuda.so.1 in its static initializer, so on a machine without the driver
 * it would fail with an {@code ExceptionInInitializerError}. {@link #init()} checks first and says plainly
 * "no CUDA driver" / "no CUDA device" instead.
 */
public final class CudaDriver {
    /** The driver's soname; the toolkit's stub libcuda.so is only for linking and must not be loaded. */
    public static final String SONAME = "libcuda.so.1";

    private static Integer deviceCount;

    private CudaDriver() {}

    /**
     * Loads and initializes the driver once per JVM and returns the number of CUDA devices (at least 1).
     *
     * @throws NativeLibraryException when there is no driver, it is too old for the bound API, or no device
     */
    public static synchronized int init() {
        if (deviceCount != null) return deviceCount;
        SymbolLookup lookup = open(SONAME);
        NativeLibraries.checkSymbols(Cuda.class, lookup, SONAME
                + " (the installed NVIDIA driver is older than the CUDA 13 API r1 binds; update the driver)");
        check(Cuda.cuInit(0), "cuInit");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            check(Cuda.cuDeviceGetCount(n), "cuDeviceGetCount");
            int count = n.get(ValueLayout.JAVA_INT, 0);
            if (count == 0) throw new NativeLibraryException("no CUDA device: the CUDA driver is installed but sees no GPU.");
            deviceCount = count;
            return count;
        }
    }

    /** Whether {@link #init()} succeeds; for choosing a default backend without an exception. */
    public static boolean available() {
        try {
            init();
            return true;
        } catch (NativeLibraryException e) {
            return false;
        }
    }

    /** Opens {@code soname} for symbol lookup, or says there is no CUDA driver. */
    static SymbolLookup open(String soname) {
        try {
            return SymbolLookup.libraryLookup(soname, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new NativeLibraryException("no CUDA driver: " + soname + " could not be loaded (" + e.getMessage()
                    + "). The CUDA backend needs an NVIDIA GPU with its driver installed; use the CPU backend"
                    + " otherwise.", e);
        }
    }

    /** Throws a {@link NativeLibraryException} naming the call and the driver's error for a non-zero result. */
    public static void check(int result, String call) {
        if (result == Cuda.CUDA_SUCCESS()) return;
        if (result == Cuda.CUDA_ERROR_NO_DEVICE())
            throw new NativeLibraryException("no CUDA device: " + call + " found no GPU (CUDA_ERROR_NO_DEVICE).");
        throw new NativeLibraryException(call + " failed: " + errorName(result) + " (" + result + ")");
    }

    /** The driver's name and description for an error code, e.g. "CUDA_ERROR_OUT_OF_MEMORY: out of memory". */
    public static String errorName(int result) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            String name = Cuda.cuGetErrorName(result, p) == 0 ? cString(p) : "CUresult " + result;
            String text = Cuda.cuGetErrorString(result, p) == 0 ? cString(p) : "";
            return text.isEmpty() ? name : name + ": " + text;
        }
    }

    private static String cString(MemorySegment pp) {
        MemorySegment s = pp.get(ValueLayout.ADDRESS, 0);
        return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
    }
}
