#!/usr/bin/env python3
"""Kiln vs PyTorch (eager, torch.compile, reduce-overhead) on five fp16 transformer workloads.

    python3 tools/bench/bench.py            # on the GPU machine, from the repository root

Per model: build it with random weights on the GPU, export it at fp32 to ONNX, compile it with
Kiln at fp16, check Kiln's output against PyTorch's fp16 output, then time Kiln's plan and the
three PyTorch systems and write one table (tools/bench/README.md explains every column).

Order (so that whatever the time budget cuts, it cuts last and least):
  1. per model: build, export, ONNX checks, reference outputs, Kiln compile + run + check;
     meanwhile `--prewarm` background processes compile the torch.compile graphs into the
     on-disk Inductor cache (no timing happens while they run);
  2. per workload: Kiln bench, PyTorch eager timing;
  3. per workload: torch.compile and reduce-overhead (from the warm cache), each skipped with
     a note when the budget has no room left for it.
`--dry-run` runs the same steps with tiny models on the CPU (no CUDA; Kiln only with --kiln).
"""
import argparse
import contextlib
import datetime
import json
import os
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ALL_SYSTEMS = ("kiln", "eager", "compile", "compile_ro")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kiln", help="the kiln binary (default: gpu-carry/kiln in the repository)")
    p.add_argument("--only", default="", help="comma-separated workload name filters, e.g. bert,vit")
    p.add_argument("--systems", help=f"comma-separated subset of {','.join(ALL_SYSTEMS)} (default: all; "
                   "--dry-run: kiln (if --kiln is given) and eager)")
    p.add_argument("--quick", action="store_true", help="20 timed runs after 3 warm-up (default 100 after 10)")
    p.add_argument("--iters", type=int, help="timed runs per system")
    p.add_argument("--warmup", type=int, help="warm-up runs per system")
    p.add_argument("--kiln-bench-inputs", choices=("files", "shapes"), default="files",
                   help="kiln bench gets the real inputs (--input NAME=FILE.pb) or only --shape NAME=DIMS")
    p.add_argument("--work-dir", default="/tmp/kiln-bench", help="exports, plans, logs (large; not results)")
    p.add_argument("--results-dir", help="where NAME.md/.json go (default tools/bench/results; "
                   "--dry-run: WORK_DIR/results)")
    p.add_argument("--copy-to", default=os.environ.get("OUT"),
                   help="also copy the results and logs here (default: $OUT when set)")
    p.add_argument("--budget-s", type=float, default=570, help="wall-clock budget; torch.compile steps that "
                   "would not fit are skipped with a note (default 570)")
    p.add_argument("--prewarm", type=int, default=5, help="background processes that fill the torch.compile "
                   "cache during step 1 (0: compile in the timed process only)")
    p.add_argument("--tol", type=float, default=1e-2, help="relative L2 Kiln must meet (default 1e-2)")
    p.add_argument("--dry-run", action="store_true", help="tiny models on the CPU: tests the harness itself")
    p.add_argument("--prewarm-worker", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.iters is None:
        a.iters = 5 if a.dry_run else 20 if a.quick else 100
    if a.warmup is None:
        a.warmup = 2 if a.dry_run else 3 if a.quick else 10
    if a.systems:
        a.systems = [s.strip() for s in a.systems.split(",") if s.strip()]
        bad = [s for s in a.systems if s not in ALL_SYSTEMS]
        if bad:
            p.error(f"unknown systems {bad}; choose from {ALL_SYSTEMS}")
    elif a.dry_run:
        a.systems = (["kiln"] if a.kiln else []) + ["eager"]
    else:
        a.systems = list(ALL_SYSTEMS)
    a.kiln = a.kiln or os.path.join(REPO, "gpu-carry", "kiln")
    a.results_dir = a.results_dir or (os.path.join(a.work_dir, "results") if a.dry_run
                                      else os.path.join(HERE, "results"))
    return a


# The Inductor cache must be shared by the prewarm processes and this one (set before torch loads).
def _set_cache_env(work_dir):
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", os.path.join(work_dir, "inductor-cache"))


class Log:
    """Per-step timing, to stderr and into the results."""

    def __init__(self):
        self.t0 = time.time()
        self.steps = []

    def elapsed(self):
        return time.time() - self.t0

    def say(self, text):
        print(f"[{self.elapsed():6.1f}s] {text}", file=sys.stderr, flush=True)

    def step(self, what, step, fn, *args, **kw):
        """Runs fn; logs and records its duration; re-raises its exception after recording it."""
        t = time.time()
        self.say(f"{what}: {step} ...")
        ok = False
        try:
            out = fn(*args, **kw)
            ok = True
            return out
        finally:
            s = time.time() - t
            self.steps.append({"t": self.elapsed(), "what": what, "step": step, "s": round(s, 2), "ok": ok})
            self.say(f"{what}: {step} {'done' if ok else 'FAILED'} in {s:.1f}s")


def _error_text(e):
    if isinstance(e, kiln_cli.KilnError):
        return str(e)
    return "".join(traceback.format_exception_only(type(e), e)).strip() + "\n" + \
        "".join(traceback.format_tb(e.__traceback__)[-3:])


@contextlib.contextmanager
def exact_fp32():
    """True fp32 for the fp32 references (cuDNN convolutions default to TF32). The settings are
    put back exactly afterwards: they are part of Inductor's cache key, and the timed systems run
    with PyTorch's defaults, as the prewarm processes do."""
    knobs = [torch.backends.cuda.matmul, torch.backends.cudnn.conv]
    saved = [k.fp32_precision for k in knobs]
    try:
        for k in knobs:
            k.fp32_precision = "ieee"
        yield
    finally:
        for k, v in zip(knobs, saved):
            k.fp32_precision = v


def rel_l2(a, b):
    """||a - b|| / ||b|| in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shape {list(a.shape)} vs reference {list(b.shape)}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


class Bench:
    """One run of the harness: the workloads' rows (JSON) plus the live state behind them."""

    def __init__(self, args, log):
        self.args, self.log = args, log
        self.device = "cpu" if args.dry_run else "cuda"
        self.tiny = args.dry_run
        self.workloads = workloads.select(args.only)
        self.rows = {w.name: {"workload": w.name, "model": w.model, "batch": w.batch if not self.tiny else
                              w.tiny_batch, "seq": w.seq if not self.tiny else w.tiny_seq,
                              "systems": {}, "errors": {}, "check": {}} for w in self.workloads}
        self.state = {w.name: {} for w in self.workloads}
        self.modules = {}   # model key -> fp16 module (on the CPU between steps)
        self.prewarm = {}   # workload -> {system: cold compile s} from the prewarm processes
        self.kiln = kiln_cli.Kiln(args.kiln, os.path.join(args.work_dir, "logs"),
                                  "cpu" if args.dry_run else "cuda")
        self.meta = self._meta()
        name = f"{self.meta['stamp']}-{self.meta['device_slug']}" + ("-dry-run" if args.dry_run else "")
        self.results_base = os.path.join(args.results_dir, name)

    def _meta(self):
        device = "cpu" if self.device == "cpu" else torch.cuda.get_device_name()
        now = datetime.datetime.now(datetime.timezone.utc)
        slug = "".join(c if c.isalnum() else "-" for c in device.lower()).strip("-")
        while "--" in slug:
            slug = slug.replace("--", "-")
        # KILN_COMMIT names the commit when the checkout's own git metadata is not the one built
        # (a copied working tree on the GPU machine).
        commit = os.environ.get("KILN_COMMIT")
        try:
            commit = commit or subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                              capture_output=True, text=True, timeout=10).stdout.strip() or None
        except Exception:
            commit = None
        return {"device": device, "device_slug": slug, "date": now.strftime("%Y-%m-%d %H:%M UTC"),
                "stamp": now.strftime("%Y%m%d-%H%M%S"), "command": " ".join(["python3"] + sys.argv),
                "torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
                "iters": self.args.iters, "warmup": self.args.warmup, "tol": self.args.tol,
                "systems": self.args.systems, "commit": commit, "kiln": self.args.kiln,
                "inductor_cache": os.environ.get("TORCHINDUCTOR_CACHE_DIR"), "steps": self.log.steps}

    def write(self):
        """(Re)writes the results files, also into --copy-to, so a run cut short leaves them."""
        self.meta["total_s"] = round(self.log.elapsed(), 1)
        rows = [self.rows[w.name] for w in self.workloads]
        report.write(self.results_base, self.meta, rows)
        if self.args.copy_to:
            report.write(os.path.join(self.args.copy_to, os.path.basename(self.results_base)), self.meta, rows)

    def shape_of(self, w):
        return (w.tiny_batch, w.tiny_seq) if self.tiny else (w.batch, w.seq)

    def on_device(self, tensors, fp16):
        out = []
        for t in tensors:
            t = t.to(self.device)
            out.append(t.half() if fp16 and t.is_floating_point() else t)
        return out

    # ---- step 1: build, export, references, Kiln compile/run/check ----

    def prepare_model(self, key, wls):
        spec = workloads.MODELS[key]
        module = self.log.step(key, "build fp32 model", workloads.build, spec, self.tiny, self.device)
        self.modules[key] = module
        config = module.model.config
        onnx_path = os.path.join(self.args.work_dir, "onnx", key, "model.onnx")
        try:
            sample = workloads.export_sample(spec, config)
            self.log.step(key, "export ONNX (fp32)", onnx_export.export, module, self.on_device(sample, False),
                          onnx_path, spec.input_names, spec.output_names, workloads.dynamic_axes(spec))
            self.log.step(key, "gather external data", onnx_export.consolidate_external_data, onnx_path)
            info = self.log.step(key, "ONNX checks", onnx_export.check, onnx_path, spec.input_names,
                                 spec.output_names)
            for w in wls:
                self.rows[w.name]["onnx"] = info
                self.state[w.name]["onnx"] = onnx_path
        except Exception as e:
            for w in wls:
                self.rows[w.name]["errors"]["export"] = _error_text(e)
        with torch.no_grad(), exact_fp32():
            for w in wls:
                self.log.step(w.name, "fp32 reference", self.reference, w, spec, config, module, fp16=False)
        with torch.no_grad():
            workloads.params_to_fp16(module)
            for w in wls:
                self.log.step(w.name, "fp16 reference", self.reference, w, spec, config, module, fp16=True)
        module.cpu()
        self.free()

    def reference(self, w, spec, config, module, fp16):
        batch, seq = self.shape_of(w)
        st, row = self.state[w.name], self.rows[w.name]
        if not fp16:
            st["inputs"] = workloads.make_inputs(spec, config, batch, seq)
        outs = module(*self.on_device(st["inputs"], fp16))
        first = outs[0].float().cpu().numpy()
        if fp16:
            st["ref16"] = first
            row["check"]["torch_fp16_vs_fp32"] = rel_l2(first, st["ref32"])
            return
        st["ref32"] = first
        flops = workloads.flops(spec, config, batch, seq)
        nbytes = (roofline.weight_bytes(module, workloads.tokens(spec, config, batch, seq))
                  + roofline.tensor_bytes(st["inputs"]) + roofline.tensor_bytes(outs))
        report.row_floor(row, flops, nbytes)

    def kiln_prepare(self, w):
        st, row = self.state[w.name], self.rows[w.name]
        if "onnx" not in st or "ref16" not in st:
            row["systems"]["kiln"] = {"skipped": "no ONNX export" if "onnx" not in st else "no reference"}
            return
        spec = workloads.MODELS[w.model]
        folder = os.path.join(self.args.work_dir, "kiln", w.name)
        os.makedirs(folder, exist_ok=True)
        st["input_files"] = {}
        for name, t in zip(spec.input_names, st["inputs"]):
            path = os.path.join(folder, f"{name}.pb")
            onnx_export.write_tensor(path, name, t.numpy())
            st["input_files"][name] = path
        plan = os.path.join(folder, "plan.kiln")
        batch, seq = self.shape_of(w)
        try:
            row["kiln_compile_s"] = round(self.log.step(w.name, "kiln compile", self.kiln.compile, w.name,
                                                        st["onnx"], plan, batch, seq), 2)
            st["plan"] = plan
            outs = self.log.step(w.name, "kiln run", self.kiln.run, w.name, plan, st["input_files"],
                                 os.path.join(folder, "out"))
            first = spec.output_names[0]
            if first not in outs:
                raise kiln_cli.KilnError(f"kiln run wrote no {first}.pb (wrote {sorted(outs)})")
            check = row["check"]
            check["kiln_vs_torch_fp16"] = rel_l2(outs[first], st["ref16"])
            check["kiln_vs_torch_fp32"] = rel_l2(outs[first], st["ref32"])
            check["tol"] = self.args.tol
            check["passed"] = check["kiln_vs_torch_fp16"] <= self.args.tol
            check["kiln_output_dtype"] = str(outs[first].dtype)
            self.log.say(f"{w.name}: kiln rel L2 vs torch fp16 {check['kiln_vs_torch_fp16']:.2e} "
                         f"({'ok' if check['passed'] else 'FAIL'}; torch fp16 vs fp32 "
                         f"{check['torch_fp16_vs_fp32']:.2e})")
        except Exception as e:
            row["errors"]["kiln"] = _error_text(e)

    # ---- step 2: Kiln bench and eager ----

    def kiln_bench(self, w):
        """kiln bench with the real inputs (or --shape only); if the real inputs fail, once more
        with --shape, noting why."""
        st, row = self.state[w.name], self.rows[w.name]
        if "plan" not in st:
            return
        json_path = os.path.join(self.args.work_dir, "kiln", w.name, "bench.json")
        shapes = {n: list(t.shape) for n, t in zip(workloads.MODELS[w.model].input_names, st["inputs"])}
        tries = [("shapes", {"shapes": shapes})]
        if self.args.kiln_bench_inputs == "files":
            tries.insert(0, ("files", {"input_files": st["input_files"]}))
        for how, kw in tries:
            try:
                rep = self.log.step(w.name, f"kiln bench ({how})", self.kiln.bench, f"{w.name}-{how}", st["plan"],
                                    self.args.iters, self.args.warmup, json_path, **kw)
            except Exception as e:
                row["errors"][f"kiln bench ({how})"] = _error_text(e)
                continue
            row["systems"]["kiln"] = {"median_ms": rep["median_ms"], "p90_ms": rep.get("p90_ms"), "inputs": how}
            row["kiln_kernels"] = sorted(rep.get("kernels") or [], key=lambda k: -(k.get("ms") or 0))[:15]
            return

    def time_torch(self, w, system):
        st, row = self.state[w.name], self.rows[w.name]
        module = self.modules.get(w.model)
        if module is None or "ref16" not in st:
            row["systems"][system] = {"skipped": "no model"}
            return
        if system != "eager":
            left = self.args.budget_s - self.log.elapsed()
            warm = bool(self.prewarm.get(w.name, {}).get(system))
            need = max(20, w.compile_cost_s // 3) if warm else w.compile_cost_s
            if left < need + 15:
                row["systems"][system] = {"skipped": f"time budget: ~{need}s needed, {left:.0f}s left"}
                return
        try:
            module.to(self.device)
            inputs = self.on_device(st["inputs"], True)
            row["systems"][system] = self.log.step(w.name, system, self._time_torch, w, system, module, inputs)
        except Exception as e:
            row["errors"][system] = _error_text(e)
        finally:
            module.cpu()
            self.free()

    def _time_torch(self, w, system, module, inputs):
        cuda, st = self.device == "cuda", self.state[w.name]
        marker = timing.step_marker(system) if cuda else None
        out = {}
        with torch.no_grad():
            if system == "eager":
                out.update(timing.time_runs(lambda: module(*inputs), self.args.iters, self.args.warmup,
                                            None, cuda))
                return out
            try:
                timing.clear_counters()
                t = time.time()
                fn = timing.compiled(module, system)
                if marker:
                    marker()
                first = fn(*inputs)[0].float().cpu().numpy()
                if cuda:
                    torch.cuda.synchronize()
                out["compile_s"] = round(time.time() - t, 2)
                out["rel_l2_vs_eager"] = rel_l2(first, st["ref16"])
                out.update(timing.time_runs(lambda: fn(*inputs), self.args.iters, self.args.warmup, marker, cuda))
                out.update(timing.compile_counters())
                out["prewarmed"] = bool(self.prewarm.get(w.name, {}).get(system))
                return out
            finally:
                fn = None
                torch._dynamo.reset()  # also frees reduce-overhead's CUDA graphs

    def free(self):
        import gc
        gc.collect()
        if self.device == "cuda":
            torch.cuda.empty_cache()


def start_prewarm(args, wls, log):
    """Starts background processes that compile the workloads' torch.compile graphs (filling the
    Inductor/Triton caches); returns [(Popen, [workloads], log path)]."""
    modes = [s for s in args.systems if s in ("compile", "compile_ro")]
    if args.prewarm <= 0 or not modes or not wls:
        return []
    n = min(args.prewarm, len(wls))
    groups, load = [[] for _ in range(n)], [0] * n
    for w in sorted(wls, key=lambda w: -w.compile_cost_s):
        i = load.index(min(load))
        groups[i].append(w)
        load[i] += w.compile_cost_s
    env = dict(os.environ)
    env["TORCHINDUCTOR_COMPILE_THREADS"] = str(max(2, (os.cpu_count() or 2) // n))
    procs = []
    os.makedirs(os.path.join(args.work_dir, "logs"), exist_ok=True)
    for g in groups:
        names = ",".join(w.name for w in g)
        path = os.path.join(args.work_dir, "logs", f"prewarm-{g[0].name}.log")
        argv = [sys.executable, os.path.abspath(__file__), "--prewarm-worker", names, "--work-dir", args.work_dir,
                "--systems", ",".join(modes)] + (["--dry-run"] if args.dry_run else [])
        with open(path, "w") as f:
            procs.append((subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, env=env,
                                           start_new_session=True), g, path))
        log.say(f"prewarm: started pid {procs[-1][0].pid} for {names}")
    return procs


def finish_prewarm(procs, bench, deadline):
    """Waits for the prewarm processes until `deadline` (then stops them) and reads their results."""
    import signal
    for p, g, path in procs:
        try:
            p.wait(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            bench.log.say(f"prewarm: pid {p.pid} still running at the deadline; stopping it")
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for w in g:
            res = os.path.join(bench.args.work_dir, "prewarm", f"{w.name}.json")
            if os.path.exists(res) and w.name in bench.rows:
                with open(res) as f:
                    bench.prewarm[w.name] = json.load(f)
                bench.rows[w.name]["prewarm"] = bench.prewarm[w.name]
        bench.log.say(f"prewarm: pid {p.pid} exit {p.returncode} (log {path})")


def prewarm_worker(args):
    """In a background process: compile each listed workload's model with each torch.compile mode
    once, so the timed process later loads the graphs from the cache. Kernel-config autotuning
    results are not cached from here (they were measured while other work ran)."""
    torch._inductor.config.autotune_local_cache = False
    out_dir = os.path.join(args.work_dir, "prewarm")
    os.makedirs(out_dir, exist_ok=True)
    device = "cpu" if args.dry_run else "cuda"
    for name in args.prewarm_worker.split(","):
        w = next(x for x in workloads.WORKLOADS if x.name == name)
        spec = workloads.MODELS[w.model]
        module = workloads.params_to_fp16(workloads.build(spec, args.dry_run, device))
        batch, seq = (w.tiny_batch, w.tiny_seq) if args.dry_run else (w.batch, w.seq)
        inputs = [t.to(device) for t in workloads.make_inputs(spec, module.model.config, batch, seq)]
        inputs = [t.half() if t.is_floating_point() else t for t in inputs]
        result = {}
        for system in args.systems:
            t = time.time()
            try:
                with torch.no_grad():
                    fn = timing.compiled(module, system)
                    if device == "cuda" and timing.step_marker(system):
                        timing.step_marker(system)()
                    fn(*inputs)
                    if device == "cuda":
                        torch.cuda.synchronize()
                result[system] = round(time.time() - t, 1)
            except Exception:
                traceback.print_exc()
                result[system] = None
            print(f"{name} {system}: {result[system]} s", flush=True)
            torch._dynamo.reset()
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump(result, f)
        del module
        if device == "cuda":
            torch.cuda.empty_cache()
    return 0


def copy_logs(bench):
    import shutil
    dest = bench.args.copy_to
    if not dest:
        return
    logs = os.path.join(bench.args.work_dir, "logs")
    if os.path.isdir(logs):
        shutil.copytree(logs, os.path.join(dest, "bench-logs"), dirs_exist_ok=True)


def _on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def _stop(procs):
    """Ends the prewarm processes this run started that are still running (each its own group)."""
    import signal
    for p, _, _ in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def run(args):
    import signal
    log = Log()
    bench = Bench(args, log)
    log.say(f"device {bench.meta['device']}; workloads {[w.name for w in bench.workloads]}; "
            f"systems {args.systems}; results {bench.results_base}.md/.json")
    if not args.dry_run and not torch.cuda.is_available():
        raise SystemExit("CUDA is not available (use --dry-run for the CPU self-test)")
    if "kiln" in args.systems and not os.path.exists(args.kiln):
        raise SystemExit(f"kiln binary {args.kiln} not found (--kiln PATH, or --systems without kiln)")
    # A `timeout` sends SIGTERM: turn it into an exception so the finally below still runs.
    signal.signal(signal.SIGTERM, _on_sigterm)
    procs = []
    try:
        procs = start_prewarm(args, bench.workloads, log)
        _steps(args, bench, procs)
    finally:
        _stop(procs)
        bench.write()
        copy_logs(bench)
    rows = [bench.rows[w.name] for w in bench.workloads]
    print(report.table(rows))
    log.say(f"total {log.elapsed():.1f}s; results in {bench.results_base}.md and .json"
            + (f" (and {args.copy_to})" if args.copy_to else ""))
    failed = any(r["errors"] or r["check"].get("passed") is False for r in rows)
    return 1 if failed else 0


def _steps(args, bench, procs):
    by_model = {}
    for w in bench.workloads:
        by_model.setdefault(w.model, []).append(w)
    # Step 1: build, export, references, Kiln compile/run/check (prewarm runs meanwhile).
    for key, wls in by_model.items():
        try:
            bench.prepare_model(key, wls)
        except Exception as e:
            bench.modules.pop(key, None)
            for w in wls:
                bench.rows[w.name]["errors"]["model"] = _error_text(e)
        if "kiln" in args.systems:
            for w in wls:
                bench.kiln_prepare(w)
        bench.write()
    reserve = 20 + 10 * len(bench.workloads)   # for step 2
    finish_prewarm(procs, bench, bench.log.t0 + args.budget_s - reserve)
    # Step 2: Kiln bench and eager.
    for w in bench.workloads:
        if "kiln" in args.systems:
            bench.kiln_bench(w)
        if "eager" in args.systems:
            bench.time_torch(w, "eager")
        bench.write()
    # Step 3: torch.compile, default and reduce-overhead, as the budget allows.
    for w in bench.workloads:
        for system in ("compile", "compile_ro"):
            if system in args.systems:
                bench.time_torch(w, system)
                bench.write()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    _set_cache_env(args.work_dir)
    global np, onnx, torch, transformers, kiln_cli, onnx_export, report, roofline, timing, workloads
    import numpy as np
    import onnx
    import torch
    import transformers
    import kiln_cli
    import onnx_export
    import report
    import roofline
    import timing
    import workloads
    transformers.logging.set_verbosity_error()
    if args.prewarm_worker:
        return prewarm_worker(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
