package org.apbj.kernels.jit.ir;

/** The element type of an array in memory, and the register type a load produces. */
public enum ElemType {
    I8(1, Type.I32), I16(2, Type.I32), U16(2, Type.I32), I32(4, Type.I32),
    I64(8, Type.I64), F32(4, Type.F32), F64(8, Type.F64);

    public final int bytes;
    public final Type regType;

    ElemType(int bytes, Type regType) {
        this.bytes = bytes;
        this.regType = regType;
    }
}
