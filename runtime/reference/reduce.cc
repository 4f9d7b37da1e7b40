// Reference kernels: ReduceSum/Mean/Max/Min and ArgMax.
//
// A reduction walks its input once in row-major order; the output index of each element is
// that of the keepdims-shaped output broadcast back to the input (reduced axes stride 0).
// Sums accumulate in AccumOf<T>; max/min propagate NaN, as numpy does. Over an empty set,
// sums are 0, means NaN (0 for integers), max -inf or the type's lowest value, min the reverse.
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/reference/reduction_util.h"

namespace kiln::reference {
namespace {

enum class ReduceKind { kSum, kMean, kMax, kMin };

// Reads the axes input into a mask over the data's axes. `identity` is set when the axes are
// empty and noop_with_empty_axes asks for no reduction.
absl::StatusOr<std::vector<bool>> ReducedAxes(const KernelContext& ctx, bool* identity) {
  const int64_t rank = ctx.input(0).rank();
  *identity = false;
  std::vector<int64_t> axes;
  if (ctx.has_input(1)) {
    const Tensor& a = ctx.input(1);
    if (!IsInteger(a.dtype()) || a.rank() > 1) return ctx.Error("axes must be a 1-D int tensor");
    for (int64_t i = 0; i < a.num_elements(); ++i) axes.push_back(a.GetAsInt(i));
  }
  if (axes.empty()) {
    *identity = ctx.node.attr_int("noop_with_empty_axes") != 0;
    return std::vector<bool>(rank, true);
  }
  std::vector<bool> mask(rank, false);
  for (int64_t a : axes) {
    ASSIGN_OR_RETURN(int64_t ax, RuntimeAxis(ctx, a, rank));
    if (mask[ax]) return ctx.Error(absl::StrCat("axis ", a, " is given twice"));
    mask[ax] = true;
  }
  return mask;
}

template <typename T>
T EmptyMax() {
  if constexpr (std::is_same_v<T, bool>) {
    return false;
  } else if constexpr (kIsFloatLike<T>) {
    return Narrow<T>(-std::numeric_limits<float>::infinity());
  } else {
    return std::numeric_limits<T>::lowest();
  }
}

template <typename T>
T EmptyMin() {
  if constexpr (std::is_same_v<T, bool>) {
    return true;
  } else if constexpr (kIsFloatLike<T>) {
    return Narrow<T>(std::numeric_limits<float>::infinity());
  } else {
    return std::numeric_limits<T>::max();
  }
}

template <typename T>
void ReduceMinMax(const Tensor& in, const std::vector<int64_t>& kept, bool is_max, Tensor& out) {
  T* o = out.data<T>();
  const T init = is_max ? EmptyMax<T>() : EmptyMin<T>();
  for (int64_t i = 0; i < out.num_elements(); ++i) o[i] = init;
  const T* x = in.data<T>();
  BroadcastCursor cur(in.shape(), kept);
  for (int64_t i = 0; i < in.num_elements(); ++i, cur.Next()) {
    T& acc = o[cur.index()];
    if (IsNaNValue(acc)) continue;
    if (IsNaNValue(x[i]) || (is_max ? Widen(x[i]) > Widen(acc) : Widen(x[i]) < Widen(acc))) {
      acc = x[i];
    }
  }
}

template <typename T>
void ReduceSumMean(const Tensor& in, const std::vector<int64_t>& kept, bool mean, int64_t count,
                   Tensor& out) {
  using A = AccumOf<T>;
  std::vector<A> acc(out.num_elements(), A{0});
  const T* x = in.data<T>();
  BroadcastCursor cur(in.shape(), kept);
  for (int64_t i = 0; i < in.num_elements(); ++i, cur.Next()) {
    acc[cur.index()] += static_cast<A>(Widen(x[i]));
  }
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    A v = acc[i];
    if (mean) {
      if constexpr (std::is_floating_point_v<A>) {
        v = count == 0 ? std::numeric_limits<A>::quiet_NaN() : v / static_cast<A>(count);
      } else {
        v = count == 0 ? A{0} : static_cast<A>(v / static_cast<A>(count));
      }
    }
    out.data<T>()[i] = Narrow<T>(v);
  }
}

KernelResult Reduce(const KernelContext& ctx, ReduceKind kind) {
  const Tensor& in = ctx.input(0);
  bool identity;
  ASSIGN_OR_RETURN(std::vector<bool> mask, ReducedAxes(ctx, &identity));
  if (identity) return std::vector<Tensor>{in};
  const bool keepdims = ctx.node.attr_int("keepdims") != 0;
  std::vector<int64_t> kept, out_shape;
  int64_t count = 1;  // Elements per reduced group.
  for (int64_t ax = 0; ax < in.rank(); ++ax) {
    if (mask[ax]) count *= in.shape()[ax];
    kept.push_back(mask[ax] ? 1 : in.shape()[ax]);
    if (!mask[ax] || keepdims) out_shape.push_back(kept.back());
  }
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(in.dtype(), out_shape));
  if (in.dtype() == DType::kBool && (kind == ReduceKind::kSum || kind == ReduceKind::kMean)) {
    return ctx.Error("cannot sum or average a bool tensor");
  }
  VisitDType(in.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool>) {
      ReduceMinMax<T>(in, kept, kind == ReduceKind::kMax, out);
    } else if (kind == ReduceKind::kSum || kind == ReduceKind::kMean) {
      ReduceSumMean<T>(in, kept, kind == ReduceKind::kMean, count, out);
    } else {
      ReduceMinMax<T>(in, kept, kind == ReduceKind::kMax, out);
    }
  });
  return std::vector<Tensor>{std::move(out)};
}

