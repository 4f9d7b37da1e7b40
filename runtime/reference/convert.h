// Scalar conversions between Kiln element types with the semantics of ONNX Cast: floats
// round to nearest even in one step (no double rounding through an intermediate type),
// fixed point wraps, bool is `!= 0`. Out-of-range float -> integer (undefined in ONNX)
// saturates, and NaN becomes 0, so that no conversion is undefined behaviour in C++.
#ifndef KILN_RUNTIME_REFERENCE_CONVERT_H_
#define KILN_RUNTIME_REFERENCE_CONVERT_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ir/dtype.h"

namespace kiln::reference {

template <typename T>
inline constexpr bool kIsHalfLike = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <typename T>
inline constexpr bool kIsFloatLike = std::is_floating_point_v<T> || kIsHalfLike<T>;
template <typename T>
inline constexpr bool kIsIntLike = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// The type arithmetic on T is done in: float for the 16-bit floats, T itself otherwise.
template <typename T>
using ComputeType = std::conditional_t<kIsHalfLike<T>, float, T>;

// `v` rounded to double, to odd: truncated, with the last bit set when inexact. Rounding that
// to a format at least 2 bits narrower equals rounding `v` directly.
double IntToDoubleRoundOdd(int64_t v);
double UintToDoubleRoundOdd(uint64_t v);
// `v` rounded to float, to odd (NaN and infinities unchanged).
float DoubleToFloatRoundOdd(double v);

// Truncates toward zero into integer type T; NaN -> 0, out of range saturates.
template <typename T>
T FloatToInt(double v) {
  if (std::isnan(v)) return T{0};
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) {
    return std::numeric_limits<T>::lowest();
  }
  // max() as double rounds up to a power of two for 64-bit types, so `>=` is exact.
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) {
    return std::numeric_limits<T>::max();
  }
  return static_cast<T>(v);
}

// Converts one value from storage type From to storage type To.
template <typename To, typename From>
To ConvertValue(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (kIsHalfLike<From>) {
      return static_cast<float>(v) != 0.0f;
    } else {
      return v != From{0};
    }
  } else if constexpr (std::is_same_v<From, bool>) {
    if constexpr (kIsHalfLike<To>) {
      return To(v ? 1.0f : 0.0f);
    } else {
      return static_cast<To>(v ? 1 : 0);
    }
  } else if constexpr (kIsIntLike<To>) {
    if constexpr (kIsIntLike<From>) {
      return static_cast<To>(v);  // Two's-complement wrap (defined since C++20).
    } else {
      return FloatToInt<To>(static_cast<double>(static_cast<ComputeType<From>>(v)));
    }
  } else if constexpr (!kIsHalfLike<To>) {  // float or double.
    if constexpr (kIsHalfLike<From>) {
      return static_cast<To>(static_cast<float>(v));
    } else {
      return static_cast<To>(v);  // One correctly rounded hardware conversion.
    }
  } else if constexpr (kIsHalfLike<From> || std::is_same_v<From, float>) {
    return To(static_cast<float>(v));  // Exact into float, then one rounding.
  } else if constexpr (std::is_same_v<From, double>) {
    return To(DoubleToFloatRoundOdd(v));
  } else if constexpr (std::is_signed_v<From>) {
    return To(DoubleToFloatRoundOdd(IntToDoubleRoundOdd(v)));
  } else {
    return To(DoubleToFloatRoundOdd(UintToDoubleRoundOdd(v)));
  }
}

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_CONVERT_H_
