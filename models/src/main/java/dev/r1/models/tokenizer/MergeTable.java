package dev.r1.models.tokenizer;

/**
 * Open-addressing hash table from a token-id pair (packed into a long) to its merge rank and result id:
 * the inner loop of BPE, kept free of boxing.
 */
final class MergeTable {
    private final long[] keys;
    private final int[] ranks;
    private final int[] results;
    private final int mask;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        ranks = new int[cap];
        results = new int[cap];
        java.util.Arrays.fill(keys, -1L);
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 29)) & mask;
        while (keys[i] != -1L && keys[i] != k) i = (i + 1) & mask;
        return i;
    }

    void putIfAbsent(int left, int right, int rank, int result) {
        long k = key(left, right);
        int i = slot(k);
        if (keys[i] == k) return;
        keys[i] = k;
        ranks[i] = rank;
        results[i] = result;
    }

    /** The rank of merging (left, right), or -1 when they do not merge. */
    int rank(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        return keys[i] == k ? ranks[i] : -1;
    }

    int result(int left, int right) {
        return results[slot(key(left, right))];
    }
}
