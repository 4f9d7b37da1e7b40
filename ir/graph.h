// The IR core: a Graph owns Nodes in execution order; a Value is a graph input or a node
// result, with a use list; every value has a TensorType whose dims may be symbolic.
#ifndef KILN_IR_GRAPH_H_
#define KILN_IR_GRAPH_H_

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ir/attributes.h"
#include "ir/dim_expr.h"
#include "ir/dtype.h"
#include "ir/op.h"

namespace kiln {

class Graph;
class Node;

// A dtype and a shape whose dims are integers or symbolic expressions.
struct TensorType {
  DType dtype = DType::kUndefined;
  std::vector<DimExpr> dims;

  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  // True when every dim is a constant.
  bool is_static() const;
  // The element count as an expression.
  DimExpr NumElements() const;
  // "f32[batch,seq,64]".
  std::string ToString() const;
  friend bool operator==(const TensorType& a, const TensorType& b) {
    return a.dtype == b.dtype && a.dims == b.dims;
  }
  friend bool operator!=(const TensorType& a, const TensorType& b) { return !(a == b); }
};

// One use of a value: input `index` of `user`.
struct Use {
  Node* user;
  int index;
  friend bool operator==(const Use& a, const Use& b) {
    return a.user == b.user && a.index == b.index;
  }
};

// A tensor-valued SSA value.
class Value {
 public:
  // Unique within its graph; change it through Graph::RenameValue.
  const std::string& name() const { return name_; }
  const TensorType& type() const { return type_; }
  void set_type(TensorType type) { type_ = std::move(type); }
  bool has_type() const { return type_.dtype != DType::kUndefined; }
  // The producing node; null for graph inputs.
  Node* producer() const { return producer_; }
  int output_index() const { return output_index_; }
  const std::vector<Use>& uses() const { return uses_; }
  // Symbolic contents of a small integer or bool tensor (row-major), when known: this is how
  // Shape -> Gather -> Concat -> Reshape chains resolve to symbolic shapes.
  const std::optional<std::vector<DimExpr>>& sym_value() const { return sym_value_; }
  void set_sym_value(std::optional<std::vector<DimExpr>> v) { sym_value_ = std::move(v); }

 private:
  friend class Graph;
  friend class Node;
  std::string name_;
  TensorType type_;
  Node* producer_ = nullptr;
  int output_index_ = 0;
  std::vector<Use> uses_;
  std::optional<std::vector<DimExpr>> sym_value_;
};

// An operation. Inputs may be null where an optional input is absent.
class Node {
 public:
  OpKind op() const { return op_; }
  const OpInfo& info() const { return GetOpInfo(op_); }
  absl::string_view op_name() const { return info().name; }
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  Graph* graph() const { return graph_; }

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  Value* input(int i) const { return i < num_inputs() ? inputs_[i] : nullptr; }
  absl::Span<Value* const> inputs() const { return inputs_; }
  // Replaces input i, keeping use lists right.
  void SetInput(int i, Value* v);
  // Appends an input.
  void AddInput(Value* v);
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  Value* output(int i) const { return outputs_[i].get(); }

  const Attributes& attrs() const { return attrs_; }
  Attributes& mutable_attrs() { return attrs_; }
  // Attribute accessors that fall back to the schema default; programmer error if absent.
  int64_t attr_int(absl::string_view name) const;
  float attr_float(absl::string_view name) const;
  std::string attr_string(absl::string_view name) const;
  // Optional attributes without a default.
  std::optional<int64_t> attr_int_opt(absl::string_view name) const;
  std::optional<float> attr_float_opt(absl::string_view name) const;
  const std::vector<int64_t>* attr_ints(absl::string_view name) const {
    return attrs_.FindAs<std::vector<int64_t>>(name);
  }

  // The body of a fused-kernel node (null otherwise).
  const Graph* body() const { return body_.get(); }
  Graph* mutable_body() { return body_.get(); }
  void set_body(std::unique_ptr<Graph> body);

  // "Node 'name' (Op)" for error messages.
  std::string Describe() const;

