package org.apbj.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a synthetic Hugging Face model directory with random weights: config.json,
 * model.safetensors (or shards + model.safetensors.index.json above {@link #DEFAULT_MAX_SHARD_BYTES}),
 * tokenizer.json (+ tokenizer_config.json) and retaining_heads.safetensors. Deterministic in the
 * seed; streams tensor by tensor in bounded memory.
 *
 * <p>Weights: linear layers, embeddings, biases and retaining heads ~ N(0, 0.02²) (approximately,
 * see {@link RandomWeights}); RMSNorm weights 1. With RMSNorm before every block this keeps
 * activations finite through all layers.
 */
public final class SyntheticModelWriter {
    private SyntheticModelWriter() {}

    public static final long DEFAULT_MAX_SHARD_BYTES = 4L << 30;
    public static final float WEIGHT_STD = 0.02f;
    public static final String RETAINING_HEADS_FILE = "retaining_heads.safetensors";

    /** Model shapes the writer knows. */
    public enum Shape {
        /** Llama-3.1-8B: rope llama3 scaling ×8, theta 500000, 128K positions; R = 1024. */
        LLAMA_3_1_8B("llama-3.1-8b", new ModelConfig(ModelConfig.Family.LLAMA, 4096, 14336, 32, 32, 8, 128, 1e-5f,
                500000.0, new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 8192), 128256, false, 131072, false,
                128000, new int[] {128001, 128008, 128009}), 1024),
        /** Qwen-2.5-14B: q/k/v biases, theta 1e6, 32K positions; R = 1024. */
        QWEN_2_5_14B("qwen-2.5-14b", new ModelConfig(ModelConfig.Family.QWEN2, 5120, 13824, 48, 40, 8, 128, 1e-6f,
                1000000.0, null, 152064, false, 32768, true, 151643, new int[] {151645}), 1024),
        /** A small Llama for tests and demos; vocab = the tokenizer's size; R = 256. */
        TINY("tiny", new ModelConfig(ModelConfig.Family.LLAMA, 256, 512, 4, 4, 2, 64, 1e-5f, 500000.0, null,
                SyntheticTokenizer.vocabSize(), false, 131072, false, SyntheticTokenizer.BOS_ID,
                new int[] {SyntheticTokenizer.EOT_ID}), 256);

        private final String id;
        private final ModelConfig config;
        private final int retainingHiddenSize;

        Shape(String id, ModelConfig config, int retainingHiddenSize) {
            this.id = id;
            this.config = config;
            this.retainingHiddenSize = retainingHiddenSize;
        }

        /** The command-line name ("llama-3.1-8b", "qwen-2.5-14b", "tiny"). */
        public String id() { return id; }

        /** The shape's config with its own vocabulary and full layer count. */
        public ModelConfig config() { return config; }

        /** R of the retaining heads written with this shape. */
        public int retainingHiddenSize() { return retainingHiddenSize; }

        /** Parses a command-line name; the error lists the known ones. */
        public static Shape fromId(String id) {
            for (Shape s : values()) if (s.id.equals(id)) return s;
            throw new IllegalArgumentException("unknown model shape '" + id + "'; known: "
                    + Arrays.stream(values()).map(Shape::id).collect(Collectors.joining(", ")));
        }
    }

    /** Where the writer put things, and the config it wrote. */
    public record Result(Path directory, ModelConfig config, List<Path> weightFiles, Path retainingHeads,
                         long bytesWritten, double seconds) {
        public double megabytesPerSecond() { return bytesWritten / 1e6 / seconds; }
    }

    /**
     * Writes a synthetic model.
     *
     * @param layersOverride  number of layers instead of the shape's, or null
     * @param tokenizerSource a directory holding tokenizer.json (+ tokenizer_config.json), or a
     *                        tokenizer.json file, to copy; null writes a small byte-level BPE tokenizer
     */
    public static Result write(Shape shape, Path out, long seed, Integer layersOverride, Path tokenizerSource,
                               ProgressListener progress) {
        return write(shape, out, seed, layersOverride, tokenizerSource, progress, DEFAULT_MAX_SHARD_BYTES);
    }

    /** As {@link #write(Shape, Path, long, Integer, Path, ProgressListener)} with a chosen shard size limit. */
    public static Result write(Shape shape, Path out, long seed, Integer layersOverride, Path tokenizerSource,
                               ProgressListener progress, long maxShardBytes) {
        ModelConfig config = shape.config();
        if (layersOverride != null) {
            if (layersOverride < 1) throw new IllegalArgumentException("--layers must be at least 1, got " + layersOverride);
            config = config.withNumLayers(layersOverride);
        }
        if (shape == Shape.TINY) {
            int tokens = tokenizerSource == null ? SyntheticTokenizer.vocabSize() : readTokenizer(tokenizerSource).size();
            config = config.withVocabSize(tokens);
        }
        return write(config, shape.retainingHiddenSize(), out, seed, tokenizerSource, progress, maxShardBytes);
    }

    /**
     * Writes a synthetic model of any supported config (e.g. a small Qwen2 for tests). The bos/eos
     * ids written to config.json are the tokenizer's (the written one's, or those named by the
     * copied tokenizer_config.json), so the directory is self-consistent.
     *
     * @param retainingHiddenSize R of the retaining heads
     * @throws IllegalArgumentException if the tokenizer has more tokens than {@code config.vocabSize()}
     */
    public static Result write(ModelConfig config, int retainingHiddenSize, Path out, long seed, Path tokenizerSource,
                               ProgressListener progress, long maxShardBytes) {
        long start = System.nanoTime();
        int threads = writerThreads();
        createDirectory(out);
        TokenizerInfo tok;
        if (tokenizerSource == null) {
            SyntheticTokenizer.write(out, config.maxPositionEmbeddings());
            tok = new TokenizerInfo(SyntheticTokenizer.vocabSize(), SyntheticTokenizer.BOS_ID, SyntheticTokenizer.EOT_ID);
        } else {
            tok = readTokenizer(tokenizerSource);
            copyTokenizer(tokenizerSource, out);
        }
        if (tok.size() > config.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tok.size() + " tokens, more than the model's"
                    + " vocabulary of " + config.vocabSize());
        }
        config = withTokens(config, tok);
        writeString(out.resolve("config.json"), ModelConfigs.toJsonString(config));

        List<SafetensorsWriter.Spec> modelSpecs = specs(TensorNames.expected(config));
        List<SafetensorsWriter.Spec> headSpecs = specs(TensorNames.expectedRetainingHeads(config,
                retainingHiddenSize));
        List<List<SafetensorsWriter.Spec>> shards = shard(modelSpecs, maxShardBytes);
        Map<String, String> metadata = Map.of("format", "pt");
        long total = SafetensorsWriter.fileSize(headSpecs, metadata);
        for (List<SafetensorsWriter.Spec> s : shards) total += SafetensorsWriter.fileSize(s, metadata);

        deleteStaleWeights(out);
        SafetensorsWriter.ChunkFiller filler = filler(seed);
        List<Path> files = new ArrayList<>();
        long written = 0;
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = shards.size() == 1 ? SafetensorsCheckpoint.SINGLE_FILE
                    : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path file = out.resolve(name);
            SafetensorsWriter.write(file, shards.get(i), metadata, filler, progress, written, total, threads);
            written += SafetensorsWriter.fileSize(shards.get(i), metadata);
            files.add(file);
            for (SafetensorsWriter.Spec s : shards.get(i)) weightMap.put(s.name(), name);
        }
        if (shards.size() > 1) writeIndex(out, modelSpecs, weightMap);
        Path heads = out.resolve(RETAINING_HEADS_FILE);
        SafetensorsWriter.write(heads, headSpecs, metadata, filler, progress, written, total, threads);
        written += SafetensorsWriter.fileSize(headSpecs, metadata);
        return new Result(out, config, List.copyOf(files), heads, written, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Threads that generate weights: the system property apbj.synth.threads, else up to 8 of the
     * machine's processors. The bytes written do not depend on it (each chunk has its own seed).
     */
    static int writerThreads() {
        String p = System.getProperty("apbj.synth.threads");
        if (p != null) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("apbj.synth.threads must be a positive integer, got '" + p + "'");
        }
        return Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 8);
    }

    private static SafetensorsWriter.ChunkFiller filler(long seed) {
        return (spec, chunkIndex, first, chunk) -> {
            if (spec.dtype() != DType.BF16) throw new IllegalStateException("synthetic weights are bf16");
            if (isNorm(spec.name())) {
                RandomWeights.fillConstantBf16(chunk, 1.0f);
            } else {
                RandomWeights.fillBf16(RandomWeights.tensorSeed(seed, spec.name()), chunkIndex, chunk, WEIGHT_STD);
            }
        };
    }

    static boolean isNorm(String name) {
        return name.endsWith("layernorm.weight") || name.equals(TensorNames.FINAL_NORM);
    }

    private static List<SafetensorsWriter.Spec> specs(Map<String, long[]> shapes) {
        List<SafetensorsWriter.Spec> out = new ArrayList<>();
        shapes.forEach((name, shape) -> out.add(new SafetensorsWriter.Spec(name, DType.BF16, shape)));
        return out;
    }

    /** Greedy packing in order; a tensor larger than the limit gets a shard of its own. */
    static List<List<SafetensorsWriter.Spec>> shard(List<SafetensorsWriter.Spec> specs, long maxShardBytes) {
        List<List<SafetensorsWriter.Spec>> shards = new ArrayList<>();
        List<SafetensorsWriter.Spec> current = new ArrayList<>();
        long size = 0;
        for (SafetensorsWriter.Spec s : specs) {
            if (!current.isEmpty() && size + s.byteSize() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(s);
            size += s.byteSize();
        }
        if (!current.isEmpty()) shards.add(current);
        return shards;
    }

    private static void writeIndex(Path out, List<SafetensorsWriter.Spec> specs, Map<String, String> weightMap) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.putObject("metadata").put("total_size", specs.stream().mapToLong(SafetensorsWriter.Spec::byteSize).sum());
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        try {
            writeString(out.resolve(SafetensorsCheckpoint.INDEX_FILE),
                    json.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes weight files of an earlier write so a directory never mixes two models. */
    private static void deleteStaleWeights(Path out) {
        try (var files = Files.list(out)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (n.equals(SafetensorsCheckpoint.INDEX_FILE) || n.matches("model(-\\d{5}-of-\\d{5})?\\.safetensors")) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + out + ": " + e.getMessage(), e);
        }
    }

    /** Size of a tokenizer (largest id + 1) and its bos/eos ids when tokenizer_config.json names them. */
    record TokenizerInfo(int size, Integer bosId, Integer eosId) {}

    private static ModelConfig withTokens(ModelConfig c, TokenizerInfo tok) {
        return new ModelConfig(c.family(), c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(),
                c.numKvHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(), c.vocabSize(),
                c.tieWordEmbeddings(), c.maxPositionEmbeddings(), c.qkvBias(),
                tok.bosId() != null ? tok.bosId() : -1,
                tok.eosId() != null ? new int[] {tok.eosId()} : new int[0]);
    }

    private static Path tokenizerJson(Path source) {
        Path json = Files.isDirectory(source) ? source.resolve("tokenizer.json") : source;
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException(json + ": not found; --tokenizer takes a directory holding tokenizer.json"
                    + " or the tokenizer.json file itself");
        }
        return json;
    }

    private static void copyTokenizer(Path source, Path out) {
        Path json = tokenizerJson(source);
        Path config = json.resolveSibling("tokenizer_config.json");
        try {
            Files.copy(json, out.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            if (Files.isRegularFile(config)) {
                Files.copy(config, out.resolve("tokenizer_config.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the tokenizer from " + source + ": " + e.getMessage(), e);
        }
    }

    /** Reads a tokenizer's size and its bos/eos ids (named by tokenizer_config.json beside it, if present). */
    static TokenizerInfo readTokenizer(Path source) {
        Path json = tokenizerJson(source);
        Path config = json.resolveSibling("tokenizer_config.json");
        try {
            ObjectMapper mapper = new ObjectMapper();
            JsonNode tok = mapper.readTree(json.toFile());
            Map<String, Integer> ids = new LinkedHashMap<>();
            int max = -1;
            JsonNode vocab = tok.path("model").path("vocab");
            if (!vocab.isObject()) throw new IllegalArgumentException(json + ": no model.vocab object (not a BPE tokenizer.json)");
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                var e = it.next();
                ids.put(e.getKey(), e.getValue().asInt());
                max = Math.max(max, e.getValue().asInt());
            }
            for (JsonNode t : tok.path("added_tokens")) {
                ids.put(t.path("content").asText(), t.path("id").asInt());
                max = Math.max(max, t.path("id").asInt());
            }
            Integer bos = null, eos = null;
            if (Files.isRegularFile(config)) {
                JsonNode c = mapper.readTree(config.toFile());
                bos = ids.get(tokenText(c.get("bos_token")));
                eos = ids.get(tokenText(c.get("eos_token")));
            }
            return new TokenizerInfo(max + 1, bos, eos);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tokenizer " + json + ": " + e.getMessage(), e);
        }
    }

    /** tokenizer_config.json writes special tokens as a string or as {"content": ...}. */
    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) return null;
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    private static void createDirectory(Path out) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + out + ": " + e.getMessage(), e);
        }
    }

    private static void writeString(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code --shape llama-3.1-8b|qwen-2.5-14b|tiny --out DIR [--seed S] [--layers N] [--tokenizer DIR]};
     * progress goes to stderr.
     */
    public static void main(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!List.of("--shape", "--out", "--seed", "--layers", "--tokenizer").contains(a) || i + 1 >= args.length) {
                System.err.println("usage: synth-model --shape " + Arrays.stream(Shape.values()).map(Shape::id)
                        .collect(Collectors.joining("|")) + " --out DIR [--seed S] [--layers N] [--tokenizer DIR]");
                System.exit(2);
            }
            opts.put(a, args[++i]);
        }
        if (!opts.containsKey("--shape") || !opts.containsKey("--out")) {
            System.err.println("synth-model: --shape and --out are required");
            System.exit(2);
        }
        try {
            Shape shape = Shape.fromId(opts.get("--shape"));
            Result r = write(shape, Path.of(opts.get("--out")), parseNumber(opts, "--seed", "0"),
                    opts.containsKey("--layers") ? Math.toIntExact(parseNumber(opts, "--layers", null)) : null,
                    opts.containsKey("--tokenizer") ? Path.of(opts.get("--tokenizer")) : null,
                    consoleProgress());
            System.err.printf(Locale.ROOT, "wrote %s: %.2f GB in %.1f s (%.0f MB/s)%n", r.directory(),
                    r.bytesWritten() / 1e9, r.seconds(), r.megabytesPerSecond());
        } catch (IllegalArgumentException | ArithmeticException | WeightsFormatException | UncheckedIOException e) {
            System.err.println("synth-model: " + e.getMessage());
            System.exit(2);
        }
    }

    private static long parseNumber(Map<String, String> opts, String option, String defaultValue) {
        String v = opts.getOrDefault(option, defaultValue);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes an integer, got '" + v + "'");
        }
    }

    /** Progress as plain lines on stderr, one per tenth written ({@link ProgressListener#lines}). */
    public static ProgressListener consoleProgress() {
        return ProgressListener.lines(System.err, "synthetic model");
    }
}
