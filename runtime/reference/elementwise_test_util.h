// Test helpers for the elementwise reference kernels: run one node through shape inference
// and the reference executor, and read results back as plain vectors.
#ifndef KILN_RUNTIME_REFERENCE_ELEMENTWISE_TEST_UTIL_H_
#define KILN_RUNTIME_REFERENCE_ELEMENTWISE_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "runtime/reference/executor.h"

namespace kiln::reference::testing {

// Runs a single `op` node over `inputs`; an undefined Tensor() marks an absent optional input.
inline absl::StatusOr<Tensor> RunOp(OpKind op, const std::vector<Tensor>& inputs,
                                    Attributes attrs = {}) {
  Graph g;
  std::vector<Value*> ins;
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      ins.push_back(nullptr);
      continue;
    }
    TensorType t{inputs[i].dtype(), {}};
    for (int64_t d : inputs[i].shape()) t.dims.push_back(DimExpr(d));
    ins.push_back(g.AddInput(absl::StrCat("x", i), std::move(t)));
    feeds.push_back(inputs[i]);
  }
  Node* n = g.AddNode(op, ins, 1, std::move(attrs), "node");
  g.AddOutput(n->output(0));
  RETURN_IF_ERROR(InferShapes(g));
  ASSIGN_OR_RETURN(std::vector<Tensor> outs, Execute(g, feeds));
  return outs[0];
}

inline Attributes To(const char* dtype) {
  Attributes a;
  a.Set("to", std::string(dtype));
  return a;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

// The raw bits of a 16-bit float tensor (exact comparisons of rounding).
template <typename T>
std::vector<uint16_t> Bits(const Tensor& t) {
  std::vector<uint16_t> out;
  for (T v : t.values<T>()) out.push_back(v.bits);
  return out;
}

template <typename T>
Tensor Halfs(const std::vector<float>& v, std::vector<int64_t> shape) {
  std::vector<T> h;
  for (float f : v) h.push_back(T(f));
  return Tensor::FromVector<T>(h, std::move(shape));
}

}  // namespace kiln::reference::testing

#endif  // KILN_RUNTIME_REFERENCE_ELEMENTWISE_TEST_UTIL_H_
