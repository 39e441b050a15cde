#!/usr/bin/env python3
"""Peer figures for `./apbj bench --peer FILE`: Hugging Face transformers with PyTorch SDPA.

Times, on one CUDA GPU, the prefill of N random tokens and then greedy decoding (ms per token
after that prefill of N) of a randomly initialised model of one of the shapes apbj's synthetic
models have (built from a config: nothing is downloaded), in bf16 with
attn_implementation="sdpa". Warm-up runs at every length are excluded; every timing is taken
between torch.cuda.synchronize() calls. Prints one JSON object on stdout (progress on stderr):

  {"peer": "transformers X + torch Y, sdpa, bf16", "device": "...", "shape": "llama-3.1-8b",
   "results": [{"tokens": 32768, "prefill_seconds": 1.39, "prefill_runs": [...],
                "decode_tokens": 16, "decode_ms_per_token": 25.1, "decode_runs_ms_per_token": [...]}],
   ...}

Usage:
  python3 scripts/peer/hf_prefill_decode.py --shape llama-3.1-8b --lengths 32k --decode 16 > hf.json
  ./apbj bench --synth llama-3.1-8b --lengths 32k --methods dense --decode 16 --peer hf.json

What each step does, so the figures compare with apbj's bench: prefill is one forward of the
N context tokens through the decoder (model.model, use_cache=True) and the LM head on the last
row only (apbj computes only the last row's logits too); decode feeds the greedy token back one
at a time through the KV cache and reads it to the host every step (apbj does the same: its
decode loop needs the token on the host).
"""
import argparse
import json
import statistics
import sys
import time

SHAPES = {
    # the configs of apbj's SyntheticModelWriter.Shape (weights/), as Hugging Face configs
    "llama-3.1-8b": dict(
        family="llama", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
        num_key_value_heads=8, head_dim=128, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8192},
        vocab_size=128256, max_position_embeddings=131072, tie_word_embeddings=False,
        bos_token_id=128000, eos_token_id=[128001, 128008, 128009]),
    "qwen-2.5-14b": dict(
        family="qwen2", hidden_size=5120, intermediate_size=13824, num_hidden_layers=48, num_attention_heads=40,
        num_key_value_heads=8, rms_norm_eps=1e-6, rope_theta=1000000.0, vocab_size=152064,
        max_position_embeddings=32768, tie_word_embeddings=False, bos_token_id=151643, eos_token_id=151645),
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def parse_length(text):
    t = text.strip().lower()
    if t.endswith("k"):
        return int(float(t[:-1]) * 1024)
    return int(t)


def build_model(shape, layers, device, torch, transformers):
    spec = dict(SHAPES[shape])
    family = spec.pop("family")
    if layers is not None:
        spec["num_hidden_layers"] = layers
    if family == "llama":
        config = transformers.LlamaConfig(**spec)
        cls = transformers.LlamaForCausalLM
    else:
        config = transformers.Qwen2Config(**spec)
        cls = transformers.Qwen2ForCausalLM
    config._attn_implementation = "sdpa"
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            try:
                model = cls._from_config(config, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
            except (TypeError, AttributeError):
                model = cls(config)
    finally:
        torch.set_default_dtype(previous)
    model = model.to(device=device, dtype=torch.bfloat16).eval()
    used = getattr(model.config, "_attn_implementation", None)
    if used != "sdpa":
        raise SystemExit(f"the model uses attention implementation {used!r}, not 'sdpa'")
    return model


def run_once(model, ids, decode_tokens, torch):
    """One prefill of ids, then decode_tokens greedy steps; returns (prefill s, decode ms/token or None)."""
    with torch.inference_mode():
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = model.model(input_ids=ids, use_cache=True)
        logits = model.lm_head(out.last_hidden_state[:, -1:, :])
        token = logits.argmax(dim=-1)
        torch.cuda.synchronize()
        prefill = time.perf_counter() - t0
        cache = out.past_key_values
        del out, logits
        per_token = None
        if decode_tokens > 0:
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(decode_tokens):
                out = model.model(input_ids=token, past_key_values=cache, use_cache=True)
                cache = out.past_key_values
                token = model.lm_head(out.last_hidden_state[:, -1:, :]).argmax(dim=-1)
                token.item()   # the greedy token on the host, as apbj's decode loop has it
            torch.cuda.synchronize()
            per_token = (time.perf_counter() - t0) * 1000 / decode_tokens
        del cache, token
    torch.cuda.empty_cache()
    return prefill, per_token


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", default="llama-3.1-8b", choices=sorted(SHAPES))
    p.add_argument("--layers", type=int, default=None, help="only this many layers (as apbj's --layers)")
    p.add_argument("--lengths", default="32k", help="context lengths, comma-separated (32k = 32768)")
    p.add_argument("--decode", type=int, default=16, help="greedy tokens after each prefill (0: none)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs per length (default 1)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per length; medians are reported")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--device", default="cuda:0")
    a = p.parse_args()
    if a.repeat < 1 or a.warmup < 0 or a.decode < 0:
        raise SystemExit("--repeat must be >= 1, --warmup and --decode >= 0")
    lengths = [parse_length(x) for x in a.lengths.split(",") if x.strip()]

    import torch
    import transformers
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this peer measures GPU prefill and decode")
    torch.cuda.set_device(torch.device(a.device))
    torch.manual_seed(a.seed)
    log(f"building a random {a.shape} ({a.layers or 'all'} layers) in bf16 on {a.device}")
    t0 = time.perf_counter()
    model = build_model(a.shape, a.layers, a.device, torch, transformers)
    build_seconds = time.perf_counter() - t0
    vocab = model.config.vocab_size
    gen = torch.Generator(device=a.device).manual_seed(a.seed)

    results = []
    for n in lengths:
        ids = torch.randint(0, vocab, (1, n), device=a.device, generator=gen)
        for w in range(a.warmup):
            log(f"{n} tokens: warm-up {w + 1}/{a.warmup}")
            run_once(model, ids, a.decode, torch)
        torch.cuda.reset_peak_memory_stats()
        prefills, decodes = [], []
        for r in range(a.repeat):
            s, d = run_once(model, ids, a.decode, torch)
            log(f"{n} tokens: run {r + 1}/{a.repeat}: prefill {s:.3f} s" + ("" if d is None else f", decode {d:.2f} ms/token"))
            prefills.append(s)
            if d is not None:
                decodes.append(d)
        results.append({
            "tokens": n,
            "prefill_seconds": statistics.median(prefills),
            "prefill_tokens_per_second": n / statistics.median(prefills),
            "prefill_runs": prefills,
            "decode_tokens": a.decode,
            "decode_ms_per_token": statistics.median(decodes) if decodes else None,
            "decode_runs_ms_per_token": decodes,
            "peak_memory_bytes": torch.cuda.max_memory_allocated(),
        })
    print(json.dumps({
        "peer": f"transformers {transformers.__version__} + torch {torch.__version__}, attn_implementation=sdpa, bf16",
        "device": torch.cuda.get_device_name(torch.device(a.device)),
        "shape": a.shape,
        "layers": model.config.num_hidden_layers,
        "attn_implementation": model.config._attn_implementation,
        "dtype": "bfloat16",
        "seed": a.seed,
        "warmup_runs": a.warmup,
        "repeat": a.repeat,
        "model_build_seconds": build_seconds,
        "results": results,
    }, indent=2))


if __name__ == "__main__":
    main()
