package dev.r1.server;

import java.util.ArrayList;
import java.util.List;

/**
 * Streamed text to reasoning and answer, cut at the first stop string. R1's chat template opens the
 * assistant turn inside {@code <think>}, so chat output starts as reasoning and switches at {@code </think>};
 * with {@code split} off (completions, {@code reasoning_format: "none"}) everything is answer, tags kept.
 * Only a tail that could still become a tag or stop string is held back, so text streams as early as it can.
 * Output accumulates until {@link #take} hands it out (once per decoded token).
 */
final class StreamSplitter {
    static final String OPEN = "<think>", CLOSE = "</think>";

    private final List<String> stops = new ArrayList<>();
    private final boolean split;
    private boolean thinking, stopped;
    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();

    StreamSplitter(List<String> stops, boolean split, boolean startInThink) {
        for (String s : stops) if (!s.isEmpty()) this.stops.add(s);
        this.split = split;
        this.thinking = split && startInThink;
    }

    /** Adds decoded text; true once a stop string has appeared (it and everything after are dropped). */
    boolean add(String s) {
        if (stopped) return true;
        pending.append(s);
        while (true) {
            int at = -1;
            String hit = null;
            for (String m : markers()) {
                int i = pending.indexOf(m);
                if (i >= 0 && (at < 0 || i < at || (i == at && m.length() > hit.length()))) { at = i; hit = m; }
            }
            if (hit == null) break;
            emit(pending.substring(0, at));
            pending.delete(0, at + hit.length());
            if (split && hit.equals(thinking ? CLOSE : OPEN) && !stops.contains(hit)) {
                thinking = !thinking;
            } else {
                stopped = true;
                pending.setLength(0);
                return true;
            }
        }
        int hold = heldBack();
        emit(pending.substring(0, pending.length() - hold));
        pending.delete(0, pending.length() - hold);
        return false;
    }

    /** End of generation: whatever was held back is text after all. */
    void finish() {
        if (!stopped) emit(pending.toString());
        pending.setLength(0);
    }

    boolean thinking() { return thinking; }

    /** The reasoning and answer text produced since the last call: {reasoning, content}. */
    String[] take() {
        String[] out = {reasoning.toString(), content.toString()};
        reasoning.setLength(0);
        content.setLength(0);
        return out;
    }

    private List<String> markers() {
        if (!split) return stops;
        List<String> m = new ArrayList<>(stops);
        m.add(thinking ? CLOSE : OPEN);
        return m;
    }

    /** The longest tail of the pending text that is a proper prefix of a marker. */
    private int heldBack() {
        int best = 0;
        for (String m : markers()) {
            for (int k = Math.min(m.length() - 1, pending.length()); k > best; k--) {
                if (pending.substring(pending.length() - k).equals(m.substring(0, k))) { best = k; break; }
            }
        }
        return best;
    }

    private void emit(String s) {
        if (!s.isEmpty()) (thinking ? reasoning : content).append(s);
    }
}
