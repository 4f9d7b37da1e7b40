// Helpers shared by the reference kernels of reductions, softmax, normalisations, CumSum and
// TopK: accumulator types, NaN-aware comparisons, and views of a tensor around one axis.
#ifndef KILN_RUNTIME_REFERENCE_REDUCTION_UTIL_H_
#define KILN_RUNTIME_REFERENCE_REDUCTION_UTIL_H_

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "runtime/reference/kernel.h"

namespace kiln::reference {

template <typename T>
inline constexpr bool kIsHalfLike = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

template <typename T>
inline constexpr bool kIsFloatLike = kIsHalfLike<T> || std::is_floating_point_v<T>;

// The type sums of T are accumulated in: float for 16-bit floats (as the GPU kernels do),
// double for f32/f64, and 64-bit integers (wrapping like T's own arithmetic) otherwise.
template <typename T>
using AccumOf = std::conditional_t<
    kIsHalfLike<T>, float,
    std::conditional_t<std::is_floating_point_v<T>, double,
                       std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>>;

// The plain C++ value of an element (16-bit floats widen to float).
template <typename T>
auto Widen(T v) {
  if constexpr (kIsHalfLike<T>) {
    return static_cast<float>(v);
  } else {
    return v;
  }
}

// Converts an accumulator or computed value back to T (16-bit floats round to nearest).
template <typename T, typename A>
T Narrow(A v) {
  if constexpr (kIsHalfLike<T>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

template <typename T>
bool IsNaNValue(T v) {
  if constexpr (kIsFloatLike<T>) {
    return std::isnan(static_cast<double>(Widen(v)));
  } else {
    return false;
  }
}

// a > b with NaN above everything (numpy's argmax and sort order); NaNs compare equal.
template <typename T>
bool GreaterNaNHigh(T a, T b) {
  if (IsNaNValue(a)) return !IsNaNValue(b);
  if (IsNaNValue(b)) return false;
  return Widen(a) > Widen(b);
}

// A tensor viewed as [outer, len, inner] around one axis.
struct AxisView {
  int64_t outer = 1, len = 1, inner = 1;
  // Flat index of element `k` along the axis in row `o`, column `i`.
  int64_t At(int64_t o, int64_t k, int64_t i) const { return (o * len + k) * inner + i; }
};

AxisView ViewAround(const std::vector<int64_t>& shape, int64_t axis);

// Maps a possibly negative axis into [0, rank), or fails naming the node.
absl::StatusOr<int64_t> RuntimeAxis(const KernelContext& ctx, int64_t axis, int64_t rank);

// Walks a tensor of shape `target` in row-major order and tracks the flat index of an operand
// of shape `operand` broadcast to it (numpy rules; the caller checked compatibility).
class BroadcastCursor {
 public:
  BroadcastCursor(const std::vector<int64_t>& target, const std::vector<int64_t>& operand);
  int64_t index() const { return index_; }
  // Moves to the next element of `target`.
  void Next();

 private:
  std::vector<int64_t> dims_, strides_, coord_;
  int64_t index_ = 0;
};

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_REDUCTION_UTIL_H_
