package org.apbj.parallel.rank;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apbj.parallel.strategy.Method;

/**
 * The command line of a rank: {@code --key=value} tokens (mpjrun passes single tokens).
 *
 * <pre>
 * --model=DIR            Hugging Face model directory (config.json, *.safetensors)       required
 * --heads=FILE           retaining heads (safetensors); default DIR/retaining_heads.safetensors if present
 * --method=M             dense | ring | star | apb                                        required
 * --request=FILE         JSON {"context": [ids], "query": [ids]}, or an array of such objects
 *                        (several requests, one model load); optional per request:
 *                        "qpos": N, "max_tokens": N (else --qpos / --max-tokens) (or --context= and --query=)
 * --context=1,2,3        context token ids
 * --query=4,5            query token ids
 * --anchor=N --passing=N APB's l_a and l_p (default: the rule of ApbLengths)
 * --qpos=N               chat-header tokens leading the anchor (default 0)
 * --max-tokens=N         tokens to generate (default 32)
 * --device=SPEC          auto | java[:T] | opencl[:P[:D]] | cuda[:N] (default auto: GPU r mod #GPUs)
 * --gpu-map=0,1,..       GPU of each rank (also -Dapbj.gpu.map)
 * --comm-timeout=S       seconds any collective may wait (default -Dapbj.comm.timeout.seconds or 300)
 * --output=FILE          JSON report, written by rank 0
 * --logits               also put the first token's logits into the report
 * </pre>
 */
