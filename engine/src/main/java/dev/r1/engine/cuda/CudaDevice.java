package dev.r1.engine.cuda;

import static dev.r1.bindings.CudaDriver.check;

import dev.r1.bindings.CudaDriver;
import dev.r1.bindings.CudaException;
import dev.r1.bindings.NativeLibraryException;
import dev.r1.bindings.cuda.Cuda;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Device 0 through the driver API: its primary context (shared with cuBLAS, which uses the runtime's),
 * one stream, the kernels' module loaded from the fatbin with {@code cuModuleLoadData}, device memory
 * with errors that say how much was needed and free, and stream capture into CUDA graphs.
 * Not thread-safe: one backend drives it from one thread.
 */
public final class CudaDevice implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final int device;
    private final MemorySegment ctx, stream, module;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    public final String name;
    public final int sm, multiprocessors;
    public final long totalBytes;
    private long allocated;
    private final Map<Long, Long> sizes = new HashMap<>();

    /**
     * Opens device 0, or throws {@link NativeLibraryException} with one line: no driver, no GPU, no kernels
     * in this build (nvcc was absent), or kernels that do not cover this GPU's architecture.
     */
    public CudaDevice() {
        byte[] image = Fatbin.resource();
        CudaDriver.Info info = CudaDriver.load(); // "no CUDA driver" / "no CUDA device" in one line
        if (image == null) throw new NativeLibraryException(unavailableWithoutKernels());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment i = a.allocate(ValueLayout.JAVA_INT);
            check(Cuda.cuDeviceGet(i, 0), "cuDeviceGet");
            device = i.get(ValueLayout.JAVA_INT, 0);
            int major = attribute(a, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR());
            int minor = attribute(a, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR());
            sm = 10 * major + minor;
            multiprocessors = attribute(a, Cuda.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT());
            name = info.devices().getFirst();
            Fatbin fat = Fatbin.parse(image);
            if (!fat.runsOn(sm)) {
                throw new NativeLibraryException("the CUDA kernels were built for " + fat.entries() + " but " + name
                        + " is sm_" + sm + " (r1 needs sm_80 or newer: A100, RTX 30xx, L4/L40, H100/H200)");
            }
            MemorySegment l = a.allocate(ValueLayout.JAVA_LONG);
            check(Cuda.cuDeviceTotalMem_v2(l, device), "cuDeviceTotalMem");
            totalBytes = l.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(Cuda.cuDevicePrimaryCtxRetain(p, device), "cuDevicePrimaryCtxRetain");
            ctx = p.get(ValueLayout.ADDRESS, 0);
            ensureCurrent();
            check(Cuda.cuStreamCreate(p, Cuda.CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            stream = p.get(ValueLayout.ADDRESS, 0);
            MemorySegment img = arena.allocate(image.length + 1L, 16); // cuModuleLoadData reads from host memory
            MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
            check(Cuda.cuModuleLoadData(p, img), "cuModuleLoadData (r1_kernels.fatbin on " + name + ", sm_" + sm + ")");
            module = p.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** Why the backend is unavailable in a build without kernels. */
    static String unavailableWithoutKernels() {
        return "no CUDA kernels in this build: nvcc was not found when r1 was built (install the CUDA toolkit, or set NVCC, and rebuild)";
    }

    private int attribute(Arena a, int attr) {
        MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
        check(Cuda.cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute");
        return v.get(ValueLayout.JAVA_INT, 0);
    }

    public MemorySegment stream() { return stream; }

    private Thread current;

    /**
     * Makes the context current on the calling thread (the driver keeps one per thread; a session may be
     * driven from another thread than the one that opened it). A field compare when nothing changed.
     */
    public void ensureCurrent() {
        Thread t = Thread.currentThread();
        if (t != current) {
            check(Cuda.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            current = t;
        }
    }

    /** A kernel of the module, looked up once. */
    public MemorySegment function(String kernel) {
        return functions.computeIfAbsent(kernel, k -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ValueLayout.ADDRESS);
                check(Cuda.cuModuleGetFunction(p, module, a.allocateFrom(k)), "cuModuleGetFunction(" + k + ")");
                return p.get(ValueLayout.ADDRESS, 0);
            }
        });
    }

    /** Lets a kernel use more than 48 KB of dynamic shared memory. */
    public void allowSharedMemory(String kernel, int bytes) {
        check(Cuda.cuFuncSetAttribute(function(kernel), Cuda.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES(), bytes),
                "cuFuncSetAttribute(" + kernel + ")");
    }

    public void launch(String kernel, int gx, int gy, int bx, int smem, ArgBlock args) {
        ensureCurrent();
        MemorySegment start = profiling() ? record() : null;
        check(Cuda.cuLaunchKernel(function(kernel), gx, gy, 1, bx, 1, 1, smem, stream, args.params(), MemorySegment.NULL),
                "cuLaunchKernel(" + kernel + ", grid " + gx + "x" + gy + ", block " + bx + ")");
        if (start != null) marks.add(new Mark(kernel + " " + gx + "x" + gy, start, record())); // the grid tells shapes apart
    }

    // Per-kernel stream time: an event pair around each eager launch while profiling is on. Events, not
    // host clocks, because launches are asynchronous; a graph's replays are not split (capture is skipped).
    private record Mark(String name, MemorySegment start, MemorySegment end) {}
    private List<Mark> marks;
    private boolean capturing;

    /** Starts (a fresh) or stops collecting per-kernel times for {@link #profileReport}. */
    public void profile(boolean on) {
        if (!on && marks != null) destroy(marks);
        marks = on ? new ArrayList<>() : null;
    }

    private boolean profiling() { return marks != null && !capturing; }

    /** Other stream work (a cuBLAS call) under a name in the profile. */
    public void profiled(String name, Runnable work) {
        MemorySegment start = profiling() ? record() : null;
        work.run();
        if (start != null) marks.add(new Mark(name, start, record()));
    }

    private MemorySegment record() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(Cuda.cuEventCreate(p, Cuda.CU_EVENT_DEFAULT()), "cuEventCreate");
            MemorySegment e = p.get(ValueLayout.ADDRESS, 0);
            check(Cuda.cuEventRecord(e, stream), "cuEventRecord");
            return e;
        }
    }

    private static void destroy(List<Mark> ms) {
        for (Mark m : ms) {
            Cuda.cuEventDestroy_v2(m.start);
            Cuda.cuEventDestroy_v2(m.end);
        }
        ms.clear();
    }

    /**
     * What was launched since profiling started, by name, most time first: calls, stream ms in all, share,
     * mean µs; the first line sums them. Waits for the stream; clears the collected marks (profiling stays on).
     */
    public List<String> profileReport() {
        if (marks == null) return List.of();
        sync();
        Map<String, double[]> by = new LinkedHashMap<>();
        double all = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(ValueLayout.JAVA_FLOAT);
            for (Mark m : marks) {
                check(Cuda.cuEventElapsedTime_v2(ms, m.start, m.end), "cuEventElapsedTime");
                double t = ms.get(ValueLayout.JAVA_FLOAT, 0);
                double[] s = by.computeIfAbsent(m.name, k -> new double[2]);
                s[0]++;
                s[1] += t;
                all += t;
            }
        }
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%d launches, %.3f ms of kernels", marks.size(), all));
        double total = all;
        by.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1])).forEach(e -> out.add(String.format(
                Locale.ROOT, "  %-30s %6d calls %9.3f ms %5.1f%% %9.2f us each", e.getKey(), (long) e.getValue()[0], e.getValue()[1],
                100 * e.getValue()[1] / Math.max(total, 1e-9), 1e3 * e.getValue()[1] / e.getValue()[0])));
        destroy(marks);
        return out;
    }

    /** Device memory, with "out of device memory" naming what it was for, the bytes needed and free. */
    public long alloc(long bytes, String what) {
        ensureCurrent();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.JAVA_LONG);
            int r = Cuda.cuMemAlloc_v2(p, Math.max(bytes, 1));
            if (r == Cuda.CUDA_ERROR_OUT_OF_MEMORY()) throw new CudaException("cuMemAlloc", r, outOfMemory(bytes, what));
            check(r, "cuMemAlloc(" + bytes + " bytes for " + what + ")");
            long ptr = p.get(ValueLayout.JAVA_LONG, 0);
            allocated += bytes;
            sizes.put(ptr, bytes);
            return ptr;
        }
    }

    private String outOfMemory(long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(ValueLayout.JAVA_LONG), total = a.allocate(ValueLayout.JAVA_LONG);
            Cuda.cuMemGetInfo_v2(free, total);
            return oomMessage(bytes, what, free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0), allocated, name);
        }
    }

    static String oomMessage(long bytes, String what, long free, long total, long ours, String gpu) {
        return String.format(java.util.Locale.ROOT, "out of device memory: %s needs %,d bytes, %,d free of %,d on %s (r1 holds %,d); "
                + "use a smaller model or context, or the CPU backend", what, bytes, free, total, gpu, ours);
    }

    public long allocatedBytes() { return allocated; }

    public void free(long ptr) {
        if (ptr == 0) return;
        Cuda.cuMemFree_v2(ptr);
        Long n = sizes.remove(ptr);
        if (n != null) allocated -= n;
    }

    /**
     * Copies host memory (pageable is fine) to the device in stream order and waits for it: the stream is
     * non-blocking, so the copy must be on it (a plain cuMemcpyHtoD runs on the legacy stream, unordered with
     * ours), and waiting lets the caller reuse its buffer.
     */
    public void upload(long dst, MemorySegment src, long bytes) {
        ensureCurrent();
        check(Cuda.cuMemcpyHtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyHtoDAsync(" + bytes + " bytes)");
        sync();
    }

    public void download(MemorySegment dst, long src, long bytes) {
        ensureCurrent();
        check(Cuda.cuMemcpyDtoHAsync_v2(dst, src, bytes, stream), "cuMemcpyDtoHAsync(" + bytes + " bytes)");
        sync();
    }

    /** Device to pinned host memory in stream order, not waited for (a captured graph's read-back). */
    public void downloadAsync(MemorySegment pinned, long src, long bytes) {
        check(Cuda.cuMemcpyDtoHAsync_v2(pinned, src, bytes, stream), "cuMemcpyDtoHAsync(" + bytes + " bytes)");
    }

    public void copyAsync(long dst, long src, long bytes) {
        check(Cuda.cuMemcpyDtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyDtoDAsync");
    }

    /** Copies from pinned host memory in stream order; inside a capture, the copy reads it at each replay. */
    public void uploadAsync(long dst, MemorySegment pinned, long bytes) {
        check(Cuda.cuMemcpyHtoDAsync_v2(dst, pinned, bytes, stream), "cuMemcpyHtoDAsync");
    }

    /** Sets {@code n} ints at {@code dst} to {@code v} in stream order (the value is taken now). */
    public void setInts(long dst, int v, long n) {
        ensureCurrent();
        check(Cuda.cuMemsetD32Async(dst, v, n, stream), "cuMemsetD32Async");
    }

    /** Page-locked host memory (for copies a captured graph replays). */
    public MemorySegment pinned(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(Cuda.cuMemAllocHost_v2(p, bytes), "cuMemAllocHost(" + bytes + ")");
            return p.get(ValueLayout.ADDRESS, 0).reinterpret(bytes);
        }
    }

    public void freePinned(MemorySegment p) {
        Cuda.cuMemFreeHost(p);
    }

    public void sync() {
        ensureCurrent();
        check(Cuda.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /** Starts recording the stream's work instead of running it (relaxed: a read-back may allocate pinned memory meanwhile). */
    public void beginCapture() {
        ensureCurrent();
        check(Cuda.cuStreamBeginCapture_v2(stream, Cuda.CU_STREAM_CAPTURE_MODE_RELAXED()), "cuStreamBeginCapture");
        capturing = true;
    }

    /** Ends a capture and instantiates it: the returned graph replays the recorded launches and copies. */
    public Graph endCapture() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            capturing = false;
            check(Cuda.cuStreamEndCapture(stream, p), "cuStreamEndCapture");
            MemorySegment graph = p.get(ValueLayout.ADDRESS, 0);
            check(Cuda.cuGraphInstantiateWithFlags(p, graph, 0), "cuGraphInstantiate");
            return new Graph(graph, p.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** An instantiated graph on this device's stream. */
    public final class Graph implements AutoCloseable {
        private final MemorySegment graph, exec;

        private Graph(MemorySegment graph, MemorySegment exec) {
            this.graph = graph;
            this.exec = exec;
        }

        public void launch() {
            check(Cuda.cuGraphLaunch(exec, stream), "cuGraphLaunch");
        }

        @Override
        public void close() {
            Cuda.cuGraphExecDestroy(exec);
            Cuda.cuGraphDestroy(graph);
        }
    }

    /** Milliseconds of stream time of {@code work} (events around it), after it completes. */
    public float time(Runnable work) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(Cuda.cuEventCreate(p, Cuda.CU_EVENT_DEFAULT()), "cuEventCreate");
            MemorySegment start = p.get(ValueLayout.ADDRESS, 0);
            check(Cuda.cuEventCreate(p, Cuda.CU_EVENT_DEFAULT()), "cuEventCreate");
            MemorySegment end = p.get(ValueLayout.ADDRESS, 0);
            check(Cuda.cuEventRecord(start, stream), "cuEventRecord");
            work.run();
            check(Cuda.cuEventRecord(end, stream), "cuEventRecord");
            check(Cuda.cuEventSynchronize(end), "cuEventSynchronize");
            MemorySegment ms = a.allocate(ValueLayout.JAVA_FLOAT);
            check(Cuda.cuEventElapsedTime_v2(ms, start, end), "cuEventElapsedTime");
            Cuda.cuEventDestroy_v2(start);
            Cuda.cuEventDestroy_v2(end);
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    @Override
    public void close() {
        Cuda.cuStreamSynchronize(stream);
        profile(false);
        Cuda.cuModuleUnload(module);
        Cuda.cuStreamDestroy_v2(stream);
        Cuda.cuDevicePrimaryCtxRelease_v2(device);
        arena.close();
    }
}
