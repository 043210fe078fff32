package dev.r1.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.engine.cpu.CpuBackend;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA backend on a GPU: every kernel against the CPU backend, and the tiny presets' greedy
 * continuation and logits (eager and by graph replay) against the CPU backend. Skipped, with the reason,
 * where there is no driver, no GPU or no kernels in the build; native/cuda/device-check.sh runs the same
 * checks plus the benchmarks on the GPU machine.
 */
class CudaBackendGpuTest {
    @TempDir static Path dir;
    private static boolean told;

    @BeforeEach // per test, so each shows as skipped with the reason
    void gpu() {
        String why = CudaBackend.unavailableReason();
        if (why != null && !told) System.out.println("CudaBackendGpuTest: skipped, CUDA backend unavailable: " + why);
        told = true;
        assumeTrue(why == null, "CUDA backend unavailable: " + why);
    }

    @Test
    void everyKernelAgreesWithTheCpuBackend() {
        try (CpuBackend cpu = new CpuBackend(2); CudaBackend gpu = new CudaBackend()) {
            for (KernelCheck.Row r : new KernelCheck(cpu, gpu, 7).run()) assertTrue(r.ok(), r.toString());
        }
    }

    @Test
    void tinyPresetsDecodeAsTheCpuBackendDoes() {
        for (String[] c : new String[][] {{"tiny-qwen2", "Q4_0"}, {"tiny-llama", "K_MIX"}}) {
            Path p = DeviceCheck.synth(dir, c[0], c[1], c[1].equals("Q4_0") ? 2 : 7);
            try (var cpu = DeviceCheck.Model.open(p, new CpuBackend(2), 256, 32);
                 var gpu = DeviceCheck.Model.open(p, new CudaBackend(), 256, 32)) {
                DeviceCheck.Parity r = DeviceCheck.parity(c[0] + " " + c[1], cpu.tr(), gpu.tr(), 24, 40);
                assertNotEquals("FAIL", r.verdict(), r.toString());
            }
        }
    }
}
