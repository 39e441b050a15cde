package org.apbj.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translates the regular expressions of tokenizer.json (written for Oniguruma, which Hugging
 * Face tokenizers uses) into java.util.regex patterns with the same matches.
 *
 * <p>Both engines are backtracking with leftmost-first alternation, so the structure carries
 * over unchanged; what differs is the meaning of some shorthand classes on Unicode text:
 * <ul>
 *   <li>{@code \s}: Oniguruma (UTF-8) matches Unicode White_Space (tab..CR, space, U+0085, U+00A0,
 *       U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); Java's {@code \s} is
 *       ASCII only. It is spelled out as an explicit class.</li>
 *   <li>{@code \d} and {@code \w} are Unicode classes in Oniguruma, ASCII in Java: spelled out
 *       with Unicode categories.</li>
 *   <li>{@code \h} is a hexadecimal digit in Oniguruma but horizontal space in Java: rejected.</li>
 * </ul>
 * {@code \p{L}}, {@code \p{N}} mean the same general categories in both (by each one's Unicode
 * version). Case-insensitive groups fold Unicode case in Oniguruma: {@code (?i:'s)} also matches
 * {@code 'ſ} (U+017F, long s), so patterns are compiled with {@link Pattern#UNICODE_CASE}
 * (checked against the reference in the tests).
 */
final class OnigurumaPatterns {
    /** Unicode White_Space, as a character-class body. */
    static final String WHITE_SPACE =
            "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
    private static final String DIGIT = "\\p{Nd}";
    private static final String WORD = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";

    private OnigurumaPatterns() {}

    static Pattern compile(String onigurumaRegex) {
        String java = toJava(onigurumaRegex);
        try {
            return Pattern.compile(java, Pattern.UNICODE_CASE);
        } catch (PatternSyntaxException e) {
            throw new TokenizerFormatException("pre-tokenizer regex " + quote(onigurumaRegex)
                    + " could not be translated to Java (as " + quote(java) + "): " + e.getDescription(), e);
        }
    }

    static String toJava(String regex) {
        StringBuilder out = new StringBuilder(regex.length() + 64);
        int classDepth = 0;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char e = regex.charAt(++i);
                boolean inClass = classDepth > 0;
                switch (e) {
                    case 's' -> out.append(inClass ? WHITE_SPACE : "[" + WHITE_SPACE + "]");
                    case 'd' -> out.append(inClass ? DIGIT : "[" + DIGIT + "]");
                    case 'w' -> out.append(inClass ? WORD : "[" + WORD + "]");
                    case 'S', 'D', 'W' -> {
                        if (inClass) {
                            throw new TokenizerFormatException("pre-tokenizer regex " + quote(regex)
                                    + " uses \\" + e + " inside a character class, which this translator does not"
                                    + " support; rewrite the class with an explicit negated set");
                        }
                        String body = e == 'S' ? WHITE_SPACE : e == 'D' ? DIGIT : WORD;
                        out.append("[^").append(body).append(']');
                    }
                    case 'h', 'H' -> throw new TokenizerFormatException("pre-tokenizer regex " + quote(regex)
                            + " uses \\" + e + ", which means a hexadecimal digit in Oniguruma but horizontal"
                            + " space in Java; write [0-9a-fA-F] instead");
                    default -> out.append('\\').append(e);
                }
            } else {
                if (c == '[') {
                    classDepth++;
                    out.append(c);
                    // A ']' right after '[' or '[^' is a literal in both dialects.
                    if (i + 1 < regex.length() && regex.charAt(i + 1) == '^') out.append(regex.charAt(++i));
                    if (i + 1 < regex.length() && regex.charAt(i + 1) == ']') {
                        out.append("\\]");
                        i++;
                    }
                    continue;
                }
                if (c == ']' && classDepth > 0) classDepth--;
                out.append(c);
            }
        }
        return out.toString();
    }

    static boolean isWhiteSpace(int codePoint) {
        return switch (codePoint) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> codePoint >= 0x2000 && codePoint <= 0x200A;
        };
    }

    private static String quote(String s) {
        return '"' + s.replace("\n", "\\n") + '"';
    }
}
