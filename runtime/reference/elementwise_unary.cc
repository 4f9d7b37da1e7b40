// Reference kernels: elementwise ops with one data input. 16-bit floats are computed in
// float and rounded once to nearest even; integer Abs/Neg wrap like two's-complement
// hardware (|INT_MIN| = INT_MIN).
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/reference/activation_math.h"
#include "runtime/reference/elementwise_map.h"

namespace kiln::reference {
namespace {

absl::Status BadDType(const KernelContext& ctx, DType t) {
  return ctx.Error(absl::StrCat("input dtype ", DTypeName(t), " is not supported"));
}

// Rounds a computed value back into storage type T.
template <typename T, typename C>
T FromCompute(C v) {
  if constexpr (kIsHalfLike<T>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

// -v for signed integers without overflow: -INT_MIN wraps to INT_MIN.
template <typename T>
T WrapNeg(T v) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(U{0} - static_cast<U>(v)));
}

// y = fn(x) for float dtypes, computed in ComputeType.
template <typename Fn>
KernelResult FloatUnary(const KernelContext& ctx, Fn fn) {
  const Tensor& x = ctx.input(0);
  return VisitDType(x.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    if constexpr (kIsFloatLike<T>) {
      return Single(MapUnary<T, T>(
          x, [&](T v) { return FromCompute<T>(fn(static_cast<ComputeType<T>>(v))); }));
    } else {
      return BadDType(ctx, x.dtype());
    }
  });
}

// y = fn(x) for float and signed integer dtypes (and unsigned ones when `allow_unsigned`).
template <bool allow_unsigned, typename Fn>
KernelResult NumericUnary(const KernelContext& ctx, Fn fn) {
  const Tensor& x = ctx.input(0);
  return VisitDType(x.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    constexpr bool ok =
        kIsFloatLike<T> || (kIsIntLike<T> && (allow_unsigned || std::is_signed_v<T>));
    if constexpr (ok) {
      return Single(MapUnary<T, T>(
          x, [&](T v) { return FromCompute<T>(fn(static_cast<ComputeType<T>>(v))); }));
    } else {
      return BadDType(ctx, x.dtype());
    }
  });
}

}  // namespace

KernelResult RefAbs(const KernelContext& ctx) {
  return NumericUnary<true>(ctx, [](auto v) {
    using C = decltype(v);
    if constexpr (std::is_floating_point_v<C>) {
      return std::fabs(v);
    } else if constexpr (std::is_signed_v<C>) {
      return v < 0 ? WrapNeg(v) : v;
    } else {
      return v;
    }
  });
}

KernelResult RefNeg(const KernelContext& ctx) {
  return NumericUnary<false>(ctx, [](auto v) {
    if constexpr (std::is_floating_point_v<decltype(v)>) {
      return -v;
    } else {
      return WrapNeg(v);
    }
  });
}

KernelResult RefRelu(const KernelContext& ctx) {
  return NumericUnary<false>(ctx, [](auto v) { return ReluOf(v); });
}

KernelResult RefExp(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::exp(v); });
}

KernelResult RefLog(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::log(v); });
}

KernelResult RefSqrt(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::sqrt(v); });
}

KernelResult RefReciprocal(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return decltype(v){1} / v; });
}

KernelResult RefSin(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::sin(v); });
}

KernelResult RefCos(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::cos(v); });
}

KernelResult RefTanh(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::tanh(v); });
}

KernelResult RefSigmoid(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return SigmoidOf(v); });
}

KernelResult RefErf(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::erf(v); });
}

KernelResult RefFloor(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::floor(v); });
}

KernelResult RefCeil(const KernelContext& ctx) {
  return FloatUnary(ctx, [](auto v) { return std::ceil(v); });
}

KernelResult RefGelu(const KernelContext& ctx) {
  std::string approximate = ctx.node.attr_string("approximate");
  if (approximate == "none") {
    return FloatUnary(ctx, [](auto v) { return GeluErfOf(v); });
  }
  if (approximate == "tanh") {
    return FloatUnary(ctx, [](auto v) { return GeluTanhOf(v); });
  }
  return ctx.Error(absl::StrCat("approximate must be 'none' or 'tanh', got '", approximate, "'"));
}

KernelResult RefNot(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kBool) return BadDType(ctx, x.dtype());
  return Single(MapUnary<bool, bool>(x, [](bool v) { return !v; }));
}

KernelResult RefIdentity(const KernelContext& ctx) {
  // Tensors are immutable once computed, so the output shares the input's buffer.
  return std::vector<Tensor>{ctx.input(0)};
}

KernelResult RefIsNaN(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return VisitDType(x.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    if constexpr (kIsFloatLike<T>) {
      return Single(MapUnary<bool, T>(
          x, [](T v) { return std::isnan(static_cast<ComputeType<T>>(v)); }));
    } else {
      return BadDType(ctx, x.dtype());
    }
  });
}

KernelResult RefClip(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  for (int i = 1; i <= 2; ++i) {
    if (!ctx.has_input(i)) continue;
    if (ctx.input(i).dtype() != x.dtype() || ctx.input(i).num_elements() != 1) {
      return ctx.Error(absl::StrCat(i == 1 ? "min" : "max", " must be one ", DTypeName(x.dtype()),
                                    " value, got ", ctx.input(i).TypeString()));
    }
  }
  return VisitDType(x.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool>) {
      return BadDType(ctx, x.dtype());
    } else {
      using C = ComputeType<T>;
      using Lim = std::numeric_limits<C>;
      // Infinite bounds for floats, so that +-inf inputs pass through an absent bound.
      C lo = Lim::has_infinity ? -Lim::infinity() : Lim::lowest();
      C hi = Lim::has_infinity ? Lim::infinity() : Lim::max();
      if (ctx.has_input(1)) lo = static_cast<C>(ctx.input(1).data<T>()[0]);
      if (ctx.has_input(2)) hi = static_cast<C>(ctx.input(2).data<T>()[0]);
      // Applying max last makes min > max give max everywhere, as ONNX specifies; NaN stays.
      return Single(MapUnary<T, T>(x, [&](T v) {
        C c = static_cast<C>(v);
        if (c < lo) c = lo;
        if (c > hi) c = hi;
        return FromCompute<T>(c);
      }));
    }
  });
}

}  // namespace kiln::reference
