"""The peers' one way of timing a CUDA call: a warm-up, then the median of `reps` runs, each
timed by CUDA events around it and synchronised. Milliseconds."""
import torch


def median_ms(fn, reps):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return sorted(times)[reps // 2]
