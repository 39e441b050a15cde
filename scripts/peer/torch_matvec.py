#!/usr/bin/env python3
"""Peer for MatvecBench: torch.matmul (cuBLAS) on the same few-row decode shapes, bf16 weights.

x [rows, k] @ W[n, k]^T with x and W in bf16 (torch's decode path), and the copy bandwidth of
the same GPU (2 GiB device-to-device, read + write). Median of 20 CUDA-event-timed runs after a
warm-up; one line per shape in MatvecBench's format. Usage: python3 torch_matvec.py
"""
import torch

from event_timing import median_ms

REPS = 20
SHAPES = [("qkv", 6144, 4096), ("o", 4096, 4096), ("gate+up", 2 * 14336, 4096), ("down", 4096, 14336),
          ("lm_head", 128256, 4096)]


def timed(fn):
    return median_ms(fn, REPS)


def main():
    print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
    a = torch.empty(1 << 30, dtype=torch.bfloat16, device="cuda")
    b = torch.empty_like(a)
    ms = timed(lambda: b.copy_(a))
    copy = 2 * a.numel() * 2 / (ms * 1e-3) / 1e9
    print(f"copy bandwidth: {copy:.0f} GB/s (torch copy_, read + write)")
    del a, b
    for rows in (1, 8):
        for name, n, k in SHAPES:
            w = torch.randn(n, k, dtype=torch.bfloat16, device="cuda")
            x = torch.randn(rows, k, dtype=torch.bfloat16, device="cuda")
            ms = timed(lambda: torch.matmul(x, w.t()))
            gbs = n * k * 2 / (ms * 1e-3) / 1e9
            print(f"matvec kernel=torch.matmul shape={name} rows={rows} n={n} k={k} us={ms * 1000:.1f} "
                  f"gbs={gbs:.0f} of_copy={gbs / copy:.2f}", flush=True)
            del w, x
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
