package org.apbj.parallel.transfer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where ranks that are threads of one JVM leave each other the buffers of a device collective.
 * MPJ Express multicore loads the rank program once per rank, each through its own class loader,
 * so a static field of a project class is not shared between ranks; the board therefore lives in
 * the system properties (a JDK object every loader sees) and holds only JDK types
 * (Long handles, MemorySegments), never project classes.
 */
final class SharedBoard {
    private static final String KEY = "apbj.transfer.shared-board";

    private SharedBoard() {}

    @SuppressWarnings("unchecked")
    private static Map<String, Object[]> board() {
        return (Map<String, Object[]>) System.getProperties().computeIfAbsent(KEY, k -> new ConcurrentHashMap<String, Object[]>());
    }

    static void put(String key, Object[] value) { board().put(key, value); }

    static Object[] get(String key) {
        Object[] v = board().get(key);
        if (v == null) throw new IllegalStateException("no post '" + key + "' on the shared board: the ranks are not threads of one JVM");
        return v;
    }

    static void remove(String key) { board().remove(key); }
}
