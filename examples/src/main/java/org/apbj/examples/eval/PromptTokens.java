package org.apbj.examples.eval;

/**
 * Token counts of a request under a model's tokenizer and chat format, as the engine will see
 * it: the context is the chat header followed by the context text, the query is the question,
 * the assistant turn and the answer prefix, each tokenized on its own.
 */
public interface PromptTokens {
    /** Tokens of the formatted context for this context text (header included). */
    int contextTokens(String contextText);

    /** Tokens of the formatted query. */
    int queryTokens(String question, String answerPrefix);

    /** Tokens of a piece of plain text on its own (a needle's length). */
    int textTokens(String text);
}
