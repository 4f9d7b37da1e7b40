// Reference kernels: Softmax and LogSoftmax along one axis (opset-13 semantics), computed
// with the row maximum subtracted first, in AccumOf<T> (float for 16-bit types).
#include <algorithm>
#include <limits>

#include "runtime/reference/reduction_util.h"

namespace kiln::reference {
namespace {

template <typename T>
void SoftmaxAlong(const Tensor& in, const AxisView& v, bool log, Tensor& out) {
  using C = AccumOf<T>;
  const T* x = in.data<T>();
  T* y = out.data<T>();
  for (int64_t a = 0; a < v.outer; ++a) {
    for (int64_t i = 0; i < v.inner; ++i) {
      C m = -std::numeric_limits<C>::infinity();
      for (int64_t k = 0; k < v.len; ++k) m = std::max(m, static_cast<C>(Widen(x[v.At(a, k, i)])));
      C sum = 0;
      for (int64_t k = 0; k < v.len; ++k)
        sum += std::exp(static_cast<C>(Widen(x[v.At(a, k, i)])) - m);
      const C log_sum = std::log(sum);
      for (int64_t k = 0; k < v.len; ++k) {
        C shifted = static_cast<C>(Widen(x[v.At(a, k, i)])) - m;
        y[v.At(a, k, i)] = Narrow<T>(log ? shifted - log_sum : std::exp(shifted) / sum);
      }
    }
  }
}

KernelResult Softmax(const KernelContext& ctx, bool log) {
  const Tensor& in = ctx.input(0);
  if (!IsFloat(in.dtype())) return ctx.Error("expects a float input");
  ASSIGN_OR_RETURN(int64_t axis, RuntimeAxis(ctx, ctx.node.attr_int("axis"), in.rank()));
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(in.dtype(), in.shape()));
  AxisView v = ViewAround(in.shape(), axis);
  VisitDType(in.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (kIsFloatLike<T>) SoftmaxAlong<T>(in, v, log, out);
  });
  return std::vector<Tensor>{std::move(out)};
}

}  // namespace

KernelResult RefSoftmax(const KernelContext& ctx) { return Softmax(ctx, false); }

KernelResult RefLogSoftmax(const KernelContext& ctx) { return Softmax(ctx, true); }

}  // namespace kiln::reference
