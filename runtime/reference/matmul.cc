// Reference kernels: MatMul (numpy semantics, batched and broadcast) and Gemm.
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/reference/contraction_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

bool IsMatMulDType(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kF64:
    case DType::kI32:
    case DType::kI64:
    case DType::kU32:
    case DType::kU64:
      return true;
    default:
      return false;
  }
}

// A batched product: out[b] = a[a_index[b]] @ b[b_index[b]], matrices of [m,k] and [k,n].
template <typename T>
absl::StatusOr<Tensor> BatchedMatMul(const Tensor& a, const Tensor& b,
                                     const std::vector<int64_t>& a_index,
                                     const std::vector<int64_t>& b_index, int64_t m, int64_t k,
                                     int64_t n, std::vector<int64_t> out_shape) {
  using A = Acc<T>;
  std::vector<A> a_store, b_store;
  const A* pa = AccView<T>(a, a_store);
  const A* pb = AccView<T>(b, b_store);
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DTypeOf<T>::value, std::move(out_shape)));
  std::vector<A> c(static_cast<size_t>(m * n));
  T* po = out.data<T>();
  for (size_t i = 0; i < a_index.size(); ++i) {
    std::fill(c.begin(), c.end(), A{0});
    GemmAccumulate(pa + a_index[i] * m * k, pb + b_index[i] * k * n, c.data(), m, k, n);
    for (int64_t j = 0; j < m * n; ++j) po[i * m * n + j] = FromAcc<T>(c[j]);
  }
  return out;
}

}  // namespace

KernelResult RefMatMul(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!IsMatMulDType(a.dtype()) || a.dtype() != b.dtype() || a.rank() < 1 || b.rank() < 1) {
    return ctx.Error(absl::StrCat("cannot multiply ", a.TypeString(), " by ", b.TypeString()));
  }
  std::vector<int64_t> as = a.shape(), bs = b.shape();
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k) {
    return ctx.Error(
        absl::StrCat("inner dimensions differ: ", a.TypeString(), " @ ", b.TypeString()));
  }
  std::vector<int64_t> a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  auto batch = BroadcastBatch(a_batch, b_batch);
  if (!batch.ok()) return ctx.Error(batch.status().message());
  std::vector<int64_t> out_shape = *batch;
  if (!a_vec) out_shape.push_back(m);
  if (!b_vec) out_shape.push_back(n);
  // Bounds the batch count too, before the index tables below are built.
  ASSIGN_OR_RETURN(int64_t count, CheckedElementCount(out_shape, DTypeSize(a.dtype())));
  if (count == 0) {
    ASSIGN_OR_RETURN(Tensor empty, Tensor::Zeros(a.dtype(), out_shape));
    return std::vector<Tensor>{std::move(empty)};
  }
  std::vector<int64_t> a_index = BroadcastIndices(*batch, a_batch);
  std::vector<int64_t> b_index = BroadcastIndices(*batch, b_batch);
  absl::StatusOr<Tensor> out = VisitDType(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return BatchedMatMul<T>(a, b, a_index, b_index, m, k, n, out_shape);
  });
  if (!out.ok()) return out.status();
  return std::vector<Tensor>{*std::move(out)};
}

namespace {

// `t` (2-D, [r, c]) in the accumulation type, transposed when asked.
template <typename T>
std::vector<Acc<T>> Matrix(const Tensor& t, bool transpose) {
  const int64_t r = t.shape()[0], c = t.shape()[1];
  const T* p = t.data<T>();
  std::vector<Acc<T>> out(static_cast<size_t>(r * c));
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      out[transpose ? j * r + i : i * c + j] = ToAcc(p[i * c + j]);
    }
  }
  return out;
}

// Integer results scaled by float alpha/beta go through double and truncate, as numpy's
// astype does; out-of-range values saturate instead of being undefined.
template <typename T>
T TruncateToInt(double v) {
  if (std::isnan(v)) return T{0};
  if (v <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

template <typename T>
absl::StatusOr<Tensor> GemmTyped(const KernelContext& ctx, int64_t m, int64_t k, int64_t n) {
  using A = Acc<T>;
  const bool trans_a = ctx.node.attr_int("transA") != 0;
  const bool trans_b = ctx.node.attr_int("transB") != 0;
  const float alpha = ctx.node.attr_float("alpha"), beta = ctx.node.attr_float("beta");
  std::vector<A> a = Matrix<T>(ctx.input(0), trans_a), b = Matrix<T>(ctx.input(1), trans_b);
  std::vector<A> prod(static_cast<size_t>(m * n), A{0});
  GemmAccumulate(a.data(), b.data(), prod.data(), m, k, n);
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DTypeOf<T>::value, {m, n}));
  T* po = out.data<T>();
  const bool with_c = ctx.has_input(2) && beta != 0;
  std::vector<int64_t> c_index;
  if (with_c) c_index = BroadcastIndices({m, n}, ctx.input(2).shape());
  const T* pc = with_c ? ctx.input(2).data<T>() : nullptr;
  for (int64_t i = 0; i < m * n; ++i) {
    if constexpr (std::is_integral_v<T>) {
      if (alpha == 1 && (!with_c || beta == 1)) {
        po[i] = FromAcc<T>(prod[i] + (with_c ? ToAcc(pc[c_index[i]]) : A{0}));
      } else {
        double v = static_cast<double>(static_cast<T>(prod[i])) * alpha;
        if (with_c) v += static_cast<double>(pc[c_index[i]]) * beta;
        po[i] = TruncateToInt<T>(v);
      }
    } else {
      A v = prod[i] * static_cast<A>(alpha);
      if (with_c) v += ToAcc(pc[c_index[i]]) * static_cast<A>(beta);
      po[i] = FromAcc<T>(v);
    }
  }
  return out;
}

}  // namespace

KernelResult RefGemm(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!IsMatMulDType(a.dtype()) || a.dtype() != b.dtype() || a.rank() != 2 || b.rank() != 2) {
    return ctx.Error(
        absl::StrCat("Gemm needs two 2-D matrices, got ", a.TypeString(), " and ", b.TypeString()));
  }
  const bool trans_a = ctx.node.attr_int("transA") != 0;
  const bool trans_b = ctx.node.attr_int("transB") != 0;
  const int64_t m = a.shape()[trans_a ? 1 : 0], k = a.shape()[trans_a ? 0 : 1];
  const int64_t kb = b.shape()[trans_b ? 1 : 0], n = b.shape()[trans_b ? 0 : 1];
  if (k != kb) return ctx.Error(absl::StrCat("inner dimensions differ: ", k, " vs ", kb));
  if (ctx.has_input(2)) {
    const Tensor& c = ctx.input(2);
    bool ok = c.dtype() == a.dtype() && c.rank() <= 2;
    const int64_t target[2] = {m, n};
    for (int64_t i = 0; ok && i < c.rank(); ++i) {
      int64_t d = c.shape()[i];
      ok = d == 1 || d == target[2 - c.rank() + i];
    }
    if (!ok) {
      return ctx.Error(
          absl::StrCat("C ", c.TypeString(), " does not broadcast to [", m, ",", n, "]"));
    }
  }
  absl::StatusOr<Tensor> out = VisitDType(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return GemmTyped<T>(ctx, m, k, n);
  });
  if (!out.ok()) return out.status();
  return std::vector<Tensor>{*std::move(out)};
}

}  // namespace kiln::reference
