package org.apbj.tokenizer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * BPE: encodes one pre-token (a piece of text) into vocabulary ids.
 *
 * <p>The piece starts as the symbols of its {@link BpeAlphabet} (UTF-8 bytes for byte-level
 * vocabularies, characters for SentencePiece-style ones); the adjacent pair whose merge has the
 * lowest rank is merged, the leftmost on ties, until no adjacent pair has a merge. That is the
 * result of Hugging Face's BPE (its heap pops the lowest (rank, position) first). Here a min-heap
 * of (rank, position) over a linked list of symbols does it in O(n log n) per piece, and
 * a bounded cache maps recurring pieces straight to their ids.
 */
final class BpeModel {
    /** Pieces are cached until the cache holds this many; later new pieces are not cached (as HF). */
    static final int CACHE_CAPACITY = 100_000;
    /** Longer pieces (long runs of one character) are not worth caching. */
    private static final int MAX_CACHED_PIECE_LENGTH = 256;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final PairRankMap mergeRanks;
    private final int[] mergedIdByRank;
    private final BpeAlphabet alphabet;
    private final boolean ignoreMerges;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>(1 << 14);

    /**
     * @param vocab        token string (as written in tokenizer.json) to id
     * @param merges       merge i (its rank) joins merges[i][0] and merges[i][1]
     * @param alphabet     the symbols a piece starts from
     * @param ignoreMerges a piece that is itself a vocabulary entry is emitted whole
     */
    BpeModel(Map<String, Integer> vocab, String[][] merges, BpeAlphabet alphabet, boolean ignoreMerges, String source) {
        this.vocab = vocab;
        this.alphabet = alphabet;
        this.ignoreMerges = ignoreMerges;
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getValue() < 0) throw new TokenizerFormatException(source + ": vocabulary entry " + e.getKey() + " has a negative id");
            idToToken[e.getValue()] = e.getKey();
        }
        mergeRanks = new PairRankMap(merges.length);
        mergedIdByRank = new int[merges.length];
        for (int rank = 0; rank < merges.length; rank++) {
            String left = merges[rank][0], right = merges[rank][1];
            Integer l = vocab.get(left), r = vocab.get(right), m = vocab.get(left + right);
            if (l == null || r == null || m == null) {
                String missing = l == null ? left : r == null ? right : left + right;
                throw new TokenizerFormatException(source + ": merge " + rank + " (\"" + left + " " + right
                        + "\") refers to \"" + missing + "\", which is not in the vocabulary; the file is inconsistent");
            }
            mergeRanks.put(l, r, rank);
            mergedIdByRank[rank] = m;
        }
    }

    /** Empties the piece cache (for measurements of uncached encoding). */
    void clearCache() {
        cache.clear();
    }

    int vocabSize() {
        return idToToken.length;
    }

    /** The token string of an id as written in tokenizer.json, or null if the vocabulary has no such id. */
    String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    Integer id(String token) {
        return vocab.get(token);
    }

    /** Appends the ids of one pre-token. */
    void encode(String piece, IntList out) {
        int[] cached = cache.get(piece);
        if (cached == null) {
            cached = encodeUncached(piece);
            if (piece.length() <= MAX_CACHED_PIECE_LENGTH && cache.size() < CACHE_CAPACITY) cache.put(piece, cached);
        }
        if (cached.length == 1) out.add(cached[0]);
        else out.addAll(cached);
    }

    int[] encodeUncached(String piece) {
        requireWellFormed(piece);
        if (ignoreMerges) {
            Integer whole = vocab.get(alphabet.vocabularyForm(piece));
            if (whole != null) return new int[] {whole};
        }
        int[] symbols = alphabet.symbols(piece);
        return symbols.length <= 1 ? symbols : merge(symbols);
    }

    /** Unpaired surrogates have no UTF-8 form (Java would silently write '?' for them). */
    private static void requireWellFormed(String piece) {
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < piece.length() && Character.isLowSurrogate(piece.charAt(i + 1))) {
                i++;
                continue;
            }
            throw new IllegalArgumentException(String.format("the text contains an unpaired UTF-16 surrogate U+%04X"
                    + " (in \"%s\"), which is not Unicode text and has no UTF-8 encoding; fix the text's decoding", (int) c, piece));
        }
    }

    /** Merges the symbols in place (the array is consumed) and returns the resulting ids. */
    private int[] merge(int[] ids) {
        int n = ids.length;
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        // Heap entries: rank in the high 32 bits, position of the left symbol in the low bits,
        // so the smallest entry is the lowest rank, leftmost on ties.
        long[] heap = new long[n];
        int heapSize = 0;
        for (int i = 0; i + 1 < n; i++) {
            int rank = mergeRanks.rank(ids[i], ids[i + 1]);
            if (rank >= 0) heapSize = push(heap, heapSize, rank, i);
        }
        int alive = n;
        while (heapSize > 0) {
            long top = heap[0];
            heapSize = pop(heap, heapSize);
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            // Skip entries made stale by earlier merges: the symbol at pos was merged away
            // (ids[pos] < 0) or the pair at pos is no longer the one this entry was for.
            if (ids[pos] < 0 || right < 0 || mergeRanks.rank(ids[pos], ids[right]) != rank) continue;
            ids[pos] = mergedIdByRank[rank];
            ids[right] = -1;
            alive--;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            int before = prev[pos];
            if (before >= 0) {
                int r = mergeRanks.rank(ids[before], ids[pos]);
                if (r >= 0) {
                    if (heapSize == heap.length) heap = java.util.Arrays.copyOf(heap, heap.length * 2);
                    heapSize = push(heap, heapSize, r, before);
                }
            }
            if (after >= 0) {
                int r = mergeRanks.rank(ids[pos], ids[after]);
                if (r >= 0) {
                    if (heapSize == heap.length) heap = java.util.Arrays.copyOf(heap, heap.length * 2);
                    heapSize = push(heap, heapSize, r, pos);
                }
            }
        }
        int[] result = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) result[k++] = ids[i];
        return result;
    }

    private static int push(long[] heap, int size, int rank, int pos) {
        long v = ((long) rank << 32) | pos;
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return size + 1;
    }

    private static int pop(long[] heap, int size) {
        long last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) heap[i] = last;
        return size;
    }
}
