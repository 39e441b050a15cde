package org.apbj.kernels.lib;

import org.apbj.kernels.runtime.Grid;

/**
 * Which few-row kernel a projection of 1 to {@link Matvec#MAX_ROWS} rows launches, and how many
 * warps split its k: arithmetic on the shape and the two settings, no device, so that the
 * choice is testable anywhere ({@code KernelOpsChoiceTest}).
 *
 * <p>A memory-bound kernel streams at memory speed only with enough bytes in flight: the
 * unsplit kernels launch one warp per two outputs ({@link Matvec}), which for the 8B decode's o
 * and down products (4096 outputs) is 2048 warps, about 16 per multiprocessor of an H200. Split
 * k multiplies the warps until about {@link #TARGET_WARPS} (62 per multiprocessor), but never so
 * far that a warp streams less than one unrolled chunk: each warp's loads must still fill its
 * registers before it sums.
 */
final class MatvecChoice {
    private MatvecChoice() {}

    /** The split setting that keeps {@link Matvec}'s unsplit kernels for one row. */
    static final int OFF = 0;
    /** The split setting that picks the split per shape ({@link #autoSplit}). */
    static final int AUTO = -1;
    /** Warps the split aims at: about 62 per multiprocessor of a 132-SM H200. */
    static final int TARGET_WARPS = 8192;
    /** The tensor-core setting that keeps every row count on {@link Matvec}. */
    static final int TC_NEVER = Integer.MAX_VALUE;

    /** The three forms of a few-row product. */
    enum Form {
        /** {@link Matvec}'s kernels as they were: a warp per two outputs, all of k. */
        UNSPLIT,
        /** {@link Matvec}'s one-row {@code *Split} kernels. */
        SPLIT,
        /** {@link MatvecTc}. */
        TENSOR_CORES
    }

    /** What one product launches: the form, its split (1 for {@link Form#UNSPLIT}) and grid. */
    record Launch(Form form, int split, Grid grid) {
        /** For benchmark logs: the class and split. */
        String describe() {
            return (form == Form.TENSOR_CORES ? "MatvecTc" : "Matvec") + (form == Form.UNSPLIT ? " unsplit" : " split=" + split);
        }
    }

    /**
     * A plain product ({@link KernelOps#matmul}, {@link KernelOps#matmulBf16Out}) of rows ≤
     * {@link Matvec#MAX_ROWS} rows, n outputs, depth k: tensor cores from {@code tensorCoreRows}
     * rows up, else split for one row unless the split setting is {@link #OFF}, else unsplit.
     */
    static Launch plain(int splitSetting, int tensorCoreRows, int rows, int n, int k) {
        if (rows >= tensorCoreRows) {
            int tiles = tensorCoreTiles(n), split = tensorCoreSplit(splitSetting, tiles, k);
            return new Launch(Form.TENSOR_CORES, split, tensorCoreGrid(tiles, split));
        }
        int pairs = pairs(n);
        if (rows == 1 && splitSetting != OFF) {
            int split = splitOfPairs(splitSetting, pairs, k);
            return new Launch(Form.SPLIT, split, pairGrid(pairs, split));
        }
        return new Launch(Form.UNSPLIT, 1, pairGrid(pairs, 1));
    }

    /**
     * Gate, up and SwiGLU for n outputs ({@link KernelOps#matvecSwiGlu}): tensor cores from
     * {@code tensorCoreRows} rows up, else {@link Matvec#matvecSwiGlu} (a warp per output: the
     * decode's 14336 outputs launch enough warps unsplit).
     */
    static Launch swiGlu(int splitSetting, int tensorCoreRows, int rows, int n, int k) {
        if (rows >= tensorCoreRows) {
            int tiles = tensorCoreSwiGluTiles(n), split = tensorCoreSplit(splitSetting, tiles, k);
            return new Launch(Form.TENSOR_CORES, split, tensorCoreGrid(tiles, split));
        }
        return new Launch(Form.UNSPLIT, 1, Grid.groups((n + Matvec.WARPS - 1) / Matvec.WARPS, Matvec.THREADS));
    }

    /** A decode step's q/k/v + RoPE ({@link KernelOps#matvecQkvRope}) over {@code pairs} rotated pairs of rows. */
    static Launch qkvRope(int splitSetting, int pairs, int k) {
        if (splitSetting == OFF) return new Launch(Form.UNSPLIT, 1, pairGrid(pairs, 1));
        int split = splitOfPairs(splitSetting, pairs, k);
        return new Launch(Form.SPLIT, split, pairGrid(pairs, split));
    }

