package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChatFormatTest {
    private static final String DOCUMENT = "Read the text and answer.\nThe grass is green. The pass key is 71432. Remember it.";
    private static final String QUESTION = "\nWhat is the pass key?";
    private static final String PREFIX = "The pass key is";

    @Test
    void tinyNiahReproducesTheGoldenPromptIds() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(TestFiles.tinyNiah());
        ChatFormat format = ChatFormat.forTokenizer(tokenizer);
        assertEquals(ChatFormat.Family.TINY_NIAH, format.family());
        JsonNode prompt = new ObjectMapper().readTree(TestFiles.tinyNiah().resolve("golden/golden_meta.json").toFile()).path("prompt");
        String contextText = prompt.path("context_text").asText();
        String queryText = prompt.path("query_text").asText();
        assertTrue(contextText.startsWith("<|bos|><|user|>"));
        int split = queryText.indexOf("<|assistant|>");
        ApbPrompt p = format.render(contextText.substring("<|bos|><|user|>".length()), queryText.substring(0, split),
                queryText.substring(split + "<|assistant|>".length()));

        int[] golden = goldenInputIds();
        assertEquals(prompt.path("n_context").asInt(), p.context().length);
        assertEquals(prompt.path("n_query").asInt(), p.query().length);
        assertArrayEquals(Arrays.copyOfRange(golden, 0, 983), p.context());
        assertArrayEquals(Arrays.copyOfRange(golden, 983, 1024), p.query());
        assertArrayEquals(golden, p.full());
        assertEquals(2, p.qpos());
        assertArrayEquals(new int[] {0, 2}, p.header());
        assertArrayEquals(new int[] {1}, format.stopTokenIds());
    }

    /** input_ids of golden/dense_1024.safetensors (I32, little-endian). */
    private static int[] goldenInputIds() throws IOException {
        byte[] file = Files.readAllBytes(TestFiles.tinyNiah().resolve("golden/dense_1024.safetensors"));
        ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buf.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(file, 8, headerLength, StandardCharsets.UTF_8));
        JsonNode ids = header.path("input_ids");
        assertEquals("I32", ids.path("dtype").asText());
        int start = 8 + headerLength + ids.path("data_offsets").get(0).asInt();
        int[] out = new int[ids.path("shape").get(0).asInt()];
        for (int i = 0; i < out.length; i++) out[i] = buf.getInt(start + 4 * i);
        return out;
    }

    @Test
    void llama3HeaderIsSixteenTokensAndMatchesItsTemplate() {
        Tokenizer tokenizer = SharedTokenizers.get("llama3");
        ChatFormat format = ChatFormat.forTokenizer(tokenizer);
        assertEquals(ChatFormat.Family.LLAMA3, format.family());
        ApbPrompt p = format.render("  " + DOCUMENT, QUESTION + "\n ", PREFIX);
        assertEquals(16, p.qpos());
        assertEquals(16, format.qpos());
        // The tokenizer_config.json template: bos + per message '<|start_header_id|>' + role +
        // '<|end_header_id|>\n\n' + content|trim + '<|eot_id|>', then the generation prompt.
        String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n" + (DOCUMENT + QUESTION).strip() + "<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n" + PREFIX;
        assertEquals(expected, format.renderText("  " + DOCUMENT, QUESTION + "\n ", PREFIX));
        assertEquals(expected, tokenizer.decode(p.full()));
        // Header and document tokenized apart give the tokens of the rendered context as a whole
        // (the query is tokenized on its own by design, so its boundary may differ).
        int queryStart = expected.indexOf(QUESTION.stripTrailing());
        assertArrayEquals(tokenizer.encode(expected.substring(0, queryStart)), p.context());
        assertArrayEquals(tokenizer.encode(expected.substring(queryStart)), p.query());
        assertEquals(tokenizer.addedTokenId("<|begin_of_text|>").orElseThrow(), p.context()[0]);
        assertEquals(tokenizer.addedTokenId("<|eot_id|>").orElseThrow(), format.stopTokenIds()[0]);
    }

    @Test
    void qwenHeaderIsTwentyFourTokensAndMatchesItsTemplate() {
        Tokenizer tokenizer = SharedTokenizers.get("qwen2_5");
        ChatFormat format = ChatFormat.forTokenizer(tokenizer);
        assertEquals(ChatFormat.Family.QWEN_CHATML, format.family());
        ApbPrompt p = format.render(DOCUMENT, QUESTION, PREFIX);
        assertEquals(24, p.qpos());
        // Qwen-2.5's template without a system message, with add_generation_prompt.
        String expected = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n" + DOCUMENT + QUESTION + "<|im_end|>\n<|im_start|>assistant\n" + PREFIX;
        assertEquals(expected, format.renderText(DOCUMENT, QUESTION, PREFIX));
        assertEquals(expected, tokenizer.decode(p.full()));
        int queryStart = expected.indexOf(QUESTION);
        assertArrayEquals(tokenizer.encode(expected.substring(0, queryStart)), p.context());
        assertArrayEquals(tokenizer.encode(expected.substring(queryStart)), p.query());
        assertEquals(tokenizer.decode(p.header()), format.header());
        assertEquals(tokenizer.addedTokenId("<|im_end|>").orElseThrow(), format.stopTokenIds()[0]);
    }

    @Test
    void customSystemPromptChangesTheHeaderAndQpos() {
        Tokenizer tokenizer = SharedTokenizers.get("qwen2_5");
        ChatFormat format = ChatFormat.forTokenizer(tokenizer).withSystemPrompt("You are a helpful assistant.");
        ApbPrompt p = format.render(DOCUMENT, QUESTION, PREFIX);
        String header = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n";
        assertEquals(header, tokenizer.decode(p.header()));
        // <|im_start|> system \n You are a helpful assistant . <|im_end|> \n <|im_start|> user \n
        assertEquals(14, p.qpos());
        Tokenizer llama = SharedTokenizers.get("llama3");
        ChatFormat llamaFormat = ChatFormat.forTokenizer(llama).withSystemPrompt("  Be brief. ");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n", llamaFormat.header());
        assertEquals(13, llamaFormat.qpos()); // bos sh system eh \n\n Be brief . eot sh user eh \n\n
        assertThrows(IllegalArgumentException.class,
                () -> ChatFormat.forFamily("plain", tokenizer).withSystemPrompt("x"));
    }

    @Test
    void plainFormatHasNoHeader() {
        Tokenizer tokenizer = SharedTokenizers.get("qwen2_5");
        ChatFormat format = ChatFormat.forFamily("plain", tokenizer);
        ApbPrompt p = format.render(DOCUMENT, QUESTION, PREFIX);
        assertEquals(0, p.qpos());
        assertArrayEquals(tokenizer.encode(DOCUMENT), p.context());
        assertArrayEquals(tokenizer.encode(QUESTION + PREFIX), p.query());
    }

    @Test
    void headerStaysIntactWhenTheDocumentStartsWithNewlines() {
        Tokenizer tokenizer = SharedTokenizers.get("qwen2_5");
        ChatFormat format = ChatFormat.forTokenizer(tokenizer);
        ApbPrompt p = format.render("\n\n" + DOCUMENT, QUESTION, PREFIX);
        assertArrayEquals(tokenizer.encode(format.header()), p.header());
        assertEquals(format.renderText("\n\n" + DOCUMENT, QUESTION, PREFIX), tokenizer.decode(p.full()));
    }

    @Test
    void formatNeedingMissingTokensIsRefused() {
        Tokenizer tiny = Tokenizer.load(TestFiles.tinyNiah());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatFormat.forFamily("llama3", tiny));
        assertTrue(e.getMessage().contains("<|begin_of_text|>"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChatFormat.forFamily("mistral", tiny));
        assertEquals(ChatFormat.Family.TINY_NIAH, ChatFormat.forFamily("auto", tiny).family());
    }
}
