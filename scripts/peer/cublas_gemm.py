"""Peer for GemmBench: cuBLAS through torch.matmul on the same shapes (rows x n x k), bf16 inputs,
fp32 accumulation, bf16 output (and fp32 output via out_dtype where torch supports it).
Prints GemmBench's line format: median ms of 7 timed runs after a warm-up, TFLOP/s at 2*rows*n*k.
"""
import torch

from event_timing import median_ms

SHAPES = [(16384, 4096, 14336), (16384, 14336, 4096), (16384, 4096, 4096), (16384, 6144, 4096), (4096, 128256, 4096)]
REPS = 7


def timed(fn):
    return median_ms(fn, REPS)


def main():
    print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
    for rows, n, k in SHAPES:
        x = torch.randn(rows, k, device="cuda", dtype=torch.bfloat16)
        w = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
        ms = timed(lambda: torch.matmul(x, w.t()))
        print(f"gemm kernel=cublas-bf16out shape={rows}x{n}x{k} ms={ms:.3f} tflops={2.0 * rows * n * k / (ms * 1e-3) / 1e12:.1f}",
              flush=True)
        del x, w
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
