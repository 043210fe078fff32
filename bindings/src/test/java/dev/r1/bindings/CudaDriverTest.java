package dev.r1.bindings;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class CudaDriverTest {

    @Test
    void missingDriverSaysSoPlainly() {
        var e = assertThrows(NativeLibraryException.class, () -> CudaDriver.load("libcuda-r1-absent.so.1"));
        assertTrue(e.getMessage().startsWith("no CUDA driver: libcuda-r1-absent.so.1 could not be loaded"), e.getMessage());
        assertTrue(e.getMessage().contains("CPU backend"), e.getMessage());
    }

    @Test
    void loadEitherFindsADeviceOrExplainsWhyNot() {
        // On a GPU machine this initializes the driver; elsewhere it must be the clear message, never an
        // ExceptionInInitializerError from the generated class.
        try {
            CudaDriver.Info info = CudaDriver.load();
            assertTrue(info.deviceCount() >= 1 && info.driverVersion() >= 12000, info.toString());
            assertEquals("CUDA_ERROR_OUT_OF_MEMORY: out of memory", CudaDriver.errorName(2));
            var e = assertThrows(CudaException.class, () -> CudaDriver.check(2, "cuMemAlloc"));
            assertEquals(2, e.code());
        } catch (NativeLibraryException e) {
            assertTrue(e.getMessage().startsWith("no CUDA"), e.getMessage());
            assertFalse(CudaDriver.available());
        }
    }
}
