// Rewrite patterns and the greedy driver that applies them (as MLIR's PatternMatch.h), plus
// small matching helpers shared by the fusion passes.
#ifndef KILN_PASSES_PATTERN_H_
#define KILN_PASSES_PATTERN_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln {

// A rewrite rooted at one node (usually the last node of the matched subgraph).
class RewritePattern {
 public:
  virtual ~RewritePattern() = default;
  virtual absl::string_view name() const = 0;
  // Rewrites the subgraph ending at `root` if it matches; returns whether it did. A match that
  // is refused for a reason worth showing should record it with ctx.Note().
  virtual absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) = 0;
};

// Tries every pattern at every node, in order, until none applies (at most `max_rewrites`).
// Returns whether anything changed.
absl::StatusOr<bool> ApplyPatternsGreedily(Graph& graph, PassContext& ctx,
                                           const std::vector<std::unique_ptr<RewritePattern>>& patterns,
                                           int max_rewrites = 100000);

// A pass named `name` that applies `patterns` greedily (ApplyPatternsGreedily) over the graph;
// the second form for one pattern.
std::unique_ptr<Pass> MakePatternPass(std::string name,
                                      std::vector<std::unique_ptr<RewritePattern>> patterns);
std::unique_ptr<Pass> MakePatternPass(std::string name, std::unique_ptr<RewritePattern> pattern);

// A node's rewrite: whether it changed the graph.
using NodeRewrite = std::function<absl::StatusOr<bool>(Graph&, Node*, PassContext&)>;
// A pass named `name` that applies `rewrite` once to each `op` node the graph holds when the
// pass starts (a snapshot: the rewrite may add and erase nodes, but must not erase another
// node of the snapshot).
std::unique_ptr<Pass> MakeNodePass(std::string name, OpKind op, NodeRewrite rewrite);

// The producer of `v` if it is an `op` node, else null.
Node* ProducerOf(const Value* v, OpKind op);
// The constant tensor behind `v` (a Constant's output), else null.
const Tensor* ConstantOf(const Value* v);
// The single value of a constant whose elements are all equal (any shape), as double.
std::optional<double> ConstantScalar(const Value* v);
// True when `v` is a constant whose elements all equal `want` within relative `tol`.
bool IsConstantNear(const Value* v, double want, double tol = 1e-6);
// For a commutative binary node, the (matching, other) operands where `pred(matching)` holds.
std::optional<std::pair<Value*, Value*>> SplitOperands(const Node* n,
                                                       const std::function<bool(Value*)>& pred);
// True when `v` has exactly one use and is not a graph output.
bool HasSingleUse(const Graph& graph, const Value* v);
// True when `v` is one of the graph's outputs.
bool IsGraphOutput(const Graph& graph, const Value* v);
// True when a node reads `v` or the graph returns it.
bool IsUsed(const Graph& graph, const Value* v);

// Adds a node before `before`, infers its output types from its inputs' types, and fails if
// inference would need to unify symbols (the inputs must already fit).
absl::StatusOr<Node*> AddInferredNode(Graph& graph, OpKind op, std::vector<Value*> inputs,
                                      int num_outputs, Attributes attrs, std::string name,
                                      Node* before);
// Redirects every use of `old_value` (and graph outputs) to `replacement`, which must have the
// same type; `replacement` takes over old_value's name so dumps and outputs keep their names.
absl::Status ReplaceValue(Graph& graph, Value* old_value, Value* replacement);
// Removes nodes left without uses, walking back from `roots` (a local DCE after a rewrite).
void EraseDeadProducers(Graph& graph, const std::vector<Value*>& roots);

}  // namespace kiln

#endif  // KILN_PASSES_PATTERN_H_
