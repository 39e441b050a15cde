package org.apbj.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The chat formats of the model families apbj supports, written in code (not Jinja), and the
 * split of a rendered request into APB's context and query parts.
 *
 * <p>A request is an instruction plus document ({@code contextText}), a question and an answer
 * prefix. Rendered:
 * <pre>
 *   context = header + contextText
 *   query   = question + assistantTurn + answerPrefix
 * </pre>
 * The header and the context text are tokenized separately and concatenated, so the header's
 * tokens are exactly the first {@code qpos} context tokens whatever the text starts with; the
 * query is tokenized on its own, as APB needs it. {@code qpos} is the header's token count.
 *
 * <p>With SentencePiece-style tokenizers that add a dummy prefix (Llama-2, Mistral: "▁" before
 * each separately encoded text), the context text and the query each start with that "▁", as
 * Hugging Face's {@code tokenizer(text)} gives them: the context's is the space of
 * {@code [INST] text}; the query's is one extra space token a whole-prompt encoding would not have.
 */
public final class ChatFormat {
    /** The supported families. */
    public enum Family {
        /** Llama-3 / 3.1 instruct: header lines with {@code <|start_header_id|>}, turns end with {@code <|eot_id|>}. */
        LLAMA3,
        /** Qwen-2 / 2.5 instruct: ChatML with Qwen's default system prompt. */
        QWEN_CHATML,
        /** Yi chat: ChatML without a system turn; recognized by Yi's {@code <|startoftext|>} beside the ChatML tokens. */
        YI_CHATML,
        /**
         * Llama-2-chat and Mistral-Instruct ({@code <s>[INST] ... [/INST]}), without a system prompt.
         * Their tokenizers are those of the base models, so this is chosen by name, never detected.
         */
        INST,
        /** Base models (Llama-2, Mistral, Yi and others): no template; the header is the BOS that add_special_tokens puts first, if any. */
        PLAIN,
        /** The project's tiny-niah test model: {@code <|bos|><|user|>} ... {@code <|assistant|>}. */
        TINY_NIAH
    }

    /** Llama-3's system prompt in the template apbj renders (gives the 16-token header of APB-SPEC). */
    public static final String LLAMA3_SYSTEM_PROMPT = "You are a helpful assistant.";
    /** The system prompt Qwen-2.5's own template uses when none is given. */
    public static final String QWEN_SYSTEM_PROMPT = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    private final Family family;
    private final Tokenizer tokenizer;
    private final String systemPrompt;
    private final String header;
    private final String assistantTurn;
    private final int[] headerIds;
    private final int[] stopTokenIds;

    private ChatFormat(Family family, Tokenizer tokenizer, String systemPrompt, String header, String assistantTurn,
                       List<String> stopTokens) {
        this.family = family;
        this.tokenizer = tokenizer;
        this.systemPrompt = systemPrompt;
        this.header = header;
        this.assistantTurn = assistantTurn;
        this.headerIds = tokenizer.encode(header);
        List<Integer> stops = new ArrayList<>();
        for (String s : stopTokens) tokenizer.addedTokenId(s).ifPresent(stops::add);
        if (family == Family.PLAIN) tokenizer.eosId().ifPresent(stops::add);
        this.stopTokenIds = stops.stream().distinct().mapToInt(Integer::intValue).toArray();
    }

    /** The format of the tokenizer's family, recognized by its special tokens; {@link Family#PLAIN} when none matches. */
    public static ChatFormat forTokenizer(Tokenizer tokenizer) {
        return of(detectFamily(tokenizer), tokenizer);
    }

    /** Which family a tokenizer belongs to, by its special tokens. */
    public static Family detectFamily(Tokenizer tokenizer) {
        if (has(tokenizer, "<|bos|>", "<|user|>", "<|assistant|>", "<|eot|>")) return Family.TINY_NIAH;
        if (has(tokenizer, "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")) return Family.LLAMA3;
        if (has(tokenizer, "<|im_start|>", "<|im_end|>", "<|startoftext|>")) return Family.YI_CHATML;
        if (has(tokenizer, "<|im_start|>", "<|im_end|>")) return Family.QWEN_CHATML;
        return Family.PLAIN;
    }

