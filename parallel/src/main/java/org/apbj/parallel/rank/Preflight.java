package org.apbj.parallel.rank;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apbj.kernels.runtime.DeviceUnavailableException;
import org.apbj.model.DeviceModel;
import org.apbj.parallel.plan.ApbLengths;
import org.apbj.parallel.plan.ContextSplit;
import org.apbj.parallel.strategy.Method;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;
import org.apbj.weights.WeightsFormatException;

/**
 * Everything about a job that can be known before its ranks start, checked in the launching
 * process in well under a second, with the same code the ranks would fail in later: the model
 * directory (config.json, every safetensors header, every expected tensor with its shape and
 * dtype, a head_dim the kernels support), the retaining heads, the device for every rank, and
 * each request against the model and its split over the ranks (token ids, context length vs
 * ranks, l_a and l_p vs the block, max_position_embeddings). Messages name the flag or file to
 * change.
 */
public final class Preflight {
    private Preflight() {}

    /** All checks for {@code args} on {@code ranks} ranks; returns the model's config. */
    public static ModelConfig check(RankArgs args, int ranks) {
        ModelConfig config = checkSetup(args.model(), args.heads(), args.method(), args.device(), ranks, args.gpuMap());
        checkRequests(config, args, ranks);
        return config;
    }

    /** The checks that do not depend on the requests: model, heads, method vs ranks, device. */
    public static ModelConfig checkSetup(Path model, Path heads, Method method, String device, int ranks, String gpuMap) {
        if (ranks < 1) throw new IllegalArgumentException("--ranks=" + ranks + " must be at least 1");
        if (method == Method.DENSE && ranks != 1) {
            throw new IllegalArgumentException("dense attention runs on one rank: use --ranks=1 (got " + ranks
                    + ") or another --method (apb, star, ring)");
        }
        ModelConfig config = checkModel(model);
        checkHeads(model, heads, method, config);
        checkDevice(device, ranks, gpuMap);
        return config;
    }

    /** The model directory as the ranks will open it: config.json, weights, and a shape the kernels run. */
    public static ModelConfig checkModel(Path model) {
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("--model " + model + " is not a directory: pass a Hugging Face model directory"
                    + " (config.json, *.safetensors, tokenizer.json)");
        }
        ModelConfig config;
        try (ModelWeights w = ModelWeights.open(model)) {
            config = w.config();
        }
        try {
            DeviceModel.checkSupported(config);
        } catch (IllegalArgumentException e) {
            throw new WeightsFormatException(model.resolve("config.json") + ": " + e.getMessage()
                    + "; this model cannot run here", e);
        }
        return config;
    }

    /** Retaining heads: present for APB, and fitting the model whenever given. */
    static void checkHeads(Path model, Path heads, Method method, ModelConfig config) {
        if (heads == null) {
            if (method == Method.APB) {
                throw new IllegalArgumentException("apb needs retaining heads: pass --heads FILE (there is no "
                        + model.resolve("retaining_heads.safetensors") + "), or use --method star, ring or dense");
            }
            return;
        }
        try (RetainingHeads h = RetainingHeads.load(heads, config)) {
            // valid: names, shapes and dtypes fit this model
        } catch (WeightsFormatException e) {
            throw new WeightsFormatException("--heads " + e.getMessage() + "; pass retaining heads trained for this model", e);
        }
    }

    /** The device every rank would open: the kind exists here and the index is in range. */
    public static void checkDevice(String device, int ranks, String gpuMap) {
        try {
            DeviceChoice.check(device, ranks, gpuMap);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flagged(device, e.getMessage()), e);
        } catch (DeviceUnavailableException e) {
            throw new DeviceUnavailableException(flagged(device, e.getMessage()), e);
        }
    }

    private static String flagged(String device, String message) {
        String m = message.startsWith("--device") ? message : "--device=" + device + ": " + message;
        return m.contains("--device=auto") ? m : m + " (--device=auto picks what is here)";
    }

    /** Each request against the model and its split over {@code ranks} ranks. */
    public static void checkRequests(ModelConfig config, RankArgs args, int ranks) {
        for (int i = 0; i < args.requests().size(); i++) {
            String which = args.requests().size() == 1 ? "" : "request " + i + ": ";
            try {
                checkRequest(config, args, ranks, args.requests().get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(which + e.getMessage(), e);
            }
        }
    }

    private static void checkRequest(ModelConfig config, RankArgs args, int ranks, TokenRequest r) {
        int n = r.context().length, q = r.query().length;   // n >= 1: TokenRequest refuses an empty context
        checkIds(r.context(), "context", config);
        checkIds(r.query(), "query", config);
        checkPositions(config, args.model(), (long) n + q, r.maxTokensOr(args.maxTokens()), args.allowLongContext());
        ContextSplit split = ContextSplit.of(n, ranks);
        if (args.method() == Method.APB) {
            ApbLengths.resolve(args.anchor(), args.passing(), split.blockSize(), r.qposOr(args.qpos()), q, n);
        } else if (args.anchor() != null || args.passing() != null) {
            throw new IllegalArgumentException("--anchor-length and --passing-length apply to --method apb only (star's"
                    + " anchor is the whole first block; ring and dense have none); got --method " + args.method().id());
        }
    }

    /**
     * A prompt of {@code promptTokens} (context and query) followed by up to {@code maxNewTokens}
     * generated ones must fit in the positions the model was trained for (config.json's
     * max_position_embeddings), unless {@code allowLongContext}.
     */
    public static void checkPositions(ModelConfig config, Path model, long promptTokens, int maxNewTokens, boolean allowLongContext) {
        long positions = promptTokens + maxNewTokens;
        if (!allowLongContext && positions > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("the prompt needs " + positions + " positions (" + promptTokens + " prompt + "
                    + maxNewTokens + " new tokens) but " + model.resolve("config.json") + " has max_position_embeddings = "
                    + config.maxPositionEmbeddings() + ": shorten the prompt (or --max-new-tokens), or pass --allow-long-context"
                    + " to run past the trained length");
        }
    }

    private static void checkIds(int[] ids, String what, ModelConfig config) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at " + what + " position " + i
                        + " is outside the model's vocabulary (vocab_size " + config.vocabSize()
                        + " in config.json): the tokenizer does not match the model");
            }
        }
    }
}
