package org.apbj.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Encode throughput on one thread: 1 MB of English-like text ({@link BenchmarkText}) with the
 * real Llama-3 and Qwen-2.5 tokenizers, with the piece cache warm (steady state) and cleared
 * before every call (a new document). MB/s = 1 / (seconds per op), the text being 1,000,000 bytes.
 *
 * <p>Run (after {@code mvn -o -pl tokenizer -am test-compile}):
 * <pre>
 *   mvn -o -q -pl tokenizer dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 *   java -cp tokenizer/target/test-classes:tokenizer/target/classes:$(cat tokenizer/target/cp.txt) \
 *        -Dapbj.shared=PATH/TO/shared org.apbj.tokenizer.TokenizerBenchmark
 * </pre>
 * Optional argument: a UTF-8 text file to encode instead of the generated text. With
 * {@code --cpu-time} instead, it measures the encoding thread's CPU time (not wall time) over
 * repeated runs, a figure that holds up on a machine shared with other work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class TokenizerBenchmark {
    static final int TEXT_BYTES = 1_000_000;

    @Param({"llama3", "qwen2_5"})
    public String tokenizerName;

    private Tokenizer tokenizer;
    private String text;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        tokenizer = Tokenizer.load(TestFiles.shared().resolve("tokenizers").resolve(tokenizerName));
        String file = System.getProperty("apbj.benchmark.text");
        text = file != null ? Files.readString(Path.of(file), StandardCharsets.UTF_8) : BenchmarkText.english(TEXT_BYTES);
    }

    @Benchmark
    public int[] encodeWarmCache() {
        return tokenizer.encode(text);
    }

    @Benchmark
    public int[] encodeColdCache() {
        tokenizer.clearCache();
        return tokenizer.encode(text);
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--cpu-time")) {
            cpuTime();
            return;
        }
        var options = new OptionsBuilder().include(TokenizerBenchmark.class.getSimpleName());
        if (args.length > 0) options.jvmArgsAppend("-Dapbj.benchmark.text=" + args[0]);
        String shared = System.getProperty("apbj.shared");
        if (shared != null) options.jvmArgsAppend("-Dapbj.shared=" + shared);
        new Runner(options.build()).run();
    }

    /** MB/s of one thread's CPU time, warm and cold cache, after a warm-up; prints one line per tokenizer. */
    private static void cpuTime() throws Exception {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        String text = BenchmarkText.english(TEXT_BYTES);
        double megabytes = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        for (String name : new String[] {"llama3", "qwen2_5"}) {
            long t0 = threads.getCurrentThreadCpuTime();
            Tokenizer tokenizer = Tokenizer.load(TestFiles.shared().resolve("tokenizers").resolve(name));
            double loadSeconds = (threads.getCurrentThreadCpuTime() - t0) / 1e9;
            for (int i = 0; i < 10; i++) {
                tokenizer.clearCache();
                tokenizer.encode(text);
            }
            long cold = 0, warm = 0;
            int runs = 10, tokens = 0;
            for (int i = 0; i < runs; i++) {
                tokenizer.clearCache();
                long a = threads.getCurrentThreadCpuTime();
                tokens = tokenizer.encode(text).length;
                long b = threads.getCurrentThreadCpuTime();
                tokenizer.encode(text);
                long c = threads.getCurrentThreadCpuTime();
                cold += b - a;
                warm += c - b;
            }
            System.out.printf("%s: %d tokens for %.2f MB; cold cache %.1f MB/s, warm cache %.1f MB/s (thread CPU time); first load %.2f s CPU%n",
                    name, tokens, megabytes, megabytes * runs / (cold / 1e9), megabytes * runs / (warm / 1e9), loadSeconds);
        }
    }
}
