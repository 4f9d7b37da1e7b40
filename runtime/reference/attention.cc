// Reference kernel: Attention (opset 23), following the ONNX reference implementation step by
// step: Q and K are each scaled by sqrt(scale) in the input dtype; scores are soft-capped, then
// the additive bias (attn_mask, padded with masked keys, plus the bottom-right causal mask) is
// added; softmax (a row that is all -inf gives zeros), then rows whose bias masks every key
// are zeroed; Y = P @ V with KV heads shared by groups of query heads.
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/reference/contraction_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

struct AttnDims {
  bool packed = false;  // 3-D inputs [batch, seq, heads * head].
  int64_t batch, q_heads, kv_heads, q_seq, kv_seq, past = 0, total, head, v_head;
};

absl::StatusOr<AttnDims> GetDims(const KernelContext& ctx) {
  const Tensor& q = ctx.input(0);
  const Tensor& k = ctx.input(1);
  const Tensor& v = ctx.input(2);
  AttnDims d;
  const int64_t rank = q.rank();
  if ((rank != 3 && rank != 4) || k.rank() != rank || v.rank() != rank || k.dtype() != q.dtype() ||
      v.dtype() != q.dtype()) {
    return ctx.Error("Q, K and V must be 3-D or 4-D with one dtype");
  }
  d.packed = rank == 3;
  d.batch = q.shape()[0];
  if (d.packed) {
    d.q_heads = ctx.node.attr_int_opt("q_num_heads").value_or(0);
    d.kv_heads = ctx.node.attr_int_opt("kv_num_heads").value_or(0);
    if (d.q_heads <= 0 || d.kv_heads <= 0 || q.shape()[2] % d.q_heads != 0 ||
        k.shape()[2] % d.kv_heads != 0 || v.shape()[2] % d.kv_heads != 0) {
      return ctx.Error("3-D hidden sizes must be divisible by q_num_heads / kv_num_heads");
    }
    d.q_seq = q.shape()[1];
    d.kv_seq = k.shape()[1];
    d.head = q.shape()[2] / d.q_heads;
    if (k.shape()[2] / d.kv_heads != d.head || v.shape()[1] != d.kv_seq) {
      return ctx.Error("K does not match Q's head size or V's sequence length");
    }
    d.v_head = v.shape()[2] / d.kv_heads;
  } else {
    d.q_heads = q.shape()[1];
    d.kv_heads = k.shape()[1];
    d.q_seq = q.shape()[2];
    d.kv_seq = k.shape()[2];
    d.head = q.shape()[3];
    d.v_head = v.shape()[3];
    if (k.shape()[3] != d.head || v.shape()[1] != d.kv_heads || v.shape()[2] != d.kv_seq) {
      return ctx.Error("K and V shapes do not match Q");
    }
  }
  if (k.shape()[0] != d.batch || v.shape()[0] != d.batch || d.kv_heads == 0 ||
      d.q_heads % d.kv_heads != 0) {
    return ctx.Error("batch sizes differ, or query heads are not a multiple of KV heads");
  }
  if (ctx.has_input(4) != ctx.has_input(5)) {
    return ctx.Error("past_key and past_value must be given together");
  }
  if (ctx.has_input(4)) {
    const Tensor& pk = ctx.input(4);
    const Tensor& pv = ctx.input(5);
    const std::vector<int64_t> want_k = {d.batch, d.kv_heads, pk.rank() == 4 ? pk.shape()[2] : 0,
                                         d.head};
    if (pk.shape() != want_k || pv.rank() != 4 || pk.dtype() != q.dtype() ||
        pv.dtype() != q.dtype() ||
        pv.shape() != std::vector<int64_t>{d.batch, d.kv_heads, want_k[2], d.v_head}) {
      return ctx.Error(absl::StrCat("past_key ", pk.TypeString(), " / past_value ", pv.TypeString(),
                                    " do not match K and V"));
    }
    d.past = want_k[2];
  }
  d.total = d.past + d.kv_seq;
  return d;
}

