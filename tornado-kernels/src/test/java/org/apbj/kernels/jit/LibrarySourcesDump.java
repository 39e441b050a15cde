package org.apbj.kernels.jit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apbj.kernels.lib.KernelLibrary;

/**
 * Writes the generated code of every library specialisation for every target that compiles it
 * ({@code DIR/sm_80}, {@code sm_90}, {@code sm_90a}, {@code opencl}), bypassing the kernel cache.
 * For refactors of kernel sources or the compiler that must not change what runs on a device:
 * dump before and after, then {@code diff -r}. Run with the test classpath:
 * {@code java -cp ... org.apbj.kernels.jit.LibrarySourcesDump DIR [LABEL_REGEX]}; with a regex,
 * only the specialisations whose label ({@code Class_method__constant=value...}) it matches.
 */
public final class LibrarySourcesDump {
    private LibrarySourcesDump() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            throw new IllegalArgumentException("usage: LibrarySourcesDump OUT_DIR [LABEL_REGEX] (OUT_DIR: an empty or new folder)");
        }
        Path out = Path.of(args[0]);
        Pattern only = Pattern.compile(args.length == 2 ? args[1] : ".*");
        var all = KernelLibrary.specialisations().stream().filter(s -> only.matcher(s.label()).matches()).toList();
        var hopper = KernelLibrary.hopperSpecialisations().stream().filter(s -> only.matcher(s.label()).matches()).toList();
        var portableHopper = hopper.stream().filter(h -> !KernelLibrary.gpuOnly().contains(h.kernel())).toList();
        int written = 0;
        written += dump(all, Target.SM_80, out.resolve("sm_80"));
        written += dump(all, Target.SM_90, out.resolve("sm_90"));
        written += dump(concat(all, hopper), Target.SM_90A, out.resolve("sm_90a"));
        written += dump(concat(all, portableHopper), Target.OPENCL, out.resolve("opencl"));
        System.out.println(written + " sources (" + all.size() + " portable specialisations, " + hopper.size()
                + " Hopper ones) in " + out);
    }

    private static List<KernelSources.Specialisation> concat(List<KernelSources.Specialisation> a,
            List<KernelSources.Specialisation> b) {
        List<KernelSources.Specialisation> both = new ArrayList<>(a);
        both.addAll(b);
        return both;
    }

    private static int dump(List<KernelSources.Specialisation> specialisations, Target target, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (KernelSources.Specialisation s : specialisations) {
            Object[] constants = KernelCompiler.constantValues(s.kernel(), s.launchArgs());
            String source = KernelCompiler.compileUncached(s.kernel(), target, constants).source();
            String ext = target.kind() == Target.Kind.PTX ? ".ptx" : ".cl";
            Files.writeString(dir.resolve(s.label() + ext), source, StandardCharsets.UTF_8);
        }
        return specialisations.size();
    }
}
