// Test helpers for the contraction kernels: run one op on the reference backend.
#ifndef KILN_RUNTIME_REFERENCE_CONTRACTION_TEST_UTIL_H_
#define KILN_RUNTIME_REFERENCE_CONTRACTION_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "runtime/reference/executor.h"

namespace kiln::reference::testing {

// Builds a one-node graph over static-shaped inputs (an undefined Tensor is an absent optional
// input), infers shapes and executes it.
inline absl::StatusOr<std::vector<Tensor>> RunOp(OpKind op, const std::vector<Tensor>& inputs,
                                                 Attributes attrs = {}, int num_outputs = 1) {
  Graph g;
  std::vector<Value*> ins;
  std::vector<Tensor> feed;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      ins.push_back(nullptr);
      continue;
    }
    std::vector<DimExpr> dims(inputs[i].shape().begin(), inputs[i].shape().end());
    ins.push_back(g.AddInput(absl::StrCat("in", i), {inputs[i].dtype(), dims}));
    feed.push_back(inputs[i]);
  }
  Node* n = g.AddNode(op, ins, num_outputs, std::move(attrs), "op");
  for (int i = 0; i < num_outputs; ++i) g.AddOutput(n->output(i));
  RETURN_IF_ERROR(InferShapes(g));
  return Execute(g, feed);
}

inline Tensor F32(const std::vector<float>& v, std::vector<int64_t> shape) {
  return Tensor::FromVector<float>(v, std::move(shape));
}

template <typename T>
Tensor Of(const std::vector<float>& v, std::vector<int64_t> shape) {
  std::vector<T> c;
  for (float x : v) c.push_back(T(x));
  return Tensor::FromVector<T>(c, std::move(shape));
}

// Every element as double.
inline std::vector<double> Values(const Tensor& t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(t.GetAsDouble(i));
  return out;
}

}  // namespace kiln::reference::testing

#endif  // KILN_RUNTIME_REFERENCE_CONTRACTION_TEST_UTIL_H_