// Input i ([b, s, h*dh] or [b, h, s, dh]) as [b, h, past + s, dh], after `past` if given.
template <typename T>
absl::StatusOr<Tensor> ToHeads(const Tensor& x, const Tensor* past, const AttnDims& d,
                               int64_t heads, int64_t seq, int64_t dh) {
  const int64_t p = past ? past->shape()[2] : 0;
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DTypeOf<T>::value, {d.batch, heads, p + seq, dh}));
  T* po = out.data<T>();
  const T* px = x.data<T>();
  for (int64_t b = 0; b < d.batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      T* dst = po + (b * heads + h) * (p + seq) * dh;
      if (past) {
        const T* src = past->data<T>() + (b * heads + h) * p * dh;
        std::copy(src, src + p * dh, dst);
      }
      for (int64_t s = 0; s < seq; ++s) {
        const T* src = d.packed ? px + ((b * seq + s) * heads + h) * dh
                                : px + ((b * heads + h) * seq + s) * dh;
        std::copy(src, src + dh, dst + (p + s) * dh);
      }
    }
  }
  return out;
}

// The additive bias of one query row (b, h, i): mask value, padded keys masked, plus causal.
template <typename T, typename A>
void BiasRow(const KernelContext& ctx, const AttnDims& d, int64_t b, int64_t h, int64_t i,
             std::vector<A>& bias) {
  const A neg_inf = -std::numeric_limits<A>::infinity();
  std::fill(bias.begin(), bias.end(), A{0});
  if (ctx.has_input(3)) {
    const Tensor& m = ctx.input(3);
    const std::vector<int64_t>& ms = m.shape();
    const int64_t coords[3] = {b, h, i};
    int64_t row = 0;  // Offset of the mask row (leading dims broadcast where 1).
    for (size_t k = 0; k + 1 < ms.size(); ++k) {
      const int64_t coord = coords[3 - (ms.size() - 1) + k];
      row = row * ms[k] + (ms[k] == 1 ? 0 : coord);
    }
    const int64_t len = ms.back();
    for (int64_t j = 0; j < d.total; ++j) {
      if (j >= len) {
        bias[j] = neg_inf;
      } else if (m.dtype() == DType::kBool) {
        bias[j] = m.data<bool>()[row * len + j] ? A{0} : neg_inf;
      } else {
        bias[j] = ToAcc(m.data<T>()[row * len + j]);
      }
    }
  }
  if (ctx.node.attr_int("is_causal") != 0) {
    for (int64_t j = i + d.past + 1; j < d.total; ++j) bias[j] += neg_inf;
  }
}

// The type softmax runs in: softmax_precision, else the input dtype. 16-bit types are
// emulated op by op as the reference computes them (numpy rounds each f16 op's result but
// sums f16 in float; ml_dtypes' bf16 sum rounds after every add); wider types run in double.
enum class SoftmaxType { kWide, kF16, kBF16 };

SoftmaxType GetSoftmaxType(const KernelContext& ctx) {
  const std::optional<int64_t> p = ctx.node.attr_int_opt("softmax_precision");
  if (p) return *p == 10 ? SoftmaxType::kF16 : *p == 16 ? SoftmaxType::kBF16 : SoftmaxType::kWide;
  const DType t = ctx.input(0).dtype();
  return t == DType::kF16    ? SoftmaxType::kF16
         : t == DType::kBF16 ? SoftmaxType::kBF16
                             : SoftmaxType::kWide;
}

double Round(double x, SoftmaxType t) {
  if (t == SoftmaxType::kF16) return static_cast<float>(Half(static_cast<float>(x)));
  if (t == SoftmaxType::kBF16) return static_cast<float>(BFloat16(static_cast<float>(x)));
  return x;
}

// Softmax of `row` in place; a row whose max is -inf becomes zeros, and NaN propagates as
// numpy's max does.
void SoftmaxRow(std::vector<double>& row, SoftmaxType t) {
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  double max = kNegInf;
  for (double& x : row) {
    x = Round(x, t);
    max = (std::isnan(x) || std::isnan(max)) ? x + max : std::max(max, x);
  }
  if (max == kNegInf) {
    std::fill(row.begin(), row.end(), 0.0);
    return;
  }
  double sum = 0;
  for (double& x : row) {
    x = Round(std::exp(Round(x - max, t)), t);
    sum = t == SoftmaxType::kBF16 ? Round(sum + x, t) : sum + x;
  }
  sum = Round(sum, t);
  for (double& x : row) x = Round(x / sum, t);
}

// The stages of a score row that qk_matmul_output_mode can expose.
enum QkMode { kRawScores = 0, kSoftcapped = 1, kBiased = 2, kProbabilities = 3 };

struct AttnOptions {
  float softcap;
  SoftmaxType softmax_type;
  int64_t mode;  // qk_matmul_output_mode.
};

