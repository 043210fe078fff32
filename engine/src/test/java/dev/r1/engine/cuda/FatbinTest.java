package dev.r1.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The fatbin the build packed: every architecture, every kernel the Java side launches, in each entry. */
class FatbinTest {

    /** CI machines have nvcc; a machine without it builds no fatbin, and these tests say why they skip. */
    static byte[] builtFatbin() {
        byte[] img = Fatbin.resource();
        boolean nvcc = Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc")) || System.getenv("NVCC") != null;
        if (img == null && nvcc) fail("nvcc is installed but the build packed no " + Fatbin.RESOURCE + " (see native/cuda/build.sh's output)");
        assumeTrue(img != null, "no nvcc on this machine: the build made no fatbin");
        return img;
    }

    @Test
    void holdsSassForEveryTargetAndPtxForJit() {
        Fatbin f = Fatbin.parse(builtFatbin());
        assertEquals(Set.of(80, 86, 89, 90), f.sassArchs(), f.entries().toString());
        assertEquals(Set.of(80), f.ptxArchs(), f.entries().toString());
        assertTrue(f.runsOn(80) && f.runsOn(90) && f.runsOn(100), "newer GPUs JIT the compute_80 PTX");
        assertFalse(f.runsOn(75), "no Turing code");
        for (Fatbin.Entry e : f.entries()) assertFalse(e.compressed(), e + ": build.sh passes --no-compress");
    }

    @Test
    void everyLaunchedKernelIsInEveryEntry() {
        Fatbin f = Fatbin.parse(builtFatbin());
        for (Fatbin.Entry e : f.entries()) {
            Set<String> names = f.kernelNames(e);
            for (String k : CudaKernels.ALL) assertTrue(names.contains(k), e + " lacks " + k + "; it has " + names);
        }
    }

    @Test
    void rejectsWhatIsNotAFatbin() {
        var e = assertThrows(IllegalArgumentException.class, () -> Fatbin.parse(new byte[32]));
        assertTrue(e.getMessage().startsWith("not a CUDA fatbin"), e.getMessage());
        byte[] img = new byte[16];
        java.nio.ByteBuffer.wrap(img).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(Fatbin.MAGIC).putShort((short) 1)
                .putShort((short) 16).putLong(4096);
        e = assertThrows(IllegalArgumentException.class, () -> Fatbin.parse(img));
        assertTrue(e.getMessage().startsWith("fatbin truncated"), e.getMessage());
    }
}
