package dev.r1.engine.cpu;

/**
 * What the Java engine needs to know of the ggml CPU library llama.cpp runs on this machine: whether its weights go
 * through ggml's AMX buffer ({@code sapphirerapids}: the CPU has AMX-INT8 and {@code R1_GGML_CPU} is unset, {@code
 * auto} or {@code sapphirerapids}). There ggml multiplies Q4_0, Q4_1, Q8_0 and the K-quants by AMX tiles for prompts
 * and by AVX512-VNNI for one token, both adding each block's products as one exact integer and each row's blocks in
 * order ({@code acc = fma(sum, d_w·d_a, acc)}), where its other libraries keep eight float lanes per row. Kernels that
 * can follow either order follow this machine's ({@link Q8x8#Q41_AMX}, {@link Q8x8#Q8_AMX}, {@link IQ4XSx8#AMX_ORDER}), so the engines agree bit for bit on either kind
 * of machine, and the test suite, which pins {@code haswell}, checks the other order everywhere.
 */
public final class GgmlVariant {
    private GgmlVariant() {}

    /** Whether llama.cpp's CPU library here is {@code sapphirerapids} with its AMX buffer (see the class comment). */
    public static final boolean AMX = amx(System.getenv("R1_GGML_CPU"), dev.r1.engine.bench.MachineInfo.cpuInfo("flags"));

    /** {@link #AMX} for {@code R1_GGML_CPU=variant} (null: unset) on a CPU with these {@code /proc/cpuinfo} flags. */
    public static boolean amx(String variant, String flags) {
        boolean ggmlPicks = variant == null || variant.isBlank() || variant.trim().equalsIgnoreCase("auto");
        return (" " + flags + " ").contains(" amx_int8 ") && (ggmlPicks || variant.trim().equalsIgnoreCase("sapphirerapids"));
    }
}
