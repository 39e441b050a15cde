package org.apbj.tokenizer;

import java.util.List;

/**
 * The decoder of tokenizer.json: turns token strings (vocabulary entries and added tokens, as
 * written in the file) back into text. Decoding runs token by token through a {@link Session}, so
 * whole-sequence decoding and {@link StreamingDecoder} are one code path and always agree.
 */
sealed interface Decoder permits ByteLevelDecoder, SentencePieceDecoder {
    /** The decoding of one sequence, fed one token at a time. Not thread-safe. */
    interface Session {
        /** Adds one token; returns the text that is now final (possibly empty). */
        String push(String token);

        /** Ends the sequence; returns the text still held back. */
        String finish();
    }

    Session start();

    /** Hugging Face's {@code decoder.decode(tokens)}. */
    default String decode(List<String> tokens) {
        Session session = start();
        StringBuilder text = new StringBuilder(tokens.size() * 4);
        for (String token : tokens) text.append(session.push(token));
        return text.append(session.finish()).toString();
    }
}
