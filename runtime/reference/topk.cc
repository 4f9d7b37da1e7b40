// Reference kernel: TopK. Each slice along the axis is partially sorted by value (largest or
// smallest first), ties broken by the lower index, NaN ordered above every number. The
// output is always sorted, which `sorted = 0` permits.
#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "runtime/reference/reduction_util.h"

namespace kiln::reference {
namespace {

template <typename T>
void TopKAlong(const Tensor& in, const AxisView& v, int64_t k, bool largest,
               std::vector<Tensor>& outs) {
  const T* x = in.data<T>();
  T* values = outs[0].data<T>();
  int64_t* indices = outs[1].data<int64_t>();
  std::vector<int64_t> order(v.len);
  for (int64_t a = 0; a < v.outer; ++a) {
    for (int64_t i = 0; i < v.inner; ++i) {
      auto at = [&](int64_t j) { return x[v.At(a, j, i)]; };
      auto before = [&](int64_t p, int64_t q) {
        T vp = at(p), vq = at(q);
        if (largest ? GreaterNaNHigh(vp, vq) : GreaterNaNHigh(vq, vp)) return true;
        if (largest ? GreaterNaNHigh(vq, vp) : GreaterNaNHigh(vp, vq)) return false;
        return p < q;
      };
      std::iota(order.begin(), order.end(), int64_t{0});
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        int64_t o = (a * k + j) * v.inner + i;
        values[o] = at(order[j]);
        indices[o] = order[j];
      }
    }
  }
}

}  // namespace

KernelResult RefTopK(const KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Tensor& k_t = ctx.input(1);
  if (in.dtype() == DType::kBool) return ctx.Error("TopK of a bool tensor");
  if (!IsInteger(k_t.dtype()) || k_t.num_elements() != 1 || k_t.rank() > 1) {
    return ctx.Error(absl::StrCat("K must be a 1-D tensor of one integer, got ", k_t.TypeString()));
  }
  ASSIGN_OR_RETURN(int64_t axis, RuntimeAxis(ctx, ctx.node.attr_int("axis"), in.rank()));
  AxisView v = ViewAround(in.shape(), axis);
  const int64_t k = k_t.GetAsInt(0);
  if (k < 0 || k > v.len) {
    return ctx.Error(absl::StrCat("K = ", k, " is outside [0, ", v.len, "], the axis size"));
  }
  std::vector<int64_t> shape = in.shape();
  shape[axis] = k;
  std::vector<Tensor> outs;
  ASSIGN_OR_RETURN(Tensor values, Tensor::Zeros(in.dtype(), shape));
  ASSIGN_OR_RETURN(Tensor indices, Tensor::Zeros(DType::kI64, shape));
  outs.push_back(std::move(values));
  outs.push_back(std::move(indices));
  const bool largest = ctx.node.attr_int("largest") != 0;
  VisitDType(in.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>) TopKAlong<T>(in, v, k, largest, outs);
  });
  return outs;
}

}  // namespace kiln::reference
