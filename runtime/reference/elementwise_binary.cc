// Reference kernels: arithmetic, logic and comparison with numpy broadcasting. Integer
// arithmetic wraps (computed in unsigned types, so overflow is defined); integer division
// truncates toward zero and division (or Mod) by zero is an error. Float Max/Min propagate NaN.
// Mod follows numpy: fmod=0 takes the divisor's sign (integers only), fmod=1 the dividend's.
#include <cmath>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "runtime/reference/elementwise_map.h"

namespace kiln::reference {
namespace {

enum class Arith { kAdd, kSub, kMul, kDiv, kMax, kMin };
enum class Cmp { kEq, kLt, kLe, kGt, kGe };

// Unsigned type for wrapping arithmetic on T; at least 32 bits, so that narrow operands are
// not promoted to signed int (where uint16 * uint16 could overflow).
template <typename T>
using WrapType = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;

template <Arith op, typename T>
T ApplyInt(T a, T b, bool* div_by_zero) {
  using W = WrapType<T>;
  if constexpr (op == Arith::kAdd) return static_cast<T>(static_cast<W>(a) + static_cast<W>(b));
  if constexpr (op == Arith::kSub) return static_cast<T>(static_cast<W>(a) - static_cast<W>(b));
  if constexpr (op == Arith::kMul) return static_cast<T>(static_cast<W>(a) * static_cast<W>(b));
  if constexpr (op == Arith::kMax) return a < b ? b : a;
  if constexpr (op == Arith::kMin) return b < a ? b : a;
  if constexpr (op == Arith::kDiv) {
    if (b == 0) {
      *div_by_zero = true;
      return T{0};
    }
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return static_cast<T>(W{0} - static_cast<W>(a));  // INT_MIN / -1 wraps.
    }
    return static_cast<T>(a / b);  // C++ division truncates toward zero.
  }
}

template <Arith op, typename C>
C ApplyFloat(C a, C b) {
  if constexpr (op == Arith::kAdd) return a + b;
  if constexpr (op == Arith::kSub) return a - b;
  if constexpr (op == Arith::kMul) return a * b;
  if constexpr (op == Arith::kDiv) return a / b;
  if constexpr (op == Arith::kMax || op == Arith::kMin) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
    if constexpr (op == Arith::kMax) return a < b ? b : a;
    if constexpr (op == Arith::kMin) return b < a ? b : a;
  }
}

absl::Status CheckSameDType(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (a.dtype() == b.dtype()) return absl::OkStatus();
  return ctx.Error(absl::StrCat("operands have different dtypes ", DTypeName(a.dtype()), " and ",
                                DTypeName(b.dtype())));
}

template <Arith op>
absl::StatusOr<Tensor> ArithTensors(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  RETURN_IF_ERROR(CheckSameDType(ctx, a, b));
  return VisitDType(a.dtype(), [&](auto zero) -> absl::StatusOr<Tensor> {
    using T = decltype(zero);
    if constexpr (kIsIntLike<T>) {
      bool div_by_zero = false;
      auto fn = [&](T x, T y) { return ApplyInt<op>(x, y, &div_by_zero); };
      absl::StatusOr<Tensor> out = MapBinary<T, T, T>(ctx, a, b, fn);
      if (out.ok() && div_by_zero) return ctx.Error("integer division by zero");
      return out;
    } else if constexpr (kIsFloatLike<T>) {
      using C = ComputeType<T>;
      return MapBinary<T, T, T>(ctx, a, b, [](T x, T y) {
        return ConvertValue<T>(ApplyFloat<op>(static_cast<C>(x), static_cast<C>(y)));
      });
    } else {
      return ctx.Error("arithmetic on bool tensors is not defined");
    }
  });
}

template <Arith op>
KernelResult ArithKernel(const KernelContext& ctx) {
  // Max and Min are variadic: fold left, broadcasting as we go (broadcasting is associative).
  Tensor acc = ctx.input(0);
  for (int i = 1; i < static_cast<int>(ctx.inputs.size()); ++i) {
    if (!ctx.has_input(i)) return ctx.Error(absl::StrCat("input ", i, " is missing"));
    ASSIGN_OR_RETURN(acc, ArithTensors<op>(ctx, acc, ctx.input(i)));
  }
  return std::vector<Tensor>{std::move(acc)};
}

