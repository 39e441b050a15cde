package org.apbj.parallel.strategy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.comm.InProcessRanks;

/**
 * Runs one method on H in-process ranks and collects, by global position, the hidden states of
 * every real row after every layer (prefill and query), the APB selections, and the answer.
 */
final class RankRun {

    /** Hidden state rows keyed by "phase/layer" then global position; selections keyed by "rank/layer". */
    final Map<String, Map<Integer, float[]>> hidden = new ConcurrentHashMap<>();
    final Map<String, int[][]> selections = new ConcurrentHashMap<>();
    List<Answer> answers;
    Method method;
    /** Whether the ranks' devices have wgmma, where the model feeds its GEMMs bf16 activations (rows > 8). */
    volatile boolean bf16Activations;

    static RankRun run(Method method, int hosts, int[] context, int[] query, StrategyOptions options, int maxTokens,
                       Function<Communicator, LayerSteps> stepsPerRank) {
        RankRun run = new RankRun();
        run.method = method;
        run.answers = InProcessRanks.run(hosts, Duration.ofSeconds(120), comm -> {
            LayerSteps steps = stepsPerRank.apply(comm);
            try (var closeDevice = steps.device();
                 AutoCloseable closeSteps = steps instanceof AutoCloseable c ? c : () -> {}) {
            int hidden = steps.config().hiddenSize();
            if (steps.device().capabilities().warpGroupMma()) run.bf16Activations = true;
            LayerObserver observer = new LayerObserver() {
                @Override
                public void afterLayer(Phase phase, int layer, F32Array x, int firstRow, int rows, int firstPosition) {
                    // phase 2 runs on every rank with identical results: keep the last rank's
                    if (phase != Phase.PREFILL && !comm.isLast()) return;
                    F32Array host = F32Array.allocate((long) rows * hidden);
                    steps.device().copy(host, 0, x, (long) firstRow * hidden, (long) rows * hidden);
                    float[] all = host.toArray();
                    Map<Integer, float[]> byPos = run.hidden.computeIfAbsent(phase + "/" + layer, k -> new ConcurrentHashMap<>());
                    for (int i = 0; i < rows; i++) {
                        byPos.put(firstPosition + i, java.util.Arrays.copyOfRange(all, i * hidden, (i + 1) * hidden));
                    }
                }

                @Override
                public void selected(int layer, I32Array indices, int k, int anchorLength, int blockStart) {
                    int nkv = steps.config().numKvHeads();
                    I32Array host = I32Array.allocate((long) nkv * k);
                    steps.device().copy(host, 0, indices, 0, (long) nkv * k);
                    int[][] pos = new int[nkv][k];
                    for (int h = 0; h < nkv; h++) for (int j = 0; j < k; j++) pos[h][j] = host.get(h * k + j) - anchorLength + blockStart;
                    run.selections.put(comm.rank() + "/" + layer, pos);
                }
            };
            try (Strategy s = Strategies.create(method, steps, comm, options.withObserver(observer))) {
                s.prefill(context, query);
                return s.answer(maxTokens);
            }
            }
        });
        return run;
    }

    Answer lastAnswer() { return answers.get(answers.size() - 1); }
}
