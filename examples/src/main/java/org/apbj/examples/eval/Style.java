package org.apbj.examples.eval;

/**
 * Which reference the prompts follow where the references and the tiny-niah training data
 * differ.
 */
public enum Style {
    /**
     * RULER / InfiniteBench as published: RULER's singular-template replacement for one-needle
     * niah, the noise haystack as whole paragraphs joined by newlines.
     */
    REFERENCE,
    /**
     * The format models/tiny-niah was trained on (its README and golden_meta.json): no
     * singular replacement, noise haystack as single sentences joined by spaces.
     */
    TINY_NIAH
}
