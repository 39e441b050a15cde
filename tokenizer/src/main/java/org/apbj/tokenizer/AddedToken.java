package org.apbj.tokenizer;

/**
 * An entry of tokenizer.json's "added_tokens": a string matched in the raw text before any
 * other processing and encoded as its own id.
 *
 * @param special     a special token (skipped by decode with skipSpecialTokens; not matched when
 *                    special tokens are not parsed)
 * @param lstrip      the match also swallows white space on its left
 * @param rstrip      the match also swallows white space on its right
 * @param singleWord  matched only when not inside a word
 * @param normalized  matched in the normalized text instead of the raw text
 */
public record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip,
                         boolean singleWord, boolean normalized) {}
