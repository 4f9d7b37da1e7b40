// The attention kernel is one template specialised by text substitution: dtypes, head sizes,
// layout offsets and the optional mask/bias terms. Each warp owns kAttentionQueryTile / 4
// queries; per key tile (32 keys, staged with q in shared memory as fp32) lane j scores key j,
// the warp updates the running max/sum, and each lane accumulates output dims lane + 32 t.
#include "codegen/attention_emitter.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "codegen/attention_tc_emitter.h"
#include "codegen/expr_emitter.h"
#include "ir/status_macros.h"

namespace kiln {
namespace {

constexpr char kParams[] = R"CUDA(
#ifndef KILN_ATTENTION_PARAMS_DEFINED  // Once per module, however many attention kernels.
#define KILN_ATTENTION_PARAMS_DEFINED
struct KilnAttentionParams {
  kiln_i64 batch, q_heads, kv_heads, q_seq, kv_seq, bias_stride[4], row_stride[3];
  kiln_i64 q_tiles;  // Query tiles per block: read by EmittedAttention::tiles_name only.
};
#endif
)CUDA";

constexpr char kTemplate[] = R"CUDA(
extern "C" __global__ void __launch_bounds__(128)
$NAME(const $T* __restrict__ q, const $T* __restrict__ k, const $T* __restrict__ v,$EXTRA_ARGS
      $T* __restrict__ y, KilnAttentionParams p) {
  constexpr int D = $HEADQ, DV = $HEADV, KT = 32, QT = 16, QPW = 4, NT = (DV + 31) / 32;
  const float kNegInf = -__int_as_float(0x7f800000);
  __shared__ float sq[QT][D];
  __shared__ float sk[KT][D + 1];  // +1: lanes read different keys' rows without conflicts.
  __shared__ float sv[KT][DV];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const kiln_i64 b = blockIdx.z, h = blockIdx.y, q0 = (kiln_i64)blockIdx.x * QT;
  const kiln_i64 Hq = p.q_heads, Hkv = p.kv_heads, Sq = p.q_seq, Skv = p.kv_seq;
  const kiln_i64 kvh = h / (Hq / Hkv);
  for (int t = threadIdx.x; t < QT * D; t += blockDim.x) {
    const int r = t / D, e = t % D;
    const kiln_i64 i = q0 + r;
    sq[r][e] = i < Sq ? $LOAD_Q : 0.0f;
  }
  float m[QPW], l[QPW], acc[QPW][NT];
#pragma unroll
  for (int a = 0; a < QPW; ++a) {
    m[a] = kNegInf;
    l[a] = 0.0f;
#pragma unroll
    for (int t = 0; t < NT; ++t) acc[a][t] = 0.0f;
  }
  kiln_i64 key_end = Skv;
$CAUSAL_END
  for (kiln_i64 j0 = 0; j0 < key_end; j0 += KT) {
    __syncthreads();
    for (int t = threadIdx.x; t < KT * D; t += blockDim.x) {
      const int r = t / D, e = t % D;
      const kiln_i64 j = j0 + r;
      sk[r][e] = j < Skv ? $LOAD_K : 0.0f;
    }
    for (int t = threadIdx.x; t < KT * DV; t += blockDim.x) {
      const int r = t / DV, e = t % DV;
      const kiln_i64 j = j0 + r;
      sv[r][e] = j < Skv ? $LOAD_V : 0.0f;
    }
    __syncthreads();
    const kiln_i64 j = j0 + lane;
    bool key_ok = j < Skv;
$PADDING
#pragma unroll
    for (int a = 0; a < QPW; ++a) {
      const int r = warp * QPW + a;
      const kiln_i64 i = q0 + r;
      if (i >= Sq) continue;  // Warp-uniform.
      bool ok = key_ok;
$CAUSAL_KEY
      float s = kNegInf;
      if (ok) {
        float dot = 0.0f;
#pragma unroll 8
        for (int e = 0; e < D; ++e) dot += sq[r][e] * sk[lane][e];
        s = dot * $SCALE;
$BIAS
      }
      const float m_new = fmaxf(m[a], kiln_warp_max(s));
      if (m_new == kNegInf) continue;  // Nothing kept yet (warp-uniform).
      const float corr = expf(m[a] - m_new);
      const float pj = s == kNegInf ? 0.0f : expf(s - m_new);
      l[a] = l[a] * corr + kiln_warp_sum(pj);
      m[a] = m_new;
#pragma unroll
      for (int t = 0; t < NT; ++t) acc[a][t] *= corr;
#pragma unroll 4
      for (int jj = 0; jj < KT; ++jj) {
        const float pjj = __shfl_sync(0xffffffffu, pj, jj);
#pragma unroll
        for (int t = 0; t < NT; ++t) {
          const int e = lane + 32 * t;
          if (e < DV) acc[a][t] += pjj * sv[jj][e];
        }
      }
    }
  }
#pragma unroll
  for (int a = 0; a < QPW; ++a) {
    const kiln_i64 i = q0 + warp * QPW + a;
    if (i >= Sq) continue;
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      const int e = lane + 32 * t;
      if (e >= DV) continue;
      float out = 0.0f;
      if (l[a] > 0.0f) {
        out = acc[a][t] / l[a];
      } else {
$EMPTY_ROW
      }
      y[$Y_OFF + e] = $STORE_OUT;
    }
  }
}
)CUDA";

