package org.apbj.model.reference;

/**
 * Where the reference forward gets its weights: a tensor by its Hugging Face name, widened to
 * fp32 (exactly, from bf16), row-major. Kept this small so tests can feed the reference from
 * random arrays as easily as from a checkpoint.
 */
@FunctionalInterface
public interface TensorSource {

    /** The tensor's values, or {@code null} when the checkpoint has no tensor of that name. */
    float[] floatsOrNull(String name);

    /** The tensor's values; fails naming the tensor when it is missing or has the wrong size. */
    default float[] floats(String name, long expectedLength) {
        float[] v = floatsOrNull(name);
        if (v == null) {
            throw new IllegalArgumentException("tensor " + name + " is missing from the checkpoint");
        }
        if (v.length != expectedLength) {
            throw new IllegalArgumentException("tensor " + name + " has " + v.length
                    + " elements, the config expects " + expectedLength);
        }
        return v;
    }
}