    /** -D{@value KernelOps#MATVEC_SPLIT_PROPERTY}: {@code off}, {@code auto} or a forced split 1, 2, 4 or 8. */
    static int parseSplit(String asked) {
        if (asked == null) return OFF;
        return switch (asked.trim()) {
            case "off" -> OFF;
            case "auto" -> AUTO;
            case "1" -> 1;
            case "2" -> 2;
            case "4" -> 4;
            case "8" -> 8;
            default -> throw new IllegalArgumentException("-D" + KernelOps.MATVEC_SPLIT_PROPERTY + "=" + asked
                    + ": the few-row products' split of k is 'off', 'auto' or one of 1, 2, 4, 8 (warps of a group)");
        };
    }

    /**
     * -D{@value KernelOps#MATVEC_TC_PROPERTY}: the fewest rows that go to {@link MatvecTc}:
     * {@code false} none, {@code true} 2 and more, {@code all} every row count (the one-row
     * products too, for timing; the fused q/k/v + RoPE kernel stays on {@link Matvec}).
     */
    static int parseTensorCoreRows(String asked) {
        if (asked == null) return TC_NEVER;
        return switch (asked.trim()) {
            case "false" -> TC_NEVER;
            case "true" -> 2;
            case "all" -> 1;
            default -> throw new IllegalArgumentException("-D" + KernelOps.MATVEC_TC_PROPERTY + "=" + asked
                    + ": the few-row tensor-core products are 'false', 'true' (2 to 8 rows) or 'all' (1 to 8 rows)");
        };
    }

    /**
     * The split for a product whose unsplit form launches {@code warps} warps, each over
     * {@code units} units of k (16-byte words, or 32-wide tensor-core steps) that it streams
     * {@code chunk} at a time: the setting when forced, else {@link #autoSplit}.
     */
    static int split(int setting, int warps, int units, int chunk) {
        return setting > 0 ? setting : autoSplit(warps, units, chunk);
    }

    /**
     * The smallest power of two up to {@link Matvec#WARPS} that brings the warps to
     * {@link #TARGET_WARPS}, doubling only while each warp keeps at least one whole chunk.
     */
    static int autoSplit(int warps, int units, int chunk) {
        int split = 1;
        while (split < Matvec.WARPS && (long) warps * split < TARGET_WARPS && units / (2 * split) >= chunk) split *= 2;
        return split;
    }

    /** Split of a one-row {@link Matvec#matvecSplit} of n outputs over k (pairs of rows per warp). */
    static int pairSplit(int setting, int n, int k) {
        return splitOfPairs(setting, pairs(n), k);
    }

    /** Split of a one-row {@link Matvec} split kernel over {@code pairs} warps' worth of row pairs and depth k. */
    private static int splitOfPairs(int setting, int pairs, int k) {
        return split(setting, pairs, k / Matvec.PER_LOAD, 32 * Matvec.UNROLL);
    }

    /** Warps of the unsplit one-row kernel: one per pair of outputs. */
    private static int pairs(int n) { return (n + Matvec.ROWS_PER_WARP - 1) / Matvec.ROWS_PER_WARP; }

    /** Groups of {@link Matvec#matvecSplit} (and of the q/k/v kernel for {@code pairs} pairs) at this split. */
    static Grid pairGrid(int pairs, int split) {
        int perGroup = Matvec.WARPS / split;
        return Grid.groups((pairs + perGroup - 1) / perGroup, Matvec.THREADS);
    }

    /** Split of a {@link MatvecTc} product over {@code tiles} tiles of 16 weight rows and depth k. */
    static int tensorCoreSplit(int setting, int tiles, int k) {
        int steps = (k / Matvec.PER_LOAD + MatvecTc.STEP_WORDS - 1) / MatvecTc.STEP_WORDS;
        return split(setting, tiles, steps, MatvecTc.UNROLL);
    }

    /** Tiles of {@link MatvecTc#matvecTc} for n outputs (16 rows each). */
    static int tensorCoreTiles(int n) { return (n + MatvecTc.TILE_ROWS - 1) / MatvecTc.TILE_ROWS; }

    /** Tiles of {@link MatvecTc#matvecTcSwiGlu} for n outputs (8 gate and 8 up rows each). */
    static int tensorCoreSwiGluTiles(int n) { return (n + MatvecTc.TILE_ROWS / 2 - 1) / (MatvecTc.TILE_ROWS / 2); }

    /** Groups of a {@link MatvecTc} launch at this split. */
    static Grid tensorCoreGrid(int tiles, int split) {
        int perGroup = MatvecTc.WARPS / split;
        return Grid.groups((tiles + perGroup - 1) / perGroup, MatvecTc.THREADS);
    }
}
