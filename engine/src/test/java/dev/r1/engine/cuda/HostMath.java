package dev.r1.engine.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * native/cuda/r1_math.cuh built for the host: {@code cc} compiles test/r1_math_host.c (the kernels'
 * per-element arithmetic over arrays) into a shared library under target/, loaded through FFM. Null
 * {@link #load()} result with a reason when there is no C compiler.
 */
final class HostMath {
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    static final ValueLayout A = ValueLayout.ADDRESS;

    final MethodHandle halfToFloat, floatToHalf, dequant, quantizeQ8_1, quantizeQ8K, dot, rmsnorm, rope, swiglu, attention;
    private static HostMath instance;
    private static String whyNot;

    private HostMath(SymbolLookup lib) {
        Linker l = Linker.nativeLinker();
        halfToFloat = h(l, lib, "r1h_half_to_float", FunctionDescriptor.ofVoid(A, A, I));
        floatToHalf = h(l, lib, "r1h_float_to_half", FunctionDescriptor.ofVoid(A, A, I));
        dequant = h(l, lib, "r1h_dequant", FunctionDescriptor.ofVoid(I, A, I, I, A));
        quantizeQ8_1 = h(l, lib, "r1h_quantize_q8_1", FunctionDescriptor.ofVoid(A, A, A, A, I));
        quantizeQ8K = h(l, lib, "r1h_quantize_q8_k", FunctionDescriptor.ofVoid(A, A, A, A, I));
        dot = h(l, lib, "r1h_dot", FunctionDescriptor.of(F, I, A, I, A, A, A));
        rmsnorm = h(l, lib, "r1h_rmsnorm", FunctionDescriptor.ofVoid(A, A, A, I, I, F));
        rope = h(l, lib, "r1h_rope", FunctionDescriptor.ofVoid(A, I, I, I, I, F, A, I));
        swiglu = h(l, lib, "r1h_swiglu", FunctionDescriptor.ofVoid(A, A, I));
        attention = h(l, lib, "r1h_attention", FunctionDescriptor.ofVoid(A, A, A, I, I, F, I, A));
    }

    private static MethodHandle h(Linker l, SymbolLookup lib, String name, FunctionDescriptor d) {
        return l.downcallHandle(lib.findOrThrow(name), d);
    }

    /** The repository root: the first parent of the working directory holding native/cuda/r1_math.cuh. */
    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("native/cuda/r1_math.cuh"))) return p;
        }
        throw new IllegalStateException("native/cuda/r1_math.cuh not found above " + Path.of("").toAbsolutePath());
    }

    static synchronized HostMath load() {
        if (instance != null || whyNot != null) return instance;
        try {
            Path root = repoRoot(), src = root.resolve("native/cuda/test/r1_math_host.c");
            Path out = Path.of("target", "cuda-host", "libr1math.so").toAbsolutePath();
            Files.createDirectories(out.getParent());
            // -ffp-contract=off: the host must not fuse a*b+c where the device (--fmad=false) does not
            Process p = new ProcessBuilder("cc", "-std=c11", "-O2", "-ffp-contract=off", "-fno-strict-aliasing", "-fPIC", "-shared",
                    "-o", out.toString(), src.toString(), "-lm").redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("cc failed:\n" + log);
            instance = new HostMath(SymbolLookup.libraryLookup(out, Arena.global()));
        } catch (IOException e) {
            whyNot = "no C compiler (cc) to build r1_math.cuh for the host: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            whyNot = "interrupted";
        }
        return instance;
    }

    static String whyNot() { return whyNot; }

    static MemorySegment floats(Arena a, float[] v) { return a.allocateFrom(F, v); }
}
