"""Runs the Kiln command line (compile, run, bench) as subprocesses, with logs and timeouts.

The contract (tools/bench/README.md):
    kiln compile MODEL.onnx -o PLAN.kiln --precision fp16 --max-batch B [--max-seq S]
    kiln run PLAN.kiln --device cuda --input NAME=FILE.pb ... --output-dir DIR   -> DIR/NAME.pb
    kiln bench PLAN.kiln (--input NAME=FILE.pb | --shape NAME=DIMS) ... --iters N --warmup N
               --json FILE   -> {"median_ms", "p90_ms", "kernels": [...]}
"""
import json
import os
import shutil
import subprocess
import sys
import time

import onnx_export


class KilnError(RuntimeError):
    """A Kiln command failed; the message carries the command and its output's tail."""


class Kiln:
    def __init__(self, path, log_dir, device="cuda"):
        self.path, self.log_dir, self.device = path, log_dir, device
        os.makedirs(log_dir, exist_ok=True)

    def _argv(self, args):
        if self.path.endswith(".py"):  # the self-test's stand-in
            return [sys.executable, self.path] + args
        return [self.path] + args

    def _call(self, tag, args, timeout):
        log = os.path.join(self.log_dir, f"kiln-{tag}.log")
        argv = self._argv(args)
        t0 = time.time()
        with open(log, "w") as f:
            f.write("$ " + " ".join(argv) + "\n")
            f.flush()
            try:
                rc = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                rc = f"timeout after {timeout}s"
        if rc != 0:
            with open(log) as f:
                tail = f.read()[-1500:]
            lines = [l.strip() for l in tail.splitlines() if l.strip()]
            last = lines[-1] if lines else "(no output)"
            raise KilnError(f"kiln {args[0]} failed (exit {rc}): {last}\nlog: {log}\n{tail}")
        return time.time() - t0

    def compile(self, tag, model, plan, batch, seq, timeout=300):
        """Compiles at fp16 for up to `batch` x `seq` (seq 0: the model has no sequence axis)."""
        args = ["compile", model, "-o", plan, "--precision", "fp16", "--max-batch", str(batch)]
        if seq:
            args += ["--max-seq", str(seq)]
        return self._call(f"{tag}-compile", args, timeout)

    def run(self, tag, plan, input_files, out_dir, timeout=300):
        """Runs the plan once on the given TensorProto files; returns {output name: array}."""
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.makedirs(out_dir)
        args = ["run", plan, "--device", self.device, "--output-dir", out_dir]
        for name, path in input_files.items():
            args += ["--input", f"{name}={path}"]
        self._call(f"{tag}-run", args, timeout)
        return {f[:-3]: onnx_export.read_tensor(os.path.join(out_dir, f))
                for f in sorted(os.listdir(out_dir)) if f.endswith(".pb")}

    def bench(self, tag, plan, iters, warmup, json_path, input_files=None, shapes=None, timeout=300):
        """Times the plan; returns Kiln's JSON report (median_ms, p90_ms, kernels)."""
        args = ["bench", plan, "--iters", str(iters), "--warmup", str(warmup), "--json", json_path]
        if input_files:
            for name, path in input_files.items():
                args += ["--input", f"{name}={path}"]
        else:
            for name, dims in shapes.items():
                args += ["--shape", f"{name}={'x'.join(str(d) for d in dims)}"]
        self._call(f"{tag}-bench", args, timeout)
        with open(json_path) as f:
            report = json.load(f)
        if not isinstance(report.get("median_ms"), (int, float)):
            raise KilnError(f"kiln bench wrote no numeric median_ms to {json_path}")
        return report
