package org.apbj.parallel.strategy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.opencl.OpenCL;
import org.apbj.model.DeviceModel;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;
import org.apbj.weights.SafetensorsFile;
import org.apbj.weights.Tensor;

/** The repository's tiny-niah model and its golden prompt (983 context + 41 query tokens). */
public final class TinyNiah {
    public static final int QPOS = 2;
    static final int GOLDEN_CONTEXT = 983;

    private TinyNiah() {}

    public static Path dir() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path c = d.resolve("models").resolve("tiny-niah");
            if (Files.isDirectory(c)) return c;
        }
        throw new IllegalStateException("models/tiny-niah not found above " + Path.of("").toAbsolutePath());
    }

    static int[] goldenIds() {
        try (SafetensorsFile f = SafetensorsFile.open(dir().resolve("golden/dense_1024.safetensors"))) {
            for (Tensor t : f.tensors()) if (t.name().equals("input_ids")) return t.toIntArray();
        }
        throw new IllegalStateException("golden input_ids missing");
    }

    /** The golden query, after the first {@code contextTokens} tokens of its context. */
    public static int[][] request(int contextTokens) {
        int[] ids = goldenIds();
        return new int[][] {Arrays.copyOf(ids, contextTokens), Arrays.copyOfRange(ids, GOLDEN_CONTEXT, ids.length)};
    }

    /**
     * A DeviceModel on its own device, one per in-process rank: OpenCL (PoCL in CI) when an
     * OpenCL loader is installed, since the Java device runs the library kernels far slower;
     * else a single-threaded Java device.
     */
    static org.apbj.model.LayerSteps load() {
        return org.apbj.parallel.rank.SerializedLayerSteps.ifSharedCpu(load(testDevice()));
    }

    static Device testDevice() {
        return org.apbj.kernels.runtime.Devices.open(testDeviceSpec());
    }

    /** The device spec of the tests, in-process and under RankMain alike. */
    public static String testDeviceSpec() {
        return OpenCL.libraryPresent() ? "opencl" : "java:1";
    }

    /** A DeviceModel on the given device (the caller's rank owns it; RankRun closes it). */
    static DeviceModel load(Device device) {
        try (ModelWeights w = ModelWeights.open(dir());
             RetainingHeads heads = RetainingHeads.load(dir().resolve("retaining_heads.safetensors"), w.config())) {
            return DeviceModel.load(device, w, heads, 64, 64);
        }
    }
}
