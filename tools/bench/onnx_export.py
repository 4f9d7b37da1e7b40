"""Exports a model to ONNX the way shared/tools/export_models.py does, and checks the file.

TorchScript exporter, opset 17, constant folding, batch/seq as dynamic axes. A model over 2 GB
(the 1.1B LLaMA at fp32 is ~4.4 GB) is written by that exporter as one external file per
initializer; `consolidate_external_data` then gathers them into a single `model.onnx.data`
(the layout the dynamo exporter and most tools use) with a plain file copy, never loading the
weights into a protobuf.
"""
import os
import shutil
import warnings

import onnx
import torch
from onnx import numpy_helper

DATA_FILE = "model.onnx.data"


def export(module, sample, path, input_names, output_names, axes):
    """Writes `path` (and external data beside it when the model is over 2 GB)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(folder):
        shutil.rmtree(folder)  # stale external data would be appended to
    os.makedirs(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about Python control flow are expected
        with torch.no_grad():
            torch.onnx.export(module, tuple(sample), path, input_names=list(input_names),
                              output_names=list(output_names), opset_version=17, dynamo=False,
                              dynamic_axes=axes, do_constant_folding=True)


def _external_entries(t):
    return {e.key: e.value for e in t.external_data}


def _external_tensors(model):
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            yield t
    for node in model.graph.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_location == onnx.TensorProto.EXTERNAL:
                yield a.t


def _copy_range(src, offset, n, out, chunk):
    """Appends n bytes of src from offset to the open file `out` (in the kernel where it can)."""
    out.flush()
    with open(src, "rb") as f:
        while n > 0:
            pos, done = out.tell(), 0
            if hasattr(os, "copy_file_range"):
                try:
                    done = os.copy_file_range(f.fileno(), out.fileno(), min(chunk, n), offset, pos)
                    out.seek(pos + done)
                except OSError:
                    done = 0
            if done == 0:
                f.seek(offset)
                buf = f.read(min(chunk, n))
                if not buf:
                    raise IOError(f"short external data file {src}")
                out.write(buf)
                out.flush()
                done = len(buf)
            offset += done
            n -= done


def consolidate_external_data(path, chunk=64 << 20):
    """Moves every external tensor of `path` into DATA_FILE (64-byte aligned offsets) and
    deletes the per-tensor files. Returns how many tensors moved; 0 leaves the model untouched."""
    model = onnx.load(path, load_external_data=False)
    folder = os.path.dirname(os.path.abspath(path))
    tensors = [t for t in _external_tensors(model) if _external_entries(t)["location"] != DATA_FILE]
    if not tensors:
        return 0
    moved, sources = 0, set()
    data = os.path.join(folder, DATA_FILE)
    with open(data, "r+b" if os.path.exists(data) else "wb") as out:
        out.seek(0, os.SEEK_END)
        for t in tensors:
            entries = _external_entries(t)
            src = os.path.join(folder, entries["location"])
            offset, length = int(entries.get("offset", 0)), entries.get("length")
            out.write(b"\0" * ((-out.tell()) % 64))
            start = out.tell()
            left = int(length) if length is not None else os.path.getsize(src) - offset
            _copy_range(src, offset, left, out, chunk)
            del t.external_data[:]
            for k, v in (("location", DATA_FILE), ("offset", str(start)),
                         ("length", str(out.tell() - start))):
                e = t.external_data.add()
                e.key, e.value = k, v
            sources.add(src)
            moved += 1
    onnx.save_model(model, path)
    for src in sources:
        os.remove(src)
    return moved


def check(path, input_names, output_names):
    """Runs the ONNX checker (by path, so external data is fine) and checks the graph's inputs
    and outputs are the ones the harness feeds and compares. Returns a small summary dict."""
    onnx.checker.check_model(path)
    model = onnx.load(path, load_external_data=False)
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    if inputs != list(input_names):
        raise ValueError(f"{path}: inputs {inputs}, expected {list(input_names)}")
    if outputs != list(output_names):
        raise ValueError(f"{path}: outputs {outputs}, expected {list(output_names)}")
    folder = os.path.dirname(os.path.abspath(path))
    data = os.path.join(folder, DATA_FILE)
    return {
        "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "nodes": len(model.graph.node),
        "ops": sorted({n.op_type for n in model.graph.node}),
        "onnx_bytes": os.path.getsize(path),
        "external_data_bytes": os.path.getsize(data) if os.path.exists(data) else 0,
    }


def write_tensor(path, name, array):
    """Saves a numpy array as a serialized TensorProto (Kiln's --input format)."""
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def read_tensor(path):
    """Loads a serialized TensorProto file as a numpy array."""
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)
