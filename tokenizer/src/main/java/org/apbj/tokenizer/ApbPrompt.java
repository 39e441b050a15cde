package org.apbj.tokenizer;

import java.util.Arrays;

/**
 * A request tokenized for APB: the context (chat header, instruction and document) and the query
 * (question, end of the user turn, assistant-turn header and answer prefix), tokenized
 * separately, and {@code qpos}, the number of leading context tokens that form the chat header
 * and go before the query in every anchor (APB-SPEC, Phase 1, step 2).
 */
public record ApbPrompt(int[] context, int[] query, int qpos) {
    public ApbPrompt {
        if (qpos < 0 || qpos > context.length) {
            throw new IllegalArgumentException("qpos " + qpos + " must lie within the context's " + context.length + " tokens");
        }
        context = context.clone();
        query = query.clone();
    }

    @Override
    public int[] context() {
        return context.clone();
    }

    @Override
    public int[] query() {
        return query.clone();
    }

    /** Context followed by query: the whole prompt, as a dense (non-APB) prefill would see it. */
    public int[] full() {
        int[] all = Arrays.copyOf(context, context.length + query.length);
        System.arraycopy(query, 0, all, context.length, query.length);
        return all;
    }

    /** The chat-header tokens: the first qpos context tokens. */
    public int[] header() {
        return Arrays.copyOf(context, qpos);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApbPrompt p && qpos == p.qpos && Arrays.equals(context, p.context) && Arrays.equals(query, p.query);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(context) + Arrays.hashCode(query)) + qpos;
    }

    @Override
    public String toString() {
        return "ApbPrompt[context=" + context.length + " tokens, query=" + query.length + " tokens, qpos=" + qpos + "]";
    }
}
