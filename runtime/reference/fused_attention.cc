// Reference kernel: FusedAttention (contract in ir/ops.def). Per query row: scores = scale *
// q k^T (+ bias), keys dropped by the padding mask (key_mask == 0) and the bottom-right causal
// mask (j > i + Skv - Sq); softmax over the kept keys; y = P v. A row that keeps no key, or
// whose kept scores are all -inf, is "empty": zeros, or the mean of v over all keys (what an
// additive finfo.min mask gives, since every score then rounds to the same value).
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/reference/contraction_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

struct FusedDims {
  bool bsd = false;
  int64_t batch, q_heads, kv_heads, q_seq, kv_seq, head, v_head;
  // bsd: each token's row width and where q, k, v start in it (packed q/k/v share one row).
  int64_t q_row = 0, k_row = 0, v_row = 0, q_off = 0, k_off = 0, v_off = 0;
};

absl::StatusOr<FusedDims> GetFusedDims(const KernelContext& ctx) {
  const Tensor& q = ctx.input(0);
  const Tensor& k = ctx.input(1);
  const Tensor& v = ctx.input(2);
  FusedDims d;
  d.bsd = ctx.node.attr_string("layout") == "bsd";
  d.q_heads = ctx.node.attr_int("num_heads");
  d.kv_heads = ctx.node.attr_int("kv_num_heads");
  const int64_t rank = d.bsd ? 3 : 4;
  if (q.rank() != rank || k.rank() != rank || v.rank() != rank) {
    return ctx.Error(absl::StrCat("q, k and v must be ", rank, "-D for layout ",
                                  ctx.node.attr_string("layout")));
  }
  if (d.q_heads <= 0 || d.kv_heads <= 0 || d.q_heads % d.kv_heads != 0) {
    return ctx.Error("num_heads must be a positive multiple of kv_num_heads");
  }
  d.batch = q.shape()[0];
  if (ctx.node.attr_int("packed") != 0) {
    const int64_t heads = d.q_heads + 2 * d.kv_heads;
    if (!d.bsd || q.shape() != k.shape() || q.shape() != v.shape() || q.shape()[2] % heads != 0) {
      return ctx.Error("packed q/k/v must be one bsd tensor of (Hq + 2*Hkv) heads");
    }
    d.q_seq = d.kv_seq = q.shape()[1];
    d.head = d.v_head = q.shape()[2] / heads;
    d.q_row = d.k_row = d.v_row = q.shape()[2];
    d.k_off = d.q_heads * d.head;
    d.v_off = d.k_off + d.kv_heads * d.head;
  } else if (d.bsd) {
    if (q.shape()[2] % d.q_heads != 0 || k.shape()[2] % d.kv_heads != 0 ||
        v.shape()[2] % d.kv_heads != 0) {
      return ctx.Error("hidden sizes must be divisible by the head counts");
    }
    d.q_seq = q.shape()[1];
    d.kv_seq = k.shape()[1];
    d.head = q.shape()[2] / d.q_heads;
    d.v_head = v.shape()[2] / d.kv_heads;
    d.q_row = q.shape()[2];
    d.k_row = k.shape()[2];
    d.v_row = v.shape()[2];
    if (k.shape()[2] / d.kv_heads != d.head || v.shape()[1] != d.kv_seq) {
      return ctx.Error("k and v do not match q's head size or each other's length");
    }
  } else {
    d.q_seq = q.shape()[2];
    d.kv_seq = k.shape()[2];
    d.head = q.shape()[3];
    d.v_head = v.shape()[3];
    if (q.shape()[1] != d.q_heads || k.shape()[1] != d.kv_heads || v.shape()[1] != d.kv_heads ||
        k.shape()[3] != d.head || v.shape()[2] != d.kv_seq) {
      return ctx.Error(absl::StrCat("q ", q.TypeString(), ", k ", k.TypeString(), ", v ",
                                    v.TypeString(), " do not fit num_heads ", d.q_heads,
                                    " / kv_num_heads ", d.kv_heads));
    }
  }
  if (k.shape()[0] != d.batch || v.shape()[0] != d.batch || k.dtype() != q.dtype() ||
      v.dtype() != q.dtype()) {
    return ctx.Error("q, k and v must share batch size and dtype");
  }
  return d;
}

