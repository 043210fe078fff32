package dev.r1.quantize;

import dev.r1.models.tensor.GgmlType;

import java.util.Arrays;
import java.util.Locale;

/**
 * What {@code r1 quantize} can produce, with llama.cpp's {@code llama_ftype} id (written as
 * {@code general.file_type}) and the type most 2-D weights get.
 */
public enum TargetType {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q8_0(7, GgmlType.Q8_0),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    IQ4_NL(25, GgmlType.IQ4_NL),
    IQ4_XS(30, GgmlType.IQ4_XS),
    BF16(32, GgmlType.BF16);

    private final int fileType;
    private final GgmlType base;

    TargetType(int fileType, GgmlType base) {
        this.fileType = fileType;
        this.base = base;
    }

    /** {@code general.file_type} (llama.cpp's {@code LLAMA_FTYPE_*}). */
    public int fileType() { return fileType; }

    /** The type of ordinary 2-D weights. */
    public GgmlType baseType() { return base; }

    /** True for block-quantized targets (norms and biases then stay F32, output gets Q6_K...). */
    public boolean isQuantized() { return base.isQuantized(); }

    /** Parses a name as llama-quantize spells it, any case: {@code q4_0}, {@code Q5_K_M}, {@code iq4_xs}, {@code f16}... */
    public static TargetType parse(String s) {
        for (TargetType t : values()) if (t.name().equalsIgnoreCase(s.trim())) return t;
        throw new QuantizeException("unknown target type '" + s + "'; choose one of "
                + Arrays.stream(values()).map(t -> t.name().toLowerCase(Locale.ROOT)).toList());
    }

    /** The target for {@code --bits N}: 4 is Q4_0 (the R1-Q4 default), 8 is Q8_0, 16 is F16. */
    public static TargetType forBits(int bits) {
        return switch (bits) {
            case 4 -> Q4_0;
            case 8 -> Q8_0;
            case 16 -> F16;
            case 32 -> F32;
            default -> throw new QuantizeException("--bits " + bits + " is not supported; use 4, 8, 16 or 32");
        };
    }

    /** Lower-case name as llama.cpp spells it in file names ({@code q4_k_m}). */
    public String fileSuffix() { return name().toLowerCase(Locale.ROOT); }
}
