package org.apbj.kernels.jit.front;

import java.util.List;

/**
 * A basic block's start in one copy of a method's body: the instruction index and, inside loops
 * that are being unrolled ({@code @Unroll}), the iteration of each of them, outermost first.
 * Without unrolling every site has the empty iteration list, one site per block.
 */
record Site(int index, List<Integer> iterations) implements Comparable<Site> {
    static Site of(int index) { return new Site(index, List.of()); }

    @Override
    public int compareTo(Site o) {
        if (index != o.index) return Integer.compare(index, o.index);
        for (int k = 0; k < Math.min(iterations.size(), o.iterations.size()); k++) {
            int c = Integer.compare(iterations.get(k), o.iterations.get(k));
            if (c != 0) return c;
        }
        return Integer.compare(iterations.size(), o.iterations.size());
    }

    /** Label suffix: "" outside unrolled loops, "_u2_0" for iteration 2 of the outer, 0 of the inner. */
    String suffix() {
        StringBuilder sb = new StringBuilder();
        for (int i : iterations) sb.append(sb.isEmpty() ? "_u" : "_").append(i);
        return sb.toString();
    }
}