// The optional inputs, flattened: key_mask as keep flags [B, Skv], bias as doubles with
// element strides over [B, Hq, Sq, Skv] (0 where it broadcasts).
struct MaskInputs {
  bool padding = false, causal = false, uniform_empty = false;
  std::vector<char> keep;
  std::vector<double> bias;
  int64_t bias_stride[4] = {0, 0, 0, 0};
};

absl::StatusOr<MaskInputs> GetMaskInputs(const KernelContext& ctx, const FusedDims& d) {
  MaskInputs m;
  const std::string kind = ctx.node.attr_string("mask");
  m.padding = kind == "padding" || kind == "both";
  m.causal = kind == "causal" || kind == "both";
  m.uniform_empty = ctx.node.attr_string("empty_rows") == "uniform";
  if (m.padding != ctx.has_input(3)) return ctx.Error("mask kind and key_mask input disagree");
  if (m.padding) {
    const Tensor& km = ctx.input(3);
    if (km.shape() != std::vector<int64_t>{d.batch, d.kv_seq}) {
      return ctx.Error(
          absl::StrCat("key_mask ", km.TypeString(), " must be [", d.batch, ",", d.kv_seq, "]"));
    }
    m.keep.resize(km.num_elements());
    for (int64_t i = 0; i < km.num_elements(); ++i) m.keep[i] = km.GetAsDouble(i) != 0;
  }
  if (ctx.has_input(4)) {
    const Tensor& b = ctx.input(4);
    const int64_t target[4] = {d.batch, d.q_heads, d.q_seq, d.kv_seq};
    if (b.rank() > 4 || !IsFloat(b.dtype())) return ctx.Error("bias must be a float of rank <= 4");
    int64_t stride = 1;
    for (int64_t k = 3; k >= 0; --k) {
      const int64_t src = k - (4 - b.rank());
      const int64_t dim = src >= 0 ? b.shape()[src] : 1;
      if (dim != 1 && dim != target[k]) {
        return ctx.Error(absl::StrCat("bias ", b.TypeString(), " does not broadcast to [", d.batch,
                                      ",", d.q_heads, ",", d.q_seq, ",", d.kv_seq, "]"));
      }
      m.bias_stride[k] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
    m.bias.resize(b.num_elements());
    for (int64_t i = 0; i < b.num_elements(); ++i) m.bias[i] = b.GetAsDouble(i);
  }
  return m;
}

// Turns a row of raw q.k products for query (b, h, i) into softmax weights in place; returns
// false for an empty row.
bool RowWeights(const MaskInputs& m, const FusedDims& d, double scale, int64_t b, int64_t h,
                int64_t i, std::vector<double>& row) {
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  const int64_t last_key = i + d.kv_seq - d.q_seq;  // Causal: keys up to here are visible.
  const int64_t bias_row = b * m.bias_stride[0] + h * m.bias_stride[1] + i * m.bias_stride[2];
  double max = kNegInf;
  for (int64_t j = 0; j < d.kv_seq; ++j) {
    const bool dropped = (m.causal && j > last_key) || (m.padding && !m.keep[b * d.kv_seq + j]);
    double s = kNegInf;
    if (!dropped) {
      s = scale * row[j];
      if (!m.bias.empty()) s += m.bias[bias_row + j * m.bias_stride[3]];
    }
    row[j] = s;
    max = (std::isnan(s) || std::isnan(max)) ? s + max : std::max(max, s);
  }
  if (max == kNegInf) return false;
  double sum = 0;
  for (double& x : row) {
    x = x == kNegInf ? 0.0 : std::exp(x - max);
    sum += x;
  }
  for (double& x : row) x /= sum;
  return true;
}

// Offset of the vector of `head` for token `s` in a bhsd tensor, or in a bsd one whose rows
// are `row` wide with the heads starting at `off`.
int64_t RowOffset(bool bsd, int64_t b, int64_t h, int64_t s, int64_t heads, int64_t seq,
                  int64_t dim, int64_t row = 0, int64_t off = 0) {
  return bsd ? (b * seq + s) * row + off + h * dim : ((b * heads + h) * seq + s) * dim;
}

template <typename T>
absl::StatusOr<Tensor> FusedAttentionTyped(const KernelContext& ctx, const FusedDims& d,
                                           const MaskInputs& m) {
  using A = Acc<T>;
  const std::vector<A> q = ToAccVector<T>(ctx.input(0));
  const std::vector<A> k = ToAccVector<T>(ctx.input(1));
  const std::vector<A> v = ToAccVector<T>(ctx.input(2));
  const double scale = ctx.node.attr_float("scale");
  const int64_t group = d.q_heads / d.kv_heads;
  std::vector<int64_t> y_shape = d.bsd
                                     ? std::vector<int64_t>{d.batch, d.q_seq, d.q_heads * d.v_head}
                                     : std::vector<int64_t>{d.batch, d.q_heads, d.q_seq, d.v_head};
  if (auto n = CheckedElementCount(y_shape, sizeof(double)); !n.ok()) {
    return ctx.Error(n.status().message());
  }
  std::vector<double> y(static_cast<size_t>(d.batch * d.q_heads * d.q_seq * d.v_head), 0.0);
  std::vector<double> row(d.kv_seq);
  for (int64_t b = 0; b < d.batch; ++b) {
    for (int64_t h = 0; h < d.q_heads; ++h) {
      const int64_t kvh = h / group;
      for (int64_t i = 0; i < d.q_seq; ++i) {
        const A* qi =
            q.data() + RowOffset(d.bsd, b, h, i, d.q_heads, d.q_seq, d.head, d.q_row, d.q_off);
        for (int64_t j = 0; j < d.kv_seq; ++j) {
          const A* kj = k.data() + RowOffset(d.bsd, b, kvh, j, d.kv_heads, d.kv_seq, d.head,
                                             d.k_row, d.k_off);
          A dot = 0;
          for (int64_t e = 0; e < d.head; ++e) dot += qi[e] * kj[e];
          row[j] = dot;
        }
        const bool kept = RowWeights(m, d, scale, b, h, i, row);
        if (!kept && !m.uniform_empty) continue;  // Zeros.
        double* yi = y.data() + RowOffset(d.bsd, b, h, i, d.q_heads, d.q_seq, d.v_head,
                                   d.q_heads * d.v_head, 0);
        for (int64_t j = 0; j < d.kv_seq; ++j) {
          const double p = kept ? row[j] : 1.0 / static_cast<double>(d.kv_seq);
          const A* vj = v.data() + RowOffset(d.bsd, b, kvh, j, d.kv_heads, d.kv_seq, d.v_head,
                                             d.v_row, d.v_off);
          for (int64_t e = 0; e < d.v_head; ++e) yi[e] += p * vj[e];
        }
      }
    }
  }
  return TensorFromAcc<T, double>(std::move(y_shape), y);
}

}  // namespace

KernelResult RefFusedAttention(const KernelContext& ctx) {
  if (!IsFloat(ctx.input(0).dtype())) return ctx.Error("q must be a float tensor");
  ASSIGN_OR_RETURN(FusedDims d, GetFusedDims(ctx));
  ASSIGN_OR_RETURN(MaskInputs m, GetMaskInputs(ctx, d));
  absl::StatusOr<Tensor> y =
      VisitDType(ctx.input(0).dtype(), [&](auto tag) -> absl::StatusOr<Tensor> {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<Acc<T>>) {
          return FusedAttentionTyped<T>(ctx, d, m);
        } else {
          return ctx.Error("q must be a float tensor");
        }
      });
  if (!y.ok()) return y.status();
  return std::vector<Tensor>{*std::move(y)};
}

}  // namespace kiln::reference
