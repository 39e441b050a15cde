package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apbj.examples.cli.Lengths;

/**
 * Generates the suite: for each (task, length, seed) a deterministic set of samples sized with
 * the model's tokenizer, needle depths stratified over the rank blocks.
 */
public final class SuiteGenerator {
    private final Style style;
    private final DepthPlan plan;
    private final LengthFitter fitter;

    public SuiteGenerator(PromptTokens tokens, Style style, int ranks) {
        this.style = style;
        this.plan = new DepthPlan(ranks);
        this.fitter = new LengthFitter(tokens);
    }

    public SampleSet generate(Task task, int length, long seed, int count) {
        if (count < 1) throw new IllegalArgumentException("--samples must be at least 1, got " + count);
        List<Sample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(sample(task, length, seed, i));
        return SampleSet.of(task.id(), length, seed, out);
    }

    public Sample sample(Task task, int length, long seed, int index) {
        SplittableRandom r = Seeds.stream(task.id(), length, seed, index, style, plan.ranks());
        Draft draft = task.draft(style, r.split());
        LengthFitter.Fitted f;
        try {
            f = fitter.fit(draft, length, plan, plan.forSample(index), r.split());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(task.id() + ": " + e.getMessage(), e);
        }
        List<Double> depths = new ArrayList<>();
        for (int t : f.needleTokens()) depths.add((double) t / f.contextTokens());
        Parts p = f.parts();
        return new Sample(task.id() + "-" + Lengths.format(length) + "-" + index, task.id(), p.context(), p.question(),
                p.answerPrefix(), draft.outputs(), task.metric, task.maxNewTokens, f.needleTokens(), depths,
                f.stratum(), f.contextTokens(), f.queryTokens());
    }
}
