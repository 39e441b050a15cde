package org.apbj.weights;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element types apbj reads from safetensors files. Model weights are BF16, F16 or F32;
 * I32 and I64 exist for token-id tensors in test data (golden files). Every other safetensors
 * dtype (F64, F8_*, BOOL, U8, ...) is refused by {@link #fromSafetensors}.
 */
public enum DType {
    BF16(2, true),
    F16(2, true),
    F32(4, true),
    I32(4, false),
    I64(8, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() { return byteSize; }

    /** BF16, F16 or F32: a type model weights may have. */
    public boolean isFloating() { return floating; }

    /** The name used in safetensors headers ("BF16", "F32", ...). */
    public String safetensorsName() { return name(); }

    /**
     * Parses a safetensors dtype string.
     *
     * @throws WeightsFormatException "unsupported dtype X in tensor Y of FILE" for any other type
     */
    public static DType fromSafetensors(String name, String tensor, Object file) {
        for (DType t : values()) {
            if (t.name().equals(name)) return t;
        }
        throw new WeightsFormatException("unsupported dtype " + name + " in tensor " + tensor + " of " + file
                + "; apbj reads " + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "))
                + " (convert the checkpoint to bf16, e.g. with torch: tensor.to(torch.bfloat16))");
    }
}