// Turns one row of scaled scores for query (b, h, i) into probabilities, copying the stage
// that `opt.mode` selects into `qk_row` when the fourth output is wanted.
template <typename T, typename A>
void ScoresToProbs(const KernelContext& ctx, const AttnDims& d, const AttnOptions& opt, int64_t b,
                   int64_t h, int64_t i, A* scores, std::vector<A>& bias,
                   std::vector<double>& probs, A* qk_row) {
  auto capture = [&](QkMode stage, const auto* values) {
    if (qk_row && opt.mode == stage) {
      for (int64_t j = 0; j < d.total; ++j) qk_row[j] = static_cast<A>(values[j]);
    }
  };
  capture(kRawScores, scores);
  if (opt.softcap > 0) {
    for (int64_t j = 0; j < d.total; ++j) {
      scores[j] = opt.softcap * std::tanh(scores[j] / opt.softcap);
    }
  }
  capture(kSoftcapped, scores);
  BiasRow<T>(ctx, d, b, h, i, bias);
  bool all_masked = true;
  for (int64_t j = 0; j < d.total; ++j) {
    scores[j] += bias[j];
    all_masked = all_masked && bias[j] == -std::numeric_limits<A>::infinity();
  }
  capture(kBiased, scores);
  for (int64_t j = 0; j < d.total; ++j) probs[j] = scores[j];
  SoftmaxRow(probs, opt.softmax_type);
  // The guard is decided on the bias, not the (possibly NaN) scores, as in the reference.
  if (all_masked) std::fill(probs.begin(), probs.end(), 0.0);
  capture(kProbabilities, probs.data());
}

// [rows, cols] blocks of `x` transposed to [cols, rows], block by block.
template <typename A>
std::vector<A> TransposeBlocks(const std::vector<A>& x, int64_t blocks, int64_t rows,
                               int64_t cols) {
  std::vector<A> out(x.size());
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const A* src = x.data() + blk * rows * cols;
    A* dst = out.data() + blk * rows * cols;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
    }
  }
  return out;
}

// Y (in the input's layout), present_key, present_value and qk_matmul_output, as many as the
// node has outputs.
template <typename T, typename A>
absl::StatusOr<std::vector<Tensor>> PackOutputs(const KernelContext& ctx, const AttnDims& d,
                                                const std::vector<A>& y, Tensor present_k,
                                                Tensor present_v, const std::vector<A>& qk) {
  std::vector<int64_t> y_shape = d.packed
                                     ? std::vector<int64_t>{d.batch, d.q_seq, d.q_heads * d.v_head}
                                     : std::vector<int64_t>{d.batch, d.q_heads, d.q_seq, d.v_head};
  std::vector<Tensor> outs;
  ASSIGN_OR_RETURN(Tensor yt, (TensorFromAcc<T, A>(y_shape, y)));
  outs.push_back(std::move(yt));
  if (ctx.node.num_outputs() > 1) outs.push_back(std::move(present_k));
  if (ctx.node.num_outputs() > 2) outs.push_back(std::move(present_v));
  if (ctx.node.num_outputs() > 3) {
    ASSIGN_OR_RETURN(Tensor qkt, (TensorFromAcc<T, A>({d.batch, d.q_heads, d.q_seq, d.total}, qk)));
    outs.push_back(std::move(qkt));
  }
  return outs;
}

