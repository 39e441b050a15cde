package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Token-by-token decoding concatenates to the whole decode, for random ids and for encoded multilingual text. */
class StreamingDecoderTest {
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "tiny-niah", "llama2", "yi", "llama2-metaspace-old", "small-llama2"})
    void piecesConcatenateToTheWholeDecode(String name) {
        Tokenizer tokenizer = switch (name) {
            case "tiny-niah" -> Tokenizer.load(TestFiles.tinyNiah());
            case "llama3" -> SharedTokenizers.get(name);
            default -> Tokenizer.load(SentencePieceFiles.directory(name, tmp));
        };
        Random random = new Random(3);
        RandomText text = new RandomText(4, java.util.List.of(), !name.equals("llama3") && !name.equals("tiny-niah"));
        for (int i = 0; i < 2000; i++) {
            int[] ids;
            if (i % 2 == 0) {
                ids = tokenizer.encode(text.next(10, false));
            } else {
                ids = new int[1 + random.nextInt(12)];
                // low ids are single bytes: lone lead and continuation bytes
                for (int k = 0; k < ids.length; k++) ids[k] = random.nextInt(random.nextBoolean() ? 256 : tokenizer.vocabSize());
            }
            boolean skip = random.nextBoolean();
            StreamingDecoder decoder = new StreamingDecoder(tokenizer, skip);
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) streamed.append(decoder.push(id));
            streamed.append(decoder.finish());
            int[] shown = ids;
            assertEquals(tokenizer.decode(ids, skip), streamed.toString(), () -> java.util.Arrays.toString(shown));
        }
    }

    @org.junit.jupiter.api.Test
    void holdsBackOnlyUnfinishedCharacters() {
        assertEquals(0, ByteLevelDecoder.incompleteTail(new byte[] {'a'}));
        assertEquals(1, ByteLevelDecoder.incompleteTail(new byte[] {'a', (byte) 0xE2}));
        assertEquals(2, ByteLevelDecoder.incompleteTail(new byte[] {(byte) 0xE2, (byte) 0x82}));
        assertEquals(0, ByteLevelDecoder.incompleteTail(new byte[] {(byte) 0xE2, (byte) 0x82, (byte) 0xAC}));
        assertEquals(3, ByteLevelDecoder.incompleteTail(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}));
        assertEquals(0, ByteLevelDecoder.incompleteTail(new byte[] {(byte) 0xE0, (byte) 0x80})); // overlong: already an error
        assertEquals(0, ByteLevelDecoder.incompleteTail(new byte[] {(byte) 0x80}));
        assertEquals(0, ByteLevelDecoder.incompleteTail(new byte[] {(byte) 0xC0}));
    }
}
