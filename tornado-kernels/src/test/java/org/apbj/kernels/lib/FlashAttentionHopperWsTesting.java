package org.apbj.kernels.lib;

/** FlashAttentionHopperWs's register split, for the PTX tests in another package. */
public final class FlashAttentionHopperWsTesting {
    private FlashAttentionHopperWsTesting() {}

    public static int launchRegisters() { return FlashAttentionHopperWs.LAUNCH_REGISTERS; }
    public static int producerRegisters() { return FlashAttentionHopperWs.PRODUCER_REGISTERS; }
    public static int consumerRegisters() { return FlashAttentionHopperWs.CONSUMER_REGISTERS; }
    public static int qLoaderProducerRegisters() { return FlashAttentionHopperWs.Q_LOADER_PRODUCER_REGISTERS; }
    public static int qLoaderConsumerRegisters() { return FlashAttentionHopperWs.Q_LOADER_CONSUMER_REGISTERS; }
}
