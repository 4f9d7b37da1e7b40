#!/usr/bin/env python3
"""A stand-in for the kiln binary that follows the harness's CLI contract, for the CPU self-test.

    compile MODEL.onnx -o PLAN --precision fp16 --max-batch B [--max-seq S]   (PLAN: JSON)
    run PLAN --device D --input NAME=FILE.pb ... --output-dir DIR             (onnx's reference
        evaluator at fp32, outputs rounded through fp16 as a fp16 compiler's would be)
    bench PLAN (--input NAME=FILE.pb | --shape NAME=DIMS) ... --iters N --warmup N --json FILE
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def pairs(items):
    out = {}
    for s in items or []:
        name, _, value = s.partition("=")
        if not name or not value:
            sys.exit(f"fake kiln: expected NAME=VALUE, got {s!r}")
        out[name] = value
    return out


def run_model(plan, feeds):
    """onnxruntime when installed (the GPU machine has it), else onnx's reference evaluator
    (whose GatherElements mishandles BERT's token-type lookup)."""
    names = [o.name for o in onnx.load(plan["model"], load_external_data=False).graph.output]
    try:
        import onnxruntime
        sess = onnxruntime.InferenceSession(plan["model"], providers=["CPUExecutionProvider"])
    except ImportError:
        sess = ReferenceEvaluator(plan["model"])
    return dict(zip(names, sess.run(None, feeds)))


def main(argv):
    cmd, rest = argv[0], argv[1:]
    p = argparse.ArgumentParser(prog=f"fake_kiln {cmd}")
    p.add_argument("path")
    if cmd == "compile":
        p.add_argument("-o", required=True)
        p.add_argument("--precision", required=True, choices=["fp16"])
        p.add_argument("--max-batch", type=int, required=True)
        p.add_argument("--max-seq", type=int)
        a = p.parse_args(rest)
        onnx.checker.check_model(a.path)
        with open(a.o, "w") as f:
            json.dump({"model": os.path.abspath(a.path), "max_batch": a.max_batch, "max_seq": a.max_seq}, f)
        print("fake kiln: compiled", a.path, file=sys.stderr)
        return 0
    p.add_argument("--input", action="append")
    with open(rest[0]) as f:
        plan = json.load(f)
    if cmd == "run":
        p.add_argument("--device", required=True)
        p.add_argument("--output-dir", required=True)
        a = p.parse_args(rest)
        outs = run_model(plan, {k: load(v) for k, v in pairs(a.input).items()})
        for name, arr in outs.items():
            arr = arr.astype(np.float16).astype(np.float32) if arr.dtype == np.float32 else arr
            with open(os.path.join(a.output_dir, f"{name}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(arr, name).SerializeToString())
        return 0
    if cmd == "bench":
        p.add_argument("--shape", action="append")
        p.add_argument("--iters", type=int, default=10)
        p.add_argument("--warmup", type=int, default=2)
        p.add_argument("--json", required=True)
        a = p.parse_args(rest)
        if a.input:
            feeds = {k: load(v) for k, v in pairs(a.input).items()}
        else:
            feeds = {}
            for name, dims in pairs(a.shape).items():
                shape = [int(d) for d in dims.split("x")]
                feeds[name] = (np.random.rand(*shape).astype(np.float32) if name == "pixel_values"
                               else np.ones(shape, np.int64))
        ms = []
        for i in range(a.warmup + min(a.iters, 3)):
            t = time.perf_counter()
            run_model(plan, feeds)
            if i >= a.warmup:
                ms.append((time.perf_counter() - t) * 1e3)
        ms.sort()
        with open(a.json, "w") as f:
            json.dump({"median_ms": ms[len(ms) // 2], "p90_ms": ms[-1],
                       "kernels": [{"name": "reference_evaluator", "kind": "fake", "ms": ms[len(ms) // 2],
                                    "share": 1.0, "gbps": 0, "tflops": 0, "roofline_pct": 0}]}, f)
        return 0
    sys.exit(f"fake kiln: unknown command {cmd!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
