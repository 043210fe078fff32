package dev.r1.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole CUDA path without a GPU: the real kernels compiled for the host with a fiber emulation of CUDA
 * threads, warps and shared memory, behind a libcuda.so.1 of our own (native/cuda/test/emu), driven by
 * the unchanged CudaBackend in a child JVM. Checks thread mapping, launch geometry, argument blocks, the
 * add+norm fusion, grouped matvecs, graph capture/replay and the Transformer end to end against the CPU
 * backend. Not checked: timing, memory coalescing, real WMMA fragment layouts, device memory limits.
 */
class CudaEmulatorTest {
    @TempDir Path dir;

    @Test
    void kernelsAndTinyModelsAgreeWithTheCpuBackendUnderEmulation() throws Exception {
        Path root = HostMath.repoRoot(), emu = root.resolve("native/cuda/test/emu");
        Path lib = Path.of("target", "cuda-emu", "libcuda.so.1").toAbsolutePath();
        Files.createDirectories(lib.getParent());
        // -fsanitize=alignment: a load the device would fault on (vector types are aligned as there) aborts
        String log = compile(emu, lib, true);
        if (log != null) log = compile(emu, lib, false); // no libubsan: build without the check
        assertNull(log, "g++ failed:\n" + log);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xss4m", "-cp", System.getProperty("java.class.path"), EmulatorCheck.class.getName(), dir.toString()))
                .redirectErrorStream(true);
        pb.environment().put("LD_LIBRARY_PATH", lib.getParent().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        boolean done = p.waitFor(600, TimeUnit.SECONDS);
        System.out.println(out);
        assertTrue(done, "emulated check timed out:\n" + out);
        assertEquals(0, p.exitValue(), "emulated CUDA check failed:\n" + out);
        assertTrue(out.contains("device: cuda (r1 CUDA emulator (host), sm_80)"), out);
    }

    /** Builds the emulated driver; null on success, else the compiler's output. Skips the test without g++. */
    private static String compile(Path emu, Path lib, boolean sanitize) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("g++", "-std=c++17", "-O1", "-shared", "-fPIC", "-ffp-contract=off",
                "-fno-strict-aliasing", "-I" + emu, "-include", "cuda_emu.h", "-o", lib.toString(), emu.resolve("fake_cuda.cpp").toString()));
        if (sanitize) cmd.addAll(1, List.of("-fsanitize=alignment", "-fno-sanitize-recover=alignment"));
        Process cc;
        try {
            cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no g++ to build the CUDA emulator: " + e.getMessage());
            return null;
        }
        String log = new String(cc.getInputStream().readAllBytes());
        return cc.waitFor(300, TimeUnit.SECONDS) && cc.exitValue() == 0 ? null : log;
    }
}
