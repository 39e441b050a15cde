package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Stratified needle depths over APB's rank blocks. The context of n tokens is cut into H blocks
 * of B = ceil(n / H) tokens (APB pads the last); the strata are the inside of every block and
 * every boundary between two blocks, in the order block 0, boundary 0|1, block 1, ..., block
 * H-1, and sample i uses stratum i mod (2H - 1). So each rank's block and each boundary get
 * cases as soon as there are 2H - 1 samples.
 */
public record DepthPlan(int ranks) {
    public DepthPlan {
        if (ranks < 1) throw new IllegalArgumentException("ranks must be at least 1, got " + ranks);
    }

    public record Stratum(int block, boolean boundary) {
        public String label() { return boundary ? "boundary " + (block - 1) + "|" + block : "block " + block; }
    }

    public List<Stratum> strata() {
        List<Stratum> out = new ArrayList<>();
        for (int b = 0; b < ranks; b++) {
            if (b > 0) out.add(new Stratum(b, true));
            out.add(new Stratum(b, false));
        }
        return out;
    }

    public Stratum forSample(int index) {
        List<Stratum> s = strata();
        return s.get(Math.floorMod(index, s.size()));
    }

    /** Rough fraction of the context for a first placement, before token positions are known. */
    public double approximateFraction(Stratum s) {
        return s.boundary() ? (double) s.block() / ranks : (s.block() + 0.5) / ranks;
    }

    /**
     * Token index where a needle of {@code needleTokens} tokens should start in a context of
     * {@code n} tokens: inside a block, uniformly in its middle 60%; on a boundary, so that the
     * needle straddles it (at least one token on each side).
     */
    public int targetStart(Stratum s, int n, int needleTokens, SplittableRandom r) {
        int block = (n + ranks - 1) / ranks;
        int len = Math.max(2, needleTokens);
        if (s.boundary()) {
            int boundary = s.block() * block;
            return boundary - 1 - r.nextInt(len - 1);  // [boundary - len + 1, boundary - 1]
        }
        int lo = s.block() * block + (int) (0.2 * block);
        int hi = Math.max(lo + 1, s.block() * block + (int) (0.8 * block) - len);
        return lo + r.nextInt(hi - lo);
    }
}
