// Reference kernels: ops that make tensors from shapes or scalars (Shape, Size, Constant,
// ConstantOfShape, Range) and Trilu.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/reference/shape_util.h"

namespace kiln::reference {

KernelResult RefShape(const KernelContext& ctx) {
  const std::vector<int64_t>& dims = ctx.input(0).shape();
  int64_t rank = ctx.input(0).rank();
  auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  int64_t start = clamp(ctx.node.attr_int("start"));
  int64_t end = clamp(ctx.node.attr_int_opt("end").value_or(rank));
  std::vector<int64_t> vals;
  for (int64_t i = start; i < end; ++i) vals.push_back(dims[i]);
  int64_t n = static_cast<int64_t>(vals.size());
  return One(Tensor::FromVector<int64_t>(vals, {n}));
}

KernelResult RefSize(const KernelContext& ctx) {
  return One(Tensor::Scalar<int64_t>(ctx.input(0).num_elements()));
}

KernelResult RefConstant(const KernelContext& ctx) {
  const Tensor* t = ctx.node.attrs().FindAs<Tensor>("value");
  if (t == nullptr) return ctx.Error("attribute 'value' is missing");
  return One(*t);
}

KernelResult RefConstantOfShape(const KernelContext& ctx) {
  std::vector<int64_t> shape = ReadInts(ctx.input(0));
  for (int64_t d : shape) {
    if (d < 0) return ctx.Error(absl::StrCat("shape has negative dimension ", d));
  }
  const Tensor* value = ctx.node.attrs().FindAs<Tensor>("value");
  DType dtype = value ? value->dtype() : DType::kF32;
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, dtype, shape));
  if (value != nullptr) {
    if (value->num_elements() != 1) return ctx.Error("value must hold one element");
    const size_t es = DTypeSize(dtype);
    auto* dst = static_cast<uint8_t*>(out.raw_data());
    for (int64_t i = 0; i < out.num_elements(); ++i) std::memcpy(dst + i * es, value->raw_data(), es);
  }
  return One(std::move(out));
}

namespace {

// Elements of an integer range, with exact arithmetic (no overflow on extreme bounds).
absl::StatusOr<int64_t> IntRangeCount(const KernelContext& ctx, int64_t start, int64_t limit,
                                      int64_t delta) {
  if (delta == 0) return ctx.Error("delta must not be zero");
  __int128 span = static_cast<__int128>(limit) - start;
  __int128 step = delta;
  if ((span > 0) != (step > 0) || span == 0) return 0;
  if (span < 0) {
    span = -span;
    step = -step;
  }
  __int128 n = (span + step - 1) / step;
  if (n > (int64_t{1} << 40)) return ctx.Error("range has too many elements");
  return static_cast<int64_t>(n);
}

}  // namespace

KernelResult RefRange(const KernelContext& ctx) {
  DType dtype = ctx.input(0).dtype();
  for (int i = 0; i < 3; ++i) {
    if (ctx.input(i).num_elements() != 1) return ctx.Error("inputs must be scalars");
  }
  if (IsInteger(dtype)) {
    int64_t start = ctx.input(0).GetAsInt(0), delta = ctx.input(2).GetAsInt(0);
    ASSIGN_OR_RETURN(int64_t n, IntRangeCount(ctx, start, ctx.input(1).GetAsInt(0), delta));
    ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, dtype, {n}));
    VisitDType(dtype, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_integral_v<T>) {
        for (int64_t i = 0; i < n; ++i) {
          out.data<T>()[i] = static_cast<T>(start + static_cast<__int128>(i) * delta);
        }
      }
    });
    return One(std::move(out));
  }
  // Floats: the count as numpy.arange computes it (in double); the elements in double, or
  // in float for 16-bit types with stash_type 1 (float).
  double start = ctx.input(0).GetAsDouble(0), limit = ctx.input(1).GetAsDouble(0);
  double delta = ctx.input(2).GetAsDouble(0);
  if (delta == 0) return ctx.Error("delta must not be zero");
  double count = std::ceil((limit - start) / delta);
  if (!std::isfinite(count) || count > static_cast<double>(int64_t{1} << 40)) {
    return ctx.Error("range has too many elements");
  }
  int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, dtype, {n}));
  VisitDType(dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, double>) {
      for (int64_t i = 0; i < n; ++i) out.data<T>()[i] = start + i * delta;
    } else if constexpr (std::is_same_v<T, float>) {
      for (int64_t i = 0; i < n; ++i) out.data<T>()[i] = static_cast<float>(start + i * delta);
    } else if constexpr (!std::is_integral_v<T>) {
      bool in_float = ctx.node.attr_int("stash_type") == 1;
      for (int64_t i = 0; i < n; ++i) {
        float fs = static_cast<float>(start), fd = static_cast<float>(delta);
        float v = in_float ? fs + static_cast<float>(i) * fd : static_cast<float>(start + i * delta);
        out.data<T>()[i] = T(v);
      }
    }
  });
  return One(std::move(out));
}

KernelResult RefTrilu(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.Error("input must have rank >= 2");
  int64_t k = 0;
  if (ctx.has_input(1)) {
    if (ctx.input(1).num_elements() != 1) return ctx.Error("k must be a scalar");
    k = ctx.input(1).GetAsInt(0);
  }
  bool upper = ctx.node.attr_int("upper") != 0;
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), x.shape()));
  int64_t rows = x.shape()[x.rank() - 2], cols = x.shape()[x.rank() - 1];
  const size_t es = DTypeSize(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  int64_t mats = rows * cols == 0 ? 0 : x.num_elements() / (rows * cols);
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        // Keep j - i >= k (upper) or j - i <= k (lower); the rest stays zero.
        __int128 diff = static_cast<__int128>(j) - i;
        bool keep = upper ? diff >= k : diff <= k;
        int64_t off = (m * rows + i) * cols + j;
        if (keep) std::memcpy(dst + off * es, src + off * es, es);
      }
    }
  }
  return One(std::move(out));
}

}  // namespace kiln::reference
