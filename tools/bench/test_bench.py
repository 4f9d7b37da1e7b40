"""CPU self-test of the benchmark harness (no CUDA, no Kiln: a stand-in follows Kiln's CLI).

    python3 -m unittest discover -s tools/bench -p 'test_*.py'      (needs torch, transformers, onnx)
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np
import onnx
import torch
import transformers as tf
from onnx import helper, numpy_helper
from torch.utils.flop_counter import FlopCounterMode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import onnx_export  # noqa: E402
import report  # noqa: E402
import roofline  # noqa: E402
import workloads  # noqa: E402

FAKE_KILN = os.path.join(HERE, "fake_kiln.py")


def counted_flops(spec, config, batch, seq):
    """FLOPs that torch's FlopCounterMode sees in one eager-attention forward pass."""
    config._attn_implementation = "eager"  # attention as plain matmuls the counter can see
    torch.manual_seed(0)
    module = workloads.Outputs(spec.model_class(config), spec.input_names, spec.causal).eval()
    inputs = workloads.make_inputs(spec, config, batch, seq)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    return counter.get_total_flops()


class RooflineTest(unittest.TestCase):
    def test_flops_match_torch_flop_counter(self):
        # Eager attention computes every query-key pair, so causal models compare with causal=False.
        # LLaMA's counter total also has RoPE's [head_dim/2, 1] x [1, seq] frequency product (not a
        # GEMM of the model; 256 FLOPs here), hence the relative tolerance.
        for key, batch, seq, analytic in (
                ("bert", 2, 16, lambda c: roofline.bert_flops(c, 2, 16)),
                ("gpt2", 2, 16, lambda c: roofline.gpt2_flops(c, 2, 16, causal=False)),
                ("llama", 2, 16, lambda c: roofline.llama_flops(c, 2, 16, causal=False)),
                ("vit", 3, 0, lambda c: roofline.vit_flops(c, 3))):
            with self.subTest(key):
                spec = workloads.MODELS[key]
                config = spec.make_config(True)
                counted = counted_flops(spec, config, batch, seq)
                self.assertAlmostEqual(analytic(config) / counted, 1.0, delta=1e-4)

    def test_causal_attention_counts_half_the_pairs_plus_diagonal(self):
        self.assertEqual(roofline.attention(1, 1, 4, 4, 8, causal=True), 4 * 10 * 8)
        self.assertEqual(roofline.attention(1, 1, 4, 4, 8, causal=False), 4 * 16 * 8)

    def test_weight_bytes_reads_embedding_rows_but_tied_lm_head_whole(self):
        config = workloads.MODELS["gpt2"].make_config(True)   # vocab 512, 128 positions, tied
        with torch.device("meta"):
            model = tf.GPT2LMHeadModel(config)
        tokens = 20
        others = sum(p.numel() for n, p in model.named_parameters()
                     if n not in ("transformer.wte.weight", "transformer.wpe.weight"))
        expected = 2 * (512 * 64 + tokens * 64 + others)      # wte whole (LM head), 20 wpe rows
        self.assertEqual(roofline.weight_bytes(model, tokens), expected)

    def test_floor_of_bert_base_matches_the_numbers_in_gpu_md(self):
        spec = workloads.MODELS["bert"]
        config = spec.make_config(False)
        with torch.device("meta"):
            model = tf.BertModel(config)
        ids = torch.zeros(1, 128, dtype=torch.int64)
        # batch 1: memory-bound, ~0.06 ms (weights read once); batch 32: compute-bound, ~0.9 ms.
        b1 = roofline.floor_seconds(roofline.bert_flops(config, 1, 128),
                                    roofline.weight_bytes(model, 128) + roofline.tensor_bytes([ids, ids]))
        self.assertAlmostEqual(b1 * 1e3, 0.06, delta=0.005)
        b32 = roofline.floor_seconds(roofline.bert_flops(config, 32, 128), 0)
        self.assertAlmostEqual(b32 * 1e3, 0.94, delta=0.02)

    def test_tensor_bytes_counts_floats_at_fp16_and_ints_at_their_size(self):
        self.assertEqual(roofline.tensor_bytes([torch.zeros(3, 4), torch.zeros(5, dtype=torch.int64)]), 24 + 40)


