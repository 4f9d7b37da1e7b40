#include "passes/pattern.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/shape_inference.h"
#include "ir/status_macros.h"

namespace kiln {

absl::StatusOr<bool> ApplyPatternsGreedily(
    Graph& graph, PassContext& ctx, const std::vector<std::unique_ptr<RewritePattern>>& patterns,
    int max_rewrites) {
  bool changed = false;
  int rewrites = 0;
  for (bool progress = true; progress;) {
    progress = false;
    // Nodes may be created and erased by a rewrite; walk a snapshot and skip erased ones.
    std::vector<Node*> nodes = graph.NodeList();
    absl::flat_hash_set<Node*> live(nodes.begin(), nodes.end());
    for (Node* n : nodes) {
      if (!live.contains(n)) continue;
      for (const auto& p : patterns) {
        ASSIGN_OR_RETURN(bool did, p->MatchAndRewrite(n, graph, ctx));
        if (!did) continue;
        if (++rewrites > max_rewrites) {
          return absl::InternalError(absl::StrCat("pattern ", p->name(), " keeps rewriting"));
        }
        changed = progress = true;
        break;
      }
      if (progress) break;  // The snapshot is stale now.
    }
  }
  return changed;
}

namespace {

class PatternPass : public Pass {
 public:
  PatternPass(std::string name, std::vector<std::unique_ptr<RewritePattern>> patterns)
      : name_(std::move(name)), patterns_(std::move(patterns)) {}
  absl::string_view name() const override { return name_; }
  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    return ApplyPatternsGreedily(graph, ctx, patterns_);
  }

 private:
  std::string name_;
  std::vector<std::unique_ptr<RewritePattern>> patterns_;
};

class NodePass : public Pass {
 public:
  NodePass(std::string name, OpKind op, NodeRewrite rewrite)
      : name_(std::move(name)), op_(op), rewrite_(std::move(rewrite)) {}
  absl::string_view name() const override { return name_; }
  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    std::vector<Node*> snapshot;
    for (Node* n : graph.nodes()) {
      if (n->op() == op_) snapshot.push_back(n);
    }
    bool changed = false;
    for (Node* n : snapshot) {
      ASSIGN_OR_RETURN(bool rewrote, rewrite_(graph, n, ctx));
      changed |= rewrote;
    }
    return changed;
  }

 private:
  std::string name_;
  OpKind op_;
  NodeRewrite rewrite_;
};

}  // namespace

std::unique_ptr<Pass> MakeNodePass(std::string name, OpKind op, NodeRewrite rewrite) {
  return std::make_unique<NodePass>(std::move(name), op, std::move(rewrite));
}

std::unique_ptr<Pass> MakePatternPass(std::string name,
                                      std::vector<std::unique_ptr<RewritePattern>> patterns) {
  return std::make_unique<PatternPass>(std::move(name), std::move(patterns));
}

std::unique_ptr<Pass> MakePatternPass(std::string name, std::unique_ptr<RewritePattern> pattern) {
  std::vector<std::unique_ptr<RewritePattern>> patterns;
  patterns.push_back(std::move(pattern));
  return MakePatternPass(std::move(name), std::move(patterns));
}

Node* ProducerOf(const Value* v, OpKind op) {
  if (v == nullptr || v->producer() == nullptr || v->producer()->op() != op) return nullptr;
  return v->producer();
}

const Tensor* ConstantOf(const Value* v) {
  const Node* p = ProducerOf(v, OpKind::kConstant);
  return p ? p->attrs().FindAs<Tensor>("value") : nullptr;
}

std::optional<double> ConstantScalar(const Value* v) {
  const Tensor* t = ConstantOf(v);
  if (t == nullptr || t->num_elements() == 0 || t->dtype() == DType::kBool) return std::nullopt;
  double first = t->GetAsDouble(0);
  for (int64_t i = 1; i < t->num_elements(); ++i) {
    if (t->GetAsDouble(i) != first) return std::nullopt;
  }
  return first;
}

bool IsConstantNear(const Value* v, double want, double tol) {
  std::optional<double> c = ConstantScalar(v);
  return c && std::abs(*c - want) <= tol * std::max(1.0, std::abs(want));
}

std::optional<std::pair<Value*, Value*>> SplitOperands(const Node* n,
                                                       const std::function<bool(Value*)>& pred) {
  if (n == nullptr || n->num_inputs() != 2) return std::nullopt;
  if (pred(n->input(0))) return std::make_pair(n->input(0), n->input(1));
  if (pred(n->input(1))) return std::make_pair(n->input(1), n->input(0));
  return std::nullopt;
}

bool HasSingleUse(const Graph& graph, const Value* v) {
  return v->uses().size() == 1 && !IsGraphOutput(graph, v);
}

bool IsGraphOutput(const Graph& graph, const Value* v) {
  return std::find(graph.outputs().begin(), graph.outputs().end(), v) != graph.outputs().end();
}

bool IsUsed(const Graph& graph, const Value* v) {
  return !v->uses().empty() || IsGraphOutput(graph, v);
}

absl::StatusOr<Node*> AddInferredNode(Graph& graph, OpKind op, std::vector<Value*> inputs,
                                      int num_outputs, Attributes attrs, std::string name,
                                      Node* before) {
  Node* n = graph.AddNode(op, inputs, num_outputs, std::move(attrs), std::move(name), before);
  ShapeEnv env;
  for (Value* in : graph.inputs()) env.AddSymbolsOf(in->type());
  absl::Status s = InferNode(*n, env);
  if (s.ok() && env.has_bindings()) {
    s = absl::InternalError(absl::StrCat(n->Describe(), ": inputs do not fit without unifying symbols"));
  }
  if (!s.ok()) {
    graph.RemoveNode(n);
    return s;
  }
  return n;
}

absl::Status ReplaceValue(Graph& graph, Value* old_value, Value* replacement) {
  if (old_value->type() != replacement->type()) {
    return absl::InternalError(absl::StrCat("replacing '", old_value->name(), "' of type ",
                                            old_value->type().ToString(), " by '",
                                            replacement->name(), "' of type ",
                                            replacement->type().ToString()));
  }
  graph.ReplaceAllUsesWith(old_value, replacement);
  if (replacement->producer() != nullptr) {
    std::string name = old_value->name();
    RETURN_IF_ERROR(graph.RenameValue(old_value, graph.UniqueValueName(name + "_old")));
    RETURN_IF_ERROR(graph.RenameValue(replacement, name));
  }
  return absl::OkStatus();
}

void EraseDeadProducers(Graph& graph, const std::vector<Value*>& roots) {
  absl::flat_hash_set<const Value*> outputs(graph.outputs().begin(), graph.outputs().end());
  std::vector<Node*> work;
  for (Value* v : roots) {
    if (v && v->producer()) work.push_back(v->producer());
  }
  absl::flat_hash_set<Node*> erased;
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    if (erased.contains(n)) continue;
    bool dead = true;
    for (int i = 0; i < n->num_outputs(); ++i) {
      dead &= n->output(i)->uses().empty() && !outputs.contains(n->output(i));
    }
    if (!dead) continue;
    std::vector<Node*> producers;
    for (Value* in : n->inputs()) {
      if (in && in->producer()) producers.push_back(in->producer());
    }
    graph.RemoveNode(n);
    erased.insert(n);
    work.insert(work.end(), producers.begin(), producers.end());
  }
}

}  // namespace kiln
