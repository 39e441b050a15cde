package org.apbj.kernels.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;

/**
 * Seeds of randomised tests. A test draws its seeds with {@link #next()} ({@code -D}{@value #PROPERTY}
 * fixes them, a comma list in the order they are drawn, to rerun a failure); a test class
 * registered with {@code @ExtendWith(TestSeed.class)} then gets every failure message, assertion
 * or exception, prefixed with the seeds that test drew: {@code [seed 123; rerun with -Dapbj.test.seed=123]}.
 * Seeds drawn in {@code @BeforeAll} count for every test of the class; seeds drawn when the
 * test instance is built (field initialisers) and in the test itself count for that test.
 */
public final class TestSeed implements BeforeAllCallback, AfterAllCallback, TestInstancePreConstructCallback, AfterEachCallback,
        TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    public static final String PROPERTY = "apbj.test.seed";
    private static final SplittableRandom SEEDS = new SplittableRandom();
    private static final ThreadLocal<List<Long>> CLASS = ThreadLocal.withInitial(ArrayList::new);
    private static final ThreadLocal<List<Long>> TEST = ThreadLocal.withInitial(ArrayList::new);
    private static final ThreadLocal<Boolean> IN_CLASS_SETUP = ThreadLocal.withInitial(() -> false);

    /** A seed: -Dapbj.test.seed if set, else a fresh one; recorded for the failure messages of the running test. */
    public static long next() {
        String fixed = System.getProperty(PROPERTY);
        long seed;
        if (fixed != null && !fixed.isBlank()) {
            // a comma list gives the seeds in the order the test draws them (what describe() prints)
            String[] given = fixed.strip().split(",");
            int drawn = CLASS.get().size() + TEST.get().size();
            seed = Long.parseLong(given[Math.min(drawn, given.length - 1)].strip());
        } else {
            synchronized (SEEDS) {
                seed = SEEDS.nextLong();
            }
        }
        (IN_CLASS_SETUP.get() ? CLASS : TEST).get().add(seed);
        return seed;
    }

    /** "[seed S; rerun with -Dapbj.test.seed=S]" (or "seeds [A, B] ... =A,B"), or "" when no seed was drawn. */
    public static String describe() {
        List<Long> seeds = new ArrayList<>(CLASS.get());
        seeds.addAll(TEST.get());
        if (seeds.isEmpty()) return "";
        String list = String.join(",", seeds.stream().map(String::valueOf).toList());
        return "[seed" + (seeds.size() == 1 ? " " : "s ") + list + "; rerun with -D" + PROPERTY + "=" + list + "] ";
    }

    @Override public void beforeAll(ExtensionContext context) { IN_CLASS_SETUP.set(true); }

    @Override
    public void preConstructTestInstance(TestInstanceFactoryContext factoryContext, ExtensionContext context) {
        IN_CLASS_SETUP.set(false);
    }

    @Override public void afterEach(ExtensionContext context) { TEST.get().clear(); }

    @Override
    public void afterAll(ExtensionContext context) {
        CLASS.get().clear();
        TEST.get().clear();
        IN_CLASS_SETUP.set(false);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw withSeeds(t);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw withSeeds(t);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw withSeeds(t);
    }

    private static Throwable withSeeds(Throwable t) {
        String seeds = describe();
        if (seeds.isEmpty() || String.valueOf(t.getMessage()).startsWith(seeds)) return t;
        AssertionError e = new AssertionError(seeds + t, t);
        e.setStackTrace(t.getStackTrace());
        return e;
    }
}
