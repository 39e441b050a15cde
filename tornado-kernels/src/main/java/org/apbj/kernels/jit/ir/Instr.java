package org.apbj.kernels.jit.ir;

import java.util.List;

/**
 * One IR instruction. Operations carry Java semantics (the backends implement them exactly
 * where the device allows: shift counts masked, integer division by -1 and 0 defined, f2i
 * saturating, min/max with Java's NaN and signed-zero rules).
 */
public sealed interface Instr {

    enum UnOp { NEG, ABS, SQRT, RSQRT, EXP, EXP2_APPROX, LOG, TANH, FLOOR, CEIL }

    enum BinOp { ADD, SUB, MUL, DIV, REM, AND, OR, XOR, SHL, SHR, USHR, MIN, MAX, POW, MAX_NUM }

    enum CmpOp { EQ, NE, LT, LE, GT, GE }

    enum ConvOp {
        I2L, I2F, I2D, L2I, L2F, L2D, F2I, F2L, F2D, D2I, D2L, D2F,
        /** int -> byte -> int (sign-extend the low 8 bits), likewise short and char. */
        I2B, I2S, I2C,
        /** Float.floatToRawIntBits and Float.intBitsToFloat: reinterpretation. */
        F_BITS, BITS_F,
        /** bfloat16 bits (low 16 bits of an int) to float, exact. */
        BF16_TO_F32,
        /** float to bfloat16 bits, round to nearest even, NaN quietened as KernelMath does; sign-extended short. */
        F32_TO_BF16,
        /** IEEE half bits to float, exact (Float.float16ToFloat); NaNs quietened as F16C hardware does. */
        F16_TO_F32,
        /** float to IEEE half bits, round to nearest even (Float.floatToFloat16; NaN as F16C: quiet, top payload bits); sign-extended short. */
        F32_TO_F16
    }

    enum ShuffleMode { DOWN, XOR, IDX }

    record Mov(Reg dst, Operand src) implements Instr {}

    record Unary(UnOp op, Reg dst, Operand a) implements Instr {}

    record Binary(BinOp op, Reg dst, Operand a, Operand b) implements Instr {}

    /** a * b + c with one rounding. */
    record Fma(Reg dst, Operand a, Operand b, Operand c) implements Instr {}

    record Convert(ConvOp op, Reg dst, Operand src) implements Instr {}

    /**
     * dst (a predicate) = a op b. For floats, {@code unordered} makes the result true when
     * either operand is NaN (otherwise false), which is how fcmpl/fcmpg + if* fuse.
     */
    record Compare(CmpOp op, boolean unordered, Reg dst, Operand a, Operand b) implements Instr {}

    /** dst = pred ? ifTrue : ifFalse. */
    record Select(Reg dst, Operand pred, Operand ifTrue, Operand ifFalse) implements Instr {}

    record ReadSpecial(Special which, Reg dst) implements Instr {}

    /** dst = array[index]; index is I32 or I64; 8/16-bit elements are sign- or zero-extended to I32. */
    record Load(Reg dst, ArrayRef array, Operand index) implements Instr {}

    /** array[index] = value (narrowed to the element type). */
    record Store(ArrayRef array, Operand index, Operand value) implements Instr {}

    /** dst (may be null) = previous value; array[index] += value atomically. Global I32/F32 arrays. */
    record AtomicAdd(Reg dst, ArrayRef array, Operand index, Operand value) implements Instr {}

    /** Work-group barrier with shared and global memory ordering. */
    record Barrier() implements Instr {}

    /** Warp exchange over 32 lanes; {@code lane} is the delta, the xor mask or the source lane. */
    record Shuffle(ShuffleMode mode, Reg dst, Operand value, Operand lane) implements Instr {}

    /**
     * Warp-wide tensor-core product D = A·B + C (PTX mma.m16n8k16.row.col, bf16 inputs, fp32
     * accumulators) on this lane's fragments: d and c four F32, a four and b two I32 (packed
     * bf16 pairs). See {@code org.apbj.kernels.api.TensorCore}.
     */
    record MmaBf16(List<Reg> d, List<Operand> a, List<Operand> b, List<Operand> c) implements Instr {
        public MmaBf16 {
            d = List.copyOf(d);
            a = List.copyOf(a);
            b = List.copyOf(b);
            c = List.copyOf(c);
        }
    }

    /**
     * TensorCore.loadMatrixX4 / loadMatrixX4Trans (PTX ldmatrix .x4, .trans when {@code transpose}):
     * four I32 results from the shared int array at this lane's row index.
     */
    record LoadMatrixX4(List<Reg> d, ArrayRef.Shared tile, Operand rowIndex, boolean transpose) implements Instr {
        public LoadMatrixX4 {
            d = List.copyOf(d);
        }
    }

    /**
     * WideLoad.load2 / load4: d (two I64 or four F32) = the 16 bytes of the global array from
     * element {@code index} (16-byte aligned; the array is read-only in this kernel).
     */
    record LoadWide(List<Reg> d, ArrayRef.Global array, Operand index) implements Instr {
        public LoadWide {
            d = List.copyOf(d);
        }
    }

    /** dst = TensorCore.packBf16(lo, hi): both rounded to bf16 (nearest even, NaN to 0x7fff), lo in the low half. */
    record PackBf16(Reg dst, Operand lo, Operand hi) implements Instr {}

