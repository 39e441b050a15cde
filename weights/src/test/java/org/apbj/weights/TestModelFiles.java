package org.apbj.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Writes small model directories with hand-picked tensors, for validation tests. */
final class TestModelFiles {
    private TestModelFiles() {}

    /** A small Llama: hidden 16, 2 layers, 4 heads / 2 KV heads of 4, intermediate 24, vocab 40. */
    static ModelConfig smallLlama() {
        return new ModelConfig(ModelConfig.Family.LLAMA, 16, 24, 2, 4, 2, 4, 1e-5f, 10000.0, null, 40, false, 256,
                false, 0, new int[] {1});
    }

    /** The same shape as a Qwen2 (q/k/v biases). */
    static ModelConfig smallQwen() {
        return new ModelConfig(ModelConfig.Family.QWEN2, 16, 24, 2, 4, 2, 4, 1e-6f, 1e6, null, 40, false, 256,
                true, 0, new int[] {1});
    }

    /** Tensor name -> shape, mutable copy of what the config expects. */
    static Map<String, long[]> expected(ModelConfig c) {
        return new LinkedHashMap<>(TensorNames.expected(c));
    }

    /** Values exactly representable in bf16 (multiples of 1/64 in [-2, 2)), from a seeded generator. */
    static float[] values(long numel, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[Math.toIntExact(numel)];
        for (int i = 0; i < v.length; i++) v[i] = (r.nextInt(256) - 128) / 64f;
        return v;
    }

    /** Writes one safetensors file of bf16 tensors with {@link #values}; seed = index in the map. */
    static void writeSafetensors(Path file, Map<String, long[]> tensors) {
        writeSafetensors(file, tensors, DType.BF16);
    }

    static void writeSafetensors(Path file, Map<String, long[]> tensors, DType dtype) {
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        long seed = 0;
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            SafetensorsWriter.Spec s = new SafetensorsWriter.Spec(e.getKey(), dtype, e.getValue());
            specs.add(s);
            values.add(values(s.numel(), seed++));
        }
        SafetensorsWriter.write(file, specs, values, Map.of("format", "pt"));
    }

    /** config.json + model.safetensors holding {@code tensors}. */
    static Path writeModel(Path dir, ModelConfig config, Map<String, long[]> tensors) {
        writeConfig(dir, config);
        writeSafetensors(dir.resolve("model.safetensors"), tensors);
        return dir;
    }

    static void writeConfig(Path dir, ModelConfig config) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), ModelConfigs.toJsonString(config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
