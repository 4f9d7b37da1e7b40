// Helpers shared by the contraction kernels: the accumulation type of each dtype, conversions
// into and out of it, a cache-blocked GEMM, and numpy batch broadcasting.
#ifndef KILN_RUNTIME_REFERENCE_CONTRACTION_UTIL_H_
#define KILN_RUNTIME_REFERENCE_CONTRACTION_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/dtype.h"
#include "ir/status_macros.h"
#include "ir/tensor.h"

namespace kiln::reference {

// Products are accumulated in float for 16-bit floats (and f32), double for f64, and in
// wrapping 64-bit unsigned arithmetic for integers (truncated back, numpy's overflow result).
template <typename T>
struct AccOf {
  using type = std::conditional_t<std::is_integral_v<T>, uint64_t, float>;
};
template <>
struct AccOf<double> {
  using type = double;
};
template <typename T>
using Acc = typename AccOf<T>::type;

template <typename T>
Acc<T> ToAcc(T x) {
  return static_cast<Acc<T>>(x);
}

template <typename T, typename A>
T FromAcc(A x) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T(static_cast<float>(x));
  } else {
    return static_cast<T>(x);
  }
}

// The elements of `t` (dtype T) in the accumulation type.
template <typename T>
std::vector<Acc<T>> ToAccVector(const Tensor& t) {
  const T* p = t.data<T>();
  std::vector<Acc<T>> out(static_cast<size_t>(t.num_elements()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = ToAcc(p[i]);
  return out;
}

// A read-only view of `t` in the accumulation type: the tensor's own buffer when T already is
// that type, else a converted copy kept in `storage`.
template <typename T>
const Acc<T>* AccView(const Tensor& t, std::vector<Acc<T>>& storage) {
  if constexpr (std::is_same_v<T, Acc<T>>) {
    return t.data<T>();
  } else {
    storage = ToAccVector<T>(t);
    return storage.data();
  }
}

// A tensor of dtype T and `shape` from accumulated values.
template <typename T, typename A>
absl::StatusOr<Tensor> TensorFromAcc(std::vector<int64_t> shape, absl::Span<const A> values) {
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(DTypeOf<T>::value, std::move(shape)));
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = FromAcc<T>(values[i]);
  return t;
}

// c[m, n] += a[m, k] * b[k, n] (row-major, contiguous). Loops i-k-j over blocks of B small
// enough to stay in cache, four rows of A at a time so each loaded element of B is used four
// times; the inner loop streams rows of B and C and vectorises.
template <typename A>
void GemmAccumulate(const A* a, const A* b, A* c, int64_t m, int64_t k, int64_t n) {
  constexpr int64_t kBlockK = 128, kBlockN = 512;
  for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
    const int64_t k1 = std::min(k, k0 + kBlockK);
    for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
      const int64_t j1 = std::min(n, j0 + kBlockN);
      int64_t i = 0;
      for (; i + 4 <= m; i += 4) {
        A* c0 = c + i * n;
        A* c1 = c0 + n;
        A* c2 = c1 + n;
        A* c3 = c2 + n;
        for (int64_t kk = k0; kk < k1; ++kk) {
          const A a0 = a[i * k + kk], a1 = a[(i + 1) * k + kk];
          const A a2 = a[(i + 2) * k + kk], a3 = a[(i + 3) * k + kk];
          const A* b_row = b + kk * n;
          for (int64_t j = j0; j < j1; ++j) {
            const A bj = b_row[j];
            c0[j] += a0 * bj;
            c1[j] += a1 * bj;
            c2[j] += a2 * bj;
            c3[j] += a3 * bj;
          }
        }
      }
      for (; i < m; ++i) {
        A* c_row = c + i * n;
        for (int64_t kk = k0; kk < k1; ++kk) {
          const A a_ik = a[i * k + kk];
          const A* b_row = b + kk * n;
          for (int64_t j = j0; j < j1; ++j) c_row[j] += a_ik * b_row[j];
        }
      }
    }
  }
}

// The element count of `dims`, or an error when it overflows or a buffer of that many
// `elem_size`-byte elements would pass kMaxTensorBytes (bad input must not exhaust memory).
absl::StatusOr<int64_t> CheckedElementCount(const std::vector<int64_t>& dims, size_t elem_size);

// Broadcasts two batch shapes (numpy rules); fails when a pair of dims is incompatible.
absl::StatusOr<std::vector<int64_t>> BroadcastBatch(const std::vector<int64_t>& a,
                                                    const std::vector<int64_t>& b);
// For each index of `out` (row-major), the row-major index into `in`, which broadcasts to it
// (right-aligned, size-1 dims repeat).
std::vector<int64_t> BroadcastIndices(const std::vector<int64_t>& out,
                                      const std::vector<int64_t>& in);

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_CONTRACTION_UTIL_H_
