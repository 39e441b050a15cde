package org.apbj.tokenizer;

import java.util.List;
import java.util.Random;

/**
 * Random test strings that stress byte-level BPE tokenizers: words in several scripts, digit
 * runs, runs of every kind of white space, contractions in odd cases, punctuation, combining
 * marks (NFC), emoji sequences, fragments of special tokens, and random code points. Code
 * points come only from blocks assigned long ago (Unicode 6 or earlier), so the reference's
 * older Unicode tables classify them as Java's do.
 */
final class RandomText {
    private static final String[] WORDS = {"the", "The", "of", "and", "needle", "haystack", "magic", "number", "is",
            "hidden", "within", "following", "text", "Hello", "world", "tokenizer", "LLaMA", "Qwen", "APB", "attention",
            "don", "isn", "we", "You", "I", "ABC", "aBc", "x", "supercalifragilistic", "naïve", "café", "Straße",
            "привет", "мир", "Ελληνικά", "مرحبا", "שלום", "नमस्ते", "สวัสดี", "你好", "世界", "こんにちは", "カタカナ", "안녕하세요",
            "Äpfel", "ÉCOLE", "ǅemal", "ﬁnance", "𝐀𝐁𝐂", "𠀀𠀁"};
    private static final String[] CONTRACTIONS = {"'s", "'S", "'t", "'T", "'re", "'RE", "'rE", "'ve", "'Ve", "'m", "'M",
            "'ll", "'LL", "'lL", "'d", "'D", "'ſ", "'K", "’s", "'"};
    private static final char[] SPACES = {' ', ' ', ' ', '\t', '\n', '\n', '\r', '\u000B', '\u000C', '\u0085', '\u00A0',
            '\u1680', '\u2000', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000', '\u200B', '\u180E',
            '\u001C', '\u001F'};
    private static final String PUNCTUATION = ".,;:!?-()[]{}\"'/\\@#$%^&*_+=<>|~`…—–«»¿¡§°±×÷€£¥©®™";
    private static final String[] EMOJI = {"😀", "👍", "👍🏽", "👨‍👩‍👧", "🇺🇸", "❤️", "🤖", "🦙", "✅", "☃", "🧪🧬"};
    private static final String[] COMBINING = {"e\u0301", "a\u0308", "n\u0303", "A\u030A", "\u1100\u1161", "o\u0302\u0323",
            "\u0915\u093F", "c\u0327"};
    /** [first, last] code point ranges of long-assigned blocks. */
    private static final int[][] RANGES = {{0x21, 0x7E}, {0xA1, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x5D0, 0x5EA},
            {0x620, 0x64A}, {0x660, 0x669}, {0x900, 0x97F}, {0xE01, 0xE3A}, {0x1E00, 0x1EFF}, {0x2070, 0x209C},
            {0x2150, 0x218B}, {0x2460, 0x24FF}, {0x3041, 0x3096}, {0x30A1, 0x30FA}, {0x4E00, 0x9FCB}, {0xAC00, 0xD7A3},
            {0xFF01, 0xFF5E}, {0x1D400, 0x1D6A5}, {0x1F300, 0x1F5FF}, {0x20000, 0x2A6D6}};

    /** What SentencePiece-style tokenizers treat specially: the meta space, byte-token lookalikes, leading spaces. */
    private static final String[] SENTENCE_PIECE_EXTRAS = {"\u2581", "\u2581\u2581", " \u2581", "\u2581 ", "<0x41>", "<0xE4>",
            "<0x0A>", "<0x+F>", "<un", " ", "  ", "   ", "\n ", " \n", "\u0000", "\uFFFD", "\u00FF", "\uD83D\uDE00\uD83D\uDE00",
            "\u4E2D\u6587", "\u0F00", "\u16A0", "\u2C00", "\uA000", "\uD800\uDF00"};

    private final Random random;
    private final List<String> specialTokens;
    private final boolean sentencePiece;

    RandomText(long seed, List<String> specialTokens) {
        this(seed, specialTokens, false);
    }

    /** @param sentencePiece also mix in SENTENCE_PIECE_EXTRAS (rare scripts for byte fallback, "▁", byte-token lookalikes) */
    RandomText(long seed, List<String> specialTokens, boolean sentencePiece) {
        this.random = new Random(seed);
        this.specialTokens = specialTokens;
        this.sentencePiece = sentencePiece;
    }

    /** A string of up to about {@code maxParts} random parts; special tokens only when allowed. */
    String next(int maxParts, boolean withSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        int parts = 1 + random.nextInt(maxParts);
        for (int i = 0; i < parts; i++) {
            if (sentencePiece && random.nextInt(6) == 0) {
                sb.append(pick(SENTENCE_PIECE_EXTRAS));
                continue;
            }
            int kind = random.nextInt(withSpecialTokens ? 13 : 12);
            switch (kind) {
                case 0, 1, 2 -> {
                    if (random.nextInt(3) > 0) sb.append(' ');
                    sb.append(pick(WORDS));
                }
                case 3 -> {
                    int n = 1 + random.nextInt(12);
                    for (int k = 0; k < n; k++) sb.append((char) ('0' + random.nextInt(10)));
                }
                case 4 -> {
                    int n = 1 + random.nextInt(random.nextInt(4) == 0 ? 40 : 4);
                    for (int k = 0; k < n; k++) sb.append(SPACES[random.nextInt(SPACES.length)]);
                }
                case 5 -> sb.append(pick(CONTRACTIONS));
                case 6 -> {
                    int n = 1 + random.nextInt(4);
                    for (int k = 0; k < n; k++) sb.append(PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length())));
                }
                case 7 -> sb.append(pick(EMOJI));
                case 8 -> sb.append(pick(COMBINING));
                case 9 -> {
                    int n = 1 + random.nextInt(6);
                    for (int k = 0; k < n; k++) sb.appendCodePoint(randomCodePoint());
                }
                case 10 -> {
                    // a run of one character, to exercise long pieces
                    char c = random.nextBoolean() ? ' ' : "a0.-\n=".charAt(random.nextInt(6));
                    sb.append(String.valueOf(c).repeat(2 + random.nextInt(random.nextInt(5) == 0 ? 300 : 20)));
                }
                case 11 -> {
                    // the start of a special token, which must stay text
                    if (!specialTokens.isEmpty()) {
                        String t = pick(specialTokens.toArray(String[]::new));
                        sb.append(t, 0, 1 + random.nextInt(t.length() - 1));
                    } else {
                        sb.append("<|");
                    }
                }
                default -> sb.append(pick(specialTokens.toArray(String[]::new)));
            }
        }
        return sb.toString();
    }

    private int randomCodePoint() {
        int[] range = RANGES[random.nextInt(RANGES.length)];
        while (true) {
            int cp = range[0] + random.nextInt(range[1] - range[0] + 1);
            int type = Character.getType(cp);
            if (type != Character.UNASSIGNED && type != Character.SURROGATE && type != Character.PRIVATE_USE) return cp;
        }
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    Random random() {
        return random;
    }
}