template <typename T>
absl::StatusOr<std::vector<Tensor>> AttentionTyped(const KernelContext& ctx, const AttnDims& d) {
  using A = Acc<T>;
  for (const std::vector<int64_t>& buffer :
       {std::vector<int64_t>{d.batch, d.q_heads, d.q_seq, d.total},
        std::vector<int64_t>{d.batch, d.q_heads, d.q_seq, d.v_head}}) {
    if (auto n = CheckedElementCount(buffer, sizeof(A) + sizeof(double)); !n.ok()) {
      return ctx.Error(n.status().message());
    }
  }
  const Tensor* past_k = ctx.has_input(4) ? &ctx.input(4) : nullptr;
  const Tensor* past_v = ctx.has_input(5) ? &ctx.input(5) : nullptr;
  ASSIGN_OR_RETURN(Tensor q4, ToHeads<T>(ctx.input(0), nullptr, d, d.q_heads, d.q_seq, d.head));
  ASSIGN_OR_RETURN(Tensor present_k,
                   ToHeads<T>(ctx.input(1), past_k, d, d.kv_heads, d.kv_seq, d.head));
  ASSIGN_OR_RETURN(Tensor present_v,
                   ToHeads<T>(ctx.input(2), past_v, d, d.kv_heads, d.kv_seq, d.v_head));
  // Q and K are each scaled by sqrt(scale), rounded to T like the reference's T-typed product.
  const double scale =
      ctx.node.attr_float_opt("scale").value_or(1.0 / std::sqrt(static_cast<double>(d.head)));
  const A root = ToAcc(FromAcc<T>(static_cast<A>(std::sqrt(scale))));
  auto scaled = [&](const Tensor& t) {
    std::vector<A> v = ToAccVector<T>(t);
    for (A& x : v) x = ToAcc(FromAcc<T>(x * root));
    return v;
  };
  const std::vector<A> qs = scaled(q4), vs = ToAccVector<T>(present_v);
  // K per KV head as [head, total], so each head's scores are one vectorised GEMM.
  const std::vector<A> kt =
      TransposeBlocks(scaled(present_k), d.batch * d.kv_heads, d.total, d.head);
  const AttnOptions opt{ctx.node.attr_float("softcap"), GetSoftmaxType(ctx),
                        ctx.node.attr_int("qk_matmul_output_mode")};
  const bool want_qk = ctx.node.num_outputs() > 3;
  std::vector<A> y(static_cast<size_t>(d.batch * d.q_heads * d.q_seq * d.v_head), A{0});
  std::vector<A> qk(want_qk ? static_cast<size_t>(d.batch * d.q_heads * d.q_seq * d.total) : 0);
  std::vector<A> scores(static_cast<size_t>(d.q_seq * d.total)), bias(d.total);
  std::vector<double> probs(d.total);
  for (int64_t b = 0; b < d.batch; ++b) {
    for (int64_t h = 0; h < d.q_heads; ++h) {
      const int64_t kv = b * d.kv_heads + h / (d.q_heads / d.kv_heads);
      std::fill(scores.begin(), scores.end(), A{0});
      GemmAccumulate(qs.data() + (b * d.q_heads + h) * d.q_seq * d.head,
                     kt.data() + kv * d.head * d.total, scores.data(), d.q_seq, d.head, d.total);
      for (int64_t i = 0; i < d.q_seq; ++i) {
        const int64_t row = (b * d.q_heads + h) * d.q_seq + i;
        ScoresToProbs<T>(ctx, d, opt, b, h, i, scores.data() + i * d.total, bias, probs,
                         want_qk ? qk.data() + row * d.total : nullptr);
        A* yrow =
            y.data() + (d.packed ? ((b * d.q_seq + i) * d.q_heads + h) * d.v_head : row * d.v_head);
        for (int64_t j = 0; j < d.total; ++j) {
          const A p = ToAcc(FromAcc<T>(static_cast<A>(probs[j])));  // P is cast to T first.
          const A* vrow = vs.data() + (kv * d.total + j) * d.v_head;
          for (int64_t e = 0; e < d.v_head; ++e) yrow[e] += p * vrow[e];
        }
      }
    }
  }
  return PackOutputs<T>(ctx, d, y, std::move(present_k), std::move(present_v), qk);
}

}  // namespace

KernelResult RefAttention(const KernelContext& ctx) {
  if (!IsFloat(ctx.input(0).dtype())) return ctx.Error("Q must be a float tensor");
  ASSIGN_OR_RETURN(AttnDims d, GetDims(ctx));
  if (ctx.has_input(3)) {
    const Tensor& m = ctx.input(3);
    bool ok = (m.dtype() == DType::kBool || m.dtype() == ctx.input(0).dtype()) && m.rank() >= 1 &&
              m.rank() <= 4 && m.shape().back() <= d.total;
    const int64_t target[3] = {d.batch, d.q_heads, d.q_seq};
    for (int64_t k = 0; ok && k + 1 < m.rank(); ++k) {
      const int64_t dim = m.shape()[k];
      ok = dim == 1 || dim == target[3 - (m.rank() - 1) + k];
    }
    if (!ok) {
      return ctx.Error(absl::StrCat("attn_mask ", m.TypeString(), " does not broadcast to [",
                                    d.batch, ",", d.q_heads, ",", d.q_seq, ",", d.total, "]"));
    }
  }
  return VisitDType(ctx.input(0).dtype(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<Acc<T>>) {
      return AttentionTyped<T>(ctx, d);
    } else {
      return ctx.Error("Q must be a float tensor");
    }
  });
}

}  // namespace kiln::reference
