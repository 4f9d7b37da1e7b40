"""The benchmark's workloads: which Hugging Face model, at which shape, with which inputs.

Several workloads may share one model (BERT at batch 1 and 32): it is built and exported once.
Every model has random weights from a fixed seed (no downloads). `tiny=True` gives small configs
of the same classes for the CPU self-test.
"""
import dataclasses

import torch
import transformers as tf

import roofline


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One exported model: its class, config, inputs and outputs."""
    key: str
    make_config: object          # tiny: bool -> config
    model_class: object
    input_names: tuple
    output_names: tuple
    causal: bool                 # passes use_cache=False
    seed: int


@dataclasses.dataclass(frozen=True)
class Workload:
    """One row of the table: a model at one batch (and sequence length)."""
    name: str
    model: str
    batch: int
    seq: int                     # tokens per sample (for ViT: 0, the image fixes it)
    tiny_batch: int
    tiny_seq: int
    compile_cost_s: int          # rough cold torch.compile cost (one mode) on the GPU machine


def _bert(tiny):
    if tiny:
        return tf.BertConfig(vocab_size=512, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                             intermediate_size=256, max_position_embeddings=128)
    return tf.BertConfig()  # bert-base: 12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522


def _gpt2(tiny):
    if tiny:
        return tf.GPT2Config(vocab_size=512, n_embd=64, n_layer=2, n_head=4, n_positions=128)
    return tf.GPT2Config()  # 124M: 12 layers, n_embd 768, 12 heads, vocab 50257, tied LM head


def _llama(tiny):
    if tiny:
        return tf.LlamaConfig(vocab_size=512, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    # TinyLlama-1.1B's shape.
    return tf.LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                          num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048,
                          tie_word_embeddings=False)


def _vit(tiny):
    if tiny:
        return tf.ViTConfig(image_size=32, patch_size=8, hidden_size=64, num_hidden_layers=2,
                            num_attention_heads=4, intermediate_size=256)
    return tf.ViTConfig()  # ViT-base: 224x224, patch 16, 12 layers, hidden 768, 12 heads


TOKENS = ("input_ids", "attention_mask")
MODELS = {
    "bert": ModelSpec("bert", _bert, tf.BertModel, TOKENS, ("last_hidden_state", "pooler_output"),
                      False, 1),
    "gpt2": ModelSpec("gpt2", _gpt2, tf.GPT2LMHeadModel, TOKENS, ("logits",), True, 2),
    "llama": ModelSpec("llama", _llama, tf.LlamaForCausalLM, TOKENS, ("logits",), True, 3),
    "vit": ModelSpec("vit", _vit, tf.ViTModel, ("pixel_values",), ("last_hidden_state", "pooler_output"),
                     False, 4),
}

WORKLOADS = [
    Workload("bert_b1_s128", "bert", 1, 128, 1, 16, 60),
    Workload("bert_b32_s128", "bert", 32, 128, 4, 16, 60),
    Workload("gpt2_b1_s512", "gpt2", 1, 512, 1, 32, 60),
    Workload("llama1b_b1_s512", "llama", 1, 512, 1, 32, 120),
    Workload("vit_b32", "vit", 32, 0, 2, 0, 60),
]


def select(only):
    """The workloads whose name contains any of the comma-separated filters (all if empty)."""
    if not only:
        return list(WORKLOADS)
    keys = [k.strip() for k in only.split(",") if k.strip()]
    chosen = [w for w in WORKLOADS if any(k in w.name for k in keys)]
    if not chosen:
        raise SystemExit(f"--only {only!r} matches no workload; have {[w.name for w in WORKLOADS]}")
    return chosen


class Outputs(torch.nn.Module):
    """Calls a Hugging Face model with positional inputs; returns its output tensors as a tuple.

    Export, the reference outputs and every timed PyTorch system run this same module."""

    def __init__(self, model, keys, causal):
        super().__init__()
        self.model, self.keys, self.causal = model, tuple(keys), causal

    def forward(self, *args):
        kw = dict(zip(self.keys, args))
        if self.causal:
            kw["use_cache"] = False
        out = self.model(**kw)
        return tuple(out[k] for k in out.keys() if k != "past_key_values")


def build(spec, tiny, device):
    """The fp32 model (eval mode, random weights from the spec's seed), built on `device`.

    Building on the GPU makes random init of the 1.1B model take a moment instead of a minute."""
    torch.manual_seed(spec.seed)
    config = spec.make_config(tiny)
    with torch.device(device):
        model = spec.model_class(config)
    # eval() on the wrapper too: the exporter restores the top module's mode afterwards, and a
    # wrapper left in training mode would switch dropout back on in the whole model.
    return Outputs(model, spec.input_names, spec.causal).eval()


def params_to_fp16(module):
    """Casts the parameters (not the buffers) to fp16, as loading with dtype=float16 does.

    `module.half()` would also round fp32 buffers such as LLaMA's RoPE inv_freq, which Hugging
    Face keeps in fp32 (positions near 512 would then be off by a noticeable angle)."""
    for p in module.parameters():
        p.data = p.data.to(torch.float16)
    return module


def _token_inputs(vocab, batch, seq, seed, pad_last_from=None):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    if pad_last_from is not None:
        mask[batch - 1, pad_last_from:] = 0
    return [ids, mask]


def _image_inputs(config, batch, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, config.num_channels, config.image_size, config.image_size, generator=g)]


def make_inputs(spec, config, batch, seq, seed=100):
    """The benchmark inputs (CPU): random ids with an all-ones mask, or random fp32 pixels."""
    if spec.key == "vit":
        return _image_inputs(config, batch, seed)
    return _token_inputs(config.vocab_size, batch, seq, seed)


def export_sample(spec, config):
    """The sample the exporter traces: batch 2 with the last row padded, so the traced graph keeps
    the general attention-mask path (an all-ones sample could let the model skip the mask), and
    a short sequence so tracing stays cheap (batch and sequence are dynamic axes)."""
    if spec.key == "vit":
        return _image_inputs(config, 2, 7)
    return _token_inputs(config.vocab_size, 2, 16, 7, pad_last_from=11)


def dynamic_axes(spec):
    if spec.key == "vit":
        return {"pixel_values": {0: "batch"}}
    return {n: {0: "batch", 1: "seq"} for n in spec.input_names}


def flops(spec, config, batch, seq):
    """GEMM + attention FLOPs of one run (roofline.py)."""
    if spec.key == "bert":
        return roofline.bert_flops(config, batch, seq)
    if spec.key == "gpt2":
        return roofline.gpt2_flops(config, batch, seq)
    if spec.key == "llama":
        return roofline.llama_flops(config, batch, seq)
    return roofline.vit_flops(config, batch)


def tokens(spec, config, batch, seq):
    """Token positions per run (bounds the embedding rows a run reads)."""
    if spec.key == "vit":
        return batch * ((config.image_size // config.patch_size) ** 2 + 1)
    return batch * seq
