package org.apbj.examples.eval.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apbj.examples.eval.Draft;
import org.apbj.examples.eval.Filler;
import org.apbj.examples.eval.Parts;
import org.apbj.examples.eval.Style;
import org.apbj.examples.eval.Values;
import org.apbj.examples.eval.Weave;

/**
 * InfiniteBench passkey and number_string: one needle "The pass key is N. Remember it. N is the
 * pass key." in repeated noise sentences joined by spaces. Keys are digit strings that may
 * start with 0 (5 digits for passkey, 10 for number_string); InfiniteBench compares the first
 * digit run as a string, so the zero must be predicted too.
 */
public final class RepeatedNeedleDraft implements Draft {

    public enum Kind {
        PASSKEY(5, "pass key", "What is the pass key?", "The pass key is",
                "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there."),
        NUMBER_STRING(10, "sequence of digits", "What is the sequence number?", "The sequence of digits is",
                "There is an important info hidden inside a lot of irrelevant text. Find it. I will quiz you about the important information there.");

        final int digits;
        final String noun, question, answerPrefix, instruction;

        Kind(int digits, String noun, String question, String answerPrefix, String instruction) {
            this.digits = digits;
            this.noun = noun;
            this.question = question;
            this.answerPrefix = answerPrefix;
            this.instruction = instruction;
        }
    }

    /** tiny-niah's trained passkey instruction ("memorize it", one line before the haystack). */
    static final String TINY_INSTRUCTION =
            "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there.";

    private final Style style;
    private final Kind kind;
    private final String key;
    private final double fraction;

    public RepeatedNeedleDraft(Style style, Kind kind, SplittableRandom r) {
        this.style = style;
        this.kind = kind;
        this.key = Values.digits(r, kind.digits);
        this.fraction = r.nextDouble();
    }

    public String key() { return key; }

    String needle() {
        return "The " + kind.noun + " is " + key + ". Remember it. " + key + " is the " + kind.noun + ".";
    }

    @Override
    public Parts build(int fillerUnits, double[] needleFractions) {
        String head;
        String question;
        if (style == Style.TINY_NIAH) {
            // Same layout as tiny-niah's niah prompts: instruction line, then " " + sentences.
            head = (kind == Kind.PASSKEY ? TINY_INSTRUCTION : kind.instruction) + "\n";
            question = "\n" + kind.question;
        } else {
            // InfiniteBench: template "{instruction}\n\n{context}\n\n{input}"; its data's context
            // itself starts with the instruction sentence again.
            head = kind.instruction + "\n\n" + kind.instruction + " ";
            question = "\n\n" + kind.question;
        }
        Weave.Woven w = Weave.weave(Filler.noiseSentences(), fillerUnits, List.of(needle()), needleFractions,
                style == Style.TINY_NIAH ? " " : "", " ");
        return Parts.of(head, w, "", question, kind.answerPrefix);
    }

    @Override public int needles() { return 1; }
    @Override public double[] initialFractions() { return new double[] {fraction}; }
    @Override public List<String> outputs() { return List.of(key); }
}
