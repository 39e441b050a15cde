package org.apbj.kernels.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/** A shared library opened through FFM, and downcall handles to its functions. */
public final class NativeLibrary {
    private final String name;
    private final SymbolLookup lookup;
    private final Linker linker = Linker.nativeLinker();

    private NativeLibrary(String name, SymbolLookup lookup) {
        this.name = name;
        this.lookup = lookup;
    }

    /** Opens {@code name} (e.g. "libcuda.so.1"); empty when the dynamic loader cannot find it. */
    public static Optional<NativeLibrary> open(String name) {
        try {
            return Optional.of(new NativeLibrary(name, SymbolLookup.libraryLookup(name, Arena.global())));
        } catch (IllegalArgumentException | UnsatisfiedLinkError notFound) {
            return Optional.empty();
        }
    }

    public String name() { return name; }

    public boolean has(String symbol) { return lookup.find(symbol).isPresent(); }

    /** A downcall handle; fails naming the library and symbol when the symbol is missing. */
    public MethodHandle function(String symbol, FunctionDescriptor descriptor) {
        return linker.downcallHandle(lookup.find(symbol).orElseThrow(() -> new DeviceUnavailableException(
                name + " has no function " + symbol + ": the installed library is too old for this runtime")), descriptor);
    }
}
