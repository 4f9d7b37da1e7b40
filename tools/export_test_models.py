"""Exports the small models that Kiln ships in tests/models/ (random weights, fixed seeds).

They are deliberately unlike the shared models (other head counts, hidden sizes, layer counts,
the other exporter), so tests on them show that Kiln's patterns match structure, not one export.
Each folder follows the ONNX backend-test layout, with several data sets at different batch and
sequence lengths (one model, many shapes):

    tests/models/NAME/model.onnx [model.onnx.data]
    tests/models/NAME/test_data_set_K/input_N.pb, output_N.pb
    tests/models/NAME/info.json

Needs torch and transformers (the GPU machine has them):  python3 tools/export_test_models.py OUT
"""
import json
import os
import sys
import time

import onnx
import torch
import transformers as tf
from onnx import numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/models"


class Outputs(torch.nn.Module):
    """Calls a Hugging Face model with positional inputs and returns its tensors as a tuple."""

    def __init__(self, model, keys, causal):
        super().__init__()
        self.model, self.keys, self.causal = model, keys, causal

    def forward(self, *args):
        kw = dict(zip(self.keys, args))
        if self.causal:
            kw["use_cache"] = False
        out = self.model(**kw)
        return tuple(out[k] for k in out.keys() if k != "past_key_values")


def token_inputs(batch, seq, vocab, seed, pad_from=None):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    if pad_from is not None and batch > 1:
        mask[batch - 1, pad_from:] = 0
    return [ids, mask]


def write_tensor(path, name, t):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(t.detach().cpu().numpy(), name).SerializeToString())


def export(name, model, in_names, out_names, shapes, dynamic, exporter):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    model.eval()
    sample = shapes[0]
    t0 = time.time()
    path = os.path.join(d, "model.onnx")
    if exporter == "dynamo":
        from torch.export import Dim
        spec = tuple({ax: Dim.AUTO for ax in dynamic.get(n, {})} for n in in_names)
        torch.onnx.export(model, tuple(sample), path, input_names=in_names, output_names=out_names,
                          opset_version=18, dynamo=True, dynamic_shapes={"args": spec})
    else:
        torch.onnx.export(model, tuple(sample), path, input_names=in_names, output_names=out_names,
                          opset_version=17, dynamo=False, dynamic_axes=dynamic,
                          do_constant_folding=True)
    for k, inputs in enumerate(shapes):
        ds = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(ds, exist_ok=True)
        with torch.no_grad():
            ref = model(*inputs)
        for i, (n, t) in enumerate(zip(in_names, inputs)):
            write_tensor(os.path.join(ds, f"input_{i}.pb"), n, t)
        for i, (n, t) in enumerate(zip(out_names, ref)):
            write_tensor(os.path.join(ds, f"output_{i}.pb"), n, t)
    m = onnx.load(path, load_external_data=False)
    info = dict(name=name, exporter=exporter, opset=[(o.domain, o.version) for o in m.opset_import],
                nodes=len(m.graph.node), ops=sorted({n.op_type for n in m.graph.node}),
                data_sets=[[list(t.shape) for t in s] for s in shapes],
                export_s=round(time.time() - t0, 1))
    json.dump(info, open(os.path.join(d, "info.json"), "w"), indent=1)
    print("OK", name, info["nodes"], "nodes", info["data_sets"])


def main():
    torch.manual_seed(7)
    tokens = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    text_in = ["input_ids", "attention_mask"]

    bert = tf.BertModel(tf.BertConfig(vocab_size=256, hidden_size=48, num_hidden_layers=2,
                                      num_attention_heads=3, intermediate_size=96,
                                      max_position_embeddings=64))
    export("bert_mini_ts", Outputs(bert, text_in, False), text_in,
           ["last_hidden_state", "pooler_output"],
           [token_inputs(2, 12, 256, 1, pad_from=9), token_inputs(1, 7, 256, 2),
            token_inputs(3, 20, 256, 3, pad_from=4)], tokens, "torchscript")

    gpt2 = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=256, n_embd=40, n_layer=3, n_head=5,
                                            n_positions=64))
    export("gpt2_mini_dy", Outputs(gpt2, text_in, True), text_in, ["logits"],
           [token_inputs(2, 10, 256, 4, pad_from=8), token_inputs(3, 17, 256, 5)], tokens, "dynamo")

    llama = tf.LlamaForCausalLM(tf.LlamaConfig(vocab_size=256, hidden_size=96, intermediate_size=160,
                                               num_hidden_layers=2, num_attention_heads=6,
                                               num_key_value_heads=3, max_position_embeddings=64))
    export("llama_mini_ts", Outputs(llama, text_in, True), text_in, ["logits"],
           [token_inputs(2, 9, 256, 6, pad_from=6), token_inputs(1, 21, 256, 7)], tokens, "torchscript")
    export("llama_mini_dy", Outputs(llama, text_in, True), text_in, ["logits"],
           [token_inputs(2, 9, 256, 6, pad_from=6), token_inputs(1, 21, 256, 7)], tokens, "dynamo")

    vit = tf.ViTModel(tf.ViTConfig(image_size=24, patch_size=6, hidden_size=36, num_hidden_layers=2,
                                   num_attention_heads=3, intermediate_size=72))
    pix = lambda b, s: [torch.randn(b, 3, 24, 24, generator=torch.Generator().manual_seed(s))]
    export("vit_mini_dy", Outputs(vit, ["pixel_values"], False), ["pixel_values"],
           ["last_hidden_state", "pooler_output"], [pix(2, 8), pix(5, 9)],
           {"pixel_values": {0: "batch"}}, "dynamo")


if __name__ == "__main__":
    main()
