package org.apbj.kernels.lib;

/** GemmWgmmaWs's register split, for the PTX tests in another package. */
public final class GemmWgmmaWsTesting {
    private GemmWgmmaWsTesting() {}

    public static int launchRegisters() { return GemmWgmmaWs.LAUNCH_REGISTERS; }
    public static int producerRegisters() { return GemmWgmmaWs.PRODUCER_REGISTERS; }
    public static int consumerRegisters() { return GemmWgmmaWs.CONSUMER_REGISTERS; }
}
