package dev.r1.engine.cuda;

import dev.r1.engine.model.Backend;
import dev.r1.engine.model.BackendOpsContract;

/** The CUDA backend's ops against the float64 reference; skipped, with the reason, where no GPU is. */
class CudaBackendOpsTest extends BackendOpsContract {
    @Override protected Backend backend() { return new CudaBackend(); }
    @Override protected String unavailable() { return CudaBackend.unavailableReason(); }
}
