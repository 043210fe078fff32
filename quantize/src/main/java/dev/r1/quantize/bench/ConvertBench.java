package dev.r1.quantize.bench;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.ConversionReport;
import dev.r1.quantize.ConvertOptions;
import dev.r1.quantize.Converter;
import dev.r1.quantize.TargetType;
import dev.r1.quantize.synth.SyntheticModel;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end converter throughput: writes (once) a synthetic BF16 GGUF with a preset's real shapes,
 * then converts it to each target and prints input MB/s (BF16 bytes read per second), output size,
 * bits per weight and the peak Java heap. Run with e.g. {@code -Xmx2g} to show memory stays bounded.
 * Usage: {@code ConvertBench WORKDIR [preset=r1-distill-qwen-1.5b] [targets=q4_0,q8_0,q4_k_m] [measureError=false]}
 * with {@code -Dr1.deps=.deps} (the tokenizer for the metadata).
 */
public final class ConvertBench {
    public static void main(String[] args) {
        Path work = Path.of(args.length > 0 ? args[0] : "/tmp/r1-convert-bench");
        String preset = args.length > 1 ? args[1] : "r1-distill-qwen-1.5b";
        String[] targets = (args.length > 2 ? args[2] : "q4_0,q8_0,q4_k_m").split(",");
        boolean measure = args.length > 3 && Boolean.parseBoolean(args[3]);
        ModelConfig cfg = Presets.get(preset);
        Path in = work.resolve(preset + "-bf16.gguf");
        try {
            Files.createDirectories(work);
            if (!Files.exists(in)) {
                Path tok = Path.of(System.getProperty("r1.deps", ".deps"), "tokenizers",
                        cfg.arch().ggufName().equals("llama") ? "llama3_1" : "qwen3");
                Map<String, GgufValue> tokenizer = Vocabulary.fromHf(tok).toGgufMetadata(cfg.vocab());
                System.out.println("writing " + in + " ...");
                SyntheticModel.write(in, false, cfg, preset, 1, s -> s.isVector() ? GgmlType.F32 : GgmlType.BF16,
                        tokenizer, 32, b -> { });
            }
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
        System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, max heap %d MB%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf(Locale.ROOT, "input: %s (%s shape, BF16 weights), error measurement %s%n", in.getFileName(),
                preset, measure ? "on" : "off");
        System.out.printf(Locale.ROOT, "%-8s %10s %10s %10s %14s %10s %8s %14s%n", "target", "seconds", "cpu s",
                "MB/s in", "MB/s/cpu-core", "out MB", "bpw", "peak heap MB");
        for (String t : targets) {
            TargetType target = TargetType.parse(t);
            Path out = work.resolve(preset + "-" + target.fileSuffix() + ".gguf");
            resetPeaks();
            long cpu0 = cpuNanos();
            ConversionReport r = Converter.convert(in, out,
                    ConvertOptions.of(target).withForce(true).withMeasureError(measure));
            double cpu = (cpuNanos() - cpu0) / 1e9;
            System.out.printf(Locale.ROOT, "%-8s %10.1f %10.1f %10.1f %14.1f %10.1f %8.2f %14d%n", target.fileSuffix(),
                    r.seconds(), cpu, r.inputMBps(), r.inputBytes() / 1e6 / cpu, r.outputBytes() / 1e6, r.bitsPerWeight(),
                    peakHeapMb());
        }
    }

    /** CPU time of the whole process: a figure that holds up when other jobs share the machine. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
    }

    private static long peakHeapMb() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getUsed();
        }
        return sum >> 20;
    }
}
