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
import dev.r1.engine.bench.Stats;
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
                "  r1 bench --interleave -r 5     # alternate java/llama.cpp reps on a drifting VM",
                "  r1 bench --separate -r 4       # the same, each rep a process of its own (the fairest)"})
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

    @Option(names = {"-r", "--reps"}, defaultValue = "3", description = "measured repetitions after the warm-up, which repeats (up to 6 runs) until the JIT settles (default: ${DEFAULT-VALUE})")
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

    @Option(names = "--separate", description = {"run every repetition in a process of its own, the backends in turn (java, llama.cpp,",
            "java, ...; each process loads, warms up, measures once): on a VM whose speed drifts, the fairest way",
            "to compare, since one process holding both engines slows them unequally; ratios also pair by pair"})
    boolean separate;

    @Override
    public Integer call() {
        if (backends.isEmpty()) throw new IllegalArgumentException("--backends needs at least one backend");
        if (separate && interleave) throw new IllegalArgumentException("--separate and --interleave exclude each other: pick one");
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
        String pairs = null;
        if (separate) {
            List<String> names = backends.stream().map(b -> Engines.canonical(b.trim())).toList();
            List<List<LatencyBench.Rep>> reps = new ArrayList<>();
            String[] kernels = new String[names.size()];
            long[] rss = new long[names.size()];
            for (int i = 0; i < names.size(); i++) reps.add(new ArrayList<>());
            for (int r = 1; r <= this.reps; r++) {
                for (int i = 0; i < names.size(); i++) {
                    Child c = runChild(file, names.get(i), thr, r);
                    reps.get(i).add(c.rep());
                    kernels[i] = c.kernels();
                    rss[i] = Math.max(rss[i], c.peakRssMb());
                }
            }
            int[] prompt = new int[promptTokens]; // the children drew the same seeded prompt; its length is what counts here
            for (int i = 0; i < names.size(); i++) {
                report.add(new BenchReport.Row(names.get(i), kernels[i], file.getFileName().toString(), typeName, thr, modelBytes, bytesPerToken,
                        rss[i], new LatencyBench.Result(reps.get(i), prompt)));
            }
            pairs = pairRatios(names, reps);
        } else if (interleave) {
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
        if (pairs != null) System.out.print(pairs);
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

    /** One measured repetition from a child process, and how that process described itself. */
    private record Child(LatencyBench.Rep rep, String kernels, long peakRssMb) {}

    /**
     * {@code r1 bench MODEL --backends NAME -r 1 --json TMP} in a new JVM started as this one was (same
     * runtime, options and class path); its progress lines come through here, prefixed with the rep.
     */
    private Child runChild(Path file, String backend, int thr, int rep) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("r1-bench-", ".json");
            List<String> cmd = new ArrayList<>(javaCommand());
            cmd.addAll(List.of("bench", file.toString(), "--backends", backend, "-r", "1", "-p", Integer.toString(promptTokens),
                    "-n", Integer.toString(genTokens), "-t", Integer.toString(thr), "--no-bandwidth", "--no-color", "--json", tmp.toString()));
            Path lib = dev.r1.bindings.NativeLibraries.llamaLibDir();
            if (lib != null) cmd.addAll(List.of("--llama-lib", lib.toString()));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String tag = "[" + rep + "/" + reps + " " + backend + "] ";
            try (var err = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                    if (!isJvmBootLine(line)) System.err.println(tag + line);
                }
            }
            int code = p.waitFor();
            if (code != 0) throw new IllegalStateException("the " + backend + " process of repetition " + rep + " failed (exit " + code + "): see its lines above");
            var res = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.toFile()).get("results").get(0);
            var sample = res.get("samples").get(0);
            return new Child(new LatencyBench.Rep(sample.get("prefill_ms").asDouble(), doubles(sample.get("decode_ms")), doubles(sample.get("sampling_ms")),
                    sample.path("decode_alloc_bytes").asLong(-1)),
                    res.get("kernels").asText(), res.get("peak_rss_mb").asLong());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run a separate bench process: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a separate bench process ran", e);
        } finally {
            if (tmp != null) try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) { // a temporary file
            }
        }
    }

    /**
     * The two lines a child JVM prints while it boots that say nothing to a user, dropped as the launcher drops them
     * from its own JVM: the incubator-module warning and the count from native/jit.options' compiler directives file.
     */
    static boolean isJvmBootLine(String line) {
        return line.startsWith("WARNING: Using incubator modules") || line.matches("\\d+ compiler directives added");
    }

    private static double[] doubles(com.fasterxml.jackson.databind.JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
        return d;
    }

    /** This JVM's launcher, its options (less the launcher's stderr descriptor and a debugger) and class path, and Main. */
    static List<String> javaCommand() {
        String launcher = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(launcher));
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Dr1.stderr.fd") && !a.startsWith("-agentlib:jdwp")) cmd.add(a);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return cmd;
    }

    /** Each repetition's tok/s of every backend against the first's in the same round: the drift cancels pair by pair. */
    static String pairRatios(List<String> names, List<List<LatencyBench.Rep>> reps) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < names.size(); i++) {
            StringBuilder tg = new StringBuilder(), pp = new StringBuilder();
            for (int r = 0; r < reps.get(0).size(); r++) {
                LatencyBench.Rep a = reps.get(0).get(r), b = reps.get(i).get(r);
                tg.append(String.format(Locale.ROOT, " %.2f", Stats.of(a.decodeMs()).mean() / Stats.of(b.decodeMs()).mean()));
                pp.append(String.format(Locale.ROOT, " %.2f", a.prefillMs() / b.prefillMs()));
            }
            sb.append(String.format(Locale.ROOT, "pair by pair, %s against %s: tg x%s, pp x%s%n", names.get(i), names.get(0), tg, pp));
        }
        return sb.toString();
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
