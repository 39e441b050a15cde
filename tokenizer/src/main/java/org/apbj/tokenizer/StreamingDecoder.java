package org.apbj.tokenizer;

/**
 * Decodes generated tokens one at a time. Text that later tokens may still change is held back:
 * the bytes of an unfinished UTF-8 character (byte-level tokenizers split emoji and CJK over byte
 * tokens), a run of SentencePiece byte-fallback tokens. The pieces returned by {@link #push} and
 * {@link #finish} concatenate to exactly {@code tokenizer.decode(allIds, skipSpecialTokens)}:
 * both run the same decoder session.
 * Not thread-safe: one instance per generated sequence.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private Decoder.Session session;

    public StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        this.session = tokenizer.decoder().start();
    }

    /** Adds one token and returns the text it completes (possibly empty). */
    public String push(int id) {
        String token = tokenizer.tokenForDecoding(id, skipSpecialTokens);
        return token == null ? "" : session.push(token);
    }

    /** Returns what is still held back (an unfinished character becomes U+FFFD) and starts a new sequence. */
    public String finish() {
        String rest = session.finish();
        session = tokenizer.decoder().start();
        return rest;
    }
}
