package org.apbj.examples.eval;

import org.apbj.tokenizer.ChatFormat;

/** {@link PromptTokens} of a model's tokenizer and chat format, counted exactly as {@link ChatFormat#render} tokenizes. */
public final class ChatPromptTokens implements PromptTokens {
    private final ChatFormat format;

    public ChatPromptTokens(ChatFormat format) { this.format = format; }

    @Override
    public int contextTokens(String contextText) {
        return format.render(contextText, "", "").context().length;
    }

    @Override
    public int queryTokens(String question, String answerPrefix) {
        return format.render("", question, answerPrefix).query().length;
    }

    @Override
    public int textTokens(String text) { return format.tokenizer().encode(text).length; }

    public ChatFormat format() { return format; }

    /** The style a format's prompts follow: tiny-niah's trained format, or the references'. */
    public Style style() {
        return format.family() == ChatFormat.Family.TINY_NIAH ? Style.TINY_NIAH : Style.REFERENCE;
    }
}
