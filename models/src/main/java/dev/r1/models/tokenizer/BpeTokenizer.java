package dev.r1.models.tokenizer;

import dev.r1.models.ModelException;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE as Hugging Face tokenizers and llama.cpp run it for the Qwen2 and Llama-3 vocabularies:
 * added tokens are cut out of the text first (longest match), the rest is NFC-normalised (Qwen), split by
 * the pre-tokenizer, and each piece's UTF-8 bytes are merged lowest rank first (leftmost among equals).
 * Llama-3 ({@code llama-bpe}) takes a piece that is itself a token without merging ("ignore_merges").
 * Thread-safe: all state is immutable except a concurrent cache of piece encodings.
 */
public final class BpeTokenizer {
    private static final int CACHE_MAX_ENTRIES = 200_000;
    private static final int CACHE_MAX_PIECE = 64;

    private final Vocabulary vocab;
    private final PreTokenizer preTokenizer;
    private final boolean nfc;
    private final boolean ignoreMerges;
    private final int[] byteToId = new int[256];
    private final Map<String, Integer> normalIds;      // byte-level text -> id, normal tokens only
    private final MergeTable merges;
    private final byte[][] pieceBytes;
    private final AddedTokenMatcher userDefined;       // always matched
    private final AddedTokenMatcher allAdded;          // matched when parsing special tokens
    private final boolean[] eog;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    public BpeTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.preTokenizer = PreTokenizer.forPre(vocab.pre());
        this.nfc = !vocab.pre().equals("llama-bpe") && !vocab.pre().equals("llama3");
        this.ignoreMerges = !nfc;
        int n = vocab.size();
        normalIds = new HashMap<>(n * 2);
        pieceBytes = new byte[n][];
        List<String> added = new ArrayList<>();
        List<Integer> addedIds = new ArrayList<>();
        List<String> user = new ArrayList<>();
        List<Integer> userIds = new ArrayList<>();
        eog = new boolean[n];
        for (int id : vocab.eogIds()) eog[id] = true;
        for (int id = 0; id < n; id++) {
            String t = vocab.tokens().get(id);
            int type = vocab.typeOf(id);
            if (type == Vocabulary.TYPE_CONTROL || type == Vocabulary.TYPE_USER_DEFINED) {
                pieceBytes[id] = t.getBytes(StandardCharsets.UTF_8);
                added.add(t);
                addedIds.add(id);
                if (type == Vocabulary.TYPE_USER_DEFINED) {
                    user.add(t);
                    userIds.add(id);
                }
            } else {
                byte[] b = ByteLevel.decodeOrNull(t);
                pieceBytes[id] = b != null ? b : t.getBytes(StandardCharsets.UTF_8);
                if (type == Vocabulary.TYPE_NORMAL || type == Vocabulary.TYPE_BYTE) normalIds.putIfAbsent(t, id);
            }
        }
        for (int b = 0; b < 256; b++) {
            Integer id = normalIds.get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new ModelException("tokenizer: the vocabulary has no token for byte 0x"
                        + Integer.toHexString(b) + " ('" + ByteLevel.charOf(b) + "'), so it is not byte-level BPE");
            }
            byteToId[b] = id;
        }
        merges = new MergeTable(vocab.merges().size());
        List<String> ms = vocab.merges();
        for (int rank = 0; rank < ms.size(); rank++) {
            String m = ms.get(rank);
            int sp = m.indexOf(' ', 1);
            if (sp < 0) throw new ModelException("tokenizer: merge " + rank + " '" + m + "' is not 'left right'");
            Integer l = normalIds.get(m.substring(0, sp));
            Integer r = normalIds.get(m.substring(sp + 1));
            Integer res = normalIds.get(m.substring(0, sp) + m.substring(sp + 1));
            // A merge whose parts or result are not tokens can never fire; HF skips such merges too.
            if (l != null && r != null && res != null) merges.putIfAbsent(l, r, rank, res);
        }
        userDefined = new AddedTokenMatcher(user, userIds);
        allAdded = new AddedTokenMatcher(added, addedIds);
    }

    public Vocabulary vocabulary() { return vocab; }

    public int vocabSize() { return vocab.size(); }

    public int bosId() { return vocab.bosId(); }

    public int eosId() { return vocab.eosId(); }

    /** The text of the BOS token, or null when the vocabulary has none. */
    public String bosText() { return vocab.bosId() >= 0 ? vocab.tokens().get(vocab.bosId()) : null; }

    /** Encodes {@code text}; BOS is prepended when asked and the vocabulary has one. */
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addBos && vocab.bosId() >= 0) out.add(vocab.bosId());
        AddedTokenMatcher matcher = parseSpecial ? allAdded : userDefined;
        int start = 0;
        int[] match = new int[2];
        while (start < text.length()) {
            int at = matcher.find(text, start, match);
            int end = at < 0 ? text.length() : at;
            if (end > start) encodePlain(text.substring(start, end), out);
            if (at < 0) break;
            out.add(match[0]);
            start = at + match[1];
        }
        return out.toArray();
    }

    /** Encodes with the vocabulary's own BOS setting, parsing special tokens. */
    public int[] encode(String text) {
        return encode(text, vocab.addBos(), true);
    }

    private void encodePlain(String text, IntList out) {
        if (nfc && !Normalizer.isNormalized(text, Normalizer.Form.NFC)) {
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
        }
        int[] cps = text.codePoints().toArray();
        String src = text;
        boolean bmpOnly = cps.length == text.length();
        preTokenizer.split(cps, cps.length, (s, e) -> {
            String piece = bmpOnly ? src.substring(s, e) : new String(cps, s, e - s);
            int[] ids = e - s <= CACHE_MAX_PIECE ? cache.get(piece) : null;
            if (ids == null) {
                ids = bpe(piece.getBytes(StandardCharsets.UTF_8));
                if (e - s <= CACHE_MAX_PIECE) {
                    if (cache.size() > CACHE_MAX_ENTRIES) cache.clear();
                    cache.put(piece, ids);
                }
            }
            out.addAll(ids);
        });
    }

    /** Merges one piece's bytes; a heap over adjacent pairs keeps long pieces O(n log n). */
    private int[] bpe(byte[] bytes) {
        int n = bytes.length;
        if (ignoreMerges && n > 1) {
            Integer whole = normalIds.get(ByteLevel.encode(bytes));
            if (whole != null) return new int[] {whole};
        }
        int[] sym = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteToId[bytes[i] & 0xFF];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        if (n == 1) return sym;
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) push(heap, sym, i, i + 1);
        int count = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int pos = (int) (top & 0xFFFFFFFFL);
            int rank = (int) (top >>> 32);
            int nx = next[pos];
            // Stale entries: the left symbol was merged away, or the pair there has changed since.
            if (sym[pos] < 0 || nx < 0 || merges.rank(sym[pos], sym[nx]) != rank) continue;
            sym[pos] = merges.result(sym[pos], sym[nx]);
            sym[nx] = -1;
            next[pos] = next[nx];
            if (next[nx] >= 0) prev[next[nx]] = pos;
            count--;
            if (prev[pos] >= 0) push(heap, sym, prev[pos], pos);
            if (next[pos] >= 0) push(heap, sym, pos, next[pos]);
        }
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = sym[i];
        return out;
    }

    private void push(LongHeap heap, int[] sym, int left, int right) {
        int rank = merges.rank(sym[left], sym[right]);
        if (rank >= 0) heap.push(((long) rank << 32) | left);
    }

    /** Decodes ids to text (all tokens, special ones included, as their text); bad UTF-8 becomes U+FFFD. */
    public String decode(int[] ids) {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) buf.writeBytes(pieceBytes(id));
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** The decoded text of one token (may hold U+FFFD when the token is part of a multi-byte character). */
    public String piece(int id) {
        return new String(pieceBytes(id), StandardCharsets.UTF_8);
    }

    /** The bytes one token stands for. */
    public byte[] pieceBytes(int id) {
        checkId(id);
        return pieceBytes[id].clone();
    }

    byte[] pieceBytesShared(int id) {
        checkId(id);
        return pieceBytes[id];
    }

    /** A control token (BOS, EOS, {@code <｜User｜>}, ...), which a chat shows as markup, not text. */
    public boolean isSpecial(int id) {
        checkId(id);
        return vocab.typeOf(id) == Vocabulary.TYPE_CONTROL;
    }

    /** Ends generation: EOS, or another end-of-turn token. */
    public boolean isEog(int id) {
        checkId(id);
        return eog[id];
    }

    public int tokenType(int id) {
        checkId(id);
        return vocab.typeOf(id);
    }

    /** The id of an added token by its text (such as {@code "<think>"}), or -1. */
    public int addedTokenId(String text) {
        int[] m = new int[2];
        int at = allAdded.find(text, 0, m);
        return at == 0 && m[1] == text.length() ? m[0] : -1;
    }

    /** A decoder that turns ids fed one at a time into whole characters. */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this::pieceBytesShared);
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieceBytes.length) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + pieceBytes.length);
        }
    }

    /** Added tokens, grouped by first char, longest first, so the leftmost-longest match is a short scan. */
    private static final class AddedTokenMatcher {
        private final Map<Character, List<int[]>> byFirst = new HashMap<>();   // {id, index into texts}
        private final List<String> texts;

        AddedTokenMatcher(List<String> texts, List<Integer> ids) {
            this.texts = texts;
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i).isEmpty()) continue;
                byFirst.computeIfAbsent(texts.get(i).charAt(0), k -> new ArrayList<>()).add(new int[] {ids.get(i), i});
            }
            for (List<int[]> l : byFirst.values()) l.sort((a, b) -> texts.get(b[1]).length() - texts.get(a[1]).length());
        }

        /** The first position at or after {@code from} where an added token starts, or -1; fills {id, length}. */
        int find(String text, int from, int[] match) {
            if (byFirst.isEmpty()) return -1;
            for (int i = from; i < text.length(); i++) {
                List<int[]> cands = byFirst.get(text.charAt(i));
                if (cands == null) continue;
                for (int[] c : cands) {
                    String t = texts.get(c[1]);
                    if (text.startsWith(t, i)) {
                        match[0] = c[0];
                        match[1] = t.length();
                        return i;
                    }
                }
            }
            return -1;
        }
    }

    static final class IntList {
        private int[] a;
        private int n;

        IntList(int cap) { a = new int[cap]; }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        void addAll(int[] vs) {
            if (n + vs.length > a.length) a = Arrays.copyOf(a, Math.max(n * 2, n + vs.length));
            System.arraycopy(vs, 0, a, n, vs.length);
            n += vs.length;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }

    /** A binary min-heap of longs (rank in the high half, position in the low half). */
    private static final class LongHeap {
        private long[] h;
        private int n;

        LongHeap(int cap) { h = new long[Math.max(4, cap)]; }

        boolean isEmpty() { return n == 0; }

        void push(long v) {
            if (n == h.length) h = Arrays.copyOf(h, n * 2);
            int i = n++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (h[p] <= v) break;
                h[i] = h[p];
                i = p;
            }
            h[i] = v;
        }

        long pop() {
            long top = h[0];
            long v = h[--n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) break;
                if (c + 1 < n && h[c + 1] < h[c]) c++;
                if (h[c] >= v) break;
                h[i] = h[c];
                i = c;
            }
            h[i] = v;
            return top;
        }
    }
}
