package org.apbj.parallel.transfer;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.apbj.kernels.runtime.Backend;
import org.apbj.parallel.comm.Communicator;

/**
 * Where the ranks of a job run, found by one all-gather: whether they are threads of one JVM,
 * processes of one machine, and whether every rank's device is of one backend.
 */
record RankPlacement(boolean sameJvm, boolean sameMachine, boolean allCuda, boolean allJava) {

    private static final int BYTES = 16 + 16 + 4;

    /** Collective: every rank calls it with its device's backend. */
    static RankPlacement of(Communicator comm, Backend backend) {
        ByteBuffer mine = ByteBuffer.allocate(BYTES);
        mine.put(digest(machineId()));
        ProcessHandle self = ProcessHandle.current();
        mine.putLong(self.pid()).putLong(self.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L));
        mine.putInt(backend.ordinal());
        byte[] all = new byte[BYTES * comm.size()];
        comm.allGather(mine.array(), all);
        boolean jvm = true, machine = true, cuda = true, java = true;
        for (int r = 0; r < comm.size(); r++) {
            byte[] other = Arrays.copyOfRange(all, r * BYTES, (r + 1) * BYTES);
            machine &= Arrays.equals(other, 0, 16, mine.array(), 0, 16);
            jvm &= Arrays.equals(other, 0, 32, mine.array(), 0, 32);
            int b = ByteBuffer.wrap(other, 32, 4).getInt();
            cuda &= b == Backend.CUDA.ordinal();
            java &= b == Backend.JAVA.ordinal();
        }
        return new RankPlacement(jvm, machine, cuda, java);
    }

    /** This boot of this machine (Linux), else its host name. */
    private static String machineId() {
        try {
            Path boot = Path.of("/proc/sys/kernel/random/boot_id");
            if (Files.isReadable(boot)) return Files.readString(boot).strip();
        } catch (IOException e) {
            // fall back to the host name
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    private static byte[] digest(String s) {
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
