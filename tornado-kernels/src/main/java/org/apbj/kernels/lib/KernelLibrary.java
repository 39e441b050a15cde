package org.apbj.kernels.lib;

import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;

import org.apbj.kernels.api.Constant;
import org.apbj.kernels.jit.KernelSources;
import org.apbj.kernels.runtime.Kernel;

/** Every kernel of the library (for {@code ./apbj kernels --emit} and the compile-everything tests). */
public final class KernelLibrary {
    private KernelLibrary() {}

    public static final Kernel EMBED = Kernel.of(Embedding.class, "embed");
    public static final Kernel RMS_NORM = Kernel.of(RmsNorm.class, "rmsNorm");
    public static final Kernel ROPE_F32 = Kernel.of(Rope.class, "ropeF32");
    public static final Kernel ROPE_BF16 = Kernel.of(Rope.class, "ropeBf16");
    public static final Kernel MATMUL = Kernel.of(Gemm.class, "matmul");
    public static final Kernel MATMUL_BF16_OUT = Kernel.of(Gemm.class, "matmulBf16Out");
    public static final Kernel MATMUL_TC = Kernel.of(GemmTc.class, "matmulTc");
    public static final Kernel MATMUL_TC_BF16_OUT = Kernel.of(GemmTc.class, "matmulTcBf16Out");
    public static final Kernel MATVEC = Kernel.of(Matvec.class, "matvec");
    public static final Kernel MATVEC_BF16_OUT = Kernel.of(Matvec.class, "matvecBf16Out");
    public static final Kernel MATVEC_SWIGLU = Kernel.of(Matvec.class, "matvecSwiGlu");
    public static final Kernel SWIGLU = Kernel.of(SwiGlu.class, "swiGlu");
    public static final Kernel ATTENTION = Kernel.of(Attention.class, "attention");
    public static final Kernel FLASH_ATTENTION = Kernel.of(FlashAttention.class, "attention");
    public static final Kernel MERGE_SPLITS = Kernel.of(Attention.class, "mergeSplits");
    public static final Kernel MERGE_ATTENTION = Kernel.of(LseMerge.class, "mergeAttention");
    public static final Kernel RETAINING_HIDDEN = Kernel.of(RetainingHeads.class, "retainingHidden");
    public static final Kernel RETAINING_OUT = Kernel.of(RetainingHeads.class, "retainingOut");
    public static final Kernel MAX_POOL5 = Kernel.of(RetainingHeads.class, "maxPool5");
    public static final Kernel TOP_K_ROWS = Kernel.of(TopK.class, "topKRows");
    public static final Kernel GATHER_KV = Kernel.of(TopK.class, "gatherKv");
    public static final Kernel ARGMAX = Kernel.of(Sampling.class, "argmax");
    public static final Kernel SAMPLE_TOP_P = Kernel.of(Sampling.class, "sampleTopP");

    private static final List<Kernel> ALL = List.of(EMBED, RMS_NORM, ROPE_F32, ROPE_BF16, MATMUL, MATMUL_BF16_OUT,
            MATMUL_TC, MATMUL_TC_BF16_OUT,
            MATVEC, MATVEC_BF16_OUT, MATVEC_SWIGLU, SWIGLU, ATTENTION, FLASH_ATTENTION, MERGE_SPLITS, MERGE_ATTENTION, RETAINING_HIDDEN, RETAINING_OUT, MAX_POOL5,
            TOP_K_ROWS, GATHER_KV, ARGMAX, SAMPLE_TOP_P);

    public static List<Kernel> all() { return ALL; }

    /**
     * Every kernel with the @Constant values the model launches it with (head dims 64 and 128,
     * 1 and 8 decode rows, both settings of each flag), one entry per combination, labelled
     * {@code Class_method[__name=value...]}: what {@code ./apbj kernels --emit} writes and what
     * the compile-everything test assembles.
     */
    public static List<KernelSources.Specialisation> specialisations() {
        List<KernelSources.Specialisation> out = new ArrayList<>();
        for (Kernel k : ALL) {
            Parameter[] params = k.method().getParameters();
            List<Object[]> combos = new ArrayList<>();
            combos.add(new Object[params.length - 1]);
            List<String> labels = new ArrayList<>(List.of(k.owner().getSimpleName() + "_" + k.name()));
            for (int i = 1; i < params.length; i++) {
                if (!params[i].isAnnotationPresent(Constant.class)) continue;
                List<Object> values = constantValues(k, params[i]);
                List<Object[]> nextCombos = new ArrayList<>();
                List<String> nextLabels = new ArrayList<>();
                for (int c = 0; c < combos.size(); c++) {
                    for (Object v : values) {
                        Object[] args = combos.get(c).clone();
                        args[i - 1] = v;
                        nextCombos.add(args);
                        nextLabels.add(labels.get(c) + "__" + params[i].getName() + "=" + v);
                    }
                }
                combos = nextCombos;
                labels = nextLabels;
            }
            for (int c = 0; c < combos.size(); c++) out.add(new KernelSources.Specialisation(k, combos.get(c), labels.get(c)));
        }
        return out;
    }

    private static List<Object> constantValues(Kernel k, Parameter p) {
        if (p.getType() == boolean.class) return List.of(false, true);
        return switch (p.getName()) {
            case "headDim" -> List.of(64, 128);
            case "rows" -> List.of(1, Matvec.MAX_ROWS);
            default -> throw new IllegalStateException(k.qualifiedName() + ": no representative values for @Constant "
                    + p.getType() + " " + p.getName() + ": add them to KernelLibrary.constantValues");
        };
    }
}
