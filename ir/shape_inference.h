// Type and symbolic-shape inference over a whole graph.
//
// Nodes are visited in order; each op's InferFn (named in ir/ops.def) reads its inputs' types,
// constant contents and symbolic contents, and sets its outputs'. When two symbolic dims must
// be equal (broadcasting `s33` against `s6`, concatenating KV caches of lengths `s15` and
// `s89`), ShapeEnv unifies them: the newer symbol is replaced by the older one (or by the
// expression it must equal) throughout the graph. Facts that cannot be decided statically
// (`seq <= 512` for a Slice of a position table) become DimConstraints that the runtime checks.
#ifndef KILN_IR_SHAPE_INFERENCE_H_
#define KILN_IR_SHAPE_INFERENCE_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/status_macros.h"

namespace kiln {

// Symbol equalities and assumptions found while inferring shapes.
class ShapeEnv {
 public:
  // Registers a symbol; symbols registered earlier are kept when two are unified.
  void AddSymbol(absl::string_view name);
  void AddSymbolsOf(const TensorType& type);
  // `d` with every bound symbol replaced.
  DimExpr Canon(const DimExpr& d) const;
  TensorType Canon(const TensorType& t) const;
  // Makes `a` and `b` equal: binds a symbol, or records a runtime-checked constraint. Two
  // different constants are an error.
  absl::Status Unify(const DimExpr& a, const DimExpr& b, absl::string_view origin);
  // Records `lhs <= rhs` (or ==) unless it is provably true; provably false is an error.
  absl::Status Assume(const DimExpr& lhs, DimConstraint::Kind kind, const DimExpr& rhs,
                      absl::string_view origin);
  // Substitutes the bindings into every type, symbolic value and constraint of `graph`, and
  // appends the recorded constraints.
  void ApplyTo(Graph& graph) const;
  bool has_bindings() const { return !subst_.empty(); }

 private:
  void Bind(const std::string& symbol, const DimExpr& value);
  absl::flat_hash_map<std::string, DimExpr> subst_;
  absl::flat_hash_map<std::string, int> order_;
  std::vector<DimConstraint> constraints_;
};

// What an InferFn sees: its node, canonical input types, constant and symbolic input values.
class InferContext {
 public:
  InferContext(const Node& node, ShapeEnv& env);

  const Node& node() const { return node_; }
  int num_inputs() const { return node_.num_inputs(); }
  bool has_input(int i) const { return i < num_inputs() && node_.input(i) != nullptr; }
  const TensorType& input_type(int i) const { return in_types_[i]; }
  DType input_dtype(int i) const { return in_types_[i].dtype; }
  int64_t input_rank(int i) const { return in_types_[i].rank(); }
  const std::vector<DimExpr>& input_dims(int i) const { return in_types_[i].dims; }
  // The tensor if input i is produced by a Constant node.
  const Tensor* input_const(int i) const;
  // Symbolic contents of input i (small int/bool tensors), if known.
  const std::vector<DimExpr>* input_sym(int i) const;
  // Input i's contents as integers, when it is a constant or its symbolic contents are all
  // constants.
  std::optional<std::vector<int64_t>> input_ints(int i) const;

  int num_outputs() const { return node_.num_outputs(); }
  void SetOutput(int i, DType dtype, std::vector<DimExpr> dims);
  void SetOutput(int i, TensorType type) { SetOutput(i, type.dtype, std::move(type.dims)); }
  // Records symbolic contents of output i (canonicalised; dropped if too long).
  void SetOutputSym(int i, std::vector<DimExpr> values);
  const TensorType& output_type(int i) const { return out_types_[i]; }
  const std::optional<std::vector<DimExpr>>& output_sym(int i) const { return out_syms_[i]; }

  // Numpy broadcasting of one dim pair and of two shapes, unifying symbols as needed.
  absl::StatusOr<DimExpr> BroadcastDim(const DimExpr& a, const DimExpr& b);
  absl::StatusOr<std::vector<DimExpr>> BroadcastShapes(const std::vector<DimExpr>& a,
                                                       const std::vector<DimExpr>& b);
  absl::Status Unify(const DimExpr& a, const DimExpr& b);
  absl::Status Assume(const DimExpr& lhs, DimConstraint::Kind kind, const DimExpr& rhs);
  DimExpr Canon(const DimExpr& d) const { return env_.Canon(d); }
  // A fresh symbol for dim `dim` of output `output` whose size depends on tensor data (a
  // Reshape to a shape that is a graph input, a Range over runtime scalars). The name is
  // derived from the output's name, so re-inference gives the same symbol; the reference
  // executor binds it from the computed tensor.
  DimExpr DataDependentDim(int output, int dim) const;

  // Maps a possibly negative axis into [0, rank) or fails naming the node.
  absl::StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank) const;
  // An InvalidArgument error that names the node: "node 'x' (Op): <what>".
  absl::Status Error(absl::string_view what) const;
  // An Unimplemented error for a legal but unsupported use of the op.
  absl::Status Unsupported(absl::string_view what) const;
  // Fails unless input i's dtype is one of `allowed`.
  absl::Status ExpectDType(int i, std::initializer_list<DType> allowed) const;
  // Fails unless the inputs listed have the same dtype as input `first`.
  absl::Status ExpectSameDType(std::initializer_list<int> inputs) const;

 private:
  const Node& node_;
  ShapeEnv& env_;
  std::vector<TensorType> in_types_;
  std::vector<std::optional<std::vector<DimExpr>>> in_syms_;
  std::vector<TensorType> out_types_;
  std::vector<std::optional<std::vector<DimExpr>>> out_syms_;
  friend absl::Status InferNode(Node& node, ShapeEnv& env);
};

// True for the symbols DataDependentDim makes (their names start with '_'): they are bound when
// their producer runs, not from the input shapes.
bool IsDataDependentSymbol(absl::string_view name);

// Largest symbolic value tracked per tensor (elements).
inline constexpr int64_t kMaxSymValueElements = 64;

// Checks arity and attributes against the op table (no types needed).
absl::Status CheckNodeSignature(const Node& node);
// Runs the node's InferFn and stores output types and symbolic values.
absl::Status InferNode(Node& node, ShapeEnv& env);
// Infers every node's output types in order, then applies the symbol bindings graph-wide.
absl::Status InferShapes(Graph& graph);
// Checks structure (order, use lists, arity, attributes) and that re-running inference gives
// the stored types. Returns the first problem found.
absl::Status VerifyGraph(const Graph& graph);
// Every dim of every value, as a list of problems ("value x has unknown dims") — empty when
// all shapes are fully symbolic-or-static.
std::vector<std::string> FindUntypedValues(const Graph& graph);

}  // namespace kiln

#endif  // KILN_IR_SHAPE_INFERENCE_H_
