package org.apbj.tokenizer;

/**
 * The first step of BPE on one piece: the symbols (vocabulary ids) it starts from, before any
 * merge. Byte-level vocabularies start from the piece's UTF-8 bytes ({@link ByteLevelAlphabet});
 * SentencePiece-style ones from its characters, with byte fallback or an unknown token for
 * characters outside the vocabulary ({@link CharAlphabet}).
 */
sealed interface BpeAlphabet permits ByteLevelAlphabet, CharAlphabet {
    /** The ids of the piece's initial symbols, in order. */
    int[] symbols(String piece);

    /** The piece written as its vocabulary entry would be, for {@code ignore_merges}. */
    String vocabularyForm(String piece);
}