 private:
  friend class Graph;
  Node(OpKind op, Graph* graph) : op_(op), graph_(graph) {}
  OpKind op_;
  Graph* graph_;
  std::string name_;
  std::vector<Value*> inputs_;
  std::vector<std::unique_ptr<Value>> outputs_;
  Attributes attrs_;
  std::unique_ptr<Graph> body_;
  std::list<std::unique_ptr<Node>>::iterator position_;
};

// A relation between dims that shape inference assumed and the runtime checks.
struct DimConstraint {
  enum class Kind { kEq, kLe };
  DimExpr lhs;
  Kind kind;
  DimExpr rhs;
  std::string origin;  // The node that needed it.
  std::string ToString() const;
};

// A dataflow graph with nodes kept in a valid execution order.
class Graph {
 public:
  explicit Graph(std::string name = "main");
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  Value* AddInput(std::string name, TensorType type);
  absl::Span<Value* const> inputs() const { return input_ptrs_; }
  void AddOutput(Value* v);
  void SetOutput(int i, Value* v);
  void ClearOutputs();
  absl::Span<Value* const> outputs() const { return outputs_; }

  // Creates a node at the end (or before `before`) with `num_outputs` untyped outputs. Output
  // names are made unique from `output_names` (or from the node's name).
  Node* AddNode(OpKind op, absl::Span<Value* const> inputs, int num_outputs,
                Attributes attrs = {}, std::string name = "",
                Node* before = nullptr);
  // Adds a Constant node holding `value` (at the front of the graph), typed as the tensor is.
  // Symbolic contents of small integer constants are left to shape inference or the caller.
  Value* AddConstant(Tensor value, std::string name = "");
  // Removes a node whose outputs have no uses.
  void RemoveNode(Node* node);
  // Points every use of `from` (and graph outputs) at `to`.
  void ReplaceAllUsesWith(Value* from, Value* to);
  // Moves `node` to just before `before`.
  void MoveBefore(Node* node, Node* before);

  // Nodes in execution order.
  class NodeRange;
  NodeRange nodes() const;
  std::vector<Node*> NodeList() const;
  size_t num_nodes() const { return nodes_.size(); }

  // A name not yet used by any value of this graph, derived from `base`.
  std::string UniqueValueName(absl::string_view base);
  Value* FindValue(absl::string_view name) const;
  // Gives `v` the name `name`; fails if another value has it.
  absl::Status RenameValue(Value* v, std::string name);

  std::vector<DimConstraint>& constraints() { return constraints_; }
  const std::vector<DimConstraint>& constraints() const { return constraints_; }

  // Reorders nodes so every producer precedes its users; fails naming a node on a cycle.
  absl::Status TopologicalSort();
  // Deep copy (constants share their buffers).
  std::unique_ptr<Graph> Clone() const;

 private:
  void RegisterValueName(Value* v);

  std::string name_;
  std::vector<std::unique_ptr<Value>> inputs_;
  std::vector<Value*> input_ptrs_;
  std::vector<Value*> outputs_;
  std::list<std::unique_ptr<Node>> nodes_;
  absl::flat_hash_map<std::string, Value*> values_by_name_;
  std::vector<DimConstraint> constraints_;
  int64_t name_counter_ = 0;
};

class Graph::NodeRange {
 public:
  class iterator {
   public:
    using It = std::list<std::unique_ptr<Node>>::const_iterator;
    explicit iterator(It it) : it_(it) {}
    Node* operator*() const { return it_->get(); }
    iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator!=(const iterator& o) const { return it_ != o.it_; }
    bool operator==(const iterator& o) const { return it_ == o.it_; }

   private:
    It it_;
  };
  explicit NodeRange(const std::list<std::unique_ptr<Node>>* l) : list_(l) {}
  iterator begin() const { return iterator(list_->begin()); }
  iterator end() const { return iterator(list_->end()); }

 private:
  const std::list<std::unique_ptr<Node>>* list_;
};

inline Graph::NodeRange Graph::nodes() const { return NodeRange(&nodes_); }

}  // namespace kiln

#endif  // KILN_IR_GRAPH_H_
