package dev.r1.server;

import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.sampling.Sampler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs every generation on one thread over a fixed set of slots (sessions of one model, each with its own
 * KV cache). Each round admits waiting jobs into free slots, feeds one chunk of one new prompt, then
 * decodes the next token of every generating slot in one {@link Model#decodeBatch} step: decoding is
 * memory-bound, so several streams cost little more than one. A cancelled job leaves its slot at the next
 * round, i.e. within one token's time. A slot keeps what its cache holds after a job ends, so a follow-up
 * turn of the same conversation only feeds what is new.
 *
 * <p>Where the engine can copy a cache ({@link Session#copyFrom}), a prompt is computed once: the other
 * choices of a request ({@code n > 1}) wait while the first one's slot prefills it, then take a copy of its
 * cache and last logits; and a new prompt whose beginning another slot holds (a shared system prompt) copies
 * that prefix instead of recomputing it. Elsewhere (llama.cpp) each slot prefills its own.
 */
final class Scheduler implements AutoCloseable {

    private static final class Slot {
        final Session session;
        final IntList cached = new IntList(); // the tokens the session's cache holds, in order
        Job job;
        int[] toPrefill;
        int prefillAt;
        int pending = -1; // sampled, not yet fed
        Slot waitFor; // a slot prefilling this job's prompt (the same request), whose cache this one will copy

        Slot(Session s) { session = s; }

        boolean prefilling() { return job != null && toPrefill != null && waitFor == null; }
        boolean decoding() { return job != null && toPrefill == null && pending >= 0; }
    }

    private final Model model;
    private final Slot[] slots;
    private final int capacity, prefillChunk;
    private final Metrics metrics;
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Object lock = new Object();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile int busy;
    private int nextPrefill;
    private final boolean canCopy; // the sessions copy caches (Session.copyFrom)

    Scheduler(Model model, int slots, int ctx, int threads, int capacity, int prefillChunk, Metrics metrics) {
        this.model = model;
        this.capacity = capacity;
        this.prefillChunk = Math.max(1, prefillChunk);
        this.metrics = metrics;
        this.slots = new Slot[slots];
        SessionOptions so = SessionOptions.defaults().withCtx(ctx);
        if (threads > 0) so = so.withThreads(threads);
        for (int i = 0; i < slots; i++) this.slots[i] = new Slot(model.newSession(so));
        // Copying nothing between two empty sessions tells whether the backend copies at all.
        canCopy = slots > 1 && this.slots[1].session.copyFrom(this.slots[0].session, 0);
        metrics.queueLength = this::queueLength;
        metrics.busySlots = () -> busy;
        metrics.slots = slots;
        thread = Thread.ofPlatform().name("r1-scheduler").daemon().start(this::loop);
    }

    int contextSize() { return slots[0].session.contextSize(); }

    int slotCount() { return slots.length; }

    int busySlots() { return busy; }

    int queueLength() { synchronized (lock) { return queue.size(); } }

    /** Queues all of a request's choices, or none: 503 when the queue cannot take them all. */
    void submit(List<Job> jobs) {
        synchronized (lock) {
            if (stopping) throw ApiException.unavailable("the server is shutting down");
            // Running plus waiting choices stay within slots + queue capacity, however far admission lags.
            if (queue.size() + jobs.size() > capacity + (slots.length - busy))
                throw ApiException.unavailable("the queue is full (" + capacity + " waiting); retry later");
            queue.addAll(jobs);
            lock.notifyAll();
        }
    }

    /** Cancels a job: dropped from the queue now, or stopped at its next token. */
    void cancel(Job j) {
        j.cancel();
        synchronized (lock) {
            if (queue.remove(j)) dropped(j);
            lock.notifyAll();
        }
    }

    /**
     * A job cancelled before it had a slot ends too: its request waits for every choice's last event, and
     * without one its handler waited out the request timeout (10 minutes) for a client already gone.
     */
    private static void dropped(Job j) {
        j.markFinished();
        j.sink.accept(new Job.Done(j.index, "cancelled", j.prompt.length, 0, 0));
    }

    private void loop() {
        while (true) {
            try {
                synchronized (lock) {
                    while (!stopping && queue.isEmpty() && busy == 0) lock.wait();
                    if (stopping && busy == 0) {
                        for (Job j : queue) { j.markFinished(); j.sink.accept(new Job.Failed(j.index, ApiException.unavailable("the server is shutting down"))); }
                        queue.clear();
                        return;
                    }
                    if (!stopping) admit();
                }
                round();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                // A bug or a backend failure: fail what is running rather than hang its clients.
                for (Slot s : slots) if (s.job != null) fail(s, ApiException.server("generation failed: " + e));
            }
        }
    }

    /** Waiting jobs into free slots, each into the slot whose cache shares most of its prompt. Holds the lock. */
    private void admit() {
        while (!queue.isEmpty()) {
            Job j = queue.peek();
            Slot best = null;
            int bestCommon = -1;
            for (Slot s : slots) {
                if (s.job != null) continue;
                int c = s.cached.commonPrefix(j.prompt);
                if (c > bestCommon) { best = s; bestCommon = c; }
            }
            if (best == null) return;
            queue.poll();
            if (j.cancelled()) {
                dropped(j);
                continue;
            }
            start(best, j, bestCommon);
        }
    }

    /** The choices of one request share one prompt array. */
    private static boolean sameRequest(Job a, Job b) { return a != null && b != null && a.prompt == b.prompt; }

    private void start(Slot s, Job j, int common) {
        int last = j.prompt.length - 1; // the last prompt token is fed again for its logits
        if (common > last) common = last;
        Slot sibling = null, donor = null;
        int donorCommon = 0;
        if (canCopy) {
            for (Slot d : slots) {
                if (d == s) continue;
                if (d.prefilling() && sameRequest(d.job, j)) sibling = d;
                int c = d.cached.commonPrefix(j.prompt);
                if (c > donorCommon) { donor = d; donorCommon = c; }
            }
        }
        int copied = 0;
        if (sibling == null && Math.min(donorCommon, last) > common && s.session.copyFrom(donor.session, Math.min(donorCommon, last))) {
            copied = common = Math.min(donorCommon, last);
            s.cached.copyFrom(donor.cached, common);
        }
        if (common < s.cached.size()) {
            s.session.truncate(common);
            s.cached.truncate(common);
        }
        s.job = j;
        s.toPrefill = Arrays.copyOfRange(j.prompt, common, j.prompt.length); // if it does not wait, or the wait fails
        s.prefillAt = 0;
        s.pending = -1;
        s.waitFor = sibling;
        j.cachedTokens = common;
        j.sampler = new Sampler(j.spec.sampling());
        j.sampler.accept(j.prompt);
        j.decoder = model.textDecoder();
        j.splitter = new StreamSplitter(j.spec.stop(), j.spec.split(), j.spec.startInThink());
        metrics.promptTokens.add(j.prompt.length);
        if (sibling == null) account(j, copied);
        busy++;
    }

    /** Counts a job's reused prompt tokens once it is known how its prompt is had. */
    private void account(Job j, int copied) {
        metrics.cachedPromptTokens.add(j.cachedTokens);
        metrics.copiedPromptTokens.add(copied);
        if (j.cachedTokens < j.prompt.length) metrics.prefills.increment();
    }

    /**
     * Hands the prompt {@code s} has just prefilled, with its logits, to the slots waiting for it; returns
     * those served (a slot whose copy fails prefills on its own).
     */
    private List<Slot> shareWithWaiting(Slot s) {
        List<Slot> served = new ArrayList<>();
        for (Slot w : slots) {
            if (w.waitFor != s) continue;
            w.waitFor = null;
            if (w.session.copyFrom(s.session, s.cached.size())) {
                w.cached.copyFrom(s.cached, s.cached.size());
                w.toPrefill = null;
                w.job.cachedTokens = w.job.prompt.length;
                account(w.job, w.job.prompt.length);
                served.add(w);
            } else {
                account(w.job, 0);
            }
        }
        return served;
    }

    private void round() {
        long now = System.nanoTime();
        for (Slot s : slots) {
            if (s.job == null) continue;
            if (s.job.cancelled()) finish(s, "cancelled");
            else if (now - s.job.deadlineNanos > 0)
                fail(s, new ApiException(504, "timeout_error", "the request ran past the server's request timeout"));
        }
        for (Slot s : slots) { // the slot it waited for was cancelled or failed: prefill on its own
            if (s.waitFor != null && !(s.waitFor.prefilling() && sameRequest(s.waitFor.job, s.job))) {
                s.waitFor = null;
                account(s.job, 0);
            }
        }
        prefillStep();
        decodeStep();
    }

    /** One chunk of one prompt (round robin over prefilling slots), so running streams are not stalled long. */
    private void prefillStep() {
        for (int k = 0; k < slots.length; k++) {
            Slot s = slots[(nextPrefill + k) % slots.length];
            if (!s.prefilling()) continue;
            nextPrefill = (nextPrefill + k + 1) % slots.length;
            int end = Math.min(s.toPrefill.length, s.prefillAt + prefillChunk);
            int[] chunk = Arrays.copyOfRange(s.toPrefill, s.prefillAt, end);
            try {
                s.session.prefill(chunk);
            } catch (RuntimeException e) {
                fail(s, ApiException.server("prefill failed: " + e.getMessage()));
                return;
            }
            s.cached.addAll(chunk);
            s.prefillAt = end;
            metrics.prefillTokens.add(chunk.length);
            if (end == s.toPrefill.length) {
                s.toPrefill = null;
                List<Slot> served = shareWithWaiting(s);
                next(s, s.session.lastLogits());
                for (Slot w : served) next(w, w.session.lastLogits());
            }
            return;
        }
    }

    private void decodeStep() {
        List<Slot> rows = new ArrayList<>(slots.length);
        for (Slot s : slots) if (s.decoding()) rows.add(s);
        if (rows.isEmpty()) return;
        Session[] ss = new Session[rows.size()];
        int[] toks = new int[rows.size()];
        for (int i = 0; i < ss.length; i++) {
            ss[i] = rows.get(i).session;
            toks[i] = rows.get(i).pending;
        }
        float[][] logits;
        try {
            logits = model.decodeBatch(ss, toks);
        } catch (RuntimeException e) {
            for (Slot s : rows) fail(s, ApiException.server("decoding failed: " + e.getMessage()));
            return;
        }
        metrics.batch(ss.length);
        // The rows' draws in parallel (each job has its own sampler): over a flat 150k-token distribution a
        // draw takes milliseconds, which four streams would otherwise spend one after another between steps.
        int[] picks = new int[ss.length];
        float[][] lg = logits;
        java.util.stream.IntStream.range(0, ss.length).parallel().forEach(i -> picks[i] = sample(rows.get(i).job, lg[i]));
        for (int i = 0; i < ss.length; i++) {
            Slot s = rows.get(i);
            s.cached.add(toks[i]);
            s.pending = -1;
            next(s, logits[i], picks[i]);
        }
    }

    private static int sample(Job j, float[] logits) {
        return j.cancelled() ? -1 : j.sampler.sample(penalized(j, logits));
    }

    private void next(Slot s, float[] logits) { next(s, logits, sample(s.job, logits)); }

    /** Takes the job's next token {@code tok} (drawn from {@code logits}), reports its text, and ends the job when it should. */
    private void next(Slot s, float[] logits, int tok) {
        Job j = s.job;
        if (j.cancelled() || tok < 0) { finish(s, "cancelled"); return; }
        j.sampler.accept(tok);
        j.counts.merge(tok, 1, Integer::sum);
        j.generated++;
        metrics.generatedTokens.increment();
        long now = System.nanoTime();
        if (j.generated == 1) metrics.ttft(now - j.submittedNanos);
        else metrics.tokenLatency(now - j.lastTokenNanos);
        j.lastTokenNanos = now;
        List<Logprobs.Entry> lp = j.spec.topLogprobs() >= 0
                ? List.of(Logprobs.of(logits, tok, j.spec.topLogprobs(), model::piece)) : List.of();
        if (model.isEog(tok)) {
            j.splitter.add(j.decoder.flush());
            emit(j, lp);
            finish(s, "stop");
            return;
        }
        boolean stopped = j.splitter.add(j.decoder.feed(tok));
        emit(j, lp);
        if (stopped) finish(s, "stop");
        else if (j.generated >= j.spec.maxTokens() || s.session.position() >= s.session.contextSize()) finish(s, "length");
        else s.pending = tok;
    }

    private static float[] penalized(Job j, float[] logits) {
        if ((j.spec.presence() == 0 && j.spec.frequency() == 0) || j.counts.isEmpty()) return logits;
        float[] l = logits.clone();
        for (var e : j.counts.entrySet()) l[e.getKey()] -= j.spec.presence() + j.spec.frequency() * e.getValue();
        return l;
    }

    private static void emit(Job j, List<Logprobs.Entry> lp) {
        String[] t = j.splitter.take();
        if (!t[0].isEmpty() || !t[1].isEmpty() || !lp.isEmpty()) j.sink.accept(new Job.Text(j.index, t[0], t[1], lp));
    }

    private void finish(Slot s, String reason) {
        Job j = s.job;
        if (!reason.equals("stop")) j.splitter.add(j.decoder.flush()); // a stop string ends the text as it is
        j.splitter.finish();
        emit(j, List.of());
        release(s);
        j.markFinished();
        j.sink.accept(new Job.Done(j.index, reason, j.prompt.length, j.generated, j.cachedTokens));
    }

    private void fail(Slot s, ApiException e) {
        Job j = s.job;
        // The cache may be half-written: forget it rather than reuse a prefix we cannot vouch for.
        try { s.session.reset(); } catch (RuntimeException ignored) { }
        s.cached.truncate(0);
        release(s);
        j.markFinished();
        j.sink.accept(new Job.Failed(j.index, e));
    }

    private void release(Slot s) {
        s.job = null;
        s.waitFor = null;
        s.toPrefill = null;
        s.pending = -1;
        busy--;
    }

    /**
     * Stops taking requests (queued ones get 503), lets running ones finish for up to {@code graceMillis},
     * cancels the rest, then frees the sessions.
     */
    @Override
    public void close() { close(5000); }

    void close(long graceMillis) {
        synchronized (lock) {
            stopping = true;
            for (Job j : queue) { j.markFinished(); j.sink.accept(new Job.Failed(j.index, ApiException.unavailable("the server is shutting down"))); }
            queue.clear();
            lock.notifyAll();
        }
        try {
            thread.join(Math.max(1, graceMillis));
            if (thread.isAlive()) {
                for (Slot s : slots) { Job j = s.job; if (j != null) j.cancel(); }
                thread.join(TimeUnit.SECONDS.toMillis(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) for (Slot s : slots) s.session.close();
    }

    /** A growable int array (the cache's tokens). */
    static final class IntList {
        private int[] a = new int[256];
        private int n;

        int size() { return n; }
        void add(int v) { if (n == a.length) a = Arrays.copyOf(a, 2 * n); a[n++] = v; }
        void addAll(int[] vs) { for (int v : vs) add(v); }
        void truncate(int k) { n = Math.min(n, k); }
        void copyFrom(IntList o, int k) { n = 0; for (int i = 0; i < k; i++) add(o.a[i]); }

        int commonPrefix(int[] other) {
            int c = 0, m = Math.min(n, other.length);
            while (c < m && a[c] == other[c]) c++;
            return c;
        }
    }
}
