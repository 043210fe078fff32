package dev.r1.engine.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** RFC 4180 CSV (quoted fields with doubled quotes and line breaks), as the MMLU/CMMLU files are written. */
final class Csv {
    private Csv() {}

    static List<List<String>> parse(String text, Path file) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false, any = false;
        int start = text.startsWith("\uFEFF") ? 1 : 0;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') { f.append('"'); i++; }
                    else quoted = false;
                } else f.append(c);
                continue;
            }
            switch (c) {
                case '"' -> { quoted = true; any = true; }
                case ',' -> { row.add(f.toString()); f.setLength(0); any = true; }
                case '\r' -> { }
                case '\n' -> {
                    if (any || f.length() > 0) { row.add(f.toString()); rows.add(row); }
                    row = new ArrayList<>();
                    f.setLength(0);
                    any = false;
                }
                default -> { f.append(c); any = true; }
            }
        }
        if (quoted) throw new EvalException(file + ": a quoted field is never closed");
        if (any || f.length() > 0) { row.add(f.toString()); rows.add(row); }
        return rows;
    }
}
