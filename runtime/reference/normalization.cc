// Reference kernels: LayerNormalization and RMSNormalization.
//
// Stage one (statistics and the normalized value) accumulates in double and rounds the
// statistics to the stash type, which is what a kernel computing in that type would produce;
// the normalized value is rounded to X's type. Stage two (scale, bias) is computed in X's
// type, as ONNX's function body does. Scale and bias broadcast unidirectionally to X.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "runtime/reference/normalization_util.h"
#include "runtime/reference/reduction_util.h"

namespace kiln::reference {
namespace {

// `v` rounded to `stash`'s precision.
double RoundTo(DType stash, double v) {
  switch (stash) {
    case DType::kF16: return static_cast<float>(Half(static_cast<float>(v)));
    case DType::kBF16: return static_cast<float>(BFloat16(static_cast<float>(v)));
    case DType::kF64: return v;
    default: return static_cast<float>(v);
  }
}

absl::StatusOr<DType> StashOf(const KernelContext& ctx) {
  switch (ctx.node.attr_int("stash_type")) {
    case 1: return DType::kF32;
    case 10: return DType::kF16;
    case 11: return DType::kF64;
    case 16: return DType::kBF16;
    default: return ctx.Error("stash_type is not a floating-point type");
  }
}

// Fails unless `operand` broadcasts to `target` without changing it.
absl::Status CheckUnidirectional(const KernelContext& ctx, const Tensor& operand,
                                 const std::vector<int64_t>& target) {
  const auto& s = operand.shape();
  bool ok = s.size() <= target.size();
  for (size_t i = 0; ok && i < s.size(); ++i) {
    ok = s[i] == 1 || s[i] == target[target.size() - s.size() + i];
  }
  if (ok) return absl::OkStatus();
  return ctx.Error(absl::StrCat("operand ", operand.TypeString(), " does not broadcast to X"));
}

// Writes `v` into element i of a float tensor of any float dtype.
void StoreFloat(Tensor& t, int64_t i, double v) {
  VisitDType(t.dtype(), [&](auto zero) {
    using S = decltype(zero);
    if constexpr (kIsFloatLike<S>) t.data<S>()[i] = Narrow<S>(v);
  });
}

struct NormParams {
  int64_t rows, cols;
  double epsilon;
  DType stash;
  bool rms;  // RMSNormalization: no mean subtracted, no bias.
};

template <typename T>
void NormalizeRows(const Tensor& xt, const Tensor& scale_t, const Tensor* bias_t,
                   const NormParams& p, std::vector<Tensor>& outs) {
  const T* x = xt.data<T>();
  const T* scale = scale_t.data<T>();
  const T* bias = !p.rms && bias_t ? bias_t->data<T>() : nullptr;
  BroadcastCursor sc(xt.shape(), scale_t.shape());
  BroadcastCursor bc(xt.shape(), bias ? bias_t->shape() : std::vector<int64_t>{});
  T* y = outs[0].data<T>();
  for (int64_t r = 0; r < p.rows; ++r) {
    const T* row = x + r * p.cols;
    double mean = 0, sq = 0;
    if (!p.rms) {
      for (int64_t c = 0; c < p.cols; ++c) mean += static_cast<double>(Widen(row[c]));
      mean = RoundTo(p.stash, mean / static_cast<double>(p.cols));
    }
    for (int64_t c = 0; c < p.cols; ++c) {
      double d = static_cast<double>(Widen(row[c])) - mean;
      sq += d * d;
    }
    const double var = sq / static_cast<double>(p.cols);
    const double rms = RoundTo(p.stash, std::sqrt(var + p.epsilon));
    const double inv = RoundTo(p.stash, 1.0 / std::sqrt(var + p.epsilon));
    for (int64_t c = 0; c < p.cols; ++c, sc.Next(), bc.Next()) {
      double v = static_cast<double>(Widen(row[c]));
      T n = Narrow<T>(p.rms ? v / rms : (v - mean) * inv);
      T out = Narrow<T>(Widen(n) * Widen(scale[sc.index()]));
      if (bias) out = Narrow<T>(Widen(out) + Widen(bias[bc.index()]));
      y[r * p.cols + c] = out;
    }
    if (outs.size() > 1) StoreFloat(outs[1], r, mean);
    if (outs.size() > 2) StoreFloat(outs[2], r, inv);
  }
}

KernelResult Normalize(const KernelContext& ctx, bool rms) {
  const Tensor& x = ctx.input(0);
  ASSIGN_OR_RETURN(int64_t axis, RuntimeAxis(ctx, ctx.node.attr_int("axis"), x.rank()));
  NormOptions options;
  options.axis = axis;
  options.epsilon = ctx.node.attr_float("epsilon");
  options.rms = rms;
  options.num_statistics = ctx.node.num_outputs() - 1;
  ASSIGN_OR_RETURN(options.stash, StashOf(ctx));
  return NormalizeTensor(ctx, x, ctx.input(1), ctx.has_input(2) ? &ctx.input(2) : nullptr,
                         options);
}

}  // namespace

KernelResult NormalizeTensor(const KernelContext& ctx, const Tensor& x, const Tensor& scale,
                             const Tensor* bias, const NormOptions& options) {
  if (!IsFloat(x.dtype())) return ctx.Error("X must be a float tensor");
  for (const Tensor* operand : {&scale, bias}) {
    if (operand == nullptr) continue;
    if (operand->dtype() != x.dtype()) return ctx.Error("scale and bias must have X's dtype");
    RETURN_IF_ERROR(CheckUnidirectional(ctx, *operand, x.shape()));
  }
  NormParams p{1, 1, options.epsilon, options.stash, options.rms};
  std::vector<int64_t> stat_shape;
  for (int64_t i = 0; i < x.rank(); ++i) {
    (i < options.axis ? p.rows : p.cols) *= x.shape()[i];
    stat_shape.push_back(i < options.axis ? x.shape()[i] : 1);
  }
  std::vector<Tensor> outs;
  ASSIGN_OR_RETURN(Tensor y, Tensor::Zeros(x.dtype(), x.shape()));
  outs.push_back(std::move(y));
  for (int i = 0; i < options.num_statistics; ++i) {
    ASSIGN_OR_RETURN(Tensor stat, Tensor::Zeros(p.stash, stat_shape));
    outs.push_back(std::move(stat));
  }
  VisitDType(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (kIsFloatLike<T>) NormalizeRows<T>(x, scale, bias, p, outs);
  });
  return outs;
}

KernelResult RefLayerNormalization(const KernelContext& ctx) { return Normalize(ctx, false); }

KernelResult RefRMSNormalization(const KernelContext& ctx) { return Normalize(ctx, true); }

}  // namespace kiln::reference
