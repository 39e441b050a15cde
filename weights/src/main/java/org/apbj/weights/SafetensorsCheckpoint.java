package org.apbj.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tensors of a Hugging Face model directory: {@code model.safetensors}, or the shards listed
 * by {@code model.safetensors.index.json} (whose weight_map must agree exactly with the shards'
 * contents). Every file is memory-mapped; tensors stay valid until {@link #close()}.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;

    private SafetensorsCheckpoint(Path directory, List<SafetensorsFile> files, Map<String, Tensor> tensors) {
        this.directory = directory;
        this.files = files;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Opens the weights of a model directory (single file first, as transformers does, else the index). */
    public static SafetensorsCheckpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new WeightsFormatException(dir + ": not a directory (expected a Hugging Face model directory)");
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            return new SafetensorsCheckpoint(dir, List.of(f), new LinkedHashMap<>(asMap(f)));
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) return openSharded(dir, index);
        throw new WeightsFormatException(dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE + missingHint(dir));
    }

    private static String missingHint(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            boolean hasBin = s.anyMatch(p -> p.getFileName().toString().endsWith(".bin"));
            return hasBin ? "; the directory has PyTorch .bin weights: download the safetensors revision of the model,"
                    + " or convert the .bin files (see the weights module's README)" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static Map<String, Tensor> asMap(SafetensorsFile f) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Tensor t : f.tensors()) m.put(t.name(), t);
        return m;
    }

    private static SafetensorsCheckpoint openSharded(Path dir, Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        weightMap.forEach((tensor, shard) -> byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(tensor));
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                String shard = e.getKey();
                List<String> listed = e.getValue();
                Path shardPath = dir.resolve(shard);
                if (!Files.isRegularFile(shardPath)) {
                    throw new WeightsFormatException(index + ": shard " + shard + " (holding " + listed.get(0)
                            + (listed.size() > 1 ? " and " + (listed.size() - 1) + " more tensors" : "")
                            + ") does not exist in " + dir);
                }
                SafetensorsFile f = SafetensorsFile.open(shardPath);
                opened.add(f);
                for (String name : listed) {
                    if (!f.contains(name)) {
                        throw new WeightsFormatException(index + ": maps tensor " + name + " to shard " + shard
                                + ", which has no such tensor");
                    }
                }
                for (String name : f.names()) {
                    String mapped = weightMap.get(name);
                    if (!shard.equals(mapped)) {
                        throw new WeightsFormatException(shardPath + ": holds tensor " + name + " which " + index.getFileName()
                                + (mapped == null ? " does not list" : " maps to shard " + mapped));
                    }
                }
                tensors.putAll(asMap(f));
            }
            // Order tensors as the index lists them.
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            for (String name : weightMap.keySet()) ordered.put(name, tensors.get(name));
            return new SafetensorsCheckpoint(dir, List.copyOf(opened), ordered);
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(index));
        } catch (JsonProcessingException e) {
            throw new WeightsFormatException(index + ": not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index + ": " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new WeightsFormatException(index + ": missing \"weight_map\" object (tensor name -> shard file)");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            String shard = v.isTextual() ? v.asText() : null;
            if (shard == null || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..")
                    || shard.equals(".")) {
                throw new WeightsFormatException(index + ": tensor " + f.getKey() + " maps to " + v
                        + ", expected a shard file name in the same directory (e.g. model-00001-of-00004.safetensors)");
            }
            out.put(f.getKey(), shard);
        }
        if (out.isEmpty()) throw new WeightsFormatException(index + ": \"weight_map\" is empty");
        return out;
    }

    public Path directory() { return directory; }

    /** Tensor names in index (or header) order. */
    public java.util.Set<String> names() { return tensors.keySet(); }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** The tensor called {@code name}; fails naming the directory if there is none. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new WeightsFormatException(directory + ": the checkpoint has no tensor named " + name);
        return t;
    }

    /** The mapped files (one, or one per shard). */
    public List<SafetensorsFile> files() { return files; }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
