package dev.r1.engine.bench;

import dev.r1.models.io.OutputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One table for people, one JSON document for machines; ratios are against the first row. */
public final class BenchReport {

    /** A measured backend with what's needed to put its numbers in context. */
    /** @param kernels what the backend ran, as it describes itself (vector width, ggml CPU library) */
    public record Row(String backend, String kernels, String model, String type, int threads, long modelBytes,
                      long bytesPerToken, long peakRssMb, LatencyBench.Result result) {}

    private final MachineInfo machine;
    private final double bandwidthGBs;
    private final List<Row> rows = new ArrayList<>();

    public BenchReport(MachineInfo machine, double bandwidthGBs) {
        this.machine = machine;
        this.bandwidthGBs = bandwidthGBs;
    }

    public void add(Row r) {
        rows.add(r);
    }

    public List<Row> rows() {
        return rows;
    }

    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "machine: %s, %d cores, %s, %s%n", machine.cpuModel(), machine.cores(),
                machine.jdk(), machine.cpuFlags().isEmpty() ? "no SIMD info" : machine.cpuFlags()));
        if (bandwidthGBs > 0)
            sb.append(String.format(Locale.ROOT, "memory read bandwidth: %.1f GB/s (streaming sum loop, %d threads)%n",
                    bandwidthGBs, rows.isEmpty() ? 0 : rows.getFirst().threads()));
        String h = "%-10s %-6s %3s %9s %10s %9s %9s %9s %9s %8s %8s %8s %7s%n";
        sb.append(String.format(Locale.ROOT, h, "backend", "type", "thr", "ttft ms", "pp tok/s", "tg tok/s",
                "ms p50", "ms p90", "ms p99", "pp x", "tg x", "RSS MB", "bw %"));
        Row base = rows.isEmpty() ? null : rows.getFirst();
        for (Row r : rows) {
            LatencyBench.Result res = r.result();
            Stats pp = res.prefillTokPerSecByRep(), tg = res.decodeTokPerSecByRep(), d = res.decode();
            sb.append(String.format(Locale.ROOT, "%-10s %-6s %3d %9.1f %10s %9s %9.2f %9.2f %9.2f %8.2f %8.2f %8d %7s%n",
                    r.backend(), r.type(), r.threads(), res.prefill().mean(), pm(pp), pm(tg), d.p50(), d.p90(), d.p99(),
                    pp.mean() / base.result().prefillTokPerSecByRep().mean(),
                    tg.mean() / base.result().decodeTokPerSecByRep().mean(), r.peakRssMb(),
                    bandwidthShare(r) > 0 ? String.format(Locale.ROOT, "%.0f", 100 * bandwidthShare(r)) : "-"));
        }
        return sb.toString();
    }

    private static String pm(Stats s) {
        return String.format(Locale.ROOT, "%.1f±%.1f", s.mean(), s.sd());
    }

    /** Share of the measured bandwidth that decode's bytes/token at its median latency implies. */
    double bandwidthShare(Row r) {
        if (bandwidthGBs <= 0 || r.bytesPerToken() <= 0) return -1;
        double gbs = r.bytesPerToken() / (r.result().decode().p50() / 1000.0) / 1e9;
        return gbs / bandwidthGBs;
    }

    public Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> m = machine.toMap();
        m.put("read_bandwidth_gb_s", bandwidthGBs);
        m.put("read_bandwidth_method", "streaming vector sum over a 1 GiB off-heap buffer, best of 3");
        root.put("machine", m);
        List<Map<String, Object>> results = new ArrayList<>();
        Row base = rows.isEmpty() ? null : rows.getFirst();
        for (Row r : rows) {
            LatencyBench.Result res = r.result();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("backend", r.backend());
            o.put("kernels", r.kernels());
            o.put("model", r.model());
            o.put("type", r.type());
            o.put("threads", r.threads());
            o.put("prompt_tokens", res.promptIds().length);
            o.put("gen_tokens", res.reps().getFirst().decodeMs().length);
            o.put("reps", res.reps().size());
            o.put("ttft_ms", res.prefill().mean());
            o.put("ttft_ms_sd", res.prefill().sd());
            o.put("prefill_tok_s", res.prefillTokPerSecByRep().mean());
            o.put("prefill_tok_s_sd", res.prefillTokPerSecByRep().sd());
            o.put("decode_tok_s", res.decodeTokPerSecByRep().mean());
            o.put("decode_tok_s_sd", res.decodeTokPerSecByRep().sd());
            o.put("decode_ms_mean", res.decode().mean());
            o.put("decode_ms_p50", res.decode().p50());
            o.put("decode_ms_p90", res.decode().p90());
            o.put("decode_ms_p99", res.decode().p99());
            o.put("sampling_ms_mean", res.sampling().mean());
            o.put("peak_rss_mb", r.peakRssMb());
            o.put("model_bytes", r.modelBytes());
            o.put("bytes_per_token", r.bytesPerToken());
            o.put("bandwidth_share", bandwidthShare(r));
            o.put("prefill_ratio", res.prefillTokPerSecByRep().mean() / base.result().prefillTokPerSecByRep().mean());
            o.put("decode_ratio", res.decodeTokPerSecByRep().mean() / base.result().decodeTokPerSecByRep().mean());
            List<Map<String, Object>> samples = new ArrayList<>();
            for (LatencyBench.Rep rep : res.reps()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("prefill_ms", rep.prefillMs());
                s.put("decode_ms", rep.decodeMs());
                s.put("sampling_ms", rep.sampleMs());
                s.put("decode_alloc_bytes", rep.decodeAllocBytes()); // -1: not measured
                samples.add(s);
            }
            o.put("samples", samples);
            results.add(o);
        }
        root.put("results", results);
        return root;
    }

    public void writeJson(Path out) {
        try {
            byte[] bytes = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json());
            OutputFiles.writeAtomically(out, os -> os.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    /** Per-token decode latency of the last repetition of each backend, for the plot. */
    public Map<String, double[]> decodeSeries() {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (Row r : rows) m.put(r.backend() + " " + r.type(), r.result().reps().getLast().decodeMs());
        return m;
    }
}
