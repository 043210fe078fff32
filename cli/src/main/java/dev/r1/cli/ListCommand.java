package dev.r1.cli;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
        description = {"List the GGUF models r1 knows of: the cache (synthesized models) and $R1_MODELS.", "",
                "The cache is ~/.cache/r1 ($R1_CACHE or $XDG_CACHE_HOME move it); R1_MODELS names folders of your",
                "own models (several separated by ':'), searched two levels deep.", "",
                "Examples:",
                "  r1 list",
                "  R1_MODELS=~/models r1 list --json"})
final class ListCommand implements Callable<Integer> {

    @Option(names = "--json", description = "print a JSON list (path, size_bytes, type, preset, architecture)")
    boolean json;

    record Entry(Path path, long size, String type, String preset, String arch, String problem) {}

    @Override
    public Integer call() {
        List<Path> roots = new ArrayList<>(List.of(BenchCommand.cacheDir()));
        String env = System.getenv("R1_MODELS");
        if (env != null) for (String d : env.split(":")) if (!d.isBlank()) roots.add(Path.of(d));
        List<Entry> entries = scan(roots);
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Entry e : entries) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("path", e.path().toString());
                o.put("size_bytes", e.size());
                o.put("type", e.type());
                o.put("preset", e.preset());
                o.put("architecture", e.arch());
                if (e.problem() != null) o.put("error", e.problem());
                out.add(o);
            }
            System.out.println(RunJson.write(out));
            return 0;
        }
        if (entries.isEmpty()) {
            System.err.println("no models in " + BenchCommand.cacheDir() + (env == null ? " (R1_MODELS is not set)" : " or " + env)
                    + "; make one with 'r1 synth' or 'r1 quantize', or point R1_MODELS at a folder of GGUF files");
            return 0;
        }
        int w = Math.max(5, entries.stream().mapToInt(e -> e.path().toString().length()).max().orElse(0));
        System.out.printf(Locale.ROOT, "%-" + w + "s  %10s  %-7s  %s%n", "MODEL", "SIZE", "TYPE", "PRESET");
        for (Entry e : entries)
            System.out.printf(Locale.ROOT, "%-" + w + "s  %10s  %-7s  %s%n", e.path(), Format.bytes(e.size()), e.type(),
                    e.problem() != null ? "(unreadable: " + e.problem() + ")" : e.preset());
        return 0;
    }

    /** The GGUF files under {@code roots}, each described (or with the reason it cannot be read). */
    static List<Entry> scan(List<Path> roots) {
        List<Entry> entries = new ArrayList<>();
        for (Path root : roots) for (Path p : ggufs(root)) entries.add(describe(p));
        return entries;
    }

    private static List<Path> ggufs(Path root) {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.find(root, 3, (p, a) -> a.isRegularFile() && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf"))) {
            return s.sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(); // an unreadable folder is skipped, as ls would
        }
    }

    private static Entry describe(Path p) {
        long size;
        try {
            size = Files.size(p);
        } catch (IOException e) {
            size = -1;
        }
        try (GgufFile f = GgufFile.open(p)) {
            String type = BenchCommand.dominantType(f);
            try {
                ModelConfig c = ModelConfig.fromGguf(f);
                return new Entry(p, size, type, Presets.match(c).orElse("-"), c.arch().ggufName(), null);
            } catch (RuntimeException e) {
                return new Entry(p, size, type, "-", f.optString("general.architecture").orElse("?"), null);
            }
        } catch (RuntimeException e) {
            return new Entry(p, size, "?", "-", "?", ErrorHandler.plain(e));
        }
    }
}
