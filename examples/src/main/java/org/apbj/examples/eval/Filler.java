package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/** Sources of haystack units: the first m units are the same whatever m is asked for. */
public final class Filler {
    private Filler() {}

    /** RULER's noise paragraph. */
    public static final String NOISE_PARAGRAPH =
            "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    public static final String[] NOISE_SENTENCES =
            {"The grass is green.", "The sky is blue.", "The sun is yellow.", "Here we go.", "There and back again."};

    /** Noise, one sentence per unit, cycling (tiny-niah and InfiniteBench passkey style). */
    public static IntFunction<String> noiseSentences() { return i -> NOISE_SENTENCES[i % NOISE_SENTENCES.length]; }

    /** Noise, the whole paragraph per unit (RULER niah / vt). */
    public static IntFunction<String> noiseParagraphs() { return i -> NOISE_PARAGRAPH; }

    /** Pseudo-essay sentences from their own stream. */
    public static IntFunction<String> essay(SplittableRandom r) {
        return growing(() -> PseudoEssay.sentences(r, 1).getFirst());
    }

    /** Units produced one by one and cached, so unit i never changes. */
    public static <T> IntFunction<T> growing(Supplier<T> next) {
        List<T> cache = new ArrayList<>();
        return i -> {
            while (cache.size() <= i) cache.add(next.get());
            return cache.get(i);
        };
    }
}