template <Cmp op, typename C>
bool ApplyCmp(C a, C b) {
  if constexpr (op == Cmp::kEq) return a == b;
  if constexpr (op == Cmp::kLt) return a < b;
  if constexpr (op == Cmp::kLe) return a <= b;
  if constexpr (op == Cmp::kGt) return a > b;
  if constexpr (op == Cmp::kGe) return a >= b;
}

template <Cmp op>
KernelResult CompareKernel(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  RETURN_IF_ERROR(CheckSameDType(ctx, a, b));
  return VisitDType(a.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool> && op != Cmp::kEq) {
      return ctx.Error("ordering comparison of bool tensors is not defined");
    } else {
      using C = ComputeType<T>;
      return Single(MapBinary<bool, T, T>(ctx, a, b, [](T x, T y) {
        return ApplyCmp<op>(static_cast<C>(x), static_cast<C>(y));
      }));
    }
  });
}

template <bool is_and>
KernelResult LogicKernel(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != DType::kBool || b.dtype() != DType::kBool) {
    return ctx.Error("operands must be bool");
  }
  return Single(MapBinary<bool, bool, bool>(
      ctx, a, b, [](bool x, bool y) { return is_and ? (x && y) : (x || y); }));
}

// a mod b with the sign of b (Python's %), or of a when `c_style` (C's fmod).
template <typename T>
T IntMod(T a, T b, bool c_style, bool* by_zero) {
  if (b == 0) {
    *by_zero = true;
    return T{0};
  }
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return T{0};  // INT_MIN % -1 overflows in C++.
    T r = static_cast<T>(a % b);
    // r and b have opposite signs here, so r + b cannot overflow.
    if (!c_style && r != 0 && (r < 0) != (b < 0)) r = static_cast<T>(r + b);
    return r;
  } else {
    return static_cast<T>(a % b);
  }
}

template <typename T>
absl::StatusOr<Tensor> ModTyped(const KernelContext& ctx, const Tensor& a, const Tensor& b,
                                bool c_style) {
  if constexpr (kIsIntLike<T>) {
    bool by_zero = false;
    auto fn = [&](T x, T y) { return IntMod(x, y, c_style, &by_zero); };
    absl::StatusOr<Tensor> out = MapBinary<T, T, T>(ctx, a, b, fn);
    if (out.ok() && by_zero) return ctx.Error("integer modulo by zero");
    return out;
  } else if constexpr (kIsFloatLike<T>) {
    if (!c_style) return ctx.Error("fmod must be 1 for float inputs");
    using C = ComputeType<T>;
    // fmod is exact, so computing 16-bit floats in float rounds nothing.
    return MapBinary<T, T, T>(ctx, a, b, [](T x, T y) {
      return ConvertValue<T>(std::fmod(static_cast<C>(x), static_cast<C>(y)));
    });
  } else {
    return ctx.Error("Mod on bool tensors is not defined");
  }
}

// x^y for integers by repeated squaring, wrapping like multiplication. A negative exponent
// gives the truncated value of 1/x^|y| (0 unless |x| == 1); 0 to a negative power is an error.
template <typename T, typename E>
T IntPow(T x, E y, bool* zero_to_negative) {
  if constexpr (std::is_signed_v<E>) {
    if (y < 0) {
      if (x == 0) *zero_to_negative = true;
      if (x == 1) return T{1};
      if (x == -1) return (y % 2 == 0) ? T{1} : T{-1};
      return T{0};
    }
  }
  using W = WrapType<T>;
  W result = 1, base = static_cast<W>(x);
  for (uint64_t e = static_cast<uint64_t>(y); e != 0; e >>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return static_cast<T>(result);
}

// Pow with base storage type T and exponent storage type E; the result has type T.
template <typename T, typename E>
absl::StatusOr<Tensor> PowTyped(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if constexpr (kIsIntLike<T> && kIsIntLike<E>) {
    bool bad = false;
    auto fn = [&](T x, E y) { return IntPow(x, y, &bad); };
    absl::StatusOr<Tensor> out = MapBinary<T, T, E>(ctx, a, b, fn);
    if (out.ok() && bad) return ctx.Error("integer 0 raised to a negative power");
    return out;
  } else {
    // Computed in double and rounded once into T (float to integer truncates, as numpy's
    // astype does).
    return MapBinary<T, T, E>(ctx, a, b, [](T x, E y) {
      return ConvertValue<T>(std::pow(ConvertValue<double>(x), ConvertValue<double>(y)));
    });
  }
}

}  // namespace

