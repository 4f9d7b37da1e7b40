// fuse-skip-norm: a residual Add feeding a LayerNormalization or RMSNormalization ->
// SkipNormalization(x, skip, scale[, bias]) -> (y, sum).
//
// Pre-norm blocks (GPT-2, ViT, LLaMA) use the sum again as the next residual, so the fused
// node also returns it (output 1, replacing the Add's other uses); post-norm blocks (BERT) use
// only y, and the node then has one output. The op normalises the last axis with rank-1 scale
// and bias and stashes statistics in f32, so the norm must have exactly that form: axis -1,
// stash_type 1, no mean/inv_std_dev outputs in use. The Add counts as residual when one
// operand has the sum's type and the other its rank (a skip broadcast over batch, like a
// position embedding, is fine; a bias vector is not a residual and is left alone).
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/fusion_match.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// Why `norm` (fed by `add`) cannot become a SkipNormalization, or "" when it can.
std::string Refusal(const Graph& graph, const Node& norm, const Node& add) {
  const Value* sum = add.output(0);
  const int64_t rank = sum->type().rank();
  if (!IsFloat(sum->type().dtype) || rank < 1) return "the sum is not a float tensor";
  const int64_t axis = norm.attr_int("axis");
  if (axis != -1 && axis != rank - 1) return "the norm is not over the last axis";
  if (norm.attr_int("stash_type") != 1) return "stash_type is not f32";
  for (int i = 1; i < norm.num_outputs(); ++i) {
    if (!norm.output(i)->uses().empty() || std::find(graph.outputs().begin(), graph.outputs().end(),
                                                     norm.output(i)) != graph.outputs().end()) {
      return "the norm's statistics outputs are used";
    }
  }
  for (int i = 1; i < norm.num_inputs(); ++i) {
    if (norm.input(i) != nullptr && !IsLastAxisVector(norm.input(i), sum)) {
      return "scale or bias is not a vector over the last axis";
    }
  }
  return "";
}

class SkipNormPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "skip-norm"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* norm, Graph& graph, PassContext& ctx) override {
    const bool rms = norm->op() == OpKind::kRMSNormalization;
    if (norm->op() != OpKind::kLayerNormalization && !rms) return false;
    Node* add = ProducerOf(norm->input(0), OpKind::kAdd);
    if (add == nullptr) return false;
    Value* sum = add->output(0);
    auto split = SplitOperands(add, [&](Value* v) { return v->type() == sum->type(); });
    if (!split || split->second->type().rank() != sum->type().rank()) return false;  // A bias.
    std::string why = Refusal(graph, *norm, *add);
    Node* at = why.empty() ? InsertionPoint(graph, norm, add) : nullptr;
    if (why.empty() && at == nullptr) why = "no point in the order precedes every use";
    if (!why.empty()) {
      NoteOnce(ctx, absl::StrCat("fuse-skip-norm: ", norm->Describe(), ": ", why));
      return false;
    }
    std::vector<Value*> inputs = {split->first, split->second, norm->input(1)};
    if (!rms && norm->input(2) != nullptr) inputs.push_back(norm->input(2));
    const bool keep_sum = !HasSingleUse(graph, sum);
    Attributes attrs;
    attrs.Set("norm", std::string(rms ? "rms" : "layer"));
    attrs.Set("epsilon", norm->attr_float("epsilon"));
    absl::StatusOr<Node*> fused =
        AddInferredNode(graph, OpKind::kSkipNormalization, inputs, keep_sum ? 2 : 1,
                        std::move(attrs), norm->name(), at);
    if (!fused.ok()) {  // Declined rather than failing the compilation.
      NoteOnce(ctx, absl::StrCat("fuse-skip-norm: ", norm->Describe(), ": ",
                                 fused.status().message()));
      return false;
    }
    Value* y = norm->output(0);
    RETURN_IF_ERROR(ReplaceValue(graph, y, (*fused)->output(0)));
    if (keep_sum) {
      RETURN_IF_ERROR(ReplaceValue(graph, sum, (*fused)->output(1)));
    }
    EraseDeadProducers(graph, {y, sum});
    positions_.clear();
    return true;
  }

 private:
  // A node before which the fused node can go: the Add, when scale and bias are computed
  // before it; else the norm, when the sum has no use before it. Null if neither.
  // Positions are computed once per scan of the graph: this pattern is its pass's only one,
  // so they stay valid until it rewrites.
  Node* InsertionPoint(const Graph& graph, Node* norm, Node* add) {
    auto& pos = positions_;
    if (pos.empty()) {
      for (Node* n : graph.nodes()) pos.emplace(n, static_cast<int>(pos.size()));
    }
    bool before_add = true;
    for (int i = 1; i < norm->num_inputs(); ++i) {
      const Value* v = norm->input(i);
      if (v != nullptr && v->producer() != nullptr) before_add &= pos[v->producer()] < pos[add];
    }
    if (before_add) return add;
    for (const Use& u : add->output(0)->uses()) {
      if (pos[u.user] < pos[norm]) return nullptr;
    }
    return norm;
  }

  absl::flat_hash_map<const Node*, int> positions_;
};

}  // namespace

std::unique_ptr<Pass> CreateFuseSkipNorm() {
  return MakePatternPass("fuse-skip-norm", std::make_unique<SkipNormPattern>());
}

}  // namespace kiln
