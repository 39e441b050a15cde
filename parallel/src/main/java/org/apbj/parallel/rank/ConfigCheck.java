package org.apbj.parallel.rank;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apbj.parallel.comm.Communicator;

/**
 * Start-up check that every rank runs the same job: each rank hashes each field of its
 * configuration, the hashes are all-gathered, and every rank compares every rank with rank 0;
 * so all ranks agree on the outcome and fail together, naming the rank and the field.
 */
public final class ConfigCheck {

    /** The ranks were started with different configurations. */
    public static final class MismatchException extends RuntimeException {
        public MismatchException(String message) { super(message); }
    }

    private final Map<String, byte[]> fields = new LinkedHashMap<>();

    public ConfigCheck add(String field, String value) {
        fields.put(field, value.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    public ConfigCheck add(String field, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4 + 4).putInt(values.length);
        for (int v : values) b.putInt(v);
        fields.put(field, b.array());
        return this;
    }

    public ConfigCheck add(String field, byte[] bytes) {
        fields.put(field, bytes.clone());
        return this;
    }

    public List<String> fieldNames() { return List.copyOf(fields.keySet()); }

    /** Compares with every rank; throws {@link MismatchException} on all ranks if any field differs. */
    public void verify(Communicator comm) {
        int n = fields.size();
        int[] mine = new int[n * 2 + 1];
        mine[0] = n;
        int i = 0;
        for (byte[] v : fields.values()) {
            long h = hash(v);
            mine[1 + 2 * i] = (int) (h >>> 32);
            mine[2 + 2 * i] = (int) h;
            i++;
        }
        int[] all = new int[mine.length * comm.size()];
        comm.allGather(mine, all);
        List<String> diffs = new ArrayList<>();
        List<String> names = fieldNames();
        for (int r = 1; r < comm.size(); r++) {
            int base = r * mine.length;
            if (all[base] != n) {
                diffs.add("rank " + r + " checks " + all[base] + " fields, rank 0 checks " + n + " (different program versions)");
                continue;
            }
            for (int f = 0; f < n; f++) {
                if (all[base + 1 + 2 * f] != all[1 + 2 * f] || all[base + 2 + 2 * f] != all[2 + 2 * f]) {
                    diffs.add("rank " + r + " differs from rank 0 in '" + names.get(f) + "'");
                }
            }
        }
        if (!diffs.isEmpty()) {
            throw new MismatchException("ranks were started with different configurations: " + String.join("; ", diffs)
                    + ". Start every rank with the same arguments.");
        }
    }

    static long hash(byte[] v) {
        try {
            return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(v)).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