public record RankArgs(Path model, Path heads, Method method, List<TokenRequest> requests, Path requestFile, Integer anchor,
                       Integer passing, int qpos, int maxTokens, String device, String gpuMap, Duration commTimeout,
                       Path output, boolean dumpLogits) {

    public RankArgs {
        requests = List.copyOf(requests);
        if (requests.isEmpty()) throw new IllegalArgumentException("no request: give --request=FILE or --context= and --query=");
    }

    /** One request given as token ids. */
    public RankArgs(Path model, Path heads, Method method, int[] context, int[] query, Integer anchor, Integer passing,
                    int qpos, int maxTokens, String device, String gpuMap, Duration commTimeout, Path output, boolean dumpLogits) {
        this(model, heads, method, List.of(new TokenRequest(context, query)), null, anchor, passing, qpos, maxTokens, device,
                gpuMap, commTimeout, output, dumpLogits);
    }

    private static final Set<String> KEYS = Set.of("model", "heads", "method", "request", "context", "query", "anchor",
            "passing", "qpos", "max-tokens", "device", "gpu-map", "comm-timeout", "output", "logits");

    public static RankArgs parse(String... args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String a : args) {
            if (!a.startsWith("--")) throw new IllegalArgumentException("argument '" + a + "' is not --key=value; keys: " + KEYS);
            int eq = a.indexOf('=');
            String key = eq < 0 ? a.substring(2) : a.substring(2, eq);
            if (!KEYS.contains(key)) throw new IllegalArgumentException("unknown option --" + key + "; known: " + KEYS);
            m.put(key, eq < 0 ? "true" : a.substring(eq + 1));
        }
        Path model = Path.of(required(m, "model"));
        if (!Files.isDirectory(model)) throw new IllegalArgumentException("--model=" + model + " is not a directory");
        Path heads = m.containsKey("heads") ? Path.of(m.get("heads")) : model.resolve("retaining_heads.safetensors");
        if (!Files.isRegularFile(heads)) {
            if (m.containsKey("heads")) throw new IllegalArgumentException("--heads=" + heads + " does not exist");
            heads = null;
        }
        Method method = Method.parse(required(m, "method"));
        List<TokenRequest> requests = new ArrayList<>();
        Path requestFile = null;
        if (m.containsKey("request")) {
            requestFile = Path.of(m.get("request"));
            JsonNode root = readJson(requestFile);
            for (JsonNode r : root.isArray() ? root : List.of(root)) {
                requests.add(new TokenRequest(ids(r, "context", m.get("request")), ids(r, "query", m.get("request")),
                        optionalInt(r, "qpos", m.get("request")), optionalInt(r, "max_tokens", m.get("request"))));
            }
        } else {
            requests.add(new TokenRequest(ids(required(m, "context"), "context"), ids(required(m, "query"), "query")));
        }
        Duration timeout = m.containsKey("comm-timeout")
                ? Duration.ofMillis((long) (positive(m.get("comm-timeout"), "comm-timeout") * 1000)) : null;
        return new RankArgs(model, heads, method, requests, requestFile,
                m.containsKey("anchor") ? (int) nonNegative(m.get("anchor"), "anchor") : null,
                m.containsKey("passing") ? (int) nonNegative(m.get("passing"), "passing") : null,
                m.containsKey("qpos") ? (int) nonNegative(m.get("qpos"), "qpos") : 0,
                m.containsKey("max-tokens") ? (int) positive(m.get("max-tokens"), "max-tokens") : 32,
                m.getOrDefault("device", "auto"), m.getOrDefault("gpu-map", System.getProperty("apbj.gpu.map")),
                timeout, m.containsKey("output") ? Path.of(m.get("output")) : null, Boolean.parseBoolean(m.getOrDefault("logits", "false")));
    }

    /** The arguments back as a command line (for launching ranks). */
    public String[] toArgs() {
        var out = new java.util.ArrayList<String>();
        out.add("--model=" + model);
        if (heads != null) out.add("--heads=" + heads);
        out.add("--method=" + method.id());
        if (requestFile != null) {
            out.add("--request=" + requestFile);
        } else if (requests.size() > 1) {
            throw new IllegalStateException(requests.size() + " requests cannot go on a command line: write them to a file"
                    + " (writeRequests) and pass it as the request file");
        } else {
            out.add("--context=" + join(requests.getFirst().context()));
            out.add("--query=" + join(requests.getFirst().query()));
        }
        if (anchor != null) out.add("--anchor=" + anchor);
        if (passing != null) out.add("--passing=" + passing);
        boolean onLine = requestFile == null;
        out.add("--qpos=" + (onLine ? requests.getFirst().qposOr(qpos) : qpos));
        out.add("--max-tokens=" + (onLine ? requests.getFirst().maxTokensOr(maxTokens) : maxTokens));
        out.add("--device=" + device);
        if (gpuMap != null) out.add("--gpu-map=" + gpuMap);
        if (commTimeout != null) out.add("--comm-timeout=" + commTimeout.toMillis() / 1000.0);
        if (output != null) out.add("--output=" + output);
        if (dumpLogits) out.add("--logits");
        return out.toArray(String[]::new);
    }

    private static String join(int[] ids) {
        return String.join(",", Arrays.stream(ids).mapToObj(Integer::toString).toList());
    }

    private static String required(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("missing --" + key + (key.equals("context") || key.equals("query")
                    ? " (or --request=FILE with {\"context\": [...], \"query\": [...]})" : ""));
        }
        return v;
    }

    private static double positive(String v, String key) {
        double d = number(v, key);
        if (!(d > 0)) throw new IllegalArgumentException("--" + key + "=" + v + " must be positive");
        return d;
    }

    private static double nonNegative(String v, String key) {
        double d = number(v, key);
        if (d < 0 || d != Math.rint(d)) throw new IllegalArgumentException("--" + key + "=" + v + " must be a whole number >= 0");
        return d;
    }

    private static double number(String v, String key) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + "=" + v + " is not a number", e);
        }
    }

    private static int[] ids(String csv, String what) {
        try {
            return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + what + " must be comma-separated token ids: " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the request " + p + ": " + e.getMessage(), e);
        }
    }

    private static Integer optionalInt(JsonNode root, String field, String file) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.canConvertToInt()) throw new IllegalArgumentException("request " + file + ": \"" + field + "\" is not a whole number");
        return v.asInt();
    }

    /**
     * Writes requests as the JSON array {@code --request=FILE} reads (token ids go through a
     * file: 128K ids do not fit on a command line), with each request's own qpos and max tokens.
     */
    public static void writeRequests(Path file, List<TokenRequest> requests) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < requests.size(); i++) {
            TokenRequest r = requests.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("{\"context\": ").append(Arrays.toString(r.context()))
                    .append(", \"query\": ").append(Arrays.toString(r.query()));
            if (r.qpos() != null) b.append(", \"qpos\": ").append(r.qpos());
            if (r.maxTokens() != null) b.append(", \"max_tokens\": ").append(r.maxTokens());
            b.append('}');
        }
        try {
            Files.writeString(file, b.append("\n]\n").toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the requests to " + file + ": " + e.getMessage(), e);
        }
    }

    private static int[] ids(JsonNode root, String field, String file) {
        JsonNode arr = root.get(field);
        if (root == null || arr == null || !arr.isArray()) {
            throw new IllegalArgumentException("request " + file + " needs an array \"" + field + "\" of token ids");
        }
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            if (!arr.get(i).canConvertToInt()) throw new IllegalArgumentException("request " + file + ": " + field + "[" + i + "] is not a token id");
            out[i] = arr.get(i).asInt();
        }
        return out;
    }
}