    /**
     * AsyncCopy.copy16 (PTX cp.async.cg, 16 bytes): shared ints dst[dstIndex..+4) from the bf16
     * elements src[srcIndex..+8), or zeros where {@code inBounds} (PRED) is false.
     */
    record AsyncCopy16(ArrayRef.Shared dst, Operand dstIndex, ArrayRef.Global src, Operand srcIndex, Operand inBounds) implements Instr {}

    /**
     * AsyncCopy.copy4 / copy8 (PTX cp.async.ca, {@code bytes} = 4 or 8): shared words
     * dst[dstIndex..+bytes/4) from the global elements src[srcIndex..) covering the same bytes,
     * or zeros where {@code inBounds} (PRED) is false.
     */
    record AsyncCopyCa(int bytes, ArrayRef.Shared dst, Operand dstIndex, ArrayRef.Global src, Operand srcIndex, Operand inBounds) implements Instr {}

    /** AsyncCopy.commit (cp.async.commit_group). */
    record AsyncCommit() implements Instr {}

    /** AsyncCopy.waitPending (cp.async.wait_group pending). */
    record AsyncWait(int pending) implements Instr {}

    /**
     * WarpGroup.mmaBf16 (PTX wgmma.mma_async m64nNk16, bf16 → fp32): acc[accAt .. accAt + n/2)
     * (+)= A·Bᵀ with A and B 128-byte-swizzled tiles of shared int arrays at the given int
     * indices. The accumulators are elements of a private array; once
     * the private arrays become registers, {@code accRegs} lists them (empty before), and the
     * instruction reads and writes them in place: an asynchronous product must own its registers.
     */
    record WarpGroupMma(ArrayRef.Private acc, int accAt, int n, List<Reg> accRegs, ArrayRef.Shared a, Operand aIndex,
                        ArrayRef.Shared b, Operand bIndex, Operand accumulate) implements Instr {
        public WarpGroupMma {
            accRegs = List.copyOf(accRegs);
        }
    }

    /**
     * WarpGroup.mmaBf16RegA: wgmma with A from registers ({@code a}, four packed bf16 pairs) and
     * B read by rows of k (MN-major, 128-byte swizzle) from {@code b} at {@code bIndex}, column
     * blocks of 64 {@code bBlockBytes} apart. Accumulators as for {@link WarpGroupMma}.
     */
    record WarpGroupMmaRegA(ArrayRef.Private acc, int accAt, int n, List<Reg> accRegs, List<Operand> a, ArrayRef.Shared b,
                            Operand bIndex, int bBlockBytes, Operand accumulate) implements Instr {
        public WarpGroupMmaRegA {
            accRegs = List.copyOf(accRegs);
            a = List.copyOf(a);
        }
    }

    /** WarpGroup.fence, commit and waitPending (wgmma.fence / commit_group / wait_group), and fenceAsyncProxy. */
    record WarpGroupSync(SyncKind kind, int pending) implements Instr {}

    enum SyncKind { FENCE, COMMIT, WAIT, ASYNC_PROXY_FENCE }

    /**
     * Mbarrier operations on the word {@code bars[index]} of a shared long array: INIT (value =
     * arrival count), ARRIVE, ARRIVE_AFTER_COPIES (cp.async.mbarrier.arrive.noinc) and
     * ARRIVE_EXPECT_TX (value = transaction bytes expected), WAIT_PARITY (value = parity; spins on try_wait).
     */
    record Mbarrier(MbarrierOp op, ArrayRef.Shared bars, Operand index, Operand value) implements Instr {}

    enum MbarrierOp { INIT, ARRIVE, ARRIVE_AFTER_COPIES, ARRIVE_EXPECT_TX, WAIT_PARITY }

    /**
     * A named barrier (bar.sync / bar.arrive with id 1..15 and a thread count, a multiple of 32):
     * WAIT waits until that many threads arrived; otherwise the thread only counts itself.
     */
    record NamedBarrier(int id, int threads, boolean waits) implements Instr {}

    /** WarpGroup.setMaxRegisters (setmaxnreg.inc / .dec). */
    record SetMaxRegisters(int count, boolean increase) implements Instr {}

    /**
     * BulkCopy.load2d/3d (cp.async.bulk.tensor, TMA): the box at {@code coords} (column, row[,
     * plane]) of the tensor map passed as kernel parameter {@code map} lands in {@code dst} from
     * int index {@code dstIndex} and completes its bytes on the mbarrier {@code bars[barIndex]}.
     */
    record BulkTensorLoad(String map, ArrayRef.Shared dst, Operand dstIndex, List<Operand> coords, ArrayRef.Shared bars,
                          Operand barIndex) implements Instr {
        public BulkTensorLoad {
            coords = List.copyOf(coords);
        }
    }

    /** BulkCopy.store2d: the box of {@code src} from {@code srcIndex} goes to {@code coords} of tensor map {@code map} (a bulk group). */
    record BulkTensorStore(String map, ArrayRef.Shared src, Operand srcIndex, List<Operand> coords) implements Instr {
        public BulkTensorStore {
            coords = List.copyOf(coords);
        }
    }

    /** BulkCopy.commit (waits: false) and waitPending (cp.async.bulk.commit_group / wait_group). */
    record BulkGroup(boolean waits, int pending) implements Instr {}

    /** Marks the Java source line that the following instructions come from. */
    record SourceLine(String file, int line) implements Instr {}
}
