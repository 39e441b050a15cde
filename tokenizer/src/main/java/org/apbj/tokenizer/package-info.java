/**
 * Hugging Face BPE tokenizers read from {@code tokenizer.json}, byte-level (Llama-3, Qwen-2.5,
 * GPT-2 style, the tiny-niah test model) and SentencePiece-style with byte fallback (Llama-2,
 * Mistral, Yi), and the chat formats that turn a request into APB's context and query parts.
 *
 * <ul>
 *   <li>{@link org.apbj.tokenizer.Tokenizer}: {@code load(dir)}, {@code encode(text)} (as HF's
 *       {@code add_special_tokens=False}), {@code encode(text, addSpecialTokens, parseSpecialTokens)},
 *       {@code decode(ids[, skipSpecialTokens])}, token/id look-ups, BOS/EOS ids.</li>
 *   <li>{@link org.apbj.tokenizer.StreamingDecoder}: token-by-token text for generation.</li>
 *   <li>{@link org.apbj.tokenizer.ChatFormat}: {@code forTokenizer(t)} / {@code forFamily(name, t)};
 *       {@code render(contextText, question, answerPrefix)} gives an
 *       {@link org.apbj.tokenizer.ApbPrompt} (context ids, query ids, qpos); {@code stopTokenIds()}.</li>
 *   <li>{@link org.apbj.tokenizer.TokenizeCommand}: the body of {@code apbj tokenize}.</li>
 * </ul>
 *
 * <p>Encoding matches Hugging Face tokenizers id for id: the tests compare with llama.cpp's
 * vectors, the tiny-niah golden cases and, on random text, with Hugging Face's own Rust
 * implementation. Pipeline: added tokens ({@code AddedTokenMatcher}) → normalizer → pre-tokenizer
 * ({@code LlamaPatternSplit} for the Llama-3/Qwen pattern, otherwise the regex translated by
 * {@code OnigurumaPatterns}; Metaspace) → {@code BpeModel} (merge ranks, cached pieces, starting
 * from bytes or characters: {@code BpeAlphabet}) → post-processor; decoding runs a
 * {@code Decoder} session ({@code ByteLevelDecoder} or {@code SentencePieceDecoder}).
 */
package org.apbj.tokenizer;
