"""The results table (markdown, also printed) and the results files (markdown + JSON)."""
import json
import os

import roofline

PEERS = ("eager", "compile", "compile_ro")
TITLES = {"kiln": "Kiln", "eager": "eager", "compile": "torch.compile",
          "compile_ro": "compile reduce-overhead"}
COLUMNS = ["workload", "Kiln ms", "eager ms", "torch.compile ms", "reduce-overhead ms",
           "Kiln speed-up vs best peer", "floor ms", "Kiln / floor", "rel L2 vs PyTorch fp16", "notes"]


def _ms(x):
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:.1f}"
    return f"{x:.3f}" if x >= 0.01 else f"{x:.1e}"


def median(row, system):
    """The system's median ms, or None when it did not run or failed."""
    r = row.get("systems", {}).get(system) or {}
    return r.get("median_ms")


def best_peer(row):
    """(system, ms) of the fastest PyTorch system that ran, or (None, None)."""
    ran = [(median(row, s), s) for s in PEERS if median(row, s) is not None]
    if not ran:
        return None, None
    ms, s = min(ran)
    return s, ms


def _short(text, n=90):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 1] + "…"


def notes(row):
    """Failures and skips, one short phrase each."""
    out = []
    for step, err in row.get("errors", {}).items():
        out.append(f"{step}: {_short(str(err).strip().splitlines()[0] if str(err).strip() else err)}")
    for system, r in row.get("systems", {}).items():
        if r and r.get("skipped"):
            out.append(f"{TITLES[system]}: skipped ({r['skipped']})")
    check = row.get("check", {})
    if check.get("passed") is False:
        out.append("Kiln CHECK FAILED")
    return "; ".join(out).replace("|", "/")


def cells(row):
    kiln = median(row, "kiln")
    peer, peer_ms = best_peer(row)
    speedup = f"{peer_ms / kiln:.2f}x vs {TITLES[peer]}" if kiln and peer_ms else "—"
    floor = row.get("floor_ms")
    times_floor = f"{kiln / floor:.1f}" if kiln and floor else "—"
    l2 = row.get("check", {}).get("kiln_vs_torch_fp16")
    passed = row.get("check", {}).get("passed")
    l2_text = "—" if l2 is None else f"{l2:.2e}" + (" FAIL" if passed is False else "")
    return [row["workload"], _ms(kiln), _ms(median(row, "eager")), _ms(median(row, "compile")),
            _ms(median(row, "compile_ro")), speedup, _ms(floor), times_floor,
            l2_text, notes(row)]


def table(rows):
    """The markdown table, one row per workload."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(cells(row)) + " |")
    return "\n".join(lines)


def _details(row):
    out = [f"### {row['workload']}", ""]
    for key in ("model", "batch", "seq", "flops", "bytes", "floor_ms"):
        if key in row:
            out.append(f"- {key}: {row[key]}")
    for key in ("check", "onnx", "kiln_compile_s", "torch_compile_s", "prewarm"):
        if row.get(key):
            out.append(f"- {key}: `{json.dumps(row[key], sort_keys=True)}`")
    for system, r in row.get("systems", {}).items():
        if r and r.get("median_ms") is not None:
            extra = {k: v for k, v in r.items() if k not in ("median_ms",)}
            out.append(f"- {TITLES[system]}: median {_ms(r['median_ms'])} ms `{json.dumps(extra)}`")
    kernels = row.get("kiln_kernels") or []
    if kernels:
        out += ["", "Kiln's top kernels:", "", "| kernel | kind | ms | share | GB/s | TFLOP/s | roofline % |",
                "|---|---|---|---|---|---|---|"]
        for k in kernels[:10]:
            out.append("| " + " | ".join(str(k.get(f, "")) for f in
                                         ("name", "kind", "ms", "share", "gbps", "tflops", "roofline_pct")) + " |")
    for step, err in row.get("errors", {}).items():
        out += ["", f"Error in {step}:", "", "```", str(err)[-3000:], "```"]
    return "\n".join(out)


def markdown(meta, rows):
    head = [f"# Kiln benchmark — {meta['device']} — {meta['date']}", "",
            f"Command: `{meta['command']}`", "",
            f"torch {meta.get('torch')}, transformers {meta.get('transformers')}, onnx {meta.get('onnx')}; "
            f"{meta.get('iters')} timed runs after {meta.get('warmup')} warm-up (median); "
            f"total {meta.get('total_s', '?')} s.", "",
            table(rows), "",
            "Columns: median latency in ms per forward pass (fp16); speed-up = best PyTorch median / "
            "Kiln median; floor = max(FLOPs / 762e12, bytes / 2.97e12) s (tools/bench/README.md); "
            "rel L2 = ||kiln - torch_fp16|| / ||torch_fp16|| of the first output (must be <= "
            f"{meta.get('tol')}).", ""]
    body = ["## Details", ""] + [_details(r) + "\n" for r in rows]
    steps = ["## Steps (seconds)", "", "| t | workload | step | s | ok |", "|---|---|---|---|---|"]
    for s in meta.get("steps", []):
        steps.append(f"| {s['t']:.0f} | {s['what']} | {s['step']} | {s['s']:.1f} | {s['ok']} |")
    return "\n".join(head + body + steps) + "\n"


def write(path_base, meta, rows):
    """Writes path_base.md and path_base.json (replacing earlier versions of this run's files)."""
    os.makedirs(os.path.dirname(path_base), exist_ok=True)
    for ext, text in ((".md", markdown(meta, rows)),
                      (".json", json.dumps({"meta": meta, "workloads": rows}, indent=1, default=str))):
        tmp = path_base + ext + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path_base + ext)


def row_floor(row, flops, nbytes):
    row["flops"], row["bytes"] = int(flops), int(nbytes)
    row["floor_ms"] = roofline.floor_seconds(flops, nbytes) * 1e3
