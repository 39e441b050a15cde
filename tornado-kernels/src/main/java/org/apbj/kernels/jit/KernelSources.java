package org.apbj.kernels.jit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.KernelContext;

/**
 * Writes generated sources for inspection ({@code ./apbj kernels --emit ptx|opencl --out DIR})
 * and enumerates the kernels of classes.
 */
public final class KernelSources {
    private KernelSources() {}

    /**
     * Every public static void method of {@code classes} whose first parameter is a
     * KernelContext, sorted by class and name.
     */
    public static List<Kernel> kernelsOf(Class<?>... classes) {
        List<Kernel> out = new ArrayList<>();
        for (Class<?> c : classes) {
            Arrays.stream(c.getDeclaredMethods())
                    .filter(KernelSources::isKernel)
                    .sorted(Comparator.comparing(Method::getName))
                    .forEach(m -> out.add(Kernel.of(c, m.getName())));
        }
        return out;
    }

    static boolean isKernel(Method m) {
        int mod = m.getModifiers();
        return Modifier.isPublic(mod) && Modifier.isStatic(mod) && m.getReturnType() == void.class
                && m.getParameterCount() > 0 && m.getParameterTypes()[0] == KernelContext.class && !m.isSynthetic();
    }

    /**
     * A kernel with the launch arguments its @Constant parameters are specialised for (other
     * positions may be null), and the file name (without extension) its code is written under.
     */
    public record Specialisation(Kernel kernel, Object[] launchArgs, String label) {}

    /**
     * Compiles each kernel for {@code target} and writes {@code <Class>_<method>.ptx} (or
     * {@code .cl}) into {@code outDir}. Kernels with @Constant parameters cannot be compiled
     * without launch values; they are listed in {@code SKIPPED.txt} instead (give them values
     * through {@link #emit}). Returns the files written.
     */
    public static List<Path> emitAll(List<Kernel> kernels, Target target, Path outDir) {
        List<Specialisation> plain = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Kernel k : kernels) {
            if (k.hasConstants()) {
                skipped.add(k.qualifiedName() + ": has @Constant parameters (compiled per launch values)");
            } else {
                plain.add(new Specialisation(k, new Object[k.params().size() - 1],
                        k.owner().getSimpleName() + "_" + k.name()));
            }
        }
        List<Path> written = new ArrayList<>(emit(plain, target, outDir));
        if (!skipped.isEmpty()) {
            Path file = outDir.resolve("SKIPPED.txt");
            try {
                Files.write(file, skipped, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + file, e);
            }
            written.add(file);
        }
        return written;
    }

    /** Compiles each specialisation for {@code target} into {@code outDir/<label>.ptx} (or .cl). */
    public static List<Path> emit(List<Specialisation> specialisations, Target target, Path outDir) {
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(outDir);
            for (Specialisation s : specialisations) {
                CompiledKernel ck = KernelCompiler.compile(s.kernel(), target, s.launchArgs());
                Path file = outDir.resolve(s.label() + (target.kind() == Target.Kind.PTX ? ".ptx" : ".cl"));
                Files.writeString(file, ck.source(), StandardCharsets.UTF_8);
                written.add(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing kernel sources to " + outDir, e);
        }
        return written;
    }
}
