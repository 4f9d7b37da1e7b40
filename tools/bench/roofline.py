"""The roofline floor of a workload: the least time an ideal H100 could take.

    floor_s = max(flops / PEAK_FLOPS, bytes / PEAK_BYTES)

- flops: the GEMMs (every Linear/Conv, the LM head) plus attention (Q·Kᵀ and P·V), 2 FLOPs per
  multiply-add. A causal model's attention counts only the S·(S+1)/2 query-key pairs a causal kernel
  must compute; normalization, activations, softmax and the rest are not counted (they are small
  next to the GEMMs, and a fused kernel hides them under memory traffic anyway).
- bytes: every weight read once at fp16 (an embedding table only for the rows a run can touch:
  min(rows, batch·seq); a table tied to the LM head is read whole), plus the model's inputs (their
  own dtype: int64 ids) and outputs (fp16) once. Intermediate activations are not counted: an ideal
  compiler keeps them on chip.
- PEAK_FLOPS and PEAK_BYTES are the H100 ceilings measured on the GPU machine (shared/GPU.md):
  an 8192³ fp16 GEMM through cuBLAS, and a device-to-device copy (bytes read + written).
"""
import torch

PEAK_FLOPS = 762e12
PEAK_BYTES = 2.97e12
FP16_BYTES = 2


def gemm(m, k, n):
    """FLOPs of an [m,k]x[k,n] matrix product."""
    return 2 * m * k * n


def attention(batch, heads, q_len, kv_len, head_dim, causal):
    """FLOPs of Q·Kᵀ and P·V over the query-key pairs that must be computed."""
    pairs = q_len * (q_len + 1) // 2 if causal and q_len == kv_len else q_len * kv_len
    return 2 * 2 * batch * heads * pairs * head_dim


def encoder_layer(batch, seq, hidden, heads, inter):
    """One BERT/ViT layer: QKV, attention, output projection, two FFN GEMMs."""
    t = batch * seq
    return (gemm(t, hidden, 3 * hidden) + gemm(t, hidden, hidden) + gemm(t, hidden, inter)
            + gemm(t, inter, hidden) + attention(batch, heads, seq, seq, hidden // heads, False))


def bert_flops(cfg, batch, seq):
    """BertModel: layers plus the pooler (one [batch,H]x[H,H])."""
    layer = encoder_layer(batch, seq, cfg.hidden_size, cfg.num_attention_heads,
                          cfg.intermediate_size)
    return cfg.num_hidden_layers * layer + gemm(batch, cfg.hidden_size, cfg.hidden_size)


def vit_flops(cfg, batch):
    """ViTModel: the patch-embedding convolution as a GEMM, layers over patches+CLS, the pooler."""
    patches = (cfg.image_size // cfg.patch_size) ** 2
    embed = gemm(batch * patches, cfg.num_channels * cfg.patch_size ** 2, cfg.hidden_size)
    layer = encoder_layer(batch, patches + 1, cfg.hidden_size, cfg.num_attention_heads,
                          cfg.intermediate_size)
    return embed + cfg.num_hidden_layers * layer + gemm(batch, cfg.hidden_size, cfg.hidden_size)


def gpt2_flops(cfg, batch, seq, causal=True):
    """GPT2LMHeadModel: causal layers plus the LM head over every position."""
    h, t = cfg.n_embd, batch * seq
    inter = cfg.n_inner or 4 * h
    layer = (gemm(t, h, 3 * h) + gemm(t, h, h) + gemm(t, h, inter) + gemm(t, inter, h)
             + attention(batch, cfg.n_head, seq, seq, h // cfg.n_head, causal))
    return cfg.n_layer * layer + gemm(t, h, cfg.vocab_size)


def llama_flops(cfg, batch, seq, causal=True):
    """LlamaForCausalLM: GQA projections, SwiGLU MLP (3 GEMMs), causal attention, LM head."""
    h, t = cfg.hidden_size, batch * seq
    hd = getattr(cfg, "head_dim", None) or h // cfg.num_attention_heads
    q, kv = cfg.num_attention_heads * hd, cfg.num_key_value_heads * hd
    layer = (gemm(t, h, q) + 2 * gemm(t, h, kv) + gemm(t, q, h) + 3 * gemm(t, h, cfg.intermediate_size)
             + attention(batch, cfg.num_attention_heads, seq, seq, hd, causal))
    return cfg.num_hidden_layers * layer + gemm(t, h, cfg.vocab_size)


def weight_bytes(model, tokens):
    """Bytes of the weights a run must read once at fp16 (see the module comment)."""
    need = {}
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            n = p.numel()
            if isinstance(module, torch.nn.Embedding) and name == "weight":
                n = min(module.num_embeddings, tokens) * module.embedding_dim
            need[id(p)] = max(need.get(id(p), 0), n * FP16_BYTES)
    return sum(need.values())


def tensor_bytes(tensors):
    """Bytes of model inputs/outputs: floats at fp16, integers at their own size."""
    total = 0
    for t in tensors:
        total += t.numel() * (FP16_BYTES if t.is_floating_point() else t.element_size())
    return total


def floor_seconds(flops, nbytes):
    """max(compute time at PEAK_FLOPS, memory time at PEAK_BYTES)."""
    return max(flops / PEAK_FLOPS, nbytes / PEAK_BYTES)
