package org.apbj.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A peer's prefill and decode figures, as scripts/peer/hf_prefill_decode.py prints them:
 * {@code {"peer": "...", "device": "...", "results": [{"tokens": N, "prefill_seconds": S,
 * "decode_ms_per_token": D}, ...]}} (other fields are kept as they are only in the script's file).
 */
final class Peer {
    private Peer() {}

    /** @param decodeMsPerToken null where the peer did not decode */
    record Result(int tokens, double prefillSeconds, Double decodeMsPerToken) {}

    record Figures(String peer, String device, List<Result> results) {
        /** The peer's figures at exactly {@code tokens} context tokens, or null. */
        Result at(int tokens) {
            for (Result r : results) if (r.tokens() == tokens) return r;
            return null;
        }
    }

    static Figures read(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--peer " + file + " is not a readable file");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("--peer " + file + " is not JSON: " + e.getMessage(), e);
        }
        JsonNode results = root.get("results");
        if (results == null || !results.isArray() || results.isEmpty()) {
            throw new IllegalArgumentException("--peer " + file + " has no \"results\" array (expected the JSON that"
                    + " scripts/peer/hf_prefill_decode.py prints)");
        }
        List<Result> out = new ArrayList<>();
        for (JsonNode r : results) {
            JsonNode tokens = r.get("tokens"), prefill = r.get("prefill_seconds"), decode = r.get("decode_ms_per_token");
            if (tokens == null || !tokens.canConvertToInt() || prefill == null || !prefill.isNumber()) {
                throw new IllegalArgumentException("--peer " + file + ": every result needs \"tokens\" and \"prefill_seconds\", got " + r);
            }
            out.add(new Result(tokens.asInt(), prefill.asDouble(), decode != null && decode.isNumber() ? decode.asDouble() : null));
        }
        String peer = root.hasNonNull("peer") ? root.get("peer").asText() : "peer";
        String device = root.hasNonNull("device") ? root.get("device").asText() : "unknown device";
        return new Figures(peer, device, List.copyOf(out));
    }
}
