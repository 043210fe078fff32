package dev.r1.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.r1.bindings.CudaDriver;
import dev.r1.bindings.NativeLibraryException;
import dev.r1.models.tensor.GgmlType;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What runs without a GPU: availability messages, the path up to the driver call, cuBLAS lookup, OOM text. */
class CudaBackendTest {

    @Test
    void unavailableIsOneClearLineAndOpeningFailsWithIt() {
        String why = CudaBackend.unavailableReason();
        if (why == null) return; // a GPU machine: CudaBackendGpuTest covers it
        assertFalse(why.contains("\n"), why);
        assertTrue(why.startsWith("no CUDA driver") || why.startsWith("no CUDA device") || why.startsWith("no CUDA kernels"), why);
        // the constructor reads the packed fatbin, then stops at the driver with the same message
        var e = assertThrows(NativeLibraryException.class, CudaBackend::new);
        assertEquals(why, e.getMessage());
        assertFalse(CudaDriver.available());
    }

    @Test
    void cublasCandidatesHonourTheOverride() {
        assertEquals(List.of("libcublas.so.13", "libcublas.so.12"), Cublas.candidates(null));
        assertEquals(List.of("/opt/x/libcublas.so"), Cublas.candidates("/opt/x/libcublas.so"));
    }

    @Test
    void outOfMemorySaysNeededAndFree() {
        String m = CudaDevice.oomMessage(3_000_000_000L, "tensor 'blk.0.ffn_up.weight' (Q4_0, 18944x3584)", 1_000_000L,
                40_000_000_000L, 39_000_000_000L, "NVIDIA A100-SXM4-40GB");
        assertEquals("out of device memory: tensor 'blk.0.ffn_up.weight' (Q4_0, 18944x3584) needs 3,000,000,000 bytes,"
                + " 1,000,000 free of 40,000,000,000 on NVIDIA A100-SXM4-40GB (r1 holds 39,000,000,000);"
                + " use a smaller model or context, or the CPU backend", m);
    }

    @Test
    void everyNativeTypeHasItsTwoKernelsAndIsChecked() {
        // what KernelCheck runs (and CudaMathTest dequantizes) is what the backend keeps quantized, no more, no less
        Set<GgmlType> native_ = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);
        native_.addAll(CudaBackend.Q8_1_TYPES.keySet());
        native_.addAll(CudaBackend.Q8_K_TYPES.keySet());
        assertEquals(EnumSet.copyOf(List.of(KernelCheck.NATIVE)), native_);
        assertTrue(java.util.Collections.disjoint(CudaBackend.Q8_1_TYPES.keySet(), CudaBackend.Q8_K_TYPES.keySet()));
        for (var m : List.of(CudaBackend.Q8_1_TYPES, CudaBackend.Q8_K_TYPES)) {
            m.forEach((t, k) -> {
                assertEquals(2, k.length, t.toString());
                assertTrue(CudaKernels.ALL.contains(k[0]) && k[0].startsWith("r1_mv_"), t + ": " + k[0]);
                assertTrue(CudaKernels.ALL.contains(k[1]) && k[1].startsWith("r1_mm_"), t + ": " + k[1]);
            });
        }
    }

    @Test
    void deviceWeightsAreTheTensorsAsStoredOrWidenedToF32(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // a matrix of a type with kernels (Q5_K), one without (IQ2_XXS: its 66-byte blocks go up as 256 floats), a norm
        java.nio.file.Path p = dir.resolve("m.gguf");
        try (var w = dev.r1.models.gguf.GgufWriter.create(p)) {
            w.putString("general.architecture", "llama");
            w.addTensor("a.weight", GgmlType.Q5_K, 512, 4);
            w.addTensor("b.weight", GgmlType.IQ2_XXS, 256, 3);
            w.addTensor("n.weight", GgmlType.F32, 512);
            w.writeTensorData("a.weight", java.nio.ByteBuffer.allocate(4 * 2 * 176));
            w.writeTensorData("b.weight", java.nio.ByteBuffer.allocate(3 * 66));
            w.writeTensorData("n.weight", java.nio.ByteBuffer.allocate(512 * 4));
            w.commit();
        }
        try (var f = dev.r1.models.gguf.GgufFile.open(p)) {
            assertEquals(4L * 2 * 176 + 3L * 256 * 4 + 512L * 4, CudaBackend.deviceWeightBytes(f));
        }
        assertTrue(CudaBackend.keepsAsStored(GgmlType.BF16) && CudaBackend.keepsAsStored(GgmlType.IQ4_XS));
        assertFalse(CudaBackend.keepsAsStored(GgmlType.IQ2_XXS) || CudaBackend.keepsAsStored(GgmlType.IQ1_S));
    }
}
