package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.bindings.LlamaLibrary;
import dev.r1.bindings.NativeLibraries;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * One ggml op in a one-node graph, computed by ggml's CPU library: the reference for a single kernel of ours
 * on the same inputs (ggml's core and CPU libraries that llama.cpp loads, their public C API through FFM).
 * Only where ggml chose its {@code haswell} library: our kernels follow its AVX2 code.
 */
final class OneOpGgml {
    private OneOpGgml() {}

    static final int F32 = 0, F16 = 1, I32 = 26;
    static final int ROPE_NORMAL = 0, ROPE_NEOX = 2;
    static final StructLayout INIT_PARAMS = MemoryLayout.structLayout(JAVA_LONG.withName("mem_size"),
            ADDRESS.withName("mem_buffer"), JAVA_BOOLEAN.withName("no_alloc"), MemoryLayout.paddingLayout(7));
    static MethodHandle init, free, newTensor4d, flashAttn, rope, newGraph, buildForward, compute, getData, mulMat;

    static synchronized void load() {
        if (init != null) return;
        LlamaLibrary lib = NativeLibraries.llama();
        assumeTrue("haswell".equals(lib.cpuVariant()), "ggml runs its " + lib.cpuVariant() + " library, not haswell");
        SymbolLookup base = SymbolLookup.libraryLookup(lib.dir().resolve("libggml-base.so"), Arena.global());
        SymbolLookup cpu = SymbolLookup.libraryLookup(lib.dir().resolve("libggml-cpu-haswell.so"), Arena.global());
        Linker l = Linker.nativeLinker();
        try {
            l.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        free = l.downcallHandle(base.find("ggml_free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS));
        newTensor4d = l.downcallHandle(base.find("ggml_new_tensor_4d").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        flashAttn = l.downcallHandle(base.find("ggml_flash_attn_ext").orElseThrow(), FunctionDescriptor.of(ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
        // ggml_rope_ext(ctx, a, pos, freq_factors, n_dims, mode, n_ctx_orig, freq_base, freq_scale, ext_factor,
        // attn_factor, beta_fast, beta_slow)
        rope = l.downcallHandle(base.find("ggml_rope_ext").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
        newGraph = l.downcallHandle(base.find("ggml_new_graph").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS));
        mulMat = l.downcallHandle(base.find("ggml_mul_mat").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        buildForward = l.downcallHandle(base.find("ggml_build_forward_expand").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        compute = l.downcallHandle(cpu.find("ggml_graph_compute_with_ctx").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        getData = l.downcallHandle(base.find("ggml_get_data").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS));
        init = l.downcallHandle(base.find("ggml_init").orElseThrow(), FunctionDescriptor.of(ADDRESS, INIT_PARAMS));
    }

    static MemorySegment data(MemorySegment tensor, long bytes) throws Throwable {
        return ((MemorySegment) getData.invokeExact(tensor)).reinterpret(bytes);
    }

    /** A ggml context of {@code bytes} (tensors, graph and work buffer), its parameters allocated in {@code a}. */
    static MemorySegment context(Arena a, long bytes) throws Throwable {
        MemorySegment params = a.allocate(INIT_PARAMS);
        params.set(JAVA_LONG, 0, bytes);
        return (MemorySegment) init.invokeExact(params);
    }

    /** Computes the one-node graph ending in {@code out} on {@code threads} threads; false when ggml refuses. */
    static boolean compute(MemorySegment ctx, MemorySegment out, int threads) throws Throwable {
        MemorySegment graph = (MemorySegment) newGraph.invokeExact(ctx);
        buildForward.invokeExact(graph, out);
        return (int) compute.invokeExact(ctx, graph, threads) == 0;
    }
}
