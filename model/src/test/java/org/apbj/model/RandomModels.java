package org.apbj.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;

import org.apbj.weights.DType;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelConfigs;
import org.apbj.weights.SafetensorsWriter;
import org.apbj.weights.TensorNames;

/**
 * Small random bf16 models in Hugging Face layout for tests. Weights are scaled like a trained
 * network's (≈ 1/√fan-in, norms near 1, large embeddings) so activations and logits spread
 * out: greedy choices then have margins well above bf16 rounding.
 */
public final class RandomModels {
    private RandomModels() {}

    public static final int RETAINING_HIDDEN = 32;

    public static ModelConfig tinyConfig(ModelConfig.Family family, boolean ropeScaling, boolean tied) {
        return new ModelConfig(family, 256, 512, 2, 4, 2, 64, 1e-5f, 10000.0,
                ropeScaling ? new ModelConfig.RopeScaling(8, 1, 4, 64) : null,
                512, tied, 4096, family == ModelConfig.Family.QWEN2, 0, new int[] {1});
    }

    /** Writes config.json, model.safetensors and retaining_heads.safetensors into {@code dir}. */
    public static Path write(Path dir, ModelConfig cfg, long seed) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), ModelConfigs.toJsonString(cfg));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        writeFile(dir.resolve("model.safetensors"), TensorNames.expected(cfg), rnd);
        writeFile(dir.resolve("retaining_heads.safetensors"), TensorNames.expectedRetainingHeads(cfg, RETAINING_HIDDEN), rnd);
        return dir;
    }

    private static void writeFile(Path file, SequencedMap<String, long[]> shapes, SplittableRandom rnd) {
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        shapes.forEach((name, shape) -> {
            specs.add(new SafetensorsWriter.Spec(name, DType.BF16, shape));
            values.add(values(name, shape, rnd));
        });
        SafetensorsWriter.write(file, specs, values, Map.of("format", "pt"));
    }

    private static float[] values(String name, long[] shape, SplittableRandom rnd) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        if (shape.length == 1 && name.endsWith("norm.weight")) {
            for (int i = 0; i < v.length; i++) v[i] = (float) (1 + 0.1 * rnd.nextGaussian());
            return v;
        }
        double std;
        if (shape.length == 1) std = 0.1;                                  // biases
        else if (name.equals(TensorNames.EMBED_TOKENS)) std = 1.0;
        else std = 1.0 / Math.sqrt(shape[1]);                              // linear: [out, in]
        if (name.equals(TensorNames.LM_HEAD)) std *= 3;                     // spread the logits
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * rnd.nextGaussian());
        return v;
    }
}