// Offset of (batch b, head `head`, token `s`)'s vector in a bhsd tensor, or in a bsd one whose
// tokens are `row` elements apart (p.row_stride[i] for q, k, v; dense for y).
std::string RowOffset(bool bsd, const std::string& head, const std::string& s,
                      const std::string& heads, const std::string& seq, const std::string& dim,
                      const std::string& row = "") {
  if (bsd) {
    std::string r = row.empty() ? absl::StrCat(heads, " * ", dim) : row;
    return absl::StrCat("(b * ", seq, " + ", s, ") * ", r, " + ", head, " * ", dim);
  }
  return absl::StrCat("((b * ", heads, " + ", head, ") * ", seq, " + ", s, ") * ", dim);
}

absl::StatusOr<int> ConstDim(const Node& node, int input, int axis, int64_t divisor) {
  const Value* v = node.input(input);
  std::optional<int64_t> d;
  if (v != nullptr && axis < static_cast<int>(v->type().dims.size())) {
    d = v->type().dims[axis].as_const();
  }
  if (!d || divisor <= 0 || *d % divisor != 0 || *d / divisor <= 0 ||
      *d / divisor > kAttentionMaxHeadDim) {
    return absl::UnimplementedError(
        absl::StrCat("FusedAttention ", node.name(), ": head size of input ", input,
                     " is not a constant in 1..", kAttentionMaxHeadDim));
  }
  return static_cast<int>(*d / divisor);
}

}  // namespace

absl::StatusOr<AttentionConfig> AttentionConfigFor(const Node& node) {
  if (node.op() != OpKind::kFusedAttention || node.num_inputs() < 3) {
    return absl::InvalidArgumentError(absl::StrCat(node.name(), " is not a FusedAttention"));
  }
  AttentionConfig c;
  c.dtype = node.input(0)->type().dtype;
  if (c.dtype != DType::kF32 && c.dtype != DType::kF16 && c.dtype != DType::kBF16) {
    return absl::UnimplementedError(
        absl::StrCat("FusedAttention ", node.name(), ": dtype ", DTypeName(c.dtype)));
  }
  c.bsd = node.attr_string("layout") == "bsd";
  c.packed = node.attr_int("packed") != 0;
  const int64_t hq = node.attr_int("num_heads"), hkv = node.attr_int("kv_num_heads");
  if (c.packed) {
    ASSIGN_OR_RETURN(c.head_dim, ConstDim(node, 0, 2, hq + 2 * hkv));
    c.v_head_dim = c.head_dim;
  } else {
    ASSIGN_OR_RETURN(c.head_dim, ConstDim(node, 0, c.bsd ? 2 : 3, c.bsd ? hq : 1));
    ASSIGN_OR_RETURN(c.v_head_dim, ConstDim(node, 2, c.bsd ? 2 : 3, c.bsd ? hkv : 1));
  }
  c.scale = node.attr_float("scale");
  const std::string mask = node.attr_string("mask");
  c.causal = mask == "causal" || mask == "both";
  c.uniform_empty = node.attr_string("empty_rows") == "uniform";
  if (node.input(3) != nullptr) c.key_mask_dtype = node.input(3)->type().dtype;
  if (node.input(4) != nullptr) c.bias_dtype = node.input(4)->type().dtype;
  return c;
}