    /**
     * The format named {@code name}: "llama3", "qwen" (or "chatml", "qwen2.5"), "yi" (Yi chat),
     * "llama2" (or "mistral", "inst": {@code [INST]}), "plain" (or "base"), "tiny-niah"; "auto"
     * detects it from the tokenizer.
     */
    public static ChatFormat forFamily(String name, Tokenizer tokenizer) {
        String n = name.toLowerCase(Locale.ROOT).replace("_", "-");
        Family family = switch (n) {
            case "auto" -> detectFamily(tokenizer);
            case "llama3", "llama-3", "llama3.1", "llama-3.1" -> Family.LLAMA3;
            case "qwen", "qwen2", "qwen2.5", "qwen-2.5", "qwen-chatml", "chatml" -> Family.QWEN_CHATML;
            case "yi", "yi-chat", "yi-chatml" -> Family.YI_CHATML;
            case "llama2", "llama-2", "llama2-chat", "mistral", "mistral-instruct", "inst" -> Family.INST;
            case "plain", "base" -> Family.PLAIN;
            case "tiny-niah", "tinyniah" -> Family.TINY_NIAH;
            default -> throw new IllegalArgumentException("unknown chat format \"" + name
                    + "\"; use one of auto, llama3, qwen, yi, llama2 (mistral), plain, tiny-niah");
        };
        return of(family, tokenizer);
    }

    /**
     * The format of {@code family} for this tokenizer.
     *
     * @throws IllegalArgumentException if the tokenizer lacks a special token the format needs
     */
    public static ChatFormat of(Family family, Tokenizer tokenizer) {
        return of(family, tokenizer, switch (family) {
            case LLAMA3 -> LLAMA3_SYSTEM_PROMPT;
            case QWEN_CHATML -> QWEN_SYSTEM_PROMPT;
            case YI_CHATML, INST, PLAIN, TINY_NIAH -> null;
        });
    }

    /**
     * This format with another system prompt (Llama-3 and Qwen only); qpos follows from the new header.
     *
     * @throws IllegalArgumentException for a family without a system turn
     */
    public ChatFormat withSystemPrompt(String prompt) {
        if (systemPrompt == null) {
            throw new IllegalArgumentException("the " + family + " chat format has no system prompt to replace");
        }
        return of(family, tokenizer, prompt);
    }

    /** The system prompt in the header, or null for formats without one. */
    public String systemPrompt() {
        return systemPrompt;
    }

