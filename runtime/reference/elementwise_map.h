// Loops shared by the elementwise reference kernels: apply a per-element function over one
// tensor, or over two or three tensors with numpy broadcasting. Element types are template
// parameters, so the per-element function inlines; dtype dispatch happens once per kernel.
#ifndef KILN_RUNTIME_REFERENCE_ELEMENTWISE_MAP_H_
#define KILN_RUNTIME_REFERENCE_ELEMENTWISE_MAP_H_

#include <utility>
#include <vector>

#include "ir/status_macros.h"
#include "ir/tensor.h"
#include "runtime/reference/broadcast.h"
#include "runtime/reference/convert.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {

// out[i] = fn(in[i]), with In and Out the storage types.
template <typename Out, typename In, typename Fn>
absl::StatusOr<Tensor> MapUnary(const Tensor& in, Fn&& fn) {
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DTypeOf<Out>::value, in.shape()));
  const In* x = in.data<In>();
  Out* y = out.data<Out>();
  for (int64_t i = 0, n = in.num_elements(); i < n; ++i) y[i] = fn(x[i]);
  return out;
}

// out = fn(a, b) with numpy broadcasting; `ctx` names the node in shape errors.
template <typename Out, typename A, typename B, typename Fn>
absl::StatusOr<Tensor> MapBinary(const KernelContext& ctx, const Tensor& a, const Tensor& b,
                                 Fn&& fn) {
  const std::vector<int64_t>* shapes[] = {&a.shape(), &b.shape()};
  auto shape = BroadcastShapes(shapes);
  if (!shape.ok()) return ctx.Error(shape.status().message());
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DTypeOf<Out>::value, *shape));
  const A* x = a.data<A>();
  const B* y = b.data<B>();
  Out* z = out.data<Out>();
  const int64_t n = out.num_elements();
  if (a.shape() == b.shape()) {
    for (int64_t i = 0; i < n; ++i) z[i] = fn(x[i], y[i]);
  } else if (b.num_elements() == 1 && a.shape() == *shape) {
    for (int64_t i = 0; i < n; ++i) z[i] = fn(x[i], y[0]);
  } else {
    BroadcastIterator it(*shape, shapes);
    for (int64_t i = 0; i < n; ++i, it.Next()) z[i] = fn(x[it.offset(0)], y[it.offset(1)]);
  }
  return out;
}

// out = fn(a, b, c) with numpy broadcasting.
template <typename Out, typename A, typename B, typename C, typename Fn>
absl::StatusOr<Tensor> MapTernary(const KernelContext& ctx, const Tensor& a, const Tensor& b,
                                  const Tensor& c, Fn&& fn) {
  const std::vector<int64_t>* shapes[] = {&a.shape(), &b.shape(), &c.shape()};
  auto shape = BroadcastShapes(shapes);
  if (!shape.ok()) return ctx.Error(shape.status().message());
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DTypeOf<Out>::value, *shape));
  const A* x = a.data<A>();
  const B* y = b.data<B>();
  const C* w = c.data<C>();
  Out* z = out.data<Out>();
  BroadcastIterator it(*shape, shapes);
  for (int64_t i = 0, n = out.num_elements(); i < n; ++i, it.Next()) {
    z[i] = fn(x[it.offset(0)], y[it.offset(1)], w[it.offset(2)]);
  }
  return out;
}

// Wraps one tensor as a kernel's result.
inline KernelResult Single(absl::StatusOr<Tensor> t) {
  if (!t.ok()) return t.status();
  std::vector<Tensor> out;
  out.push_back(*std::move(t));
  return out;
}

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_ELEMENTWISE_MAP_H_
