package dev.r1.engine.cpu;

import dev.r1.engine.model.Backend;
import dev.r1.engine.model.BackendOpsContract;

/** The CPU backend's ops against the float64 reference (at the JVM's vector width; see VectorWidths). */
class CpuBackendOpsTest extends BackendOpsContract {
    @Override
    protected Backend backend() {
        System.out.println("CpuBackendOpsTest at " + VectorWidths.describe());
        return new CpuBackend(2);
    }
}