class OnnxTest(unittest.TestCase):
    def test_consolidate_moves_per_tensor_files_into_one_aligned_file(self):
        rng = np.random.default_rng(0)
        ws = {f"w{i}": rng.standard_normal((3, 5 + i)).astype(np.float32) for i in range(3)}
        nodes = [helper.make_node("Add", ["x", "w0"], ["y"])]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [3, 5])],
                                  [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3, 5])],
                                  [numpy_helper.from_array(v, k) for k, v in ws.items()])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.onnx")
            onnx.save_model(helper.make_model(graph), path, save_as_external_data=True,
                            all_tensors_to_one_file=False, size_threshold=0)
            self.assertEqual(len(os.listdir(d)), 4)
            self.assertEqual(onnx_export.consolidate_external_data(path), 3)
            self.assertEqual(sorted(os.listdir(d)), ["model.onnx", onnx_export.DATA_FILE])
            model = onnx.load(path)
            for t in model.graph.initializer:
                np.testing.assert_array_equal(numpy_helper.to_array(t), ws[t.name])
            offsets = [int(e.value) for t in onnx.load(path, load_external_data=False).graph.initializer
                       for e in t.external_data if e.key == "offset"]
            self.assertEqual(len(offsets), 3)
            self.assertTrue(all(o % 64 == 0 for o in offsets))
            self.assertEqual(onnx_export.consolidate_external_data(path), 0)  # nothing left to move

    def test_export_and_checks_of_a_tiny_model(self):
        spec = workloads.MODELS["llama"]
        module = workloads.build(spec, True, "cpu")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "llama", "model.onnx")
            onnx_export.export(module, workloads.export_sample(spec, module.model.config), path,
                               spec.input_names, spec.output_names, workloads.dynamic_axes(spec))
            info = onnx_export.check(path, spec.input_names, spec.output_names)
            self.assertEqual(info["opset"], 17)
            self.assertIn("MatMul", info["ops"])
            model = onnx.load(path, load_external_data=False)
            dims = [d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim]
            self.assertEqual(dims, ["batch", "seq"])
            with self.assertRaises(ValueError):
                onnx_export.check(path, ["input_ids"], spec.output_names)

    def test_tensor_files_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            a = np.arange(6, dtype=np.int64).reshape(2, 3)
            onnx_export.write_tensor(os.path.join(d, "a.pb"), "a", a)
            np.testing.assert_array_equal(onnx_export.read_tensor(os.path.join(d, "a.pb")), a)


class ReportTest(unittest.TestCase):
    def rows(self):
        ok = {"workload": "w_ok", "floor_ms": 0.5, "errors": {}, "check": {"kiln_vs_torch_fp16": 1e-3, "passed": True},
              "systems": {"kiln": {"median_ms": 1.0}, "eager": {"median_ms": 4.0}, "compile": {"median_ms": 2.5},
                          "compile_ro": {"median_ms": 2.0}}}
        bad = {"workload": "w_bad", "floor_ms": 0.5, "errors": {"kiln": "kiln compile failed (exit 1)\nline|2"},
               "check": {}, "systems": {"eager": {"median_ms": 3.0},
                                        "compile": {"skipped": "time budget: ~60s needed, 10s left"}}}
        fail = {"workload": "w_fail", "floor_ms": 1.0, "errors": {}, "check": {"kiln_vs_torch_fp16": 0.2, "passed": False},
                "systems": {"kiln": {"median_ms": 3.0}, "eager": {"median_ms": 6.0}}}
        return [ok, bad, fail]

    def test_table_has_one_row_per_workload_with_every_column(self):
        lines = report.table(self.rows()).splitlines()
        self.assertEqual(len(lines), 2 + 3)
        for line in lines:
            self.assertEqual(line.count("|"), len(report.COLUMNS) + 1, line)
        ok, bad, fail = lines[2:]
        self.assertIn("2.00x vs compile reduce-overhead", ok)   # best peer 2.0 ms / Kiln 1.0 ms
        self.assertIn("| 2.0 |", ok)                            # Kiln / floor
        self.assertIn("kiln compile failed", bad)
        self.assertIn("skipped (time budget", bad)
        self.assertIn("FAIL", fail)
        self.assertIn("CHECK FAILED", fail)

    def test_results_files(self):
        meta = {"device": "d", "date": "today", "command": "c", "tol": 0.01, "steps": [
            {"t": 1.0, "what": "w_ok", "step": "kiln compile", "s": 0.5, "ok": True}]}
        with tempfile.TemporaryDirectory() as d:
            report.write(os.path.join(d, "r"), meta, self.rows())
            with open(os.path.join(d, "r.json")) as f:
                data = json.load(f)
            self.assertEqual([r["workload"] for r in data["workloads"]], ["w_ok", "w_bad", "w_fail"])
            with open(os.path.join(d, "r.md")) as f:
                md = f.read()
            self.assertIn("kiln compile failed", md)
            self.assertIn("| 1 | w_ok | kiln compile | 0.5 | True |", md)

    def test_exact_fp32_puts_every_precision_setting_back(self):
        bench.torch = torch  # bench imports torch in main(); this test calls a helper directly

        def settings():
            b = torch.backends
            return (b.cuda.matmul.fp32_precision, b.cudnn.conv.fp32_precision, b.cudnn.rnn.fp32_precision,
                    b.cudnn.fp32_precision, b.fp32_precision)
        before = settings()
        with bench.exact_fp32():
            self.assertEqual(torch.backends.cuda.matmul.fp32_precision, "ieee")
            self.assertEqual(torch.backends.cudnn.conv.fp32_precision, "ieee")
        self.assertEqual(settings(), before)   # else Inductor's cache key differs from the prewarm's

    def test_rel_l2(self):
        self.assertAlmostEqual(bench.rel_l2(np.array([1.0, 1.0]), np.array([1.0, 0.0])), 1.0)
        with self.assertRaises(ValueError):
            bench.rel_l2(np.zeros(3), np.zeros(4))


