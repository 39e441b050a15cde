package org.apbj.model.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.model.KernelTimes;
import org.apbj.model.DenseGenerator;
import org.apbj.model.DeviceModel;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.SyntheticModelWriter;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Dense single-device prefill benchmark: loads a model directory (or writes a synthetic one of
 * a known shape into a temporary directory), prefills N random tokens on the best device,
 * decodes a few tokens greedily as generation does (device argmax, CUDA graphs), and prints one JSON object: prefill seconds and tokens/s, device time
 * per kernel kind, achieved GEMM and attention TFLOP/s, decode seconds per token, and the cold
 * start (model load, first compile) apart from them.
 *
 * <pre>
 * java -cp ... org.apbj.model.bench.PrefillBench (--model DIR | --synthetic llama-3.1-8b|qwen-2.5-14b|tiny)
 *      [--layers N] [--tokens 32768] [--decode 16] [--chunk 4096] [--device cuda|opencl|java] [--no-breakdown] [--seed S]
 *      [--fusion-too] [--chunks-too 8192,32768]
 * </pre>
 * ({@code --help} describes every option.)
 * The prefill and decode figures come from plain runs: work is enqueued and the host waits only
 * for the logits. The breakdown (default; {@code --no-breakdown} skips it) comes from one more,
 * profiled prefill in which every launch is bracketed by device marks (CUDA events): device time
 * per kernel kind, without synchronising between launches.
 */
public final class PrefillBench {
    private PrefillBench() {}

    public record Args(Path model, String synthetic, Integer layers, int tokens, int decode, int chunk, String device,
                       boolean breakdown, long seed, boolean fusionToo, List<Integer> chunksToo) {

        /** Parses the command line; a bad one is an IllegalArgumentException with the usage. */
        static Args parse(String[] a) {
            Cli cli = new Cli();
            CommandLine cl = new CommandLine(cli);
            try {
                cl.parseArgs(a);
                return cli.args(cl);
            } catch (CommandLine.ParameterException e) {
                throw new IllegalArgumentException(e.getMessage() + "\n" + cl.getUsageMessage(), e);
            }
        }
    }

    @Command(name = "PrefillBench", mixinStandardHelpOptions = true,
            description = "Dense single-device prefill benchmark; prints one JSON object.")
    static final class Cli implements Callable<Integer> {
        @Spec CommandSpec spec;

        static final class Source {
            @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory") Path model;
            @Option(names = "--synthetic", paramLabel = "SHAPE", description = "a synthetic model: llama-3.1-8b, qwen-2.5-14b or tiny") String synthetic;
        }

        @ArgGroup(exclusive = true, multiplicity = "1") Source source;
        @Option(names = "--layers", paramLabel = "N", description = "with --synthetic: only this many layers") Integer layers;
        @Option(names = "--tokens", paramLabel = "N", defaultValue = "32768", description = "prompt tokens (default: ${DEFAULT-VALUE})") int tokens;
        @Option(names = "--decode", paramLabel = "N", defaultValue = "16", description = "decoded tokens (default: ${DEFAULT-VALUE})") int decode;
        @Option(names = "--chunk", paramLabel = "N", defaultValue = "4096", description = "prefill chunk (default: ${DEFAULT-VALUE})") int chunk;
        @Option(names = "--device", paramLabel = "SPEC", description = "cuda[:N], opencl[:P[:D]] or java[:T[:MEMORY]] (default: the best here)") String device;
        @Option(names = "--no-breakdown", description = "skip the profiled prefill (device time per kernel kind); the plain prefill and decode are measured either way") boolean noBreakdown;
        @Option(names = "--seed", defaultValue = "1", description = "seed of the prompt and synthetic weights (default: ${DEFAULT-VALUE})") long seed;
        @Option(names = "--fusion-too", description = "then prefill again with the fused dense prefill (" + DeviceModel.FUSED_PREFILL_PROPERTY
                + ") switched the other way, in the same load: its times, breakdown and how far its logits are from the first run's") boolean fusionToo;
        @Option(names = "--chunks-too", paramLabel = "N,N", split = ",", description = "then prefill again with each of these chunk sizes, "
                + "in the same load (a generator each on the loaded model): times, breakdown and how far the logits are from the first run's") List<Integer> chunksToo;

