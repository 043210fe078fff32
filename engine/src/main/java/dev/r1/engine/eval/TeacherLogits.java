package dev.r1.engine.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A teacher's logits over the scored positions of a text, saved once so a student can be compared later
 * without both models in memory. Little-endian:
 * <pre>
 *   "R1TEACH1"  int ctx, chunks, vocab, topK (0 = full rows), bos (-1: none)  float temperature
 *   int len + UTF-8 source (the teacher's file and backend, for the report)
 *   int tokens[chunks * ctx]                       the text's tokens as windowed
 *   per window, per scored position (ctx - 1 - ctx/2 of them):
 *     full:  float logits[vocab]                   raw, exact
 *     top-k: int top1, float targetLogProb (T = 1), int ids[k], float logProbs[k] (at the file's temperature)
 * </pre>
 * The reader also takes {@code llama-perplexity --kl-divergence-base} files (magic {@code _logits_}).
 */
public final class TeacherLogits {
    static final byte[] MAGIC = "R1TEACH1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LLAMA_MAGIC = "_logits_".getBytes(StandardCharsets.US_ASCII);
    /** The file leaves BOS to the student's tokenizer (llama-perplexity's files store the text's own tokens). */
    static final int BOS_OF_STUDENT = -2;

    private TeacherLogits() {}

    /** Writes rows in order; {@link #commit()} moves the finished file into place (a killed run leaves none). */
    public static final class Writer implements AutoCloseable {
        private final Path out, tmp;
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final int vocab, topK;
        private final double temperature;
        private final double[] lp;
        private final TopKHeap heap;
        private boolean committed;

        public Writer(Path out, Windows w, int vocab, int topK, double temperature, String source) {
            if (topK < 0 || topK > vocab) throw new EvalException("--top-k must be 0 (full rows) to " + vocab + ", got " + topK);
            this.out = out;
            this.vocab = vocab;
            this.topK = topK;
            this.temperature = temperature;
            this.lp = topK > 0 ? new double[vocab] : null;
            this.heap = topK > 0 ? new TopKHeap(topK) : null;
            try {
                Path dir = out.toAbsolutePath().getParent();
                if (dir != null) Files.createDirectories(dir);
                tmp = Files.createTempFile(dir, "." + out.getFileName(), ".partial");
                ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new EvalException("cannot write teacher logits " + out + ": " + e.getMessage(), e);
            }
            put(MAGIC);
            putInt(w.ctx()); putInt(w.chunks()); putInt(vocab); putInt(topK); putInt(w.bos());
            putFloat((float) temperature);
            byte[] s = source.getBytes(StandardCharsets.UTF_8);
            putInt(s.length);
            put(s);
            for (int i = 0; i < w.chunks() * w.ctx(); i++) putInt(w.tokens()[i]);
        }

        /** The teacher's logits after one scored position, followed by {@code target}. */
        public void write(float[] logits, int target) {
            if (topK == 0) {
                for (int i = 0; i < vocab; i++) putFloat(logits[i]);
                return;
            }
            int top1 = LogProbs.logSoftmax(logits, vocab, 1, lp);
            putInt(top1);
            putFloat((float) lp[target]);
            if (temperature != 1) LogProbs.logSoftmax(logits, vocab, temperature, lp);
            int[] ids = heap.top(lp);
            for (int id : ids) putInt(id);
            for (int id : ids) putFloat((float) lp[id]);
        }

        public void commit() {
            flush();
            try {
                ch.close();
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                committed = true;
            } catch (IOException e) {
                throw new EvalException("cannot write teacher logits " + out + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (committed) return;
            try {
                ch.close();
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the partial file is a temp file; nothing else to undo
            }
        }

        private void room(int n) { if (buf.remaining() < n) flush(); }
        private void putInt(int v) { room(4); buf.putInt(v); }
        private void putFloat(float v) { room(4); buf.putFloat(v); }
        private void put(byte[] b) { room(b.length); buf.put(b); }

        private void flush() {
            buf.flip();
            try {
                while (buf.hasRemaining()) ch.write(buf);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write teacher logits " + out + ": " + e.getMessage(), e);
            }
            buf.clear();
        }
    }

    /** Reads the header, then rows in the order they were written. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        public final int ctx, chunks, vocab, topK, bos;
        public final double temperature;
        public final String source;
        public final int[] tokens;
        /** A llama-perplexity file: 16-bit log-probs per row, windows BOS'd by the student's rule. */
        public final boolean llama;
        private final int[] q;

        public Reader(Path file) {
            this.file = file;
            try {
                ch = FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new EvalException("cannot read teacher logits " + file + ": " + e.getMessage(), e);
            }
            buf.limit(0);
            byte[] magic = new byte[8];
            get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC) && !java.util.Arrays.equals(magic, LLAMA_MAGIC))
                throw new EvalException(file + " is not a teacher-logits file (write one with r1 eval kl --save-teacher,"
                        + " or llama-perplexity --kl-divergence-base)");
            if (java.util.Arrays.equals(magic, LLAMA_MAGIC)) { // llama-perplexity --kl-divergence-base
                llama = true;
                ctx = getInt(); vocab = getInt(); chunks = getInt();
                topK = 0;
                bos = BOS_OF_STUDENT;
                temperature = 1;
                source = "llama-perplexity logits";
                if (ctx < 4 || chunks < 1 || vocab < 1) throw new EvalException(file + ": damaged llama-perplexity header");
                tokens = new int[chunks * ctx];
                for (int i = 0; i < tokens.length; i++) tokens[i] = getInt();
                q = new int[2 * ((vocab + 1) / 2)];
                return;
            }
            llama = false;
            q = null;
            ctx = getInt(); chunks = getInt(); vocab = getInt(); topK = getInt(); bos = getInt();
            temperature = getFloat();
            int len = getInt();
            if (ctx < 4 || chunks < 1 || vocab < 1 || topK < 0 || topK > vocab || len < 0 || len > 1 << 16)
                throw new EvalException(file + ": damaged header (ctx " + ctx + ", chunks " + chunks + ", vocab " + vocab + ", top-k " + topK + ")");
            byte[] s = new byte[len];
            get(s);
            source = new String(s, StandardCharsets.UTF_8);
            tokens = new int[chunks * ctx];
            for (int i = 0; i < tokens.length; i++) tokens[i] = getInt();
        }

        /** The windows the teacher was scored on. */
        /** @param studentBos the BOS id to put over each window's first token when the file does not say (-1: none) */
        public Windows windows(int studentBos) { return new Windows(tokens, ctx, chunks, bos == BOS_OF_STUDENT ? studentBos : bos); }

        public String rows() {
            if (llama) return "llama-perplexity's 16-bit log-probs (down to 16 nats below the top token; those below as one bucket)";
            return topK == 0 ? "full logits" : "top-" + topK + " log-probs";
        }

        /**
         * A row of a llama-perplexity file: {@code scale} and {@code min} (two floats), then a 16-bit q per
         * token with {@code log p = scale * q + min}; q = 0 marks tokens at or below the clamp, kept as one
         * bucket (so the KL is over the rest plus that bucket).
         */
        private TeacherRow nextLlama(int target) {
            float scale = getFloat(), min = getFloat();
            for (int i = 0; i < q.length; i++) q[i] = getShort() & 0xFFFF;
            int n = 0, top1 = 0;
            for (int i = 0; i < vocab; i++) {
                if (q[i] > 0) n++;
                if (q[i] > q[top1]) top1 = i;
            }
            int[] ids = new int[n];
            float[] lp = new float[n];
            for (int i = 0, k = 0; i < vocab; i++) {
                if (q[i] == 0) continue;
                ids[k] = i;
                lp[k++] = scale * q[i] + min;
            }
            return new TeacherRow.TopK(top1, scale * q[target] + min, ids, lp);
        }

        /** The next row; {@code target} is the token that followed (llama-perplexity's rows need it for their top token). */
        public TeacherRow next(int target) {
            if (llama) return nextLlama(target);
            return next();
        }

        public TeacherRow next() {
            if (llama) throw new IllegalStateException("llama-perplexity rows are read with next(target)");
            if (topK == 0) {
                float[] l = new float[vocab];
                for (int i = 0; i < vocab; i++) l[i] = getFloat();
                return new TeacherRow.Full(l);
            }
            int top1 = getInt();
            float target = getFloat();
            int[] ids = new int[topK];
            float[] lp = new float[topK];
            for (int i = 0; i < topK; i++) ids[i] = getInt();
            for (int i = 0; i < topK; i++) lp[i] = getFloat();
            return new TeacherRow.TopK(top1, target, ids, lp);
        }

        private void need(int n) {
            if (buf.remaining() >= n) return;
            buf.compact();
            try {
                while (buf.position() < n) {
                    if (ch.read(buf) < 0) throw new EvalException(file + " ends early (a damaged or unfinished teacher-logits file)");
                }
            } catch (IOException e) {
                throw new EvalException("cannot read teacher logits " + file + ": " + e.getMessage(), e);
            }
            buf.flip();
        }

        private int getInt() { need(4); return buf.getInt(); }
        private short getShort() { need(2); return buf.getShort(); }
        private float getFloat() { need(4); return buf.getFloat(); }
        private void get(byte[] b) { need(b.length); buf.get(b); }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
    }

    /** The k largest of a row, largest first, by a size-k min-heap (vocabularies are 150k wide). */
    static final class TopKHeap {
        private final int k;
        private final int[] h;

        TopKHeap(int k) {
            this.k = k;
            this.h = new int[k];
        }

        int[] top(double[] v) {
            int n = 0;
            for (int i = 0; i < v.length; i++) {
                if (n < k) {
                    h[n] = i;
                    up(v, n++);
                } else if (v[i] > v[h[0]]) {
                    h[0] = i;
                    down(v, 0, k);
                }
            }
            int[] out = new int[n];
            for (int m = n; m > 0; m--) { // pop the smallest into the back
                out[m - 1] = h[0];
                h[0] = h[m - 1];
                down(v, 0, m - 1);
            }
            return out;
        }

        private void up(double[] v, int i) {
            while (i > 0) {
                int p = (i - 1) / 2;
                if (v[h[i]] >= v[h[p]]) break;
                int t = h[i]; h[i] = h[p]; h[p] = t;
                i = p;
            }
        }

        private void down(double[] v, int i, int n) {
            while (true) {
                int l = 2 * i + 1, r = l + 1, s = i;
                if (l < n && v[h[l]] < v[h[s]]) s = l;
                if (r < n && v[h[r]] < v[h[s]]) s = r;
                if (s == i) return;
                int t = h[i]; h[i] = h[s]; h[s] = t;
                i = s;
            }
        }
    }
}
