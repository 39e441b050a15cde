package org.apbj.kernels.bench;

import java.util.List;

import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.CompiledKernel.Param;
import org.apbj.kernels.jit.CompiledKernel.ParamKind;
import org.apbj.kernels.jit.Target;

/**
 * Hand-written PTX baselines: they measure the runtime alone (launch path, memory system)
 * independently of the compiler, and give the compiler's output something to be compared with.
 * PTX ISA 7.0 / sm_70 so that the driver JITs them for any newer GPU.
 */
public final class BenchPtx {
    private BenchPtx() {}

    public static final String SOURCE = """
            .version 7.0
            .target sm_70
            .address_size 64

            // y[i] = a * x[i] + y[i] for i < n
            .visible .entry saxpy(
                .param .u64 y_ptr,
                .param .u64 x_ptr,
                .param .f32 a,
                .param .u32 n
            )
            {
                .reg .pred %p<2>;
                .reg .b32 %r<6>;
                .reg .f32 %f<5>;
                .reg .b64 %rd<8>;

                ld.param.u64 %rd1, [y_ptr];
                ld.param.u64 %rd2, [x_ptr];
                ld.param.f32 %f1, [a];
                ld.param.u32 %r1, [n];
                mov.u32 %r2, %ctaid.x;
                mov.u32 %r3, %ntid.x;
                mov.u32 %r4, %tid.x;
                mad.lo.s32 %r5, %r2, %r3, %r4;
                setp.ge.s32 %p1, %r5, %r1;
                @%p1 bra DONE;
                cvta.to.global.u64 %rd3, %rd1;
                cvta.to.global.u64 %rd4, %rd2;
                mul.wide.s32 %rd5, %r5, 4;
                add.s64 %rd6, %rd3, %rd5;
                add.s64 %rd7, %rd4, %rd5;
                ld.global.f32 %f2, [%rd7];
                ld.global.f32 %f3, [%rd6];
                fma.rn.f32 %f4, %f1, %f2, %f3;
                st.global.f32 [%rd6], %f4;
            DONE:
                ret;
            }

            // does nothing: launch overhead
            .visible .entry empty()
            {
                ret;
            }
            """;

    public static final CompiledKernel SAXPY = new CompiledKernel("saxpy", SOURCE, Target.ptx(7, 0),
            List.of(new Param(1, "y", ParamKind.F32_ARRAY), new Param(2, "x", ParamKind.F32_ARRAY),
                    new Param(3, "a", ParamKind.FLOAT), new Param(4, "n", ParamKind.INT)),
            false, false, 0, "bench-ptx-saxpy-1");

    public static final CompiledKernel EMPTY = new CompiledKernel("empty", SOURCE, Target.ptx(7, 0), List.of(),
            false, false, 0, "bench-ptx-empty-1");
}
