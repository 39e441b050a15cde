package org.apbj.examples.eval;

import java.util.List;

/**
 * A task instance with everything random already drawn except the amount of filler, so that a
 * fitter can size it to a token length and move its needles to chosen depths.
 */
public interface Draft {

    /**
     * The prompt with {@code fillerUnits} units of filler (sentences, paragraphs, list items,
     * JSON pairs ...) and needle i inserted after unit round(needleFractions[i] × fillerUnits).
     */
    Parts build(int fillerUnits, double[] needleFractions);

    /** Needles whose depth the fitter places (0 for tasks without needles: cwe, fwe). */
    int needles();

    /** Index of the needle whose depth is stratified (the one the answer depends on most). */
    default int primaryNeedle() { return 0; }

    /** Initial fractions (the fitter replaces the primary one by the stratum's). */
    double[] initialFractions();

    /** Reference answers. */
    List<String> outputs();

    /** Smallest filler that keeps the task well-formed (e.g. more list items than distinct words). */
    default int minFiller() { return 1; }
}
