// Test helpers for the reduction-family kernels: run one reference kernel on given tensors,
// and read tensors back as vectors.
#ifndef KILN_RUNTIME_REFERENCE_REDUCTION_TEST_UTIL_H_
#define KILN_RUNTIME_REFERENCE_REDUCTION_TEST_UTIL_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {

// One node over graph inputs typed like the given tensors; Run() calls its kernel directly,
// so no other op's inference or kernel is involved. An undefined Tensor is an absent input.
class KernelHarness {
 public:
  KernelHarness(OpKind op, std::vector<Tensor> inputs,
                std::initializer_list<std::pair<const char*, AttrValue>> attrs = {},
                int num_outputs = 1)
      : inputs_(std::move(inputs)) {
    std::vector<Value*> values;
    Attributes a;
    for (const auto& [name, value] : attrs) a.Set(name, value);
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (!inputs_[i].defined()) {
        values.push_back(nullptr);
        continue;
      }
      std::vector<DimExpr> dims(inputs_[i].shape().begin(), inputs_[i].shape().end());
      values.push_back(graph_.AddInput("in" + std::to_string(i),
                                       TensorType{inputs_[i].dtype(), std::move(dims)}));
    }
    node_ = graph_.AddNode(op, values, num_outputs, std::move(a), "n");
  }

  KernelResult Run() const {
    KernelContext ctx{*node_, {}};
    for (const Tensor& t : inputs_) ctx.inputs.push_back(t.defined() ? &t : nullptr);
    return GetKernel(node_->op())(ctx);
  }

 private:
  Graph graph_;
  Node* node_;
  std::vector<Tensor> inputs_;
};

// A tensor of the given shape from values given as doubles (converted to T).
template <typename T>
Tensor Make(std::vector<int64_t> shape, const std::vector<double>& values) {
  Tensor t = *Tensor::Zeros(DTypeOf<T>::value, std::move(shape));
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.num_elements(); ++i) {
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      t.data<T>()[i] = T(static_cast<float>(values[i]));
    } else {
      t.data<T>()[i] = static_cast<T>(values[i]);
    }
  }
  return t;
}

inline std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(t.GetAsDouble(i));
  return out;
}

inline std::vector<int64_t> AsInts(const Tensor& t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(t.GetAsInt(i));
  return out;
}

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_REDUCTION_TEST_UTIL_H_
