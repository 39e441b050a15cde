package org.apbj.parallel.rank;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.strategy.StrategyOptions;
import org.apbj.parallel.transfer.CommPath;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line of a rank ({@code --key=value} tokens: mpjrun passes single tokens); the
 * options are those of {@link Cli}, whose names match the ./apbj commands' flags.
 *
 * <pre>
 * --model=DIR               Hugging Face model directory (config.json, *.safetensors)       required
 * --heads=FILE              retaining heads (safetensors); default DIR/retaining_heads.safetensors if present
 * --method=M                dense | ring | star | apb                                        required
 * --request=FILE            JSON {"context": [ids], "query": [ids]}, or an array of such objects
 *                           (several requests, one model load)             (or --context= and --query=);
 *                           optional per request: "qpos": N, "max_tokens": N (else --qpos / --max-new-tokens)
 * --context=1,2,3           context token ids
 * --query=4,5               query token ids
 * --anchor-length=N         APB's l_a (default: the rule of ApbLengths)
 * --passing-length=N        APB's l_p (default: the rule of ApbLengths)
 * --qpos=N                  chat-header tokens leading the anchor (default 0)
 * --max-new-tokens=N        tokens to generate (default 32)
 * --device=SPEC             auto | java[:T] | opencl[:P[:D]] | cuda[:N] (default auto: GPU r mod #GPUs)
 * --gpu-map=0,1,..          GPU of each rank (also -Dapbj.gpu.map)
 * --comm-timeout=S          seconds any collective may wait (default -Dapbj.comm.timeout.seconds or 300)
 * --comm-path=P             auto | device | ipc | host: how device data travels (default -Dapbj.comm.path or auto)
 * --overlap=B               true | false: communication beside compute (default -Dapbj.comm.overlap or true)
 * --allow-long-context      run prompts longer than config.json's max_position_embeddings
 * --output=FILE             JSON report, written by rank 0
 * --logits                  also put the first token's logits into the report
 * </pre>
 */
public record RankArgs(Path model, Path heads, Method method, List<TokenRequest> requests, Path requestFile, Integer anchor,
                       Integer passing, int qpos, int maxTokens, String device, String gpuMap, Duration commTimeout,
                       Path output, boolean dumpLogits, boolean allowLongContext, CommPath commPath, boolean overlap) {

    public RankArgs {
        requests = List.copyOf(requests);
        if (commPath == null) commPath = CommPath.AUTO;
        if (requests.isEmpty()) throw new IllegalArgumentException("no request: give --request=FILE or --context= and --query=");
    }

    /** One request given as token ids. */
    public RankArgs(Path model, Path heads, Method method, int[] context, int[] query, Integer anchor, Integer passing,
                    int qpos, int maxTokens, String device, String gpuMap, Duration commTimeout, Path output, boolean dumpLogits) {
        this(model, heads, method, List.of(new TokenRequest(context, query)), null, anchor, passing, qpos, maxTokens, device,
                gpuMap, commTimeout, output, dumpLogits, false, StrategyOptions.commPathFromProperty(), StrategyOptions.overlapFromProperty());
    }

    /** These arguments with another communication path and overlap. */
    public RankArgs withCommunication(CommPath path, boolean overlapped) {
        return new RankArgs(model, heads, method, requests, requestFile, anchor, passing, qpos, maxTokens, device, gpuMap, commTimeout,
                output, dumpLogits, allowLongContext, path, overlapped);
    }

    /** The options, as picocli reads them. */
    @Command(name = "RankMain", description = "One rank of an apbj job (started by mpjrun).")
    static final class Cli {
        @Option(names = "--model", required = true, paramLabel = "DIR") Path model;
        @Option(names = "--heads", paramLabel = "FILE") Path heads;
        @Option(names = "--method", required = true, paramLabel = "M") String method;
        @Option(names = "--request", paramLabel = "FILE") Path request;
        @Option(names = "--context", paramLabel = "IDS") String context;
        @Option(names = "--query", paramLabel = "IDS") String query;
        @Option(names = {"--anchor-length", "--anchor"}, paramLabel = "N") Integer anchor;
        @Option(names = {"--passing-length", "--passing"}, paramLabel = "N") Integer passing;
        @Option(names = "--qpos", paramLabel = "N", defaultValue = "0") int qpos;
        @Option(names = {"--max-new-tokens", "--max-tokens"}, paramLabel = "N", defaultValue = "32") int maxTokens;
        @Option(names = "--device", paramLabel = "SPEC", defaultValue = "auto") String device;
        @Option(names = "--gpu-map", paramLabel = "LIST") String gpuMap;
        @Option(names = "--comm-timeout", paramLabel = "SECONDS") Double commTimeout;
        @Option(names = "--output", paramLabel = "FILE") Path output;
        @Option(names = "--logits") boolean logits;
        @Option(names = "--allow-long-context") boolean allowLongContext;
        @Option(names = "--comm-path", paramLabel = "PATH") String commPath;
        @Option(names = "--overlap", paramLabel = "BOOLEAN") String overlap;
    }

    public static RankArgs parse(String... args) {
        Cli c = new Cli();
        try {
            new CommandLine(c).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException("rank arguments: " + e.getMessage() + " (options: see RankArgs)", e);
        }
        if (!Files.isDirectory(c.model)) throw new IllegalArgumentException("--model=" + c.model + " is not a directory");
        Path heads = c.heads != null ? c.heads : c.model.resolve("retaining_heads.safetensors");
        if (!Files.isRegularFile(heads)) {
            if (c.heads != null) throw new IllegalArgumentException("--heads=" + heads + " does not exist");
            heads = null;
        }
        Method method = Method.parse(c.method);
        List<TokenRequest> requests = new ArrayList<>();
        if (c.request != null) {
            JsonNode root = readJson(c.request);
            for (JsonNode r : root.isArray() ? root : List.of(root)) {
                requests.add(new TokenRequest(ids(r, "context", c.request), ids(r, "query", c.request),
                        optionalInt(r, "qpos", c.request), optionalInt(r, "max_tokens", c.request)));
            }
        } else {
            if (c.context == null || c.query == null) {
                throw new IllegalArgumentException("missing --" + (c.context == null ? "context" : "query")
                        + " (or --request=FILE with {\"context\": [...], \"query\": [...]})");
            }
            requests.add(new TokenRequest(ids(c.context, "context"), ids(c.query, "query")));
        }
        atLeast(c.qpos, 0, "--qpos");
        atLeast(c.maxTokens, 1, "--max-new-tokens");
        if (c.anchor != null) atLeast(c.anchor, 0, "--anchor-length");
        if (c.passing != null) atLeast(c.passing, 0, "--passing-length");
        if (c.commTimeout != null && !(c.commTimeout > 0)) {
            throw new IllegalArgumentException("--comm-timeout=" + c.commTimeout + " must be a positive number of seconds");
        }
        Duration timeout = c.commTimeout == null ? null : Duration.ofMillis((long) Math.ceil(c.commTimeout * 1000));
        CommPath path = c.commPath != null ? CommPath.parse(c.commPath) : StrategyOptions.commPathFromProperty();
        boolean overlap = c.overlap != null ? bool(c.overlap, "--overlap") : StrategyOptions.overlapFromProperty();
        return new RankArgs(c.model, heads, method, requests, c.request, c.anchor, c.passing, c.qpos, c.maxTokens, c.device,
                c.gpuMap != null ? c.gpuMap : System.getProperty("apbj.gpu.map"), timeout, c.output, c.logits, c.allowLongContext,
                path, overlap);
    }

    private static boolean bool(String v, String flag) {
        if (v.strip().equalsIgnoreCase("true")) return true;
        if (v.strip().equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException(flag + "=" + v + " must be true or false");
    }

    /** The arguments back as a command line (for launching ranks). */
    public String[] toArgs() {
        var out = new ArrayList<String>();
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
        if (anchor != null) out.add("--anchor-length=" + anchor);
        if (passing != null) out.add("--passing-length=" + passing);
        boolean onLine = requestFile == null;
        out.add("--qpos=" + (onLine ? requests.getFirst().qposOr(qpos) : qpos));
        out.add("--max-new-tokens=" + (onLine ? requests.getFirst().maxTokensOr(maxTokens) : maxTokens));
        out.add("--device=" + device);
        if (gpuMap != null) out.add("--gpu-map=" + gpuMap);
        if (commTimeout != null) out.add("--comm-timeout=" + commTimeout.toMillis() / 1000.0);
        if (output != null) out.add("--output=" + output);
        if (dumpLogits) out.add("--logits");
        if (allowLongContext) out.add("--allow-long-context");
        out.add("--comm-path=" + commPath.id());
        out.add("--overlap=" + overlap);
        return out.toArray(String[]::new);
    }

    private static void atLeast(int v, int min, String flag) {
        if (v < min) throw new IllegalArgumentException(flag + "=" + v + " must be at least " + min);
    }

    private static String join(int[] ids) {
        return String.join(",", Arrays.stream(ids).mapToObj(Integer::toString).toList());
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

    private static Integer optionalInt(JsonNode root, String field, Path file) {
        JsonNode v = root == null ? null : root.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.canConvertToInt()) throw new IllegalArgumentException("request " + file + ": \"" + field + "\" is not a whole number");
        return v.asInt();
    }

    /**
     * Writes requests as the JSON array {@code --request=FILE} reads (token ids go through a
     * file: 128K ids do not fit on a command line), with each request's own qpos and max tokens.
     */
    public static void writeRequests(Path file, List<TokenRequest> requests) {
        ObjectMapper json = new ObjectMapper();
        ArrayNode all = json.createArrayNode();
        for (TokenRequest r : requests) {
            ObjectNode o = all.addObject();
            ArrayNode context = o.putArray("context");
            for (int id : r.context()) context.add(id);
            ArrayNode query = o.putArray("query");
            for (int id : r.query()) query.add(id);
            if (r.qpos() != null) o.put("qpos", r.qpos());
            if (r.maxTokens() != null) o.put("max_tokens", r.maxTokens());
        }
        try {
            json.writeValue(file.toFile(), all);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the requests to " + file + ": " + e.getMessage(), e);
        }
    }

    private static int[] ids(JsonNode root, String field, Path file) {
        JsonNode arr = root == null ? null : root.get(field);
        if (arr == null || !arr.isArray()) {
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