class RunsBench:
    """Runs the whole harness (--dry-run: tiny models on the CPU) and returns its results."""

    def run_bench(self, *extra):
        d = tempfile.mkdtemp(prefix="kiln-bench-test-")
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        rc = bench.main(["--dry-run", "--work-dir", d, "--copy-to", os.path.join(d, "out")] + list(extra))
        results = [f for f in os.listdir(os.path.join(d, "out")) if f.endswith(".json")]
        self.assertEqual(len(results), 1)
        with open(os.path.join(d, "out", results[0])) as f:
            return rc, {r["workload"]: r for r in json.load(f)["workloads"]}


class DryRunTest(RunsBench, unittest.TestCase):
    """The whole harness with the stand-in kiln."""

    def test_kiln_and_eager_with_real_inputs(self):
        # (Not BERT: without onnxruntime the stand-in's reference evaluator fails on its GatherElements.)
        rc, rows = self.run_bench("--kiln", FAKE_KILN, "--only", "gpt2,llama")
        self.assertEqual(rc, 0)
        self.assertEqual(sorted(rows), ["gpt2_b1_s512", "llama1b_b1_s512"])
        for row in rows.values():
            self.assertTrue(row["check"]["passed"], row)
            self.assertLess(row["check"]["kiln_vs_torch_fp16"], 1e-2)
            self.assertGreater(row["systems"]["kiln"]["median_ms"], 0)
            self.assertGreater(row["systems"]["eager"]["median_ms"], 0)
            self.assertGreater(row["floor_ms"], 0)

    def test_kiln_bench_with_shapes_only(self):
        rc, rows = self.run_bench("--kiln", FAKE_KILN, "--only", "vit", "--kiln-bench-inputs", "shapes")
        self.assertEqual(rc, 0)
        self.assertGreater(rows["vit_b32"]["systems"]["kiln"]["median_ms"], 0)

    def test_bench_falls_back_to_shapes_when_real_inputs_fail(self):
        with tempfile.TemporaryDirectory() as d:
            picky = os.path.join(d, "picky_kiln.py")
            with open(picky, "w") as f:
                f.write("import runpy, sys\n"
                        "if sys.argv[1] == 'bench' and '--input' in sys.argv:\n"
                        "    sys.exit('bench: --input is not supported')\n"
                        f"sys.argv = [{FAKE_KILN!r}] + sys.argv[1:]\n"
                        f"runpy.run_path({FAKE_KILN!r}, run_name='__main__')\n")
            rc, rows = self.run_bench("--kiln", picky, "--only", "llama")
        row = rows["llama1b_b1_s512"]
        self.assertEqual(rc, 1)   # the failed try is reported
        self.assertIn("--input is not supported", row["errors"]["kiln bench (files)"])
        self.assertEqual(row["systems"]["kiln"]["inputs"], "shapes")
        self.assertGreater(row["systems"]["kiln"]["median_ms"], 0)
        self.assertTrue(row["check"]["passed"])

    def test_a_failing_kiln_still_gives_the_other_numbers(self):
        with tempfile.TemporaryDirectory() as d:
            broken = os.path.join(d, "broken_kiln.py")
            with open(broken, "w") as f:
                f.write("import sys\nprint('no such op: Foo', file=sys.stderr)\nsys.exit(3)\n")
            rc, rows = self.run_bench("--kiln", broken, "--only", "bert_b1")
        self.assertEqual(rc, 1)
        row = rows["bert_b1_s128"]
        self.assertIn("no such op: Foo", row["errors"]["kiln"])
        self.assertGreater(row["systems"]["eager"]["median_ms"], 0)


@unittest.skipUnless(os.environ.get("KILN_BENCH_SLOW"), "slow (~2 min on 2 cores): set KILN_BENCH_SLOW=1")
class PrewarmTest(RunsBench, unittest.TestCase):
    def test_timed_compiles_load_what_the_prewarm_process_compiled(self):
        rc, rows = self.run_bench("--only", "vit", "--systems", "eager,compile,compile_ro", "--prewarm", "1")
        self.assertEqual(rc, 0)
        row = rows["vit_b32"]
        self.assertTrue(row["prewarm"]["compile"] and row["prewarm"]["compile_ro"], row)
        for system in ("compile", "compile_ro"):
            r = row["systems"][system]
            self.assertTrue(r["prewarmed"])
            self.assertEqual((r["fxgraph_cache_hit"], r["fxgraph_cache_miss"]), (1, 0), r)
            self.assertLess(r["rel_l2_vs_eager"], 1e-2)


if __name__ == "__main__":
    unittest.main()
