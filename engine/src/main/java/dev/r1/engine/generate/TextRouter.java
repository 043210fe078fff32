package dev.r1.engine.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits streamed text into reasoning and answer at the {@code <think>} / {@code </think>} tags and
 * stops at the first stop string, while emitting as early as possible: only a tail that could still grow
 * into a tag or stop string is held back. Tags and stop strings themselves are never emitted.
 */
final class TextRouter {
    static final String OPEN = "<think>", CLOSE = "</think>";

    interface Sink {
        void text(String s, boolean thinking);
    }

    private final List<String> stops;
    private final Sink sink;
    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder(), answer = new StringBuilder();
    private boolean thinking;
    private boolean stopped;

    TextRouter(List<String> stops, boolean startInThink, Sink sink) {
        this.stops = new ArrayList<>();
        for (String s : stops) if (!s.isEmpty()) this.stops.add(s);
        this.thinking = startInThink;
        this.sink = sink;
    }

    boolean thinking() { return thinking; }
    boolean stopped() { return stopped; }
    String reasoning() { return reasoning.toString(); }
    String answer() { return answer.toString(); }

    /** Adds text; returns true once a stop string has been seen (nothing after it is emitted). */
    boolean add(String s) {
        if (stopped) return true;
        pending.append(s);
        while (true) {
            int at = -1;
            String hit = null;
            for (String m : markers()) {
                int i = pending.indexOf(m);
                if (i >= 0 && (at < 0 || i < at || (i == at && m.length() > hit.length()))) {
                    at = i;
                    hit = m;
                }
            }
            if (hit == null) break;
            emit(pending.substring(0, at));
            pending.delete(0, at + hit.length());
            if (hit.equals(OPEN) && !thinking) thinking = true;
            else if (hit.equals(CLOSE) && thinking) thinking = false;
            else {
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

    /** Emits everything still held (end of generation). */
    void finish() {
        if (!stopped) emit(pending.toString());
        pending.setLength(0);
    }

    private List<String> markers() {
        List<String> m = new ArrayList<>(stops);
        m.add(thinking ? CLOSE : OPEN);
        return m;
    }

    /** Length of the longest tail of pending that is a proper prefix of some marker. */
    private int heldBack() {
        int best = 0;
        String p = pending.toString();
        for (String m : markers()) {
            for (int k = Math.min(m.length() - 1, p.length()); k > best; k--) {
                if (p.regionMatches(p.length() - k, m, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    private void emit(String s) {
        if (s.isEmpty()) return;
        (thinking ? reasoning : answer).append(s);
        sink.text(s, thinking);
    }
}
