package dev.r1.bindings;

/** A CUDA driver call failed: which call, its CUresult, and the driver's name and text for it. */
public final class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String call, int code, String detail) {
        super(call + " failed (" + code + " " + detail + ")");
        this.code = code;
    }

    public int code() {
        return code;
    }
}
