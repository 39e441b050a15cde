package org.apbj.kernels.corpus;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.runtime.Device;

/** Runs a corpus case on two devices with the same random inputs and compares the outputs. */
public final class CorpusRunner {
    private CorpusRunner() {}

    /** Mismatch descriptions (empty when the candidate matches the reference within the case's tolerance). */
    public static List<String> compare(CorpusCase c, Device reference, Device candidate, long seed) {
        Object[] host = c.inputs().apply(new Random(seed));
        DeviceArray[] expected = run(c, reference, host);
        DeviceArray[] actual = run(c, candidate, host);
        List<String> problems = new ArrayList<>();
        for (int k = 0; k < expected.length; k++) {
            compareArrays(c, c.outputs()[k], expected[k], actual[k], problems);
        }
        return problems;
    }

    /** Launches the case on {@code device} with copies of {@code host}; returns host copies of the outputs. */
    public static DeviceArray[] run(CorpusCase c, Device device, Object[] host) {
        Object[] args = new Object[host.length];
        List<DeviceArray> allocated = new ArrayList<>();
        try {
            for (int i = 0; i < host.length; i++) {
                if (host[i] instanceof DeviceArray a) {
                    DeviceArray d = device.upload(a);
                    allocated.add(d);
                    args[i] = d;
                } else {
                    args[i] = host[i];
                }
            }
            device.launch(c.kernel(), c.grid(), args);
            device.synchronize();
            DeviceArray[] out = new DeviceArray[c.outputs().length];
            for (int k = 0; k < out.length; k++) {
                DeviceArray d = (DeviceArray) args[c.outputs()[k]];
                out[k] = hostLike(d);
                device.copyOut(out[k], d);
            }
            return out;
        } finally {
            for (DeviceArray d : allocated) d.close();
        }
    }

    private static DeviceArray hostLike(DeviceArray d) {
        long n = d.length();
        return switch (d) {
            case F32Array a -> F32Array.allocate(n);
            case BF16Array a -> BF16Array.allocate(n);
            case F16Array a -> F16Array.allocate(n);
            case I32Array a -> I32Array.allocate(n);
            case I8Array a -> I8Array.allocate(n);
            case I64Array a -> I64Array.allocate(n);
        };
    }

    private static void compareArrays(CorpusCase c, int arg, DeviceArray expected, DeviceArray actual, List<String> problems) {
        int bad = 0;
        for (long i = 0; i < expected.length(); i++) {
            String e, a;
            boolean ok;
            switch (expected) {
                case F32Array x -> {
                    float ev = x.get(i), av = ((F32Array) actual).get(i);
                    ok = c.tolerance().accepts(ev, av);
                    e = ev + " (0x" + Integer.toHexString(Float.floatToRawIntBits(ev)) + ")";
                    a = av + " (0x" + Integer.toHexString(Float.floatToRawIntBits(av)) + ")";
                }
                case I32Array x -> { int ev = x.get(i), av = ((I32Array) actual).get(i); ok = ev == av; e = "" + ev; a = "" + av; }
                case I64Array x -> { long ev = x.get(i), av = ((I64Array) actual).get(i); ok = ev == av; e = "" + ev; a = "" + av; }
                case I8Array x -> { byte ev = x.get(i), av = ((I8Array) actual).get(i); ok = ev == av; e = "" + ev; a = "" + av; }
                case BF16Array x -> { short ev = x.get(i), av = ((BF16Array) actual).get(i); ok = ev == av; e = hex(ev); a = hex(av); }
                case F16Array x -> { short ev = x.get(i), av = ((F16Array) actual).get(i); ok = ev == av; e = hex(ev); a = hex(av); }
            }
            if (!ok && bad++ < 5) problems.add(c.name() + " argument " + arg + "[" + i + "]: expected " + e + ", got " + a);
        }
        if (bad > 5) problems.add(c.name() + " argument " + arg + ": " + bad + " mismatches in all");
    }

    private static String hex(short s) { return "0x" + Integer.toHexString(s & 0xffff); }
}
