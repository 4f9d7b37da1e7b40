// Reference kernels: activation and skip-norm fusions.
//
// Silu and SwiGlu are computed in float for 16-bit inputs (in the input type otherwise) and
// rounded once, like the other elementwise kernels. SkipNormalization rounds the residual sum
// to X's type (it is an output, and the unfused Add rounds it too) and then normalises it with
// the LayerNormalization/RMSNormalization code, statistics stashed in f32 (their default).
#include <cmath>

#include "absl/strings/str_cat.h"
#include "runtime/reference/elementwise_map.h"
#include "runtime/reference/normalization_util.h"

namespace kiln::reference {
namespace {

absl::Status NotFloat(const KernelContext& ctx, DType t) {
  return ctx.Error(absl::StrCat("input dtype ", DTypeName(t), " is not a float type"));
}

// x * sigmoid(x), with sigmoid's two branches so that exp never overflows into inf/inf.
template <typename C>
C SiluOf(C v) {
  if (v >= 0) return v / (C{1} + std::exp(-v));
  C e = std::exp(v);
  return v * e / (C{1} + e);
}

// A computed value rounded into storage type T.
template <typename T, typename C>
T Round(C v) {
  if constexpr (kIsHalfLike<T>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace

KernelResult RefSilu(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return VisitDType(x.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    if constexpr (kIsFloatLike<T>) {
      return Single(
          MapUnary<T, T>(x, [](T v) { return Round<T>(SiluOf(static_cast<ComputeType<T>>(v))); }));
    } else {
      return NotFloat(ctx, x.dtype());
    }
  });
}

KernelResult RefSwiGlu(const KernelContext& ctx) {
  const Tensor& gate = ctx.input(0);
  const Tensor& up = ctx.input(1);
  if (gate.dtype() != up.dtype()) return ctx.Error("gate and up must have the same dtype");
  return VisitDType(gate.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    if constexpr (kIsFloatLike<T>) {
      using C = ComputeType<T>;
      return Single(MapBinary<T, T, T>(ctx, gate, up, [](T g, T u) {
        return Round<T>(SiluOf(static_cast<C>(g)) * static_cast<C>(u));
      }));
    } else {
      return NotFloat(ctx, gate.dtype());
    }
  });
}

KernelResult RefSkipNormalization(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& skip = ctx.input(1);
  const std::string norm = ctx.node.attr_string("norm");
  if (norm != "layer" && norm != "rms") return ctx.Error("norm must be \"layer\" or \"rms\"");
  if (norm == "rms" && ctx.has_input(3)) return ctx.Error("an rms norm takes no bias");
  if (skip.dtype() != x.dtype()) return ctx.Error("x and skip must have the same dtype");
  absl::StatusOr<Tensor> sum = VisitDType(x.dtype(), [&](auto zero) -> absl::StatusOr<Tensor> {
    using T = decltype(zero);
    if constexpr (kIsFloatLike<T>) {
      using C = ComputeType<T>;
      return MapBinary<T, T, T>(
          ctx, x, skip, [](T a, T b) { return Round<T>(static_cast<C>(a) + static_cast<C>(b)); });
    } else {
      return NotFloat(ctx, x.dtype());
    }
  });
  if (!sum.ok()) return sum.status();
  if (sum->rank() < 1) return ctx.Error("x must have rank >= 1");
  if (ctx.input(2).rank() != 1 || (ctx.has_input(3) && ctx.input(3).rank() != 1)) {
    return ctx.Error("scale and bias must have rank 1");
  }
  NormOptions options;
  options.axis = sum->rank() - 1;
  options.epsilon = ctx.node.attr_float("epsilon");
  options.rms = norm == "rms";
  ASSIGN_OR_RETURN(std::vector<Tensor> outs,
                   NormalizeTensor(ctx, *sum, ctx.input(2),
                                   ctx.has_input(3) ? &ctx.input(3) : nullptr, options));
  if (ctx.node.num_outputs() > 1) outs.push_back(*std::move(sum));
  return outs;
}

}  // namespace kiln::reference
