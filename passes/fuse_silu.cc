// fuse-silu: x * Sigmoid(x) -> Silu(x), then Silu(gate) * up -> SwiGlu(gate, up).
//
// Both exporters emit LLaMA's MLP as Sigmoid(gate), Mul(gate, sigmoid), Mul(silu, up), with
// the operands of each Mul in either order. The Sigmoid (and the Silu feeding a SwiGlu) must
// have no other use, or fusing would compute it twice. SwiGlu is formed only when gate, up and
// the product have one type: the op's contract is elementwise on equal shapes, so a broadcast
// product stays a Silu and a Mul.
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/fusion_match.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// Replaces `root`'s output by a new `op` node over `inputs`.
absl::StatusOr<bool> ReplaceRoot(Graph& graph, Node* root, OpKind op, std::vector<Value*> inputs) {
  ASSIGN_OR_RETURN(Node * fused,
                   AddInferredNode(graph, op, std::move(inputs), 1, {}, root->name(), root));
  Value* old = root->output(0);
  RETURN_IF_ERROR(ReplaceValue(graph, old, fused->output(0)));
  EraseDeadProducers(graph, {old});
  return true;
}

class SiluPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "silu"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    if (root->op() != OpKind::kMul) return false;
    auto split = SplitOperands(root, [&](Value* v) {
      const Node* s = ProducerOf(v, OpKind::kSigmoid);
      return s != nullptr && (s->input(0) == root->input(0) || s->input(0) == root->input(1));
    });
    if (!split || split->first->producer()->input(0) != split->second) return false;
    Value* x = split->second;
    if (!HasSingleUse(graph, split->first)) {
      NoteOnce(ctx, absl::StrCat("fuse-silu: ", root->Describe(),
                                 ": the sigmoid is used elsewhere, fusing would compute it twice"));
      return false;
    }
    if (root->output(0)->type() != x->type()) return false;  // Cannot happen for x * f(x).
    return ReplaceRoot(graph, root, OpKind::kSilu, {x});
  }
};

class SwiGluPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "swiglu"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    if (root->op() != OpKind::kMul) return false;
    auto split =
        SplitOperands(root, [](Value* v) { return ProducerOf(v, OpKind::kSilu) != nullptr; });
    if (!split) return false;
    Value* gate = split->first->producer()->input(0);
    Value* up = split->second;
    std::string why;
    if (!HasSingleUse(graph, split->first)) {
      why = "the silu is used elsewhere, fusing would compute it twice";
    } else if (gate->type() != up->type() || root->output(0)->type() != gate->type()) {
      why = absl::StrCat("gate ", gate->type().ToString(), " and up ", up->type().ToString(),
                         " differ (SwiGlu needs equal shapes)");
    }
    if (!why.empty()) {
      NoteOnce(ctx, absl::StrCat("fuse-silu: ", root->Describe(), ": ", why));
      return false;
    }
    return ReplaceRoot(graph, root, OpKind::kSwiGlu, {gate, up});
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseSilu() {
  std::vector<std::unique_ptr<RewritePattern>> patterns;
  patterns.push_back(std::make_unique<SiluPattern>());
  patterns.push_back(std::make_unique<SwiGluPattern>());
  return MakePatternPass("fuse-silu", std::move(patterns));
}

}  // namespace kiln
