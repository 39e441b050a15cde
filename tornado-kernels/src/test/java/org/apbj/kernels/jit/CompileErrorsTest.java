package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apbj.kernels.api.Kernel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Unsupported constructs fail with a KernelCompileException naming the class, method, source
 * line, bytecode offset, the rule and what to write instead.
 */
class CompileErrorsTest {
    private static final Pattern WHERE = Pattern.compile(
            "org\\.apbj\\.kernels\\.jit\\.RejectedKernels\\.(\\w+) \\(RejectedKernels\\.java:(\\d+), bytecode offset (\\d+)\\)");

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            allocatesObject           | allocatesObject           | object allocation (new java.lang.Object): kernels cannot create objects | fixed-size primitive arrays
            writesContextField        | writesContextField        | write to field org.apbj.kernels.api.KernelContext.globalIdx             | use a local variable
            callsArrayMethod          | callsArrayMethod          | F32Array.fill cannot be called in a kernel                              | use get/set
            catchesException          | catchesException          | try/catch: kernels cannot throw or catch exceptions                     | check conditions with if statements
            recursive                 | factorial                 | recursion: org.apbj.kernels.jit.RejectedKernels.factorial calls itself | as a loop
            dynamicArray              | dynamicArray              | array size is not a compile-time constant                               | @Constant kernel parameter
            concatenatesStrings       | concatenatesStrings       | invokedynamic (makeConcatWithConstants                                   | build strings on the host
            usesLambda                | usesLambda                | invokedynamic (applyAsInt                                               | static method calls
            readsMutableStatic        | readsMutableStatic        | kernels may only read static final primitive constants                  | (@Constant) kernel parameter
            writesStatic              | writesStatic              | write to static field org.apbj.kernels.jit.RejectedKernels.counter      | device-array parameter
            asksArraySize             | asksArraySize             | F32Array.size(): device array lengths are not passed to compiled kernels | pass the length as an int
            sharedArrayOfVariableSize | sharedArrayOfVariableSize | shared array size is not a compile-time constant                        | @Constant kernel parameter
            callsUnsupportedMath      | callsUnsupportedMath      | call to java.lang.Math.random()D                                        | use KernelMath
            doubleExpOnPtx            | doubleExpOnPtx            | double-precision Math.exp is not implemented for PTX                    | compute in float
            inlinedHelper             | helperWithObject          | object allocation (new java.lang.StringBuilder)                         | fixed-size primitive arrays
            unrollsRuntimeLoop        | sumRuntimeCount           | @Unroll: the loop at this line did not end after 1024 iterations        | bound the loop by literals
            callsUnknownIntrinsic     | callsUnknownIntrinsic     | FakeIntrinsics.mmaRenamed(Lorg/apbj/kernels/api/KernelContext;[F)V is not an intrinsic the compiler knows | register the new one
            asyncCopyIntoPrivate      | asyncCopyIntoPrivate      | AsyncCopy.copy8 of BF16Array writes a shared int array                  | ctx.allocateIntLocalArray
            wideLoadVariableOffset    | wideLoadVariableOffset    | WideLoad.load4: dstAt is not a compile-time constant                    | @Unroll method
            wideLoadMisaligned        | wideLoadMisaligned        | WideLoad.load4: index 6 is not a multiple of 4                          | round the index down
            """)
    void rejectsWithLocationRuleAndFix(String kernel, String method, String rule, String fix) throws IOException {
        KernelCompileException e = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compile(Kernel.of(RejectedKernels.class, kernel), Target.SM_90));
        String msg = e.getMessage();
        Matcher m = WHERE.matcher(msg);
        assertTrue(m.find(), () -> "no location in: " + msg);
        assertEquals(method, m.group(1), msg);
        assertEquals(markerLine(kernel), Integer.parseInt(m.group(2)), () -> "source line in: " + msg);
        assertTrue(Integer.parseInt(m.group(3)) >= 0, msg);
        assertTrue(msg.contains(rule), () -> "rule '" + rule + "' missing in: " + msg);
        assertTrue(msg.contains("Instead: ") && msg.contains(fix), () -> "fix '" + fix + "' missing in: " + msg);
    }

    @Test
    void inlinedErrorsNameTheCallSite() {
        String msg = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compile(Kernel.of(RejectedKernels.class, "inlinedHelper"), Target.OPENCL)).getMessage();
        assertTrue(msg.contains("inlined into org.apbj.kernels.jit.RejectedKernels.inlinedHelper (RejectedKernels.java:"), msg);
    }

    @Test
    void doubleMathIsAcceptedForOpenCl() {
        CompiledKernel k = KernelCompiler.compile(Kernel.of(RejectedKernels.class, "doubleExpOnPtx"), Target.OPENCL);
        assertTrue(k.source().contains("cl_khr_fp64") && k.source().contains("exp("), k.source());
    }

    @Test
    void kernelWithoutContextIsRejected() {
        String msg = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compile(Kernel.of(RejectedKernels.class, "noContext"), Target.SM_90)).getMessage();
        assertTrue(msg.contains("RejectedKernels.noContext") && msg.contains("first parameter must be the KernelContext"), msg);
    }

    @Test
    void constantNeedsItsLaunchValue() {
        Kernel k = Kernel.of(RejectedKernels.class, "constantWithoutValue");
        String msg = assertThrows(KernelCompileException.class, () -> KernelCompiler.compile(k, Target.SM_90)).getMessage();
        assertTrue(msg.contains("@Constant parameter 'tile'") && msg.contains("Instead: call compile(kernel, target, launchArgs)"), msg);
        String wrongType = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compile(k, Target.SM_90, new Object[] {null, 2.5f})).getMessage();
        assertTrue(wrongType.contains("@Constant parameter 'tile' of type int got launch value 2.5 (Float)"), wrongType);
    }

    /** The line of the "rejected: name" marker in this test's source file. */
    private static int markerLine(String kernel) throws IOException {
        Path src = Path.of("src/test/java/org/apbj/kernels/jit/RejectedKernels.java");
        List<String> lines = Files.readAllLines(src);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("// rejected: " + kernel)) return i + 1;
        }
        throw new AssertionError("no marker for " + kernel);
    }
}