template <typename T>
void ArgMaxAlong(const Tensor& in, const AxisView& v, bool last, Tensor& out) {
  const T* x = in.data<T>();
  int64_t* o = out.data<int64_t>();
  for (int64_t a = 0; a < v.outer; ++a) {
    for (int64_t i = 0; i < v.inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < v.len; ++k) {
        T cand = x[v.At(a, k, i)], cur = x[v.At(a, best, i)];
        if (last ? !GreaterNaNHigh(cur, cand) : GreaterNaNHigh(cand, cur)) best = k;
      }
      o[a * v.inner + i] = best;
    }
  }
}

}  // namespace

KernelResult RefReduceSum(const KernelContext& ctx) { return Reduce(ctx, ReduceKind::kSum); }

KernelResult RefReduceMean(const KernelContext& ctx) { return Reduce(ctx, ReduceKind::kMean); }

KernelResult RefReduceMax(const KernelContext& ctx) { return Reduce(ctx, ReduceKind::kMax); }

KernelResult RefReduceMin(const KernelContext& ctx) { return Reduce(ctx, ReduceKind::kMin); }

KernelResult RefArgMax(const KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  if (in.dtype() == DType::kBool) return ctx.Error("ArgMax of a bool tensor");
  ASSIGN_OR_RETURN(int64_t axis, RuntimeAxis(ctx, ctx.node.attr_int("axis"), in.rank()));
  AxisView v = ViewAround(in.shape(), axis);
  if (v.len == 0) return ctx.Error(absl::StrCat("the arg-reduced axis ", axis, " has size 0"));
  std::vector<int64_t> shape = in.shape();
  if (ctx.node.attr_int("keepdims") != 0) {
    shape[axis] = 1;
  } else {
    shape.erase(shape.begin() + axis);
  }
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DType::kI64, shape));
  const bool last = ctx.node.attr_int("select_last_index") != 0;
  VisitDType(in.dtype(), [&](auto zero) {
    using T = decltype(zero);
    ArgMaxAlong<T>(in, v, last, out);
  });
  return std::vector<Tensor>{std::move(out)};
}

}  // namespace kiln::reference
