package org.apbj.kernels.lib;

import java.util.ArrayList;
import java.util.List;

import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.jit.KernelSources;

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
    public static final Kernel MATMUL_WGMMA = Kernel.of(GemmWgmma.class, "matmul");
    public static final Kernel MATMUL_WGMMA_BF16_OUT = Kernel.of(GemmWgmma.class, "matmulBf16Out");
    public static final Kernel MATMUL_WGMMA_SWIGLU = Kernel.of(GemmWgmma.class, "matmulSwiGlu");
    public static final Kernel MATMUL_TMA = Kernel.of(GemmTma.class, "matmul");
    public static final Kernel MATMUL_TMA_BF16_OUT = Kernel.of(GemmTma.class, "matmulBf16Out");
    public static final Kernel MATMUL_TMA_SWIGLU = Kernel.of(GemmTma.class, "matmulSwiGlu");
    public static final Kernel MATMUL_PINGPONG = Kernel.of(GemmTmaPingPong.class, "matmul");
    public static final Kernel MATMUL_PINGPONG_BF16_OUT = Kernel.of(GemmTmaPingPong.class, "matmulBf16Out");
    public static final Kernel MATMUL_PINGPONG_SWIGLU = Kernel.of(GemmTmaPingPong.class, "matmulSwiGlu");
    public static final Kernel RMS_NORM_BF16 = Kernel.of(RmsNorm.class, "rmsNormBf16");
    public static final Kernel RMS_NORM_BF16_WIDE = Kernel.of(RmsNorm.class, "rmsNormBf16Wide");
    public static final Kernel TO_BF16 = Kernel.of(Convert.class, "toBf16");
    public static final Kernel MATVEC = Kernel.of(Matvec.class, "matvec");
    public static final Kernel MATVEC_BF16_OUT = Kernel.of(Matvec.class, "matvecBf16Out");
    public static final Kernel MATVEC_SWIGLU = Kernel.of(Matvec.class, "matvecSwiGlu");
    public static final Kernel MATVEC_QKV_ROPE = Kernel.of(Matvec.class, "matvecQkvRope");
    public static final Kernel MATVEC_SPLIT = Kernel.of(Matvec.class, "matvecSplit");
    public static final Kernel MATVEC_BF16_OUT_SPLIT = Kernel.of(Matvec.class, "matvecBf16OutSplit");
    public static final Kernel MATVEC_QKV_ROPE_SPLIT = Kernel.of(Matvec.class, "matvecQkvRopeSplit");
    public static final Kernel MATVEC_TC = Kernel.of(MatvecTc.class, "matvecTc");
    public static final Kernel MATVEC_TC_BF16_OUT = Kernel.of(MatvecTc.class, "matvecTcBf16Out");
    public static final Kernel MATVEC_TC_SWIGLU = Kernel.of(MatvecTc.class, "matvecTcSwiGlu");
    public static final Kernel SWIGLU = Kernel.of(SwiGlu.class, "swiGlu");
    public static final Kernel ATTENTION = Kernel.of(Attention.class, "attention");
    public static final Kernel FLASH_ATTENTION = Kernel.of(FlashAttention.class, "attention");
    public static final Kernel FLASH_ATTENTION_FA2 = Kernel.of(FlashAttentionFa2.class, "attention");
    public static final Kernel DECODE_ATTENTION = Kernel.of(DecodeAttention.class, "attention");
    public static final Kernel DECODE_ADVANCE = Kernel.of(DecodeStep.class, "advance");
    public static final Kernel FLASH_ATTENTION_HOPPER = Kernel.of(FlashAttentionHopper.class, "attention");
    public static final Kernel FLASH_ATTENTION_HOPPER_WS = Kernel.of(FlashAttentionHopperWs.class, "attention");
    public static final Kernel FLASH_ATTENTION_HOPPER_WS_TMA = Kernel.of(FlashAttentionHopperWs.class, "attentionTma");
    public static final Kernel FLASH_ATTENTION_HOPPER_WS_TMA_PERSISTENT =
            Kernel.of(FlashAttentionHopperWs.class, "attentionTmaPersistent");
    public static final Kernel MERGE_SPLITS = Kernel.of(Attention.class, "mergeSplits");
    public static final Kernel MERGE_ATTENTION = Kernel.of(LseMerge.class, "mergeAttention");
    public static final Kernel RETAINING_HIDDEN = Kernel.of(RetainingHeads.class, "retainingHidden");
    public static final Kernel RETAINING_PACK = Kernel.of(RetainingHeads.class, "packInput");
    public static final Kernel RETAINING_POOL = Kernel.of(RetainingHeads.class, "retainingPool");
    public static final Kernel TOP_K_ROWS = Kernel.of(TopK.class, "topKRows");
    public static final Kernel GATHER_KV = Kernel.of(TopK.class, "gatherKv");
    public static final Kernel ARGMAX = Kernel.of(Sampling.class, "argmax");
    public static final Kernel SAMPLE_TOP_P = Kernel.of(Sampling.class, "sampleTopP");

    private static final List<Kernel> ALL = List.of(EMBED, RMS_NORM, RMS_NORM_BF16, RMS_NORM_BF16_WIDE, TO_BF16, ROPE_F32, ROPE_BF16, MATMUL, MATMUL_BF16_OUT,
            MATMUL_TC, MATMUL_TC_BF16_OUT,
            MATVEC, MATVEC_BF16_OUT, MATVEC_SWIGLU, MATVEC_QKV_ROPE, MATVEC_SPLIT, MATVEC_BF16_OUT_SPLIT, MATVEC_QKV_ROPE_SPLIT,
            MATVEC_TC, MATVEC_TC_BF16_OUT, MATVEC_TC_SWIGLU,
            SWIGLU, ATTENTION, FLASH_ATTENTION, FLASH_ATTENTION_FA2, DECODE_ATTENTION, DECODE_ADVANCE, MERGE_SPLITS, MERGE_ATTENTION, RETAINING_HIDDEN, RETAINING_PACK, RETAINING_POOL,
            TOP_K_ROWS, GATHER_KV, ARGMAX, SAMPLE_TOP_P);

    /** Kernels that use architecture-specific Hopper instructions (wgmma): PTX for sm_90a only. */
    private static final List<Kernel> HOPPER = List.of(MATMUL_WGMMA, MATMUL_WGMMA_BF16_OUT, MATMUL_WGMMA_SWIGLU,
            MATMUL_TMA, MATMUL_TMA_BF16_OUT, MATMUL_TMA_SWIGLU, MATMUL_PINGPONG, MATMUL_PINGPONG_BF16_OUT,
            MATMUL_PINGPONG_SWIGLU, FLASH_ATTENTION_HOPPER, FLASH_ATTENTION_HOPPER_WS, FLASH_ATTENTION_HOPPER_WS_TMA,
            FLASH_ATTENTION_HOPPER_WS_TMA_PERSISTENT);

    /** Hopper kernels that hand work between warpgroups through mbarriers, fed by tensor maps: no OpenCL version. */
    private static final List<Kernel> GPU_ONLY = List.of(MATMUL_TMA, MATMUL_TMA_BF16_OUT, MATMUL_TMA_SWIGLU,
            MATMUL_PINGPONG, MATMUL_PINGPONG_BF16_OUT, MATMUL_PINGPONG_SWIGLU, FLASH_ATTENTION_HOPPER_WS,
            FLASH_ATTENTION_HOPPER_WS_TMA, FLASH_ATTENTION_HOPPER_WS_TMA_PERSISTENT);

    /** The kernels every target compiles (PTX sm_80 and later, OpenCL). */
    public static List<Kernel> all() { return ALL; }

    /**
     * The kernels only sm_90a compiles to PTX; their Java bodies run on the Java device, and on
     * OpenCL too except for {@link #gpuOnly()}.
     */
    public static List<Kernel> hopper() { return HOPPER; }

    /** Hopper kernels with producer/consumer hand-offs (mbarrier): PTX and the Java device only. */
    public static List<Kernel> gpuOnly() { return GPU_ONLY; }

    /**
     * Every kernel with the @Constant values the model launches it with (head dims 64 and 128,
     * 1 and 8 decode rows, both settings of each flag), one entry per combination, labelled
     * {@code Class_method[__name=value...]}: what {@code ./apbj kernels --emit} writes and what
     * the compile-everything test assembles.
     */
    public static List<KernelSources.Specialisation> specialisations() { return specialisations(ALL); }

    /** As {@link #specialisations()} for the {@link #hopper()} kernels. */
    public static List<KernelSources.Specialisation> hopperSpecialisations() { return specialisations(HOPPER); }

    private static List<KernelSources.Specialisation> specialisations(List<Kernel> kernels) {
        List<KernelSources.Specialisation> out = new ArrayList<>();
        for (Kernel k : kernels) {
            List<Kernel.Param> params = k.params();
            List<Object[]> combos = new ArrayList<>();
            combos.add(new Object[params.size() - 1]);
            List<String> labels = new ArrayList<>(List.of(k.owner().getSimpleName() + "_" + k.name()));
            for (int i = 1; i < params.size(); i++) {
                if (!params.get(i).constant()) continue;
                List<Object> values = constantValues(k, params.get(i));
                List<Object[]> nextCombos = new ArrayList<>();
                List<String> nextLabels = new ArrayList<>();
                for (int c = 0; c < combos.size(); c++) {
                    for (Object v : values) {
                        Object[] args = combos.get(c).clone();
                        args[i - 1] = v;
                        nextCombos.add(args);
                        nextLabels.add(labels.get(c) + "__" + params.get(i).name() + "=" + v);
                    }
                }
                combos = nextCombos;
                labels = nextLabels;
            }
            for (int c = 0; c < combos.size(); c++) out.add(new KernelSources.Specialisation(k, combos.get(c), labels.get(c)));
        }
        return out;
    }

    private static List<Object> constantValues(Kernel k, Kernel.Param p) {
        if (p.type() == boolean.class) return List.of(false, true);
        return switch (p.name()) {
            case "headDim" -> List.of(64, 128);
            case "rows" -> List.of(1, Matvec.MAX_ROWS);
            case "mTiles" -> List.of(GemmWgmma.MAX_M_TILES);
            case "tileColumns" -> List.of(GemmTmaPingPong.NARROW, GemmTmaPingPong.WIDE);   // the ping-pong GEMM's tile widths
            case "stages" -> List.of(2, FlashAttentionHopperWs.MAX_STAGES);   // the K/V ring of the pipelined attention
            case "fa2Form" -> List.of(FlashAttentionFa2.Form.DEFAULT.bits());   // what the model launches (FlashAttentionPtxTest checks the others)
            case "nKv" -> List.of(4, 8);   // KV heads of the supported families (Qwen-2.5-7B, Yi-6B: 4; Llama-3, Qwen-14B, Yi-34B: 8)
            default -> throw new IllegalStateException(k.qualifiedName() + ": no representative values for @Constant "
                    + p.type() + " " + p.name() + ": add them to KernelLibrary.constantValues");
        };
    }
}