KernelResult RefAdd(const KernelContext& ctx) { return ArithKernel<Arith::kAdd>(ctx); }
KernelResult RefSub(const KernelContext& ctx) { return ArithKernel<Arith::kSub>(ctx); }
KernelResult RefMul(const KernelContext& ctx) { return ArithKernel<Arith::kMul>(ctx); }
KernelResult RefDiv(const KernelContext& ctx) { return ArithKernel<Arith::kDiv>(ctx); }
KernelResult RefMax(const KernelContext& ctx) { return ArithKernel<Arith::kMax>(ctx); }
KernelResult RefMin(const KernelContext& ctx) { return ArithKernel<Arith::kMin>(ctx); }

KernelResult RefMod(const KernelContext& ctx) {
  if (!ctx.has_input(1)) return ctx.Error("input 1 is missing");
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  RETURN_IF_ERROR(CheckSameDType(ctx, a, b));
  int64_t fmod = ctx.node.attr_int("fmod");
  if (fmod != 0 && fmod != 1) return ctx.Error(absl::StrCat("fmod must be 0 or 1, got ", fmod));
  return VisitDType(a.dtype(), [&](auto zero) -> KernelResult {
    return Single(ModTyped<decltype(zero)>(ctx, a, b, fmod == 1));
  });
}

KernelResult RefPow(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  return VisitDType(a.dtype(), [&](auto base) -> KernelResult {
    using T = decltype(base);
    constexpr bool base_ok =
        kIsFloatLike<T> || std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>;
    if constexpr (!base_ok) {
      return ctx.Error(absl::StrCat("base dtype ", DTypeName(a.dtype()), " is not supported"));
    } else {
      return VisitDType(b.dtype(), [&](auto exponent) -> KernelResult {
        using E = decltype(exponent);
        if constexpr (std::is_same_v<E, bool>) {
          return ctx.Error("exponent dtype bool is not supported");
        } else {
          return Single(PowTyped<T, E>(ctx, a, b));
        }
      });
    }
  });
}

KernelResult RefAnd(const KernelContext& ctx) { return LogicKernel<true>(ctx); }
KernelResult RefOr(const KernelContext& ctx) { return LogicKernel<false>(ctx); }

KernelResult RefEqual(const KernelContext& ctx) { return CompareKernel<Cmp::kEq>(ctx); }
KernelResult RefLess(const KernelContext& ctx) { return CompareKernel<Cmp::kLt>(ctx); }
KernelResult RefLessOrEqual(const KernelContext& ctx) { return CompareKernel<Cmp::kLe>(ctx); }
KernelResult RefGreater(const KernelContext& ctx) { return CompareKernel<Cmp::kGt>(ctx); }
KernelResult RefGreaterOrEqual(const KernelContext& ctx) { return CompareKernel<Cmp::kGe>(ctx); }

KernelResult RefWhere(const KernelContext& ctx) {
  const Tensor& cond = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  if (cond.dtype() != DType::kBool) return ctx.Error("condition must be bool");
  RETURN_IF_ERROR(CheckSameDType(ctx, x, y));
  return VisitDType(x.dtype(), [&](auto zero) -> KernelResult {
    using T = decltype(zero);
    return Single(MapTernary<T, bool, T, T>(ctx, cond, x, y,
                                            [](bool c, T a, T b) { return c ? a : b; }));
  });
}

}  // namespace kiln::reference
