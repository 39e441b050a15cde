package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat formats and qpos of the SentencePiece-style families, with Hugging Face's tokenization of the rendered text as the reference. */
class SentencePieceChatFormatTest {
    private static final String DOCUMENT = "Read the text and answer.\nThe grass is green. The pass key is 71432. Remember it.";
    private static final String QUESTION = "\nWhat is the pass key?";
    private static final String PREFIX = "The pass key is";

    @TempDir
    Path tmp;

    @Test
    void yiChatIsChatMlWithoutSystemTurn() {
        Path dir = SentencePieceFiles.directory("yi-chat", tmp);
        Tokenizer tokenizer = Tokenizer.load(dir);
        ChatFormat format = ChatFormat.forTokenizer(tokenizer);
        assertEquals(ChatFormat.Family.YI_CHATML, format.family());
        ApbPrompt p = format.render(DOCUMENT, QUESTION, PREFIX);
        // Yi chat's template with one user message and the generation prompt.
        String expected = "<|im_start|>user\n" + DOCUMENT + QUESTION + "<|im_end|>\n<|im_start|>assistant\n" + PREFIX;
        assertEquals(expected, format.renderText(DOCUMENT, QUESTION, PREFIX));
        assertEquals(expected, tokenizer.decode(p.full()));
        try (Oracle oracle = new Oracle(dir)) {
            int[] header = oracle.encode("<|im_start|>user\n", false);
            assertArrayEquals(header, p.header());
            assertEquals(header.length, p.qpos());
            assertArrayEquals(oracle.encode(expected.substring(0, expected.indexOf(QUESTION)), false), p.context());
            assertArrayEquals(oracle.encode(expected.substring(expected.indexOf(QUESTION)), false), p.query());
        }
        assertArrayEquals(new int[] {7, 2}, format.stopTokenIds()); // <|im_end|>, <|endoftext|>
    }

    @Test
    void yiBaseIsPlainWithoutBos() {
        Tokenizer yi = Tokenizer.load(SentencePieceFiles.directory("yi", tmp));
        ChatFormat format = ChatFormat.forTokenizer(yi);
        assertEquals(ChatFormat.Family.PLAIN, format.family());
        ApbPrompt p = format.render(DOCUMENT, QUESTION, PREFIX);
        assertEquals(0, p.qpos());
        assertArrayEquals(yi.encode(DOCUMENT), p.context());
        // In the base model's file <|im_start|> is an ordinary vocabulary entry, not an added token.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatFormat.forFamily("yi", yi));
        assertTrue(e.getMessage().contains("<|im_start|>"), e.getMessage());
    }

    @Test
    void llama2BaseIsPlainWithItsBos() {
        Path dir = SentencePieceFiles.directory("llama2", tmp);
        Tokenizer llama2 = Tokenizer.load(dir);
        ChatFormat format = ChatFormat.forTokenizer(llama2);
        assertEquals(ChatFormat.Family.PLAIN, format.family());
        ApbPrompt p = format.render(DOCUMENT, QUESTION, PREFIX);
        assertEquals(1, p.qpos());
        assertEquals("<s>", format.header());
        try (Oracle oracle = new Oracle(dir)) {
            // As tokenizer(document) with add_special_tokens=True.
            assertArrayEquals(oracle.encode(DOCUMENT, true), p.context());
            assertArrayEquals(oracle.encode(QUESTION + PREFIX, false), p.query());
        }
        assertArrayEquals(new int[] {2}, format.stopTokenIds());
    }

    @Test
    void llama2InstMatchesItsTemplate() {
        Path dir = SentencePieceFiles.directory("llama2", tmp);
        Tokenizer llama2 = Tokenizer.load(dir);
        ChatFormat format = ChatFormat.forFamily("llama2", llama2);
        assertEquals(ChatFormat.Family.INST, format.family());
        ApbPrompt p = format.render("  " + DOCUMENT, QUESTION + " \n", PREFIX);
        // Llama-2-chat's template without a system prompt: bos + '[INST] ' + content|trim + ' [/INST]'.
        String expected = "<s>[INST] " + (DOCUMENT + QUESTION).strip() + " [/INST]" + PREFIX;
        assertEquals(expected, format.renderText("  " + DOCUMENT, QUESTION + " \n", PREFIX));
        try (Oracle oracle = new Oracle(dir)) {
            int[] header = oracle.encode("<s>[INST]", false);
            assertArrayEquals(header, p.header());
            assertEquals(4, p.qpos()); // <s> ▁[ INST ]
            // The context as Hugging Face tokenizes the rendered prompt up to the question.
            assertArrayEquals(oracle.encode(expected.substring(0, expected.indexOf(QUESTION.strip()) - 1), false), p.context());
            assertEquals(oracle.decode(p.full(), false), llama2.decode(p.full()));
        }
        assertArrayEquals(new int[] {2}, format.stopTokenIds());
        ChatFormat mistral = ChatFormat.forFamily("mistral", Tokenizer.load(SentencePieceFiles.directory("llama2-metaspace", tmp)));
        assertEquals(4, mistral.qpos(), Arrays.toString(mistral.render(DOCUMENT, QUESTION, PREFIX).header()));
    }
}
