package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Sizes a {@link Draft} to a token length with the model's tokenizer and moves its primary needle
 * to a stratified depth. Length = formatted context + formatted query tokens (as tiny-niah's
 * README counts it). The filler amount is found by interpolation search (the token count grows
 * almost linearly with it) and the closest count wins, so the result is within
 * {@link #TOLERANCE} of the target unless one filler unit alone is larger than that.
 */
public final class LengthFitter {
    public static final double TOLERANCE = 0.01;
    private static final int MAX_PLACEMENT_ROUNDS = 8;

    private final PromptTokens tokens;

    public LengthFitter(PromptTokens tokens) {
        this.tokens = tokens;
    }

    /**
     * @param fillerUnits    how much filler the fitted prompt holds
     * @param needleTokens   per needle, token index of its start in the formatted context
     * @param needleLengths  per needle, its length in tokens
     * @param stratum        where the primary needle actually landed ("" without needles)
     */
    public record Fitted(Parts parts, int fillerUnits, int contextTokens, int queryTokens,
                         List<Integer> needleTokens, List<Integer> needleLengths, String stratum) {
        public int total() { return contextTokens + queryTokens; }
    }

    private record Measured(Parts parts, int m, int context, int query) {
        int total() { return context + query; }
    }

    private Measured measure(Draft d, int m, double[] fractions) {
        Parts p = d.build(m, fractions);
        return new Measured(p, m, tokens.contextTokens(p.context()), tokens.queryTokens(p.question(), p.answerPrefix()));
    }

    public Fitted fit(Draft d, int target, DepthPlan plan, DepthPlan.Stratum stratum, SplittableRandom r) {
        double[] fr = d.initialFractions();
        int primary = d.primaryNeedle();
        if (d.needles() > 0) fr[primary] = plan.approximateFraction(stratum);

        Measured base = measure(d, d.minFiller(), fr);
        Measured lo = base;
        if (lo.total() > target) {
            throw new IllegalArgumentException("a " + target + "-token prompt is too short for this task: its smallest"
                    + " prompt has " + lo.total() + " tokens; ask for a length of at least " + lo.total() + " (--length, --lengths)");
        }
        // Grow until past the target, extrapolating from the slope seen so far.
        Measured hi = measure(d, lo.m() + 16, fr);
        while (hi.total() <= target) {
            double slope = Math.max(1e-3, (double) (hi.total() - lo.total()) / (hi.m() - lo.m()));
            int next = hi.m() + Math.max(16, (int) Math.ceil((target - hi.total()) / slope * 1.05) + 1);
            lo = hi;
            hi = measure(d, next, fr);
        }
        // Interpolation search, alternating with bisection so it always halves in two steps.
        boolean bisect = false;
        while (hi.m() - lo.m() > 1) {
            int guess;
            if (bisect) {
                guess = (lo.m() + hi.m()) >>> 1;
            } else {
                double f = (double) (target - lo.total()) / Math.max(1, hi.total() - lo.total());
                guess = lo.m() + (int) Math.round(f * (hi.m() - lo.m()));
            }
            guess = Math.max(lo.m() + 1, Math.min(hi.m() - 1, guess));
            Measured g = measure(d, guess, fr);
            if (g.total() <= target) lo = g; else hi = g;
            bisect = !bisect;
        }
        Measured best = target - lo.total() <= hi.total() - target ? lo : hi;
        double slope = Math.max(1e-3, (double) (hi.total() - base.total()) / Math.max(1, hi.m() - base.m()));

        if (d.needles() == 0) {
            return new Fitted(best.parts(), best.m(), best.context(), best.query(), List.of(), List.of(), "");
        }
        // Move the primary needle to its stratum's token position.
        int needleLen = tokensOf(best.parts(), primary);
        int want = plan.targetStart(stratum, best.context(), needleLen, r);
        for (int round = 0; round < MAX_PLACEMENT_ROUNDS; round++) {
            int at = tokenStart(best.parts(), primary);
            if (Math.abs(at - want) <= Math.max(1, slope / 2)) break;
            fr[primary] = Math.max(0, Math.min(1, fr[primary] + (want - at) / (slope * best.m())));
            best = measure(d, best.m(), fr);
        }
        List<Integer> starts = new ArrayList<>(), lengths = new ArrayList<>();
        for (int i = 0; i < d.needles(); i++) {
            starts.add(tokenStart(best.parts(), i));
            lengths.add(tokensOf(best.parts(), i));
        }
        String landed = landedStratum(plan, best.context(), starts.get(primary), lengths.get(primary));
        return new Fitted(best.parts(), best.m(), best.context(), best.query(), starts, lengths, landed);
    }

    /**
     * Token index in the formatted context where needle i starts: the white space before a needle
     * merges into its first token (" The"), so the prefix is counted without it.
     */
    private int tokenStart(Parts p, int i) {
        return tokens.contextTokens(p.context().substring(0, p.needleStarts().get(i)).stripTrailing());
    }

    private int tokensOf(Parts p, int i) {
        return tokens.textTokens(p.context().substring(p.needleStarts().get(i), p.needleEnds().get(i)));
    }

    /** The block the needle lies in, or the boundary it crosses. */
    static String landedStratum(DepthPlan plan, int contextTokens, int start, int length) {
        int block = (contextTokens + plan.ranks() - 1) / plan.ranks();
        int first = Math.min(plan.ranks() - 1, start / block);
        int last = Math.min(plan.ranks() - 1, (start + Math.max(1, length) - 1) / block);
        return first == last ? new DepthPlan.Stratum(first, false).label() : new DepthPlan.Stratum(last, true).label();
    }
}
