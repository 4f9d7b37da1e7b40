// Reference kernel: CumSum along a runtime axis, inclusive or exclusive, forward or reversed;
// sums accumulate in AccumOf<T>.
#include "absl/strings/str_cat.h"
#include "runtime/reference/reduction_util.h"

namespace kiln::reference {
namespace {

template <typename T>
void CumSumAlong(const Tensor& in, const AxisView& v, bool exclusive, bool reverse, Tensor& out) {
  using A = AccumOf<T>;
  const T* x = in.data<T>();
  T* y = out.data<T>();
  for (int64_t a = 0; a < v.outer; ++a) {
    for (int64_t i = 0; i < v.inner; ++i) {
      A acc = 0;
      for (int64_t step = 0; step < v.len; ++step) {
        int64_t idx = v.At(a, reverse ? v.len - 1 - step : step, i);
        A next = acc + static_cast<A>(Widen(x[idx]));
        y[idx] = Narrow<T>(exclusive ? acc : next);
        acc = next;
      }
    }
  }
}

}  // namespace

KernelResult RefCumSum(const KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Tensor& axis_t = ctx.input(1);
  if (in.dtype() == DType::kBool) return ctx.Error("CumSum of a bool tensor");
  if (!IsInteger(axis_t.dtype()) || axis_t.num_elements() != 1 || axis_t.rank() > 1) {
    return ctx.Error(absl::StrCat("axis must be an integer scalar, got ", axis_t.TypeString()));
  }
  ASSIGN_OR_RETURN(int64_t axis, RuntimeAxis(ctx, axis_t.GetAsInt(0), in.rank()));
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(in.dtype(), in.shape()));
  AxisView v = ViewAround(in.shape(), axis);
  const bool exclusive = ctx.node.attr_int("exclusive") != 0;
  const bool reverse = ctx.node.attr_int("reverse") != 0;
  VisitDType(in.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>) CumSumAlong<T>(in, v, exclusive, reverse, out);
  });
  return std::vector<Tensor>{std::move(out)};
}

}  // namespace kiln::reference
