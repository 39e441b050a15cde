package org.apbj.examples.api;

import java.util.Objects;

/**
 * One request as text: the context (instruction + long document), the question, the start of
 * the answer, and how many tokens to generate. The engine's chat format wraps them.
 */
public record Request(String context, String question, String answerPrefix, int maxNewTokens) {
    public Request {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answerPrefix, "answerPrefix");
        if (maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens must be at least 1, got " + maxNewTokens);
    }
}