        Args args(CommandLine cl) {
            if (layers != null && layers <= 0) throw new CommandLine.ParameterException(cl, "--layers must be positive, got " + layers);
            if (tokens <= 0) throw new CommandLine.ParameterException(cl, "--tokens must be positive, got " + tokens);
            if (chunk <= 0) throw new CommandLine.ParameterException(cl, "--chunk must be positive, got " + chunk);
            if (decode < 0) throw new CommandLine.ParameterException(cl, "--decode must be >= 0, got " + decode);
            List<Integer> others = chunksToo == null ? List.of() : List.copyOf(chunksToo);
            for (int c : others) if (c <= 0) throw new CommandLine.ParameterException(cl, "--chunks-too sizes must be positive, got " + c);
            return new Args(source.model, source.synthetic, layers, tokens, decode, chunk, device, !noBreakdown, seed, fusionToo, others);
        }

        @Override
        public Integer call() {
            System.out.println(toJson(run(args(spec.commandLine()))));
            return 0;
        }
    }

    public static void main(String[] argv) {
        System.exit(new CommandLine(new Cli()).execute(argv));
    }

    /** Runs the benchmark and returns its results as an ordered map (what main prints as JSON). */
    public static Map<String, Object> run(Args args) {
        Path tmp = null;
        try {
            Path dir = args.model();
            if (dir == null) {
                tmp = Files.createTempDirectory("apbj-bench-model");
                System.err.println("writing a synthetic " + args.synthetic() + " model to " + tmp);
                SyntheticModelWriter.write(SyntheticModelWriter.Shape.fromId(args.synthetic()), tmp, args.seed(), args.layers(),
                        null, SyntheticModelWriter.consoleProgress());
                dir = tmp;
            }
            try (Device device = args.device() == null ? Devices.best() : Devices.open(args.device());
                 ModelWeights weights = ModelWeights.open(dir)) {
                return measure(args, device, weights);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static Map<String, Object> measure(Args args, Device device, ModelWeights weights) {
        ModelConfig cfg = weights.config();
        int n = args.tokens();
        int chunk = Math.min(args.chunk(), n);
        long t0 = System.nanoTime();
        try (DenseGenerator gen = DenseGenerator.load(device, weights, null,
                DenseGenerator.Options.context(n + args.decode()).withPrefillChunk(chunk))) {
            device.synchronize();
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            int[] prompt = new SplittableRandom(args.seed()).ints(n, 0, cfg.vocabSize()).toArray();

            // warm-up: compiles every kernel (a chunk plus a decode step), not timed
            long w0 = System.nanoTime();
            gen.prefill(java.util.Arrays.copyOf(prompt, Math.min(n, 2 * Math.min(chunk, 64))));
            gen.appendGreedy(new int[] {prompt[0]});   // the generation step: device argmax, a CUDA graph where there are graphs
            double warmupSeconds = (System.nanoTime() - w0) / 1e9;
            double compileSeconds = device.preparationNanos() / 1e9;

            gen.resetTiming();
            long p0 = System.nanoTime();
            float[] logits = gen.prefill(prompt);
            double prefillSeconds = (System.nanoTime() - p0) / 1e9;
            KernelTimes counts = gen.timing();

            long d0 = System.nanoTime();
            int token = argmax(logits);
            for (int i = 0; i < args.decode(); i++) token = gen.appendGreedy(new int[] {token});
            double decodeSeconds = (System.nanoTime() - d0) / 1e9;

            Map<String, Object> breakdown = args.breakdown() ? profiled(gen, prompt) : null;

            Map<String, Object> out = new LinkedHashMap<>();
            out.put("device", device.name());
            out.put("model", args.model() != null ? args.model().toString() : "synthetic " + args.synthetic());
            out.put("layers", cfg.numLayers());
            out.put("hidden", cfg.hiddenSize());
            out.put("vocab", cfg.vocabSize());
            out.put("tokens", n);
            out.put("prefill_chunk", chunk);
            Map<String, Object> cold = new LinkedHashMap<>();
            cold.put("model_load_seconds", round(loadSeconds));
            cold.put("first_compile_seconds", round(compileSeconds));
            cold.put("warmup_seconds", round(warmupSeconds));
            out.put("cold_start", cold);
            out.put("prefill_seconds", round(prefillSeconds));
            out.put("prefill_tokens_per_second", round(n / prefillSeconds));
            out.put("gemm_tflop", round(counts.gemmFlops() / 1e12));
            out.put("attention_tflop", round(counts.attentionFlops() / 1e12));
            out.put("launches", counts.launches());
            if (breakdown != null) out.putAll(breakdown);
            out.put("decode_tokens", args.decode());
            out.put("decode_seconds_per_token", args.decode() == 0 ? null : round(decodeSeconds / args.decode()));
            if (args.fusionToo()) out.put("other_fusion", otherFusion(gen, prompt, chunk, logits, args.breakdown()));
            if (!args.chunksToo().isEmpty()) {
                List<Map<String, Object>> others = new java.util.ArrayList<>();
                for (int other : args.chunksToo()) {
                    others.add(otherChunk(gen.model(), prompt, Math.min(other, n), n + args.decode(), logits, args.breakdown()));
                }
                out.put("other_chunks", others);
            }
            var mem = device.memory();
            out.put("device_peak_bytes", mem.peakBytes());
            out.put("memory_plan_bytes", gen.memoryPlan().totalBytes());
            return out;
        }
    }

    /**
     * The prefill again with {@link DeviceModel#useFusedPrefill} switched (then switched back):
     * wall time, the breakdown when asked, and its logits against the first run's (max |Δ| over
     * their range, and whether the greedy token is the same).
     */
    private static Map<String, Object> otherFusion(DenseGenerator gen, int[] prompt, int chunk, float[] firstLogits,
                                                   boolean breakdown) {
        DeviceModel model = gen.model();
        boolean was = model.fusedPrefill();
        model.useFusedPrefill(!was);
        try {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("fused_prefill", !was);
            // a whole chunk first: compiles the other form's kernels (a short prompt would take other attention variants)
            gen.prefill(java.util.Arrays.copyOf(prompt, Math.min(prompt.length, chunk)));
            long p0 = System.nanoTime();
            float[] logits = gen.prefill(prompt);
            o.put("prefill_seconds", round((System.nanoTime() - p0) / 1e9));
            o.put("logits_max_abs_diff_over_range", round(maxDiffOverRange(logits, firstLogits)));
            o.put("same_greedy_token", argmax(logits) == argmax(firstLogits));
            if (breakdown) o.putAll(profiled(gen, prompt));
            return o;
        } finally {
            model.useFusedPrefill(was);
        }
    }

    /**
     * The prefill again through a second generator on the same loaded model with chunks of
     * {@code chunk} rows (its own KV cache and buffers, released after): wall time, the
     * breakdown when asked, and its logits against the first run's.
     */
    private static Map<String, Object> otherChunk(DeviceModel model, int[] prompt, int chunk, int context, float[] firstLogits,
                                                  boolean breakdown) {
        try (DenseGenerator gen = DenseGenerator.on(model, DenseGenerator.Options.context(context).withPrefillChunk(chunk))) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("prefill_chunk", chunk);
            gen.prefill(java.util.Arrays.copyOf(prompt, Math.min(prompt.length, chunk)));   // compiles this chunk's launches
            long p0 = System.nanoTime();
            float[] logits = gen.prefill(prompt);
            double seconds = (System.nanoTime() - p0) / 1e9;
            o.put("prefill_seconds", round(seconds));
            o.put("prefill_tokens_per_second", round(prompt.length / seconds));
            o.put("logits_max_abs_diff_over_range", round(maxDiffOverRange(logits, firstLogits)));
            o.put("same_greedy_token", argmax(logits) == argmax(firstLogits));
            if (breakdown) o.putAll(profiled(gen, prompt));
            return o;
        }
    }

    /** A profiled prefill of {@code prompt}: its wall time, device seconds per kernel kind and achieved TFLOP/s. */
    private static Map<String, Object> profiled(DenseGenerator gen, int[] prompt) {
        gen.setProfiling(true);
        gen.resetTiming();
        long t0 = System.nanoTime();
        gen.prefill(prompt);
        double seconds = (System.nanoTime() - t0) / 1e9;
        KernelTimes t = gen.timing();
        gen.setProfiling(false);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("profiled_prefill_seconds", round(seconds));
        Map<String, Object> kinds = new LinkedHashMap<>();
        kinds.put("gemm", round(t.gemmNanos() / 1e9));
        kinds.put("attention", round(t.attentionNanos() / 1e9));
        kinds.put("other", round(t.otherNanos() / 1e9));
        o.put("prefill_kernel_seconds", kinds);
        o.put("gemm_tflops_per_second", round(t.gemmTflops()));
        o.put("attention_tflops_per_second", round(t.attentionTflops()));
        return o;
    }

    /** max |a − b| over the range of b. */
    private static double maxDiffOverRange(float[] a, float[] b) {
        double maxDiff = 0, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            lo = Math.min(lo, b[i]);
            hi = Math.max(hi, b[i]);
        }
        return maxDiff / (hi - lo);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static double round(double v) {
        return Double.parseDouble(String.format(Locale.ROOT, "%.6g", v));
    }

    static String toJson(Map<String, Object> m) {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e.getMessage());
        }
    }
}
