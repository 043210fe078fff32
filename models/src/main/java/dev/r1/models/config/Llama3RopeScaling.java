package dev.r1.models.config;

/**
 * Llama 3.1 style RoPE frequency scaling ({@code rope_scaling.rope_type = "llama3"}): low frequencies
 * are divided by {@code factor}, high ones kept, and a smooth ramp in between.
 */
public record Llama3RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContext) {

    public Llama3RopeScaling {
        if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContext <= 0) {
            throw new IllegalArgumentException("invalid llama3 rope scaling: factor " + factor + ", low " + lowFreqFactor
                    + ", high " + highFreqFactor + ", original context " + originalContext);
        }
    }

    /** The R1-Distill-Llama (Llama 3.1) values: factor 8, low 1, high 4, original context 8192. */
    public static final Llama3RopeScaling LLAMA_3_1 = new Llama3RopeScaling(8f, 1f, 4f, 8192);

    /**
     * The per-frequency divisors that llama.cpp's converter stores as {@code rope_freqs.weight}
     * (float32, {@code headDim / 2} entries; the rotation angle for frequency i is pos * freq_i / f_i).
     * The arithmetic follows the converter's float32 tensor operations step by step (reciprocal then
     * multiply, as torch evaluates {@code scalar / tensor}); only torch's vectorized powf may differ in
     * the last bit for some entries.
     */
    public float[] ropeFactors(int headDim, float ropeTheta) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("head dim must be even: " + headDim);
        float lowWavelen = (float) ((double) originalContext / lowFreqFactor);
        float highWavelen = (float) ((double) originalContext / highFreqFactor);
        float ramp = (float) ((double) highFreqFactor - lowFreqFactor);
        float twoPi = (float) (2 * Math.PI);
        float[] out = new float[headDim / 2];
        for (int i = 0; i < out.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            float freq = 1f / (float) Math.pow(ropeTheta, exponent);
            float wavelen = (1f / freq) * twoPi;
            if (wavelen < highWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowWavelen) {
                out[i] = factor;
            } else {
                float smooth = ((1f / wavelen) * (float) originalContext - lowFreqFactor) / ramp;
                out[i] = 1f / ((1f - smooth) / factor + smooth);
            }
        }
        return out;
    }
}
