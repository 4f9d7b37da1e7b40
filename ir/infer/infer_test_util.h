// Graph-building helpers shared by the shape-inference tests: symbols, int constants, one-output
// nodes, graph inputs (optionally with symbolic contents, as Shape's output has), and running
// inference to an error message.
#ifndef KILN_IR_INFER_INFER_TEST_UTIL_H_
#define KILN_IR_INFER_INFER_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace kiln::testing {

inline DimExpr S(const char* name) { return DimExpr::Symbol(name); }

// A 1-D int64 constant, and an int64 scalar constant.
inline Value* Ints(Graph& g, std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return g.AddConstant(Tensor::FromVector<int64_t>(v, {n}));
}
inline Value* Int(Graph& g, int64_t v) { return g.AddConstant(Tensor::Scalar<int64_t>(v)); }

// The output of a new one-output node.
inline Value* Op(Graph& g, OpKind op, std::vector<Value*> in, Attributes attrs = {}) {
  return g.AddNode(op, std::move(in), 1, std::move(attrs))->output(0);
}

inline Attributes Attr(absl::string_view name, AttrValue v) {
  Attributes a;
  a.Set(name, std::move(v));
  return a;
}

// A fixture owning one graph `g_`.
class InferTest : public ::testing::Test {
 protected:
  Value* In(const char* name, DType t, std::vector<DimExpr> dims) {
    return g_.AddInput(name, TensorType{t, std::move(dims)});
  }
  // A 1-D input with known symbolic contents, as Shape's output has (e.g. [batch,seq]).
  Value* SymIn(const char* name, std::vector<DimExpr> values, DType t = DType::kI64) {
    Value* v = In(name, t, {DimExpr(static_cast<int64_t>(values.size()))});
    v->set_sym_value(std::move(values));
    return v;
  }
  Value* Op(OpKind op, std::vector<Value*> inputs, Attributes attrs = {}) {
    return testing::Op(g_, op, std::move(inputs), std::move(attrs));
  }
  // Infers the graph; returns the error message, or "" on success.
  std::string Infer() {
    absl::Status s = InferShapes(g_);
    return s.ok() ? "" : std::string(s.message());
  }
  // The symbolic contents as text, e.g. "[batch-1,seq-1]"; "none" when unknown.
  static std::string Sym(const Value* v) {
    return v->sym_value() ? DimsToString(*v->sym_value()) : "none";
  }

  Graph g_;
};

}  // namespace kiln::testing

#endif  // KILN_IR_INFER_INFER_TEST_UTIL_H_
