package org.apbj.model.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.model.DenseGenerator;
import org.apbj.weights.ModelWeights;

/**
 * Decode speed at several context lengths without their prefills: for each length N the KV
 * cache's first N rows are taken as filled ({@link DenseGenerator#assumeCached}), then greedy
 * tokens are decoded one at a time (argmax on the device, the token read back each step, as a
 * generation loop does). Decode reads every weight and N rows of K and V per layer and token,
 * whatever they hold, so the time is the time of decoding after a real prefill of N. Prints one
 * JSON object: ms per token (median over the steps after a warm-up of four) per length and per
 * setting of decode graphs (each step replayed as a recorded CUDA graph, or launched from the
 * host: {@link DenseGenerator#setGraphs}).
 *
 * <pre>java ... org.apbj.model.bench.DecodeBench --model DIR [--contexts 4096,32768,131072] [--decode 32] [--graphs on,off] [--device cuda]</pre>
 */
public final class DecodeBench {
    private DecodeBench() {}

    private static boolean[] graphSettings(String v) {
        String[] parts = v.split(",");
        boolean[] out = new boolean[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = switch (parts[i].strip()) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new IllegalArgumentException("--graphs takes on, off or on,off; got " + v);
            };
        }
        return out;
    }

    public static void main(String[] argv) {
        Path model = null;
        int[] contexts = {4096, 32768, 131072};
        int decode = 32;
        String deviceSpec = null;
        boolean[] graphSettings = {true, false};
        for (int i = 0; i < argv.length; i++) {
            String v = i + 1 < argv.length ? argv[i + 1] : null;
            switch (argv[i]) {
                case "--model" -> { model = Path.of(v); i++; }
                case "--contexts" -> { contexts = Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray(); i++; }
                case "--decode" -> { decode = Integer.parseInt(v); i++; }
                case "--device" -> { deviceSpec = v; i++; }
                case "--graphs" -> { graphSettings = graphSettings(v); i++; }
                default -> throw new IllegalArgumentException("unknown option " + argv[i]
                        + "; usage: DecodeBench --model DIR [--contexts 4096,32768] [--decode 32] [--graphs on,off] [--device cuda]");
            }
        }
        if (model == null) throw new IllegalArgumentException("--model DIR is required");
        if (decode < 1) throw new IllegalArgumentException("--decode must be >= 1, got " + decode);
        int longest = Arrays.stream(contexts).max().orElseThrow();
        try (Device device = deviceSpec == null ? Devices.best() : Devices.open(deviceSpec);
             ModelWeights weights = ModelWeights.open(model);
             DenseGenerator gen = DenseGenerator.load(device, weights, null,
                     DenseGenerator.Options.context(longest + decode + 8).withPrefillChunk(64))) {
            List<Map<String, Object>> rows = new java.util.ArrayList<>();
            for (int n : contexts) {
                for (boolean graphs : graphSettings) {
                    gen.setGraphs(graphs);
                    gen.assumeCached(n);
                    int token = 1;
                    for (int w = 0; w < 4; w++) token = gen.appendGreedy(new int[] {token});
                    gen.assumeCached(n);
                    long replays = gen.graphReplays();
                    double[] ms = new double[decode];
                    for (int i = 0; i < decode; i++) {
                        long t0 = System.nanoTime();
                        token = gen.appendGreedy(new int[] {token});
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    double[] sorted = ms.clone();
                    Arrays.sort(sorted);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("context", n);
                    row.put("graphs", graphs);
                    row.put("graph_replays", gen.graphReplays() - replays);
                    row.put("decode_tokens", decode);
                    row.put("decode_ms_per_token", Math.round(sorted[decode / 2] * 1000) / 1000.0);
                    row.put("decode_ms_mean", Math.round(Arrays.stream(ms).average().orElse(0) * 1000) / 1000.0);
                    rows.add(row);
                    System.err.println("context " + n + (graphs ? " graphs" : " no graphs") + ": "
                            + row.get("decode_ms_per_token") + " ms/token (median)");
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("device", device.name());
            out.put("model", model.toString());
            out.put("note", "KV cache taken as filled (no prefill); greedy token read back every step");
            out.put("results", rows);
            System.out.println(PrefillBench.toJson(out));
        }
    }
}
