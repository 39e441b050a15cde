package org.apbj.examples.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Mixin: the model directory and its retaining heads ({@code --model}, {@code --heads}). */
public final class ModelOptions {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face model directory: config.json, *.safetensors, tokenizer.json (default: the embedded models/tiny-niah)")
    Path model;

    @Option(names = "--heads", paramLabel = "FILE",
            description = "retaining heads for apb, safetensors (default: the model directory's retaining_heads.safetensors)")
    Path heads;

    /** --model, or the embedded tiny model. */
    Path model() { return model != null ? model : RepoRoot.tinyModel(); }
}
