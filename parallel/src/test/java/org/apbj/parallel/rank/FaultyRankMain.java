package org.apbj.parallel.rank;

import java.util.Arrays;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.RankHooks;
import org.apbj.parallel.RankMain;

/**
 * RankMain with a fault on rank 1. First argument: "throw" (rank 1 fails in layer 1), "hang"
 * (rank 1 stops in layer 1, for a test to kill it) or "mismatch" (rank 1 runs another method);
 * the rest are RankMain's arguments.
 */
public final class FaultyRankMain {
    public static void main(String[] args) {
        // MPJ's own arguments come first; our mode is the first application argument
        RankMain.runRank(args, new RankHooks() {
            private String mode = "";

            @Override
            public String[] arguments(int rank, String[] appArgs) {
                mode = appArgs[0];
                String[] rest = Arrays.copyOfRange(appArgs, 1, appArgs.length);
                if (mode.equals("mismatch") && rank == 1) {
                    return Arrays.stream(rest).map(a -> a.startsWith("--method=") ? "--method=star" : a).toArray(String[]::new);
                }
                return rest;
            }

            @Override
            public LayerSteps layerSteps(int rank, LayerSteps steps) {
                if (rank != 1) return steps;
                return switch (mode) {
                    case "throw" -> new FailingLayerSteps(steps, 1);
                    case "hang" -> new FailingLayerSteps(steps, 1, true);
                    default -> steps;
                };
            }
        });
    }
}