    private static ChatFormat of(Family family, Tokenizer tokenizer, String systemPrompt) {
        return switch (family) {
            case LLAMA3 -> {
                require(tokenizer, family, "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
                // Llama-3's template trims message contents, the system prompt's too.
                yield new ChatFormat(family, tokenizer, systemPrompt,
                        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + systemPrompt.strip()
                                + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n",
                        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                        List.of("<|eot_id|>", "<|end_of_text|>"));
            }
            case QWEN_CHATML -> {
                require(tokenizer, family, "<|im_start|>", "<|im_end|>");
                yield new ChatFormat(family, tokenizer, systemPrompt,
                        "<|im_start|>system\n" + systemPrompt + "<|im_end|>\n<|im_start|>user\n",
                        "<|im_end|>\n<|im_start|>assistant\n",
                        List.of("<|im_end|>", "<|endoftext|>"));
            }
            case YI_CHATML -> {
                // Yi chat's template: '<|im_start|>user\n' + content + '<|im_end|>\n<|im_start|>assistant\n'.
                require(tokenizer, family, "<|im_start|>", "<|im_end|>");
                yield new ChatFormat(family, tokenizer, null, "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n",
                        List.of("<|im_end|>", "<|endoftext|>"));
            }
            case INST -> {
                // '<s>[INST] ' + content|trim + ' [/INST]'. The space after [INST] is SentencePiece's
                // dummy prefix of the separately encoded context ("▁Read"), so the header stops before it.
                require(tokenizer, family, "<s>", "</s>");
                yield new ChatFormat(family, tokenizer, null, "<s>[INST]", " [/INST]", List.of("</s>"));
            }
            case PLAIN -> {
                StringBuilder bos = new StringBuilder();
                for (int id : tokenizer.idsBeforeText()) bos.append(tokenizer.token(id).orElseThrow());
                yield new ChatFormat(family, tokenizer, null, bos.toString(), "", List.of());
            }
            case TINY_NIAH -> {
                require(tokenizer, family, "<|bos|>", "<|user|>", "<|assistant|>", "<|eot|>");
                yield new ChatFormat(family, tokenizer, null, "<|bos|><|user|>", "<|assistant|>", List.of("<|eot|>"));
            }
        };
    }

    /**
     * Renders and tokenizes a request.
     *
     * @param contextText  the instruction followed by the long document
     * @param question     the question, asked after the document
     * @param answerPrefix the start of the assistant's answer (may be empty)
     */
    public ApbPrompt render(String contextText, String question, String answerPrefix) {
        if (family == Family.LLAMA3 || family == Family.INST) {
            // Llama-3's and Llama-2's templates trim the user message ("| trim", ".strip()"):
            // leading white space of the document and trailing white space of the question go.
            contextText = contextText.stripLeading();
            question = question.stripTrailing();
        }
        int[] body = tokenizer.encode(contextText);
        int[] context = Arrays.copyOf(headerIds, headerIds.length + body.length);
        System.arraycopy(body, 0, context, headerIds.length, body.length);
        int[] query = tokenizer.encode(question + assistantTurn + answerPrefix);
        return new ApbPrompt(context, query, headerIds.length);
    }

    /** The whole prompt as text (header, context, question, assistant turn, answer prefix), for display and checks. */
    public String renderText(String contextText, String question, String answerPrefix) {
        if (family == Family.LLAMA3 || family == Family.INST) {
            contextText = contextText.stripLeading();
            question = question.stripTrailing();
        }
        return header + (family == Family.INST ? " " : "") + contextText + question + assistantTurn + answerPrefix;
    }

    public Family family() {
        return family;
    }

    /** The chat header text that starts every context. */
    public String header() {
        return header;
    }

    /** The text between the question and the answer prefix (end of the user turn, assistant header). */
    public String assistantTurn() {
        return assistantTurn;
    }

    /**
     * The number of header tokens (APB's qpos): 16 for Llama-3, 24 for Qwen-2.5 (default system
     * prompts), 3 for Yi chat, 4 for Llama-2 [INST], 2 for tiny-niah; plain: 1 where
     * add_special_tokens puts a BOS first (Llama-2, Mistral, Llama-3), else 0 (Qwen, Yi).
     */
    public int qpos() {
        return headerIds.length;
    }

    /** Ids that end the assistant's answer (end of turn, end of text). */
    public int[] stopTokenIds() {
        return stopTokenIds.clone();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    private static boolean has(Tokenizer tokenizer, String... tokens) {
        for (String t : tokens) if (tokenizer.addedTokenId(t).isEmpty()) return false;
        return true;
    }

    private static void require(Tokenizer tokenizer, Family family, String... tokens) {
        for (String t : tokens) {
            OptionalInt id = tokenizer.addedTokenId(t);
            if (id.isEmpty()) {
                throw new IllegalArgumentException("chat format " + family + " needs the special token " + t + ", which "
                        + tokenizer.source() + " does not define; pick the format of this model's family (or \"auto\")");
            }
        }
    }

    @Override
    public String toString() {
        return "ChatFormat[" + family + ", qpos=" + qpos() + "]";
    }
}
