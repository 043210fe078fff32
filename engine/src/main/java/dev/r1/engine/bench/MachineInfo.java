package dev.r1.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;

/** What a benchmark figure was measured on: every figure names its machine. */
public record MachineInfo(String cpuModel, int cores, String cpuFlags, long memTotalMb, String os, String jdk,
                          String vectorSpecies, String gpu) {

    public static MachineInfo detect(String gpu) {
        String model = cpuInfo("model name"), flags = summarizeFlags(cpuInfo("flags"));
        if (model.isEmpty()) model = "unknown";
        long memMb = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
                if (line.startsWith("MemTotal:")) memMb = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        } catch (IOException | NumberFormatException ignored) { }
        String species;
        try {
            species = FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit";
        } catch (Throwable t) {
            species = "unavailable";
        }
        return new MachineInfo(model, Runtime.getRuntime().availableProcessors(), flags, memMb,
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                species, gpu == null ? "none" : gpu);
    }

    /** The first {@code /proc/cpuinfo} line's value for {@code key} ("model name", "flags"), trimmed; "" where there is none (not Linux). */
    public static String cpuInfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) return line.substring(colon + 1).trim();
            }
        } catch (IOException ignored) { /* not Linux */ }
        return "";
    }

    /** The SIMD features that decide which kernels run, not the whole flag soup. */
    static String summarizeFlags(String flags) {
        StringBuilder sb = new StringBuilder();
        for (String f : new String[]{"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16"}) {
            if ((" " + flags + " ").contains(" " + f + " ")) sb.append(sb.isEmpty() ? "" : " ").append(f);
        }
        return sb.toString();
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel);
        m.put("cores", cores);
        m.put("simd", cpuFlags);
        m.put("mem_total_mb", memTotalMb);
        m.put("os", os);
        m.put("jdk", jdk);
        m.put("vector_species", vectorSpecies);
        m.put("gpu", gpu);
        return m;
    }
}
