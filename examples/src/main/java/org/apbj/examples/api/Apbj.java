package org.apbj.examples.api;

import org.apbj.parallel.strategy.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apbj.tokenizer.ApbPrompt;
import org.apbj.tokenizer.ChatFormat;
import org.apbj.tokenizer.Tokenizer;
import org.apbj.parallel.rank.Preflight;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ProgressListener;

/**
 * The Java API for experiments: one model, one method, many requests.
 *
 * <pre>{@code
 * try (var engine = Apbj.open(modelDir, Options.apb().ranks(4).heads(file))) {
 *     Result r = engine.generate(context, query, 32);
 *     System.out.println(r.text() + "  " + r.timing().prefillMs() + " ms");
 * }
 * }</pre>
 *
 * Ranks run as threads of this JVM ({@link Options#inProcess()}, the default) or as processes
 * started through mpjrun ({@link Options#mpjrun()}).
 *
 * <p>Every call of {@link #generateAll}, {@link #generateTokens} or {@link #generate} is one rank
 * job: the ranks start, open their devices, load the weights and compile the kernels once, then
 * run the call's requests in order, each on a fresh strategy, and stop. Requests given together
 * therefore pay that cold start once; a single {@link #generate} pays it every time, and the
 * engine keeps nothing loaded between calls. Each {@link Result} carries the job's
 * {@link ColdStart} and its position in the job ({@link Result#jobIndex()}: 0 ran cold, its
 * prefill includes the first kernel compiles, {@link Timing#kernelPreparationMs()}). A job that
 * would not fit in device memory is refused before anything is loaded, with the numbers.
 */
public final class Apbj implements AutoCloseable {
    public static final String HEADS_FILE = "retaining_heads.safetensors";

    private final Path modelDir;
    private final Options options;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ChatFormat format;
    private final Path heads;
    private final ProgressListener loadProgress;

    private Apbj(Path modelDir, Options options, ModelConfig config, Tokenizer tokenizer, ChatFormat format, Path heads,
                 ProgressListener loadProgress) {
        this.modelDir = modelDir;
        this.options = options;
        this.config = config;
        this.tokenizer = tokenizer;
        this.format = format;
        this.heads = heads;
        this.loadProgress = loadProgress;
    }

    /**
     * Opens a Hugging Face model directory (config.json, safetensors, tokenizer.json) for
     * {@code options}. Checks now, before any rank starts, everything that does not depend on
     * the requests (the parallel module's {@link Preflight}: config, weights, heads, device);
     * each call's requests are checked before its job starts. Nothing is loaded until a call
     * runs requests (one job per call).
     */
    public static Apbj open(Path modelDir, Options options) {
        if (!Files.isDirectory(modelDir)) {
            throw new IllegalArgumentException("--model " + modelDir + " is not a directory: pass a Hugging Face model directory"
                    + " (config.json, *.safetensors, tokenizer.json)");
        }
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new IllegalArgumentException("--model " + modelDir + " is not a Hugging Face model directory (no config.json);"
                    + " pass the folder holding config.json, *.safetensors and tokenizer.json");
        }
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        ChatFormat format = ChatFormat.forFamily(options.chatFormat(), tokenizer);
        Path heads = options.heads() != null ? options.heads() : modelDir.resolve(HEADS_FILE);
        if (options.heads() == null && !Files.isRegularFile(heads)) heads = null;
        if (options.heads() != null && !Files.isRegularFile(heads)) {
            throw new IllegalArgumentException("--heads " + heads + " is not a file: pass a retaining-heads safetensors file for this model");
        }
        ModelConfig config = Preflight.checkSetup(modelDir, heads, options.method(), options.device(), options.ranks(), null);
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IllegalArgumentException(modelDir.resolve("tokenizer.json") + " has " + tokenizer.vocabSize()
                    + " tokens but config.json's vocab_size is " + config.vocabSize() + ": the tokenizer does not belong to this model");
        }
        return new Apbj(modelDir, options, config, tokenizer, format, heads, ProgressListener.NONE);
    }

    /**
     * This engine with {@code progress} told how rank 0 copies its weights to its device, at the
     * start of every call: one rank job, one model load for all its requests (bytes so far,
     * total, the part: "embeddings", "layer 3"). In-process
     * ranks only: an mpjrun job loads in its own processes and reports nothing here.
     */
    public Apbj withLoadProgress(ProgressListener progress) {
        return new Apbj(modelDir, options, config, tokenizer, format, heads, java.util.Objects.requireNonNull(progress, "progress"));
    }

    ProgressListener loadProgress() { return loadProgress; }

    /** The context and query as text, no answer prefix. */
    public Result generate(String context, String query, int maxNewTokens) {
        return generate(new Request(context, query, "", maxNewTokens));
    }

    public Result generate(String context, String question, String answerPrefix, int maxNewTokens) {
        return generate(new Request(context, question, answerPrefix, maxNewTokens));
    }

    /** One request: a job of its own (cold start included; use {@link #generateAll} for several). */
    public Result generate(Request request) { return generateAll(List.of(request)).getFirst(); }

    /** Several requests in one job (one model load, kernels compiled once), in order. */
    public List<Result> generateAll(List<Request> requests) {
        List<TokenRequest> tokenized = new ArrayList<>(requests.size());
        for (Request r : requests) {
            tokenized.add(new TokenRequest(format.render(r.context(), r.question(), r.answerPrefix()), r.maxNewTokens()));
        }
        return tokenized.isEmpty() ? List.of() : EngineRuntime.run(this, tokenized, true);
    }

    /**
     * Requests already tokenized, in one job (one model load), in order. Results carry the
     * generated ids only ({@link Result#text()} is null): decode them with {@link #decode} when
     * the model's tokenizer covers its vocabulary (a synthetic model's small tokenizer does not).
     */
    public List<Result> generateTokens(List<TokenRequest> requests) {
        if (requests.isEmpty()) return List.of();
        return EngineRuntime.run(this, requests, false);
    }

    /** A request rendered in this engine's chat format. */
    public ApbPrompt render(Request r) { return format.render(r.context(), r.question(), r.answerPrefix()); }

    public Path modelDir() { return modelDir; }
    /** The model's config.json. */
    public ModelConfig config() { return config; }
    public Options options() { return options; }
    public Tokenizer tokenizer() { return tokenizer; }
    public ChatFormat chatFormat() { return format; }
    /** The retaining heads in use, or null where the model has none (and the method needs none). */
    public Path heads() { return heads; }

    /** Decodes generated ids to text, stopping before the first stop token (end of turn). */
    public String decode(int[] generated) {
        int end = generated.length;
        int[] stops = format.stopTokenIds();
        for (int i = 0; i < generated.length && end == generated.length; i++) {
            for (int s : stops) if (generated[i] == s) { end = i; break; }
        }
        return tokenizer.decode(java.util.Arrays.copyOf(generated, end), true);
    }

    /**
     * Whether {@link Options#mpjrun()} can work here: an MPJ Express home is configured
     * (-Dapbj.mpj.home, MPJ_HOME, or build/mpj prepared by ./apbj). Otherwise the reason.
     */
    public static java.util.Optional<String> mpjrunUnavailableReason() {
        try {
            org.apbj.parallel.launch.MpjHome.locate();
            return java.util.Optional.empty();
        } catch (RuntimeException e) {
            return java.util.Optional.of(e.getMessage());
        }
    }

    @Override
    public void close() {}
}