absl::StatusOr<EmittedAttention> EmitAttentionKernel(const AttentionConfig& c,
                                                     absl::string_view kernel_name) {
  if (c.head_dim <= 0 || c.head_dim > kAttentionMaxHeadDim || c.v_head_dim <= 0 ||
      c.v_head_dim > kAttentionMaxHeadDim || !std::isfinite(c.scale) ||
      (c.dtype != DType::kF32 && c.dtype != DType::kF16 && c.dtype != DType::kBF16)) {
    return absl::UnimplementedError(absl::StrCat("attention kernel ", kernel_name,
                                                 ": unsupported dtype, head size or scale"));
  }
  EmittedAttention out;
  out.name = std::string(kernel_name);
  out.config = c;
  if (c.allow_tensor_cores && TensorCoreAttentionCovers(c)) {
    out.tensor_cores = true;
    out.query_tile = kAttentionTcQueryTile;
    out.block_size = kAttentionTcBlockSize;
    out.resident_keys = TensorCoreAttentionResidentKeys(c);
    if (out.resident_keys > 0) out.tiles_name = TensorCoreAttentionTilesName(out.name);
    out.source = kParams + EmitTensorCoreAttentionSource(c, out.name);
    return out;
  }
  const std::string T = StorageType(c.dtype);
  std::string extra;
  std::string padding, bias;
  if (c.key_mask_dtype != DType::kUndefined) {
    extra += absl::StrCat(" const ", StorageType(c.key_mask_dtype), "* __restrict__ key_mask,");
    padding = absl::StrCat("    if (key_ok && !(",
                           LoadConvert(c.key_mask_dtype, "key_mask[b * Skv + j]"),
                           " != 0)) key_ok = false;");
  }
  if (c.bias_dtype != DType::kUndefined) {
    extra += absl::StrCat(" const ", StorageType(c.bias_dtype), "* __restrict__ bias,");
    bias = absl::StrCat(
        "        s += (float)",
        LoadConvert(c.bias_dtype,
                    "bias[b * p.bias_stride[0] + h * p.bias_stride[1] + i * p.bias_stride[2] + "
                    "j * p.bias_stride[3]]"),
        ";");
  }
  std::string causal_end, causal_key;
  if (c.causal) {
    causal_end =
        "  {\n    const kiln_i64 last_q = (q0 + QT < Sq ? q0 + QT : Sq) - 1;\n"
        "    const kiln_i64 end = last_q + Skv - Sq + 1;\n"
        "    key_end = end < 0 ? 0 : (end < Skv ? end : Skv);\n  }";
    causal_key = "      ok = ok && j <= i + Skv - Sq;";
  }
  std::string empty_row;
  if (c.uniform_empty) {
    empty_row = absl::StrCat("        for (kiln_i64 jv = 0; jv < Skv; ++jv) out += ",
                             LoadConvert(c.dtype, absl::StrCat("v[", RowOffset(c.bsd, "kvh", "jv",
                                                                               "Hkv", "Skv", "DV",
                                                                               "p.row_stride[2]"),
                                                               " + e]")),
                             ";\n        if (Skv > 0) out /= (float)Skv;");
  }
  out.source = kParams + absl::StrReplaceAll(
      kTemplate,
      {{"$NAME", out.name},
       {"$T", T},
       {"$EXTRA_ARGS", extra},
       {"$HEADV", absl::StrCat(c.v_head_dim)},
       {"$HEADQ", absl::StrCat(c.head_dim)},
       {"$LOAD_Q", LoadConvert(c.dtype, absl::StrCat("q[", RowOffset(c.bsd, "h", "i", "Hq", "Sq",
                                                                     "D", "p.row_stride[0]"),
                                                           " + e]"))},
       {"$LOAD_K", LoadConvert(c.dtype, absl::StrCat("k[", RowOffset(c.bsd, "kvh", "j", "Hkv",
                                                                     "Skv", "D", "p.row_stride[1]"),
                                                           " + e]"))},
       {"$LOAD_V", LoadConvert(c.dtype, absl::StrCat("v[", RowOffset(c.bsd, "kvh", "j", "Hkv",
                                                                     "Skv", "DV", "p.row_stride[2]"),
                                                           " + e]"))},
       {"$CAUSAL_END", causal_end},
       {"$PADDING", padding},
       {"$CAUSAL_KEY", causal_key},
       {"$SCALE", Literal(DType::kF32, c.scale)},
       {"$BIAS", bias},
       {"$EMPTY_ROW", empty_row},
       {"$Y_OFF", RowOffset(c.bsd, "h", "i", "Hq", "Sq", "DV")},
       {"$STORE_OUT", StoreConvert(c.dtype, "out")}});
  return out;
}

}  // namespace kiln
