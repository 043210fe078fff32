package dev.r1.bindings;

import dev.r1.bindings.cuda.Cuda;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the CUDA driver (libcuda.so.1, installed with the NVIDIA driver, not the toolkit) and initializes
 * it, before anything touches the generated {@link Cuda} class.
 *
 * <p>{@code Cuda} binds against libcuda.so.1 in its static initializer, so on a machine without the driver
 * it would fail with an {@code ExceptionInInitializerError}. {@link #load()} checks first and says plainly
 * "no CUDA driver" / "no CUDA device" instead; after it returns, {@code Cuda.*} calls are safe.
 */
public final class CudaDriver {
    /** The driver's soname; the toolkit's stub libcuda.so is only for linking and must not be loaded. */
    public static final String SONAME = "libcuda.so.1";

    /**
     * What the driver reported.
     *
     * @param driverVersion e.g. 13000 for CUDA 13.0 (cuDriverGetVersion)
     * @param devices       one name per device ordinal
     */
    public record Info(int driverVersion, List<String> devices) {
        public Info {
            devices = List.copyOf(devices);
        }

        public int deviceCount() {
            return devices.size();
        }
    }

    private static Info info;

    private CudaDriver() {}

    /**
     * Loads and initializes the driver once per JVM.
     *
     * @throws NativeLibraryException when there is no driver, it lacks a bound function, or it sees no device
     * @throws CudaException          when the driver fails otherwise
     */
    public static synchronized Info load() {
        if (info != null) return info;
        SymbolLookup lookup = load(SONAME);
        NativeLibraries.checkSymbols(Cuda.class, lookup, SONAME
                + " (the installed NVIDIA driver is older than the CUDA 13 API r1 binds; update the driver)");
        check(Cuda.cuInit(0), "cuInit");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            check(Cuda.cuDriverGetVersion(n), "cuDriverGetVersion");
            int version = n.get(ValueLayout.JAVA_INT, 0);
            check(Cuda.cuDeviceGetCount(n), "cuDeviceGetCount");
            int count = n.get(ValueLayout.JAVA_INT, 0);
            if (count == 0) throw new NativeLibraryException("no CUDA device: the CUDA driver is installed but sees no GPU.");
            List<String> names = new ArrayList<>();
            MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment name = a.allocate(256);
            for (int i = 0; i < count; i++) {
                check(Cuda.cuDeviceGet(dev, i), "cuDeviceGet");
                check(Cuda.cuDeviceGetName(name, 256, dev.get(ValueLayout.JAVA_INT, 0)), "cuDeviceGetName");
                names.add(name.getString(0));
            }
            info = new Info(version, names);
            return info;
        }
    }

    /** Whether {@link #load()} succeeds; for choosing a default backend without an exception. */
    public static boolean available() {
        try {
            load();
            return true;
        } catch (NativeLibraryException | CudaException e) {
            return false;
        }
    }

    /** Opens {@code soname} for symbol lookup (in the global arena), or says there is no CUDA driver. */
    static SymbolLookup load(String soname) {
        try {
            return SymbolLookup.libraryLookup(soname, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new NativeLibraryException("no CUDA driver: " + soname + " could not be loaded (" + e.getMessage()
                    + "). The CUDA backend needs an NVIDIA GPU with its driver installed; use the CPU backend"
                    + " otherwise.", e);
        }
    }

    /**
     * Throws for a non-zero CUresult: {@link NativeLibraryException} for "no device", else {@link CudaException}
     * naming the call and the driver's text for the code. Only valid after {@link #load()}.
     */
    public static void check(int result, String call) {
        if (result == Cuda.CUDA_SUCCESS()) return;
        if (result == Cuda.CUDA_ERROR_NO_DEVICE())
            throw new NativeLibraryException("no CUDA device: " + call + " found no GPU (CUDA_ERROR_NO_DEVICE).");
        throw new CudaException(call, result, errorName(result));
    }

    /** The driver's name and text for an error code, e.g. "CUDA_ERROR_OUT_OF_MEMORY: out of memory". */
    public static String errorName(int result) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            String name = Cuda.cuGetErrorName(result, p) == 0 ? NativeLibraries.cString(p.get(ValueLayout.ADDRESS, 0)) : "";
            String text = Cuda.cuGetErrorString(result, p) == 0 ? NativeLibraries.cString(p.get(ValueLayout.ADDRESS, 0)) : "";
            if (name.isEmpty()) name = "CUresult " + result;
            return text.isEmpty() ? name : name + ": " + text;
        }
    }
}
