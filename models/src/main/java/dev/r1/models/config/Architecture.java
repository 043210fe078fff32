package dev.r1.models.config;

import dev.r1.models.ModelException;

/** The transformer families of the R1 distills, named as in GGUF's {@code general.architecture}. */
public enum Architecture {
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    LLAMA("llama", "LlamaForCausalLM");

    private final String ggufName;
    private final String hfClass;

    Architecture(String ggufName, String hfClass) {
        this.ggufName = ggufName;
        this.hfClass = hfClass;
    }

    /** The GGUF architecture name, also the prefix of its metadata keys ({@code qwen2.block_count}). */
    public String ggufName() { return ggufName; }

    /** The Hugging Face {@code architectures[0]} class name. */
    public String hfClass() { return hfClass; }

    public static Architecture fromGguf(String name, Object file) {
        for (Architecture a : values()) if (a.ggufName.equals(name)) return a;
        throw ModelException.at(file, "general.architecture", "'" + name
                + "' is not supported; r1 runs the R1 distills' architectures: qwen2, llama");
    }

    public static Architecture fromHf(String cls, Object file) {
        for (Architecture a : values()) if (a.hfClass.equals(cls)) return a;
        throw ModelException.at(file, "architectures", "'" + cls
                + "' is not supported; r1 runs Qwen2ForCausalLM and LlamaForCausalLM (the R1 distills)");
    }
}
