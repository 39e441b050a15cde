package org.apbj.parallel.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apbj.parallel.transfer.CommPath;
import org.apbj.parallel.strategy.Method;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.WeightsFormatException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks made before any rank starts, on the embedded tiny model. */
class PreflightTest {
    static Path model;

    @BeforeAll
    static void tiny() {
        for (Path d = Path.of("").toAbsolutePath(); d != null && model == null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("models/tiny-niah"))) model = d.resolve("models/tiny-niah");
        }
    }

    private static RankArgs args(Method m, int contextTokens, Integer anchor, Integer passing, int maxNew, boolean allowLong) {
        int[] context = new int[contextTokens];
        java.util.Arrays.fill(context, 7);
        return new RankArgs(model, model.resolve("retaining_heads.safetensors"), m, List.of(new TokenRequest(context, new int[] {8, 9})),
                null, anchor, passing, 0, maxNew, "java:1", null, null, null, false, allowLong, CommPath.AUTO, true);
    }

    private static String fails(RankArgs a, int ranks) {
        return assertThrows(RuntimeException.class, () -> Preflight.check(a, ranks)).getMessage();
    }

    @Test
    void aGoodJobPassesWellUnderASecond() {
        Preflight.check(args(Method.APB, 400, null, null, 8, false), 4);   // warm
        long t0 = System.nanoTime();
        ModelConfig c = Preflight.check(args(Method.APB, 400, null, null, 8, false), 4);
        double ms = (System.nanoTime() - t0) / 1e6;
        assertEquals(4, c.numLayers());
        assertTrue(ms < 1000, "preflight took " + ms + " ms");
    }

    @Test
    void theSplitAndApbLengthsAreCheckedWithTheFlags() {
        assertTrue(fails(args(Method.APB, 390, null, null, 8, false), 1000).contains("use fewer ranks (--ranks=390 or less)"));
        assertTrue(fails(args(Method.APB, 400, null, 100_000, 8, false), 4).contains("--passing-length"));
        assertTrue(fails(args(Method.STAR, 400, 64, null, 8, false), 4).contains("apply to --method apb only"));
        assertTrue(fails(args(Method.DENSE, 400, null, null, 8, false), 2).contains("use --ranks=1"));
    }

    @Test
    void promptsPastMaxPositionEmbeddingsNeedTheOverride() {
        String m = fails(args(Method.RING, 131_000, null, null, 100, false), 2);
        assertTrue(m.contains("131102 positions") && m.contains("max_position_embeddings = 131072") && m.contains("--allow-long-context"), m);
        Preflight.checkRequests(Preflight.checkModel(model), args(Method.RING, 131_000, null, null, 100, true), 2);
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefused() {
        RankArgs a = new RankArgs(model, null, Method.RING, new int[] {1, 2, 5000}, new int[] {3}, null, null, 0, 4, "java:1", null,
                null, null, false);
        assertTrue(fails(a, 1).contains("token id 5000 at context position 2 is outside the model's vocabulary"));
    }

    @Test
    void devicesAndHeadsAreCheckedBeforeAnyRankStarts(@TempDir Path dir) throws Exception {
        RankArgs java0 = new RankArgs(model, null, Method.RING, new int[] {1, 2, 3, 4}, new int[] {3}, null, null, 0, 4, "java:0",
                null, null, null, false);
        assertTrue(fails(java0, 2).startsWith("--device=java:0: the Java device needs at least 1 thread"));
        Path noHeads = Files.createDirectories(dir.resolve("m"));
        for (String f : List.of("config.json", "model.safetensors")) Files.createSymbolicLink(noHeads.resolve(f), model.resolve(f));
        String apb = assertThrows(IllegalArgumentException.class,
                () -> Preflight.checkSetup(noHeads, null, Method.APB, "auto", 2, null)).getMessage();
        assertTrue(apb.contains("apb needs retaining heads: pass --heads FILE"), apb);
        String weights = assertThrows(WeightsFormatException.class,
                () -> Preflight.checkSetup(model, model.resolve("model.safetensors"), Method.APB, "auto", 2, null)).getMessage();
        assertTrue(weights.startsWith("--heads ") && weights.contains("holds a model's weights"), weights);
    }
}
