package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apbj.kernels.runtime.Devices;
import org.apbj.tests.BadInputSuiteTest.Mode;
import org.apbj.tests.BadInputSuiteTest.Outcome;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.SyntheticModelWriter;

/**
 * The cases of the bad-input suite, by category: flags, prompts, model directories (the tiny
 * model broken in a temporary folder), retaining heads, datasets, devices, faults. Arguments may
 * name {@code {tiny}} (the embedded model), {@code {prompt}} (a short valid prompt file) and
 * {@code {dir}} (the case's own folder).
 */
final class BadInputCases {
    private BadInputCases() {}

    static final Duration QUICK = Duration.ofSeconds(10);
    static final Duration PROCESS = Duration.ofSeconds(30);
    static final Duration FAULT = Duration.ofSeconds(60);

    /** One case; built with the chained setters below. */
    static final class Case {
        final String category, name;
        int id;
        Mode mode = Mode.IN_JVM;
        List<String> args = List.of();
        Consumer<Path> setup;
        int status = 1;
        List<String> says = List.of();
        Duration bound = QUICK;
        Map<String, String> properties = new HashMap<>();
        boolean needsMpj;
        During during;
        Consumer<Outcome> check;
        BooleanSupplier assumption;
        String assumptionWhy;

        Case(String category, String name) {
            this.category = category;
            this.name = name;
        }

        Case args(String... a) { args = List.of(a); return this; }
        Case process() { mode = Mode.PROCESS; bound = PROCESS; needsMpj = true; return this; }
        Case setup(Consumer<Path> s) { setup = s; return this; }
        Case status(int s) { status = s; return this; }
        Case says(String... s) { says = List.of(s); return this; }
        Case within(Duration d) { bound = d; return this; }
        Case property(String k, String v) { properties.put(k, v); return this; }
        Case mpj() { needsMpj = true; return this; }
        Case during(During d) { during = d; return this; }
        Case check(Consumer<Outcome> c) { check = c; return this; }
        Case assuming(BooleanSupplier a, String why) { assumption = a; assumptionWhy = why; return this; }
    }

    /** Something done to a running case's process (kill its rank JVM, say). */
    @FunctionalInterface
    interface During {
        void accept(Process p, Path dir) throws Exception;
    }

