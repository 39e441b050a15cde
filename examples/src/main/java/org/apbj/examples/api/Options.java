package org.apbj.examples.api;

import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.strategy.StrategyOptions;
import org.apbj.parallel.transfer.CommPath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link Apbj} engine runs: the method, the ranks, the retaining heads, APB's lengths,
 * the device and how ranks are started. Immutable; every setter returns a copy:
 * {@code Options.apb().ranks(4).heads(file)}.
 *
 * @param heads         retaining heads (safetensors); null = the model directory's
 *                      retaining_heads.safetensors (needed by APB only)
 * @param anchorLength  APB's l_a, or null for the default rule (B/4, APB-SPEC.md)
 * @param passingLength APB's l_p, or null for the default rule (B/8)
 * @param device        "auto" (CUDA, else OpenCL, else Java; rank r on GPU r mod count),
 *                      or a spec: cuda[:N], opencl[:P[:D]], java[:THREADS]
 * @param launch        ranks as threads of this JVM, or processes started by mpjrun
 * @param chatFormat    "auto" (from the tokenizer) or a family name (llama3, qwen, plain, tiny-niah)
 * @param timeout       bound on one request, communication waits included
 * @param allowLongContext run prompts longer than the model's max_position_embeddings
 * @param commPath      how device data travels between ranks (auto: the fastest they share)
 * @param overlap       communication beside compute (APB's passing blocks, ring's next block);
 *                      the results are the same either way
 */
public record Options(Method method, int ranks, Path heads, Integer anchorLength, Integer passingLength,
                      String device, Launch launch, String chatFormat, Duration timeout, boolean allowLongContext,
                      CommPath commPath, boolean overlap) {

    /** Where the ranks run. */
    public enum Launch {
        /** Threads of this JVM, one per rank, over the in-process communicator. */
        IN_PROCESS,
        /** One process per rank started through mpjrun (MPJ Express multicore device). */
        MPJRUN
    }

    public Options {
        Objects.requireNonNull(method, "method");
        if (ranks < 1) throw new IllegalArgumentException("--ranks=" + ranks + " must be at least 1");
        if (anchorLength != null && anchorLength < 0) throw new IllegalArgumentException("--anchor-length=" + anchorLength + " must be >= 0");
        if (passingLength != null && passingLength < 0) throw new IllegalArgumentException("--passing-length=" + passingLength + " must be >= 0");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(launch, "launch");
        Objects.requireNonNull(chatFormat, "chatFormat");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("--comm-timeout must be positive, got " + timeout);
        Objects.requireNonNull(commPath, "commPath");
    }

    public static Options of(Method method) {
        return new Options(method, method == Method.DENSE ? 1 : 4, null, null, null, "auto", Launch.IN_PROCESS,
                "auto", Duration.ofMinutes(30), false, StrategyOptions.commPathFromProperty(), StrategyOptions.overlapFromProperty());
    }

    public static Options apb() { return of(Method.APB); }
    public static Options star() { return of(Method.STAR); }
    public static Options ring() { return of(Method.RING); }
    /** Dense attention on one rank (the FlashAttn baseline). */
    public static Options dense() { return of(Method.DENSE); }

    public Options method(Method m) { return new Options(m, ranks, heads, anchorLength, passingLength, device, launch, chatFormat, timeout, allowLongContext, commPath, overlap); }
    public Options ranks(int n) { return new Options(method, n, heads, anchorLength, passingLength, device, launch, chatFormat, timeout, allowLongContext, commPath, overlap); }
    public Options heads(Path file) { return new Options(method, ranks, file, anchorLength, passingLength, device, launch, chatFormat, timeout, allowLongContext, commPath, overlap); }
    public Options anchorLength(Integer la) { return new Options(method, ranks, heads, la, passingLength, device, launch, chatFormat, timeout, allowLongContext, commPath, overlap); }
    public Options passingLength(Integer lp) { return new Options(method, ranks, heads, anchorLength, lp, device, launch, chatFormat, timeout, allowLongContext, commPath, overlap); }
    public Options device(String spec) { return new Options(method, ranks, heads, anchorLength, passingLength, spec, launch, chatFormat, timeout, allowLongContext, commPath, overlap); }
    public Options launch(Launch l) { return new Options(method, ranks, heads, anchorLength, passingLength, device, l, chatFormat, timeout, allowLongContext, commPath, overlap); }
    public Options inProcess() { return launch(Launch.IN_PROCESS); }
    public Options mpjrun() { return launch(Launch.MPJRUN); }
    public Options chatFormat(String f) { return new Options(method, ranks, heads, anchorLength, passingLength, device, launch, f, timeout, allowLongContext, commPath, overlap); }
    public Options timeout(Duration t) { return new Options(method, ranks, heads, anchorLength, passingLength, device, launch, chatFormat, t, allowLongContext, commPath, overlap); }
    /** Runs prompts longer than the model's max_position_embeddings (refused otherwise). */
    public Options allowLongContext(boolean allow) { return new Options(method, ranks, heads, anchorLength, passingLength, device, launch, chatFormat, timeout, allow, commPath, overlap); }

    /** How device data travels between ranks, and whether it overlaps compute. */
    public Options communication(CommPath path, boolean overlapped) {
        return new Options(method, ranks, heads, anchorLength, passingLength, device, launch, chatFormat, timeout, allowLongContext, path, overlapped);
    }

    /** These options for method {@code m}: dense on one rank, the others on {@link #ranks()}. */
    public Options forMethod(Method m) { return method(m).ranks(m == Method.DENSE ? 1 : ranks); }

    /** "apb, 4 ranks". */
    public String describe() { return method.id() + ", " + ranks + (ranks == 1 ? " rank" : " ranks"); }
}
