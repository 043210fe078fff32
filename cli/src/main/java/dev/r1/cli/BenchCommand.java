package dev.r1.cli;

import dev.r1.engine.Engines;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.bench.Bandwidth;
import dev.r1.engine.bench.BenchReport;
import dev.r1.engine.bench.LatencyBench;
import dev.r1.engine.bench.LatencyPlot;
import dev.r1.engine.bench.MachineInfo;
import dev.r1.engine.bench.PeakMemory;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.TensorLayout;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.io.OutputFiles;
import dev.r1.quantize.TargetType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Batch=1 latency at a 512-token context, backends side by side.", "",
                "Prefill a 512-token prompt (time to first token, prompt tok/s), then decode N tokens one at a",
                "time at that depth (ms/token p50/p90/p99, tok/s). Same definitions as llama-bench (pp512,",
                "tg128 @ d512). Greedy argmax picks tokens outside the timed region.", "",
                "With no MODEL it synthesizes (once, cached) an R1-Distill-Qwen-1.5B-shaped R1-Q4 (Q4_0) model.", "",
                "Examples:",
                "  r1 bench",
                "  r1 bench model.gguf --backends java,llama.cpp --json out.json --plot decode.svg",
                "  r1 bench --preset r1-distill-qwen-1.5b --type q8_0 --gen-tokens 64",
                "  r1 bench --interleave -r 5     # alternate java/llama.cpp reps on a drifting VM"})
