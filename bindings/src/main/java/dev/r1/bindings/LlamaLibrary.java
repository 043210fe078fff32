package dev.r1.bindings;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link NativeLibraries#llama()} loaded.
 *
 * @param dir         the folder the libraries came from
 * @param cpuVariant  the libggml-cpu-VARIANT.so ggml chose (or R1_GGML_CPU forced), e.g. "haswell"
 * @param cpuVariants all variants present in {@code dir}
 * @param devices     ggml's backend devices, "NAME: description", CPU first
 * @param systemInfo  llama_print_system_info(): the CPU features the loaded backend uses
 */
public record LlamaLibrary(Path dir, String cpuVariant, List<String> cpuVariants, List<String> devices,
                           String systemInfo) {
    public LlamaLibrary {
        cpuVariants = List.copyOf(cpuVariants);
        devices = List.copyOf(devices);
    }
}