    /** "run" with a valid prompt, the Java device and two new tokens, unless {@code extra} sets them. */
    static String[] run(String... extra) {
        List<String> a = new ArrayList<>(List.of("run"));
        List<String> given = Arrays.stream(extra).map(s -> s.split("=", 2)[0]).toList();
        if (!given.contains("--prompt-file")) a.addAll(List.of("--prompt-file", "{prompt}"));
        if (!given.contains("--device")) a.addAll(List.of("--device", "java"));
        if (!given.contains("--max-new-tokens")) a.addAll(List.of("--max-new-tokens", "2"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** "run" on the broken model {dir}/m. */
    static String[] runBroken(String... extra) {
        List<String> a = new ArrayList<>(List.of("--model", "{dir}/m"));
        a.addAll(List.of(extra));
        return run(a.toArray(String[]::new));
    }

    /** A setup that copies the tiny model to {dir}/m and breaks it. */
    static Consumer<Path> broken(Consumer<Path> breakIt) {
        return dir -> breakIt.accept(BrokenModels.copy(BadInputSuiteTest.tiny, dir.resolve("m")));
    }

    static Consumer<Path> file(String name, byte[] bytes) {
        return dir -> BrokenModels.write(dir.resolve(name), bytes);
    }

    static Consumer<Path> file(String name, String text) { return file(name, text.getBytes(StandardCharsets.UTF_8)); }

    static final String SAMPLE = "{\"id\": \"s1\", \"task\": \"t\", \"context\": \"The sky is blue.\", \"query\": \"What colour?\","
            + " \"outputs\": [\"blue\"], \"metric\": \"all\"}";

    static boolean noCuda() { return Devices.cudaDeviceCount() == 0; }

    /** The rank JVM a launcher process started (the multicore starter), once it is there. */
    static ProcessHandle rankJvm(Process launcher, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> child = launcher.toHandle().children()
                    .filter(h -> h.info().commandLine().orElse("").contains("MulticoreStarter")).findFirst();
            if (child.isPresent()) return child.get();
            if (!launcher.isAlive()) throw new AssertionError("the launcher ended before starting its ranks");
            Thread.sleep(100);
        }
        throw new AssertionError("no rank JVM after " + wait);
    }

    /** Waits until the job folder exists and the ranks are well into their job (the fault holds them). */
    static void ranksStarted(Path dir) throws InterruptedException {
        Path tmp = dir.resolve("tmp");
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < deadline) {
            try (var s = Files.list(tmp)) {
                Optional<Path> job = s.filter(p -> p.getFileName().toString().startsWith("apbj-job-")).findFirst();
                if (job.isPresent() && Files.isDirectory(job.get().resolve("ranks"))) {
                    Thread.sleep(1500);
                    return;
                }
            } catch (IOException e) {
                // not there yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the ranks did not start within 40 s");
    }

    static List<Case> all() {
        List<Case> c = new ArrayList<>();
        // ---- flags ---------------------------------------------------------------------------
        c.add(new Case("flags", "no command").args().process().says("name a command"));
        c.add(new Case("flags", "unknown command").args("frobnicate").says("frobnicate"));
        c.add(new Case("flags", "unknown option").args(run("--modle=x")).process().says("Unknown option: '--modle=x'", "--help"));
        c.add(new Case("flags", "missing --prompt-file").args("run", "--device", "java").says("--prompt-file"));
        c.add(new Case("flags", "--ranks=0").args(run("--ranks=0")).process().says("--ranks=0 must be at least 1"));
        c.add(new Case("flags", "--ranks not a number").args(run("--ranks=abc")).says("'--ranks'", "'abc' is not an int"));
        c.add(new Case("flags", "--ranks more than context tokens").args(run("--ranks=1000")).process()
                .says("cannot be split over 1000 ranks", "--ranks="));
        c.add(new Case("flags", "--method unknown").args(run("--method=flash")).says("unknown method 'flash'", "apb"));
        c.add(new Case("flags", "--max-new-tokens=0").args(run("--max-new-tokens=0")).process().says("--max-new-tokens=0 must be at least 1"));
        c.add(new Case("flags", "--passing-length beyond the block").args(run("--ranks=2", "--passing-length=100000")).process()
                .says("l_p=100000", "--passing-length"));
        c.add(new Case("flags", "--anchor-length too short for the query").args(run("--ranks=2", "--query=What is the colour of the sky?",
                "--anchor-length=1")).says("l_a=1", "--anchor-length"));
        c.add(new Case("flags", "--anchor-length with star").args(run("--method=star", "--anchor-length=64"))
                .says("--anchor-length and --passing-length apply to --method apb only"));
        c.add(new Case("flags", "dense on several ranks").args(run("--method=dense", "--ranks=2")).process().says("--ranks=1"));
        c.add(new Case("flags", "--comm-timeout=0").args(run("--comm-timeout=0")).says("--comm-timeout=0"));
        c.add(new Case("flags", "--length not a length").args("demo", "--length=4q").says("'4q'", "4096, 16k"));
        c.add(new Case("flags", "demo --length past max_position_embeddings").args("demo", "--length=140k", "--device=java").process()
                .says("max_position_embeddings = 131072", "--allow-long-context"));
        c.add(new Case("flags", "bench --lengths past max_position_embeddings").args("bench", "--lengths=200k", "--device=java",
                "--methods=dense", "--out={dir}/b.json").says("max_position_embeddings = 131072", "--allow-long-context"));
        c.add(new Case("flags", "bench --warmup=-1").args("bench", "--warmup=-1", "--device=java").says("--warmup=-1"));
        c.add(new Case("flags", "bench --repeat=0").args("bench", "--repeat=0", "--device=java").process().says("--repeat=0"));
        c.add(new Case("flags", "bench --layers without --synth").args("bench", "--layers=2", "--device=java").says("--layers", "--synth"));
        c.add(new Case("flags", "bench --synth unknown").args("bench", "--synth=gpt5", "--device=java").says("--synth", "gpt5", "tiny"));
        c.add(new Case("flags", "bench --synth with --model").args("bench", "--synth=tiny", "--model={tiny}").says("not both"));
        c.add(new Case("flags", "bench --methods empty").args("bench", "--methods=,").process().says("--methods", "apb"));
        c.add(new Case("flags", "bench --lengths empty").args("bench", "--lengths=,").says("--lengths"));
        c.add(new Case("flags", "eval --tasks unknown").args("eval", "--tasks=niah_single_9").process().says("--tasks", "niah_single_9"));
        c.add(new Case("flags", "eval --samples=0").args("eval", "--samples=0").says("--samples=0"));
        c.add(new Case("flags", "eval --lengths too short for the task").args("eval", "--generate-only", "--tasks=cwe", "--lengths=64",
                "--out={dir}/e.json").says("too short"));
        c.add(new Case("flags", "eval --max-new-tokens=0").args("eval", "--max-new-tokens=0").says("--max-new-tokens=0"));
        c.add(new Case("flags", "kernels --emit unknown").args("kernels", "--emit=cuda", "--out={dir}/k").process().says("'--emit'", "cuda"));
        c.add(new Case("flags", "kernels --arch not sm_XY").args("kernels", "--emit=ptx", "--arch=sm9", "--out={dir}/k").says("--arch sm9"));
        c.add(new Case("flags", "kernels --out is a file").args("kernels", "--emit=opencl", "--out={dir}/f").setup(file("f", "x"))
                .says("--out", "is a file"));
        c.add(new Case("flags", "synth-model --layers=0").args("synth-model", "--shape=tiny", "--out={dir}/s", "--layers=0").says("--layers=0"));
        c.add(new Case("flags", "tokenize --tokenizer missing").args("tokenize", "--tokenizer={dir}/none").says("no tokenizer file at"));

        // ---- prompts ------------------------------------------------------------------------
        c.add(new Case("prompts", "empty prompt file").args(run("--prompt-file={dir}/p.txt")).setup(file("p.txt", "")).process()
                .says("--prompt-file", "p.txt is empty"));
        c.add(new Case("prompts", "blank prompt file").args(run("--prompt-file={dir}/p.txt")).setup(file("p.txt", " \n\t\n"))
                .says("is empty"));
        c.add(new Case("prompts", "empty prompt, --raw dense").args(run("--prompt-file={dir}/p.txt", "--raw", "--method=dense",
                "--ranks=1")).setup(file("p.txt", "")).process().says("is empty"));
        c.add(new Case("prompts", "prompt not UTF-8 (latin-1)").args(run("--prompt-file={dir}/p.txt"))
                .setup(file("p.txt", "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1))).process()
                .says("{dir}/p.txt is not UTF-8 text", "offset 3", "iconv"));
        c.add(new Case("prompts", "prompt in UTF-16").args(run("--prompt-file={dir}/p.txt"))
                .setup(file("p.txt", "The sky is blue.".getBytes(StandardCharsets.UTF_16))).says("is not UTF-8 text"));
        c.add(new Case("prompts", "prompt file missing").args(run("--prompt-file={dir}/none.txt")).process()
                .says("--prompt-file", "none.txt is not a readable file"));
        c.add(new Case("prompts", "prompt file is a folder").args(run("--prompt-file={dir}")).says("is a directory"));
        c.add(new Case("prompts", "prompt longer than max_position_embeddings").args(runBroken("--ranks=2"))
                .setup(broken(m -> BrokenModels.config(m, j -> j.put("max_position_embeddings", 64)))).process()
                .says("max_position_embeddings = 64", "--allow-long-context"));
        c.add(new Case("prompts", "demo longer than max_position_embeddings").args("demo", "--model={dir}/m", "--length=400",
                "--device=java").setup(broken(m -> BrokenModels.config(m, j -> j.put("max_position_embeddings", 128))))
                .says("max_position_embeddings = 128"));

        // ---- model directories --------------------------------------------------------------
        c.add(new Case("model", "--model missing").args(run("--model={dir}/none")).process().says("--model", "is not a directory"));
        c.add(new Case("model", "--model is a file").args(run("--model={prompt}")).says("is not a directory"));
        c.add(new Case("model", "no config.json").args(runBroken()).setup(broken(m -> BrokenModels.delete(m.resolve("config.json"))))
                .process().says("no config.json"));
        c.add(new Case("model", "config.json not JSON").args(runBroken()).setup(broken(m -> BrokenModels.write(m.resolve("config.json"),
                "{\"architectures\": [\"LlamaForCausalLM\"],"))).process().says("config.json", "not valid JSON"));
        c.add(new Case("model", "config.json an array").args(runBroken()).setup(broken(m -> BrokenModels.write(m.resolve("config.json"),
                "[1, 2]"))).says("config.json", "not a JSON object"));
        c.add(new Case("model", "unsupported architecture").args(runBroken()).setup(broken(m -> BrokenModels.config(m,
                j -> j.putArray("architectures").add("MistralForCausalLM")))).says("unsupported architecture MistralForCausalLM"));
        c.add(new Case("model", "hidden_size missing").args(runBroken()).setup(broken(m -> BrokenModels.config(m, j -> j.remove("hidden_size"))))
                .says("config.json", "hidden_size"));
        c.add(new Case("model", "hidden_size not matching the weights").args(runBroken()).setup(broken(m -> BrokenModels.config(m,
                j -> j.put("hidden_size", 512)))).process().says("has shape", "expected", "config.json"));
        c.add(new Case("model", "head_dim 96 not matching the weights").args(runBroken()).setup(broken(m -> BrokenModels.config(m,
                j -> j.put("head_dim", 96)))).process().says("q_proj", "has shape", "x 96"));
        c.add(new Case("model", "head_dim the kernels cannot run").args(run("--model={dir}/m", "--method=ring"))
                .setup(dir -> SyntheticModelWriter.write(new ModelConfig(ModelConfig.Family.LLAMA, 80, 128, 1, 2, 1, 40, 1e-5f,
                        10000.0, null, 600, false, 4096, false, 0, new int[] {1}), 16, dir.resolve("m"), 1, null,
                        org.apbj.weights.ProgressListener.NONE, SyntheticModelWriter.DEFAULT_MAX_SHARD_BYTES))
                .says("head_dim 40 is not supported by the attention kernel", "multiple of 16"));
        c.add(new Case("model", "heads not a multiple of KV heads").args(runBroken()).setup(broken(m -> BrokenModels.config(m,
                j -> j.put("num_key_value_heads", 4)))).says("num_attention_heads 6 is not a multiple of num_key_value_heads 4"));
        c.add(new Case("model", "vocab_size not matching the weights").args(runBroken()).setup(broken(m -> BrokenModels.config(m,
                j -> j.put("vocab_size", 1000)))).says("embed_tokens", "expected [1000, 384]"));
        c.add(new Case("model", "hidden_act unsupported").args(runBroken()).setup(broken(m -> BrokenModels.config(m,
                j -> j.put("hidden_act", "gelu")))).says("hidden_act", "gelu"));
        c.add(new Case("model", "rope type unsupported").args(runBroken()).setup(broken(m -> BrokenModels.config(m,
                j -> j.putObject("rope_parameters").put("rope_type", "yarn").put("rope_theta", 10000)))).says("yarn", "supported"));
        c.add(new Case("model", "no safetensors").args(runBroken()).setup(broken(m -> BrokenModels.delete(m.resolve("model.safetensors"))))
                .process().says("no model.safetensors"));
        c.add(new Case("model", "safetensors cut in half").args(runBroken()).setup(broken(m -> BrokenModels.truncate(m, "model.safetensors", 0.5)))
                .process().says("model.safetensors", "truncated"));
        c.add(new Case("model", "safetensors of one byte").args(runBroken()).setup(broken(m -> BrokenModels.truncate(m, "model.safetensors", 1e-7)))
                .says("shorter than the 8-byte header length"));
        c.add(new Case("model", "safetensors header length 2^62").args(runBroken()).setup(broken(m ->
                BrokenModels.headerLength(m, "model.safetensors", 1L << 62))).process().says("header length", "larger than the safetensors limit"));
        c.add(new Case("model", "safetensors header not JSON").args(runBroken()).setup(broken(m -> {
            var s = BrokenModels.Safetensors.read(m.resolve("model.safetensors"));
            BrokenModels.write(m.resolve("model.safetensors"), s.bytes("{\"lm_head.weight\": [".getBytes(StandardCharsets.UTF_8)));
        })).says("header is not valid JSON"));
        c.add(new Case("model", "dtype F8_E4M3").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m, "model.safetensors",
                s -> s.tensor("model.norm.weight").put("dtype", "F8_E4M3")))).process().says("unsupported dtype F8_E4M3", "model.norm.weight"));
        c.add(new Case("model", "dtype F64").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m, "model.safetensors",
                s -> s.tensor("model.norm.weight").put("dtype", "F64").putArray("shape").add(96)))).says("unsupported dtype F64", "bf16"));
        c.add(new Case("model", "data offsets past the end").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m, "model.safetensors",
                s -> {
                    var off = s.tensor("model.norm.weight").withArray("data_offsets");
                    long begin = off.get(0).asLong();
                    off.removeAll().add(begin + 1_000_000).add(begin + 1_000_768);
                }))).process().says("data_offsets", "end past the data section"));
        c.add(new Case("model", "overlapping tensors").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m, "model.safetensors",
                s -> {
                    var off = s.tensor("model.norm.weight").withArray("data_offsets");
                    off.removeAll().add(0).add(768);
                }))).says("overlap"));
        c.add(new Case("model", "missing tensor").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m, "model.safetensors",
                s -> s.header().set("model.final_norm.weight", s.header().remove("model.norm.weight"))))).process()
                .says("missing 1 tensor(s)", "model.norm.weight"));
        c.add(new Case("model", "tensor of the wrong shape").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m, "model.safetensors",
                s -> s.tensor("model.layers.0.self_attn.k_proj.weight").putArray("shape").add(384).add(128)))).says("k_proj", "has shape [384, 128]"));
        c.add(new Case("model", "shard index names a missing shard").args(runBroken()).setup(broken(m -> {
            BrokenModels.delete(m.resolve("model.safetensors"));
            BrokenModels.write(m.resolve("model.safetensors.index.json"),
                    "{\"metadata\": {}, \"weight_map\": {\"lm_head.weight\": \"model-00001-of-00002.safetensors\"}}");
        })).says("model-00001-of-00002.safetensors"));
        c.add(new Case("model", "no tokenizer.json").args(runBroken()).setup(broken(m -> BrokenModels.delete(m.resolve("tokenizer.json"))))
                .process().says("no tokenizer file at"));
        c.add(new Case("model", "tokenizer.json not JSON").args(runBroken()).setup(broken(m -> BrokenModels.write(m.resolve("tokenizer.json"),
                "{\"model\": "))).says("tokenizer.json"));

        // ---- retaining heads ----------------------------------------------------------------
        c.add(new Case("heads", "--heads missing").args(run("--heads={dir}/none.safetensors")).process().says("--heads", "is not a file"));
        c.add(new Case("heads", "--heads is the model's weights").args(run("--heads={tiny}/model.safetensors")).process()
                .says("--heads", "model.safetensors", "holds a model's weights"));
        c.add(new Case("heads", "heads of the wrong shape").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m,
                "retaining_heads.safetensors", s -> s.tensor("model.layers.1.self_attn.fc2.weight").putArray("shape").add(256).add(2))))
                .process().says("--heads", "fc2.weight has shape [256, 2], expected [2, 256]"));
        c.add(new Case("heads", "heads for fewer layers").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m,
                "retaining_heads.safetensors", s -> {
                    for (String t : List.of("fc1", "fc2")) {
                        s.header().set("model.layers.9.self_attn." + t + ".weight", s.header().remove("model.layers.3.self_attn." + t + ".weight"));
                    }
                }))).says("missing 2 tensor(s)", "model.layers.3.self_attn.fc1.weight"));
        c.add(new Case("heads", "heads file truncated").args(runBroken()).setup(broken(m -> BrokenModels.truncate(m,
                "retaining_heads.safetensors", 0.6))).says("--heads", "retaining_heads.safetensors"));
        c.add(new Case("heads", "heads as a PyTorch .bin").args(run("--heads={dir}/heads.bin")).setup(file("heads.bin", "PK"))
                .says("PyTorch pickle", "safetensors"));
        c.add(new Case("heads", "apb without heads").args(runBroken()).setup(broken(m ->
                BrokenModels.delete(m.resolve("retaining_heads.safetensors")))).process().says("apb needs retaining heads", "--heads"));
        c.add(new Case("heads", "heads of dtype F8_E5M2").args(runBroken()).setup(broken(m -> BrokenModels.editHeader(m,
                "retaining_heads.safetensors", s -> s.tensor("model.layers.0.self_attn.fc2.weight").put("dtype", "F8_E5M2")))).says("F8_E5M2"));

        // ---- datasets -----------------------------------------------------------------------
        c.add(new Case("datasets", "--dataset missing").args("eval", "--dataset={dir}/none.jsonl", "--device=java").process()
                .says("--dataset", "not a readable file"));
        c.add(new Case("datasets", "--dataset empty").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", "")).says("holds no samples"));
        c.add(new Case("datasets", "--dataset line not JSON").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", SAMPLE + "\n{oops\n")).process().says("d.jsonl:2", "not a JSON object"));
        c.add(new Case("datasets", "--dataset without context").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", SAMPLE.replace("\"context\"", "\"contxt\""))).says("d.jsonl:1", "\"context\""));
        c.add(new Case("datasets", "--dataset unknown metric").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", SAMPLE.replace("\"all\"", "\"exact\""))).says("d.jsonl:1", "exact"));
        c.add(new Case("datasets", "--dataset not UTF-8").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", SAMPLE.replace("blue.", "bl\u00e9u.").getBytes(StandardCharsets.ISO_8859_1))).says("is not UTF-8 text"));
        c.add(new Case("datasets", "--dataset max_new_tokens 0").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", SAMPLE.replace("}", ", \"max_new_tokens\": 0}"))).says("max_new_tokens"));
        c.add(new Case("datasets", "--dataset duplicate id").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", SAMPLE + "\n" + SAMPLE + "\n")).process().says("duplicate id"));
        c.add(new Case("datasets", "--dataset empty context").args("eval", "--dataset={dir}/d.jsonl", "--device=java")
                .setup(file("d.jsonl", SAMPLE.replace("The sky is blue.", ""))).says("\"context\" is empty"));
        c.add(new Case("datasets", "--dataset with --generate-only").args("eval", "--dataset={dir}/d.jsonl", "--generate-only")
                .setup(file("d.jsonl", SAMPLE)).says("--generate-only"));

        // ---- devices ------------------------------------------------------------------------
        c.add(new Case("devices", "--device=cuda without a GPU").args(run("--device=cuda")).process()
                .assuming(BadInputCases::noCuda, "a CUDA device is present").says("--device=cuda", "no CUDA device"));
        c.add(new Case("devices", "--device=cuda:3 without a GPU").args(run("--device=cuda:3"))
                .assuming(BadInputCases::noCuda, "a CUDA device is present").says("--device=cuda:3", "CUDA"));
        c.add(new Case("devices", "--device=opencl:9").args(run("--device=opencl:9")).process().says("--device=opencl:9", "no OpenCL platform 9"));
        // OpenCL cases run in JVMs of their own: PoCL, once loaded, has crashed a JVM at its exit
        c.add(new Case("devices", "--device=opencl:0:9").args(run("--device=opencl:0:9")).process().says("--device=opencl:0:9", "no device 9"));
        c.add(new Case("devices", "--device=java:0").args(run("--device=java:0")).process().says("--device=java:0", "at least 1 thread"));
        c.add(new Case("devices", "--device=java:x").args(run("--device=java:x")).says("'x' is not a number"));
        c.add(new Case("devices", "--device=java:1:lots").args(run("--device=java:1:lots")).says("memory 'lots' is not a size"));
        c.add(new Case("devices", "--device=java:1:1m (the job does not fit)").args(run("--device=java:1:1m", "--in-process"))
                .says("does not fit on java (1 threads", "free is usable", "a device with more memory"));
        c.add(new Case("devices", "--device=tpu").args(run("--device=tpu")).says("unknown device spec 'tpu'", "java"));
        c.add(new Case("devices", "--device empty").args(run("--device=")).says("--device is empty"));

        // ---- faults -------------------------------------------------------------------------
        c.add(new Case("faults", "a rank throws (mpjrun)").args(run("--ranks=2")).process().within(FAULT)
                .property("apbj.fault", "throw:1").status(2).says("rank 1: ", "injected fault", "full trace: ")
                .check(o -> checkLogged(o, "rank 1: ", "at org.apbj.parallel.rank.Fault.at")));
        c.add(new Case("faults", "a rank throws (in-process)").args(run("--ranks=3", "--in-process")).within(FAULT)
                .property("apbj.fault", "throw:2").status(2).check(o -> checkLogged(o, "rank 2: ", "at org.apbj.parallel.rank.Fault.at")));
        c.add(new Case("faults", "a rank hangs (mpjrun)").args(run("--ranks=2", "--comm-timeout=2")).process().within(FAULT)
                .property("apbj.fault", "hang:1").status(2).check(o -> checkLogged(o, "did not complete within 2 s", "--comm-timeout")));
        c.add(new Case("faults", "a rank hangs (in-process)").args(run("--ranks=2", "--comm-timeout=2", "--in-process")).within(Duration.ofSeconds(30))
                .property("apbj.fault", "hang:1").status(2).check(o -> checkLogged(o, "waiting for rank(s) [1]", "timed out after 2 s")));
        c.add(new Case("faults", "the rank JVM is killed with SIGKILL").args(run("--ranks=2", "--comm-timeout=600")).process().within(FAULT)
                .property("apbj.fault", "hang:0").status(2).during((p, dir) -> {
                    ranksStarted(dir);
                    ProcessHandle rank = rankJvm(p, Duration.ofSeconds(5));
                    long t0 = System.nanoTime();
                    rank.destroyForcibly();
                    assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the launcher did not end within 30 s of the kill");
                    System.out.println("killed rank JVM: launcher ended " + (System.nanoTime() - t0) / 1_000_000 + " ms later");
                }).check(o -> checkLogged(o, "rank JVM killed by SIGKILL (signal 9), holding ranks 0-1", "--- the ranks' output ---")));
        c.add(new Case("faults", "the launcher is killed with SIGKILL").args(run("--ranks=2", "--comm-timeout=600")).process().within(FAULT)
                .property("apbj.fault", "hang:1").status(137).during((p, dir) -> {
                    ranksStarted(dir);
                    ProcessHandle rank = rankJvm(p, Duration.ofSeconds(5));
                    p.toHandle().destroyForcibly();
                    long t0 = System.nanoTime();
                    assertTrue(rank.onExit().toCompletableFuture().completeOnTimeout(null, 10, java.util.concurrent.TimeUnit.SECONDS)
                            .thenApply(h -> !rank.isAlive()).get(), "the rank JVM outlived its launcher by 10 s");
                    System.out.println("killed launcher: rank JVM ended " + (System.nanoTime() - t0) / 1_000_000 + " ms later");
                }).check(o -> assertEquals(List.of(), o.errLines(), "the killed launcher says nothing")));
        c.add(new Case("faults", "the launcher gets SIGTERM").args(run("--ranks=2", "--comm-timeout=600")).process().within(FAULT)
                .property("apbj.fault", "hang:1").status(143).during((p, dir) -> {
                    ranksStarted(dir);
                    ProcessHandle rank = rankJvm(p, Duration.ofSeconds(5));
                    p.toHandle().destroy();
                    assertTrue(p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS), "the launcher did not end on SIGTERM");
                    assertTrue(!rank.isAlive() || rank.onExit().toCompletableFuture().completeOnTimeout(null, 5,
                            java.util.concurrent.TimeUnit.SECONDS).thenApply(h -> !rank.isAlive()).get(), "the rank JVM outlived its launcher");
                }).check(o -> {}));
        for (Case k : c) k.id = c.indexOf(k);
        return c;
    }

    /** The one line says {@code line}, and the log file it names holds {@code logged}; no job folder is left. */
    static void checkLogged(Outcome o, String line, String logged) {
        List<String> lines = o.errLines();
        assertEquals(1, lines.size(), "one line on stderr:\n" + o);
        assertTrue(lines.getFirst().contains(line), "the line must say '" + line + "':\n" + o);
        int at = lines.getFirst().indexOf("(full trace: ");
        assertTrue(at > 0, "the line names a log file:\n" + o);
        Path log = Path.of(lines.getFirst().substring(at + 13, lines.getFirst().length() - 1));
        try {
            assertTrue(Files.readString(log).contains(logged), "the log " + log + " must hold '" + logged + "'");
            BadInputSuiteTest.assertNoJobFolderLeft(o.tmp(), o.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