final class BenchCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "GGUF file (default: a synthesized --preset/--type model)")
    Path model;

    @Option(names = "--preset", defaultValue = "r1-distill-qwen-1.5b", description = "shape to synthesize when no MODEL is given (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--type", defaultValue = "q4_0", description = "type to synthesize when no MODEL is given (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--backends", split = ",", paramLabel = "LIST", description = "comma-separated, first is the ratio baseline (default: java,llama.cpp)")
    List<String> backends = new ArrayList<>(List.of("java", "llama.cpp"));

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128", description = "tokens decoded after the prompt (default: ${DEFAULT-VALUE})")
    int genTokens;

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = {"-r", "--reps"}, defaultValue = "3", description = "measured repetitions after one warm-up (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--json", paramLabel = "FILE", description = "write every sample and the machine description as JSON")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE", description = "draw per-token decode latency (.svg or .png)")
    Path plot;

    @Option(names = "--no-bandwidth", description = "skip the memory bandwidth measurement")
    boolean noBandwidth;

    @Option(names = "--interleave", description = {"load all backends at once and alternate their repetitions, so a machine",
            "whose speed drifts (a shared VM) treats them alike; the RSS column is then the whole process's"})
    boolean interleave;

    @Override
    public Integer call() {
        if (backends.isEmpty()) throw new IllegalArgumentException("--backends needs at least one backend");
        checkBeforeWork();
        Path file = model != null ? model : cachedSynth();
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such model file");
        int thr = RunCommand.threads(threads); // clamped to the cores available, with a note
        LatencyBench.Options opts = new LatencyBench.Options(promptTokens, genTokens, reps, 1234);
        // Context just big enough for the run, rounded up to a multiple of 256 like llama-bench's.
        int ctx = (promptTokens + genTokens + 255) / 256 * 256;
        SessionOptions so = new SessionOptions(thr, ctx, Math.min(512, promptTokens));

        long modelBytes, bytesPerToken;
        String typeName;
        try (GgufFile f = GgufFile.open(file)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            modelBytes = f.fileSize();
            typeName = dominantType(f);
            bytesPerToken = bytesPerToken(f, c, promptTokens + genTokens / 2);
        }
        double bw = 0;
        if (!noBandwidth) {
            System.err.println("measuring memory read bandwidth...");
            bw = Bandwidth.readGBs(1L << 30, thr, 3);
        }
        BenchReport report = new BenchReport(MachineInfo.detect(null), bw);
        if (interleave) {
            List<String> names = backends.stream().map(b -> Engines.canonical(b.trim())).toList();
            List<Session> sessions = new ArrayList<>();
            try {
                for (String name : names) {
                    System.err.printf("%s: loading %s%n", name, file.getFileName());
                    sessions.add(Engines.open(name, file, so));
                    System.err.printf("%s: %s%n", name, sessions.getLast().model().description());
                }
                List<LatencyBench.Result> rs = LatencyBench.runInterleaved(sessions, opts,
                        (i, phase) -> System.err.printf("%s: %s%n", names.get(i), phase));
                for (int i = 0; i < names.size(); i++) {
                    report.add(new BenchReport.Row(names.get(i), sessions.get(i).model().description(), file.getFileName().toString(), typeName, thr, modelBytes,
                            bytesPerToken, PeakMemory.peakRssMb(), rs.get(i)));
                }
            } finally {
                for (Session s : sessions) s.close();
            }
        } else {
            for (String b : backends) {
                String name = Engines.canonical(b.trim());
                System.err.printf("%s: loading %s%n", name, file.getFileName());
                PeakMemory.resetPeak();
                try (Session s = Engines.open(name, file, so)) {
                    System.err.printf("%s: %s%n", name, s.model().description());
                    LatencyBench.Result r = LatencyBench.run(s, opts, phase -> System.err.printf("%s: %s%n", name, phase));
                    report.add(new BenchReport.Row(name, s.model().description(), file.getFileName().toString(), typeName, thr, modelBytes, bytesPerToken,
                            PeakMemory.peakRssMb(), r));
                }
            }
        }
        System.out.printf(Locale.ROOT, "model: %s (%s, %s), prompt %d tokens, decode %d tokens at depth %d, %d reps%n",
                file, typeName, Format.bytes(modelBytes), promptTokens, genTokens, promptTokens, reps);
        System.out.print(report.table());
        if (json != null) {
            report.writeJson(json);
            System.out.println("json: " + json);
        }
        if (plot != null) {
            LatencyPlot.write(plot, "decode latency per token, " + file.getFileName() + ", " + thr + " threads", report.decodeSeries());
            System.out.println("plot: " + plot);
        }
        return 0;
    }

    /** Names, paths and extensions checked up front: a typo must not surface after the whole benchmark. */
    private void checkBeforeWork() {
        for (String b : backends) {
            String name = Engines.canonical(b.trim());
            if (!Engines.NAMES.contains(name))
                throw new IllegalArgumentException("unknown backend '" + b.trim() + "' in --backends; choose from "
                        + String.join(", ", Engines.NAMES));
        }
        if (json != null) OutputFiles.checkWritable(json, "JSON report", true, null);
        if (plot != null) {
            String n = plot.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!n.endsWith(".svg") && !n.endsWith(".png"))
                throw new IllegalArgumentException(plot + ": --plot writes .svg or .png; give a name ending in one of them");
            OutputFiles.checkWritable(plot, "plot", true, null);
        }
        if (model != null && !Files.isRegularFile(model)) throw new IllegalArgumentException(model + ": no such model file");
    }

    /** The synthesized default model, made once per (preset, type) under the user cache dir. */
    private Path cachedSynth() {
        TargetType target = TargetType.parse(type);
        Path dir = cacheDir().resolve("synth");
        Path file = dir.resolve(preset + "-" + target.fileSuffix() + "-seed1.gguf");
        if (Files.isRegularFile(file)) return file;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cache directory " + dir + ": " + e.getMessage(), e);
        }
        System.err.printf("synthesizing %s %s into %s (once; cached)%n", preset, target.fileSuffix(), file);
        SynthCommand.synthesize(preset, target, false, 1, file, false);
        return file;
    }

    static Path cacheDir() {
        String p = System.getProperty("r1.cache"); // tests point it at a temporary folder
        if (p != null && !p.isBlank()) return Path.of(p);
        String x = System.getenv("R1_CACHE");
        if (x != null && !x.isBlank()) return Path.of(x);
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("r1");
    }

    /** The type most weight bytes are stored in (Q4_0 for an R1-Q4 file even though output is Q6_K). */
    static String dominantType(GgufFile f) {
        var bytes = new java.util.HashMap<String, Long>();
        for (GgufTensor t : f.tensors()) bytes.merge(t.type().name(), t.byteSize(), Long::sum);
        return bytes.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey).orElse("?");
    }

    /**
     * Bytes one decoded token must read: every weight once (the embedding table only one row), plus the
     * K and V cache (F16) up to {@code depth} in every layer.
     */
    static long bytesPerToken(GgufFile f, ModelConfig c, int depth) {
        long w = 0;
        for (GgufTensor t : f.tensors()) {
            boolean embedOnly = t.name().equals(TensorLayout.TOKEN_EMBD) && f.hasTensor(TensorLayout.OUTPUT);
            w += embedOnly ? t.byteSize() / c.vocab() : t.byteSize();
        }
        long kv = 2L * c.layers() * c.kvDim() * 2L * depth;
        return w + kv;
    }
}
