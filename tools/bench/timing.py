"""Timing of the PyTorch systems: eager, torch.compile, torch.compile(mode="reduce-overhead").

Each timed run is one full forward pass measured as latency: the GPU is idle when it starts
(synchronize), a CUDA event is recorded before and after, and the run's host launch work is
therefore inside the interval (on a launch-bound model it is most of it). Warm-up runs come first;
the median (and p90) of the timed runs is reported.
"""
import statistics
import time

import torch

SYSTEMS = ("eager", "compile", "compile_ro")
MODES = {"compile": None, "compile_ro": "reduce-overhead"}


def summarize(ms):
    ms = sorted(ms)
    return {"median_ms": statistics.median(ms), "p90_ms": ms[min(len(ms) - 1, int(0.9 * len(ms)))],
            "min_ms": ms[0], "runs": len(ms)}


def time_runs(fn, iters, warmup, before_each=None, cuda=True):
    """Calls fn() warmup + iters times; returns summarize() of the timed runs in ms."""
    for _ in range(warmup):
        if before_each:
            before_each()
        fn()
    if not cuda:
        ms = []
        for _ in range(iters):
            if before_each:
                before_each()
            t0 = time.perf_counter()
            fn()
            ms.append((time.perf_counter() - t0) * 1e3)
        return summarize(ms)
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    torch.cuda.synchronize()
    for s, e in zip(starts, ends):
        if before_each:
            before_each()
        torch.cuda.synchronize()
        s.record()
        fn()
        e.record()
    torch.cuda.synchronize()
    return summarize([s.elapsed_time(e) for s, e in zip(starts, ends)])


def compiled(module, system):
    """A fresh torch.compile of `module` for `system` ("compile" = default options)."""
    torch._dynamo.reset()  # each system compiles from scratch, with no other shapes seen
    mode = MODES[system]
    return torch.compile(module, mode=mode) if mode else torch.compile(module)


def step_marker(system):
    """What must run before each call: reduce-overhead's CUDA graphs need a step boundary so the
    previous run's output buffers may be reused."""
    if system == "compile_ro":
        return torch.compiler.cudagraph_mark_step_begin
    return None


def compile_counters():
    """Dynamo/Inductor counters worth reporting: graph breaks and FX-graph cache hits/misses."""
    from torch._dynamo.utils import counters
    return {
        "graph_breaks": sum(counters["graph_break"].values()),
        "fxgraph_cache_hit": counters["inductor"].get("fxgraph_cache_hit", 0),
        "fxgraph_cache_miss": counters["inductor"].get("fxgraph_cache_miss", 0),
    }


def clear_counters():
    from torch._dynamo.utils import counters
    counters.clear()
