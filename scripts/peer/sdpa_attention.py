"""Peer for AttentionBench: PyTorch SDPA on the same shapes, bf16, one GPU.

Causal prefill (32 query heads, 8 KV heads expanded to 32 outside the timing, d = 128) at the
given lengths on the flash backend (FlashAttention-2), on the cuDNN backend, and with no backend
forced (what Hugging Face's attn_implementation="sdpa" gets: `sdpa-default`); a backend this torch
cannot run for the shape prints `unavailable` with the reason. Then decode (one query against a
128K cache) through the flash path.
Prints one line per case in AttentionBench's format: median ms of 5 timed runs after a warm-up,
TFLOP/s counting visible query-key pairs at 4*d FLOPs each. Usage: python3 sdpa_attention.py [lengths...]
"""
import sys
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from event_timing import median_ms

HEADS, KV_HEADS, D, REPS = 32, 8, 128, 5


def timed(fn):
    return median_ms(fn, REPS)


def case(mask, nq, keys, causal, pairs, backend):
    g = torch.Generator(device="cuda").manual_seed(42)
    q = torch.randn(1, HEADS, nq, D, device="cuda", dtype=torch.bfloat16, generator=g)
    k = torch.randn(1, KV_HEADS, keys, D, device="cuda", dtype=torch.bfloat16, generator=g)
    v = torch.randn(1, KV_HEADS, keys, D, device="cuda", dtype=torch.bfloat16, generator=g)
    k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
    v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
    name = "default" if backend is None else backend.name.lower()
    try:
        if backend is None:
            ms = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
        else:
            with sdpa_kernel([backend]):
                ms = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
    except RuntimeError as e:
        print(f"attention kernel=sdpa-{name} mask={mask} length={keys} unavailable: {str(e).splitlines()[0][:160]}", flush=True)
        return
    tflops = 4.0 * D * HEADS * pairs / (ms * 1e-3) / 1e12
    gbs = 2.0 * keys * KV_HEADS * D * 2 / (ms * 1e-3) / 1e9
    print(f"attention kernel=sdpa-{name} mask={mask} length={keys} ms={ms:.3f} "
          f"tflops={tflops:.1f} kv_gbs={gbs:.0f}", flush=True)
    del q, k, v
    torch.cuda.empty_cache()


def main():
    lengths = [int(a) for a in sys.argv[1:]] or [4096, 16384, 32768, 65536]
    print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
    for n in lengths:
        for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION, None):
            case("causal", n, n, True, n * (n + 1) / 2, backend)
    case("decode", 1, 131072, False, 131072, SDPBackend.FLASH_ATTENTION)


if __name__ == "__main__":
    main()
