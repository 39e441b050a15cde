package org.apbj.parallel.plan;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class PlanningTest {

    @Test
    void splitCoversTheContextWithPaddingOnTheLastRankOnly() {
        Random rnd = new Random(TestSeed.next());
        for (int trial = 0; trial < 200; trial++) {
            int hosts = 1 + rnd.nextInt(8);
            int n = hosts * hosts + rnd.nextInt(500);
            int[] ctx = rnd.ints(n, 5, 1000).toArray();
            ContextSplit s = ContextSplit.of(n, hosts);
            assertEquals(0, s.paddedLength() % hosts);
            assertTrue(s.padding() < hosts && s.padding() < s.blockSize());
            int[] joined = new int[s.paddedLength()];
            for (int r = 0; r < hosts; r++) {
                System.arraycopy(s.block(ctx, r, -7), 0, joined, r * s.blockSize(), s.blockSize());
                int[] pos = s.positions(r);
                for (int i = 0; i < pos.length; i++) assertEquals(r * s.blockSize() + i, pos[i]);
                assertEquals(r == hosts - 1 ? s.blockSize() - s.padding() : s.blockSize(), s.realLength(r));
            }
            for (int i = 0; i < n; i++) assertEquals(ctx[i], joined[i]);
            for (int i = n; i < joined.length; i++) assertEquals(-7, joined[i]);
        }
    }

    @Test
    void splitsThatWouldPadMoreThanTheLastBlockAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> ContextSplit.of(5, 4));
        assertTrue(e.getMessage().contains("use fewer ranks"), e.getMessage());
        assertEquals(2, ContextSplit.of(10, 4).padding());
    }

    @ParameterizedTest(name = "n={0} H=8: l_a={1}, l_p={2}")
    @CsvSource({"32768,1024,512", "65536,2048,1024", "131072,4096,2048", "262144,8192,4096", "524288,8192,8192"})
    void defaultRuleReproducesThePapersTable(int n, int la, int lp) {
        ApbLengths l = ApbLengths.defaults(n / 8, 16, 100);
        assertEquals(new ApbLengths(la, lp), l);
    }

    @Test
    void defaultsRoundToTilesAndMakeRoomForHeaderAndQuery() {
        assertEquals(new ApbLengths(64, 32), ApbLengths.defaults(270, 2, 10));      // 67 -> 64, 33 -> 32
        assertEquals(new ApbLengths(43, 12), ApbLengths.defaults(100, 2, 41));      // raised to hold 2 + 41
        assertEquals(new ApbLengths(24, 3), ApbLengths.defaults(24, 0, 24));
        assertEquals(new ApbLengths(5, 0), ApbLengths.resolve(5, 0, 40, 1, 3, 100));
        var e = assertThrows(IllegalArgumentException.class, () -> ApbLengths.resolve(10, null, 100, 2, 41, 400));
        assertTrue(e.getMessage().contains("choose l_a >= 43"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> ApbLengths.resolve(null, 101, 100, 2, 41, 400));
        assertTrue(e2.getMessage().contains("choose l_p <= 100"), e2.getMessage());
    }

    @Test
    void apbAnchorIsHeaderThenQueryThenContextAtPositionsFromZero() {
        int[] ctx = new int[40];
        for (int i = 0; i < ctx.length; i++) ctx[i] = 100 + i;
        int[] query = {7, 8, 9};
        ContextSplit split = ContextSplit.of(ctx.length, 3);   // B = 14, padding 2
        ApbLengths lengths = new ApbLengths(8, 4);
        RankPlan r0 = PrefillPlanner.apb(ctx, query, 2, split, lengths, 0, -1);
        assertEquals(0, r0.anchorLength());
        assertEquals(0, r0.passingRows());
        assertEquals(8, r0.selectionExcludeFirst());
        assertTrue(r0.sendsPassingBlock());

        RankPlan r2 = PrefillPlanner.apb(ctx, query, 2, split, lengths, 2, -1);
        assertArrayEquals(new int[] {100, 101, 7, 8, 9, 102, 103, 104}, r2.anchorTokens());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, r2.anchorPositions());
        assertArrayEquals(new int[] {128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, -1, -1}, r2.blockTokens());
        assertEquals(28, r2.blockPositions()[0]);
        assertEquals(12, r2.realBlockLength());
        assertEquals(8, r2.passingRows());
        assertEquals(1, r2.sourceRankOfPassingRow(5));
        assertEquals(16, r2.selectionExcludeFirst());
        assertEquals(8 + 14, r2.queryRows());
        assertEquals(28 + 3, r2.globalPositionOfScoreRow(8 + 3));
        assertTrue(!r2.sendsPassingBlock());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 28, 29}, java.util.Arrays.copyOf(r2.rowPositions(), 10));
    }

    @Test
    void starAnchorIsTheFirstBlockWithoutPassing() {
        int[] ctx = new Random(TestSeed.next()).ints(30, 0, 50).toArray();
        ContextSplit split = ContextSplit.of(30, 3);
        RankPlan r1 = PrefillPlanner.star(ctx, split, 1, 0);
        assertArrayEquals(java.util.Arrays.copyOf(ctx, 10), r1.anchorTokens());
        assertArrayEquals(PrefillPlanner.range(0, 10), r1.anchorPositions());
        assertEquals(0, r1.passingRows());
        assertTrue(!r1.sendsPassingBlock());
        assertEquals(0, PrefillPlanner.star(ctx, split, 0, 0).anchorLength());
    }
}
