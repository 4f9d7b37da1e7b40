// fold-attention-layout: FusedAttention in layout "bhsd" whose q, k and v are head-split copies
// (Transpose perm [0,2,1,3] of a Reshape of a [B, S, H*D] value; for q and k also a
// RotaryEmbedding of one, which becomes the rotary of the [B, S, H*D] value with num_heads)
// and whose output is only
// merged back the same way (Transpose [0,2,1,3], then Reshape to [B, S, H*D]) becomes layout
// "bsd" reading the [B, S, H*D] values and writing one the merging Reshape reads directly:
// the four transposes (each a full copy of an activation on the GPU) disappear. Any operand not of that form leaves the node alone, with a note. The mask and
// bias are the same in both layouts.
#include <optional>

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

bool IsHeadSwap(const Node* n) {
  if (n == nullptr || n->op() != OpKind::kTranspose) return false;
  const std::vector<int64_t>* perm = n->attr_ints("perm");
  return perm != nullptr && *perm == std::vector<int64_t>{0, 2, 1, 3};
}

// The [B, S, H*D] value `x` ([B, H, S, D]) is a head split of, or null.
Value* SplitSource(const Value* x) {
  const Node* t = x->producer();
  if (!IsHeadSwap(t)) return nullptr;
  const Node* r = ProducerOf(t->input(0), OpKind::kReshape);
  if (r == nullptr) return nullptr;
  Value* src = r->input(0);
  const std::vector<DimExpr>& xd = x->type().dims;  // [B, H, S, D]
  const std::vector<DimExpr>& sd = src->type().dims;
  if (xd.size() != 4 || sd.size() != 3) return nullptr;
  if (sd[0] != xd[0] || sd[1] != xd[2] || sd[2] != xd[1] * xd[3]) return nullptr;
  return src;
}

// How operand `x` becomes a [B, S, H*D] value: it is a head split of `source`, or (when
// `rotary` is set) RotaryEmbedding of a head split of `source`, which is the same as the
// rotary of `source` itself with num_heads = H (ONNX RotaryEmbedding takes both layouts).
struct MergedOperand {
  Value* source = nullptr;
  Node* rotary = nullptr;
};

std::optional<MergedOperand> MergedSource(const Value* x) {
  if (Value* src = SplitSource(x)) return MergedOperand{src, nullptr};
  Node* rot = ProducerOf(x, OpKind::kRotaryEmbedding);
  if (rot == nullptr || rot->input(0)->type().rank() != 4) return std::nullopt;
  if (Value* src = SplitSource(rot->input(0))) return MergedOperand{src, rot};
  return std::nullopt;
}

// The [B, S, H*D] operand for `m` (adding the 3-D rotary before `before` when there is one).
absl::StatusOr<Value*> Materialize(Graph& graph, const MergedOperand& m, Node* before) {
  if (m.rotary == nullptr) return m.source;
  std::vector<Value*> inputs = {m.source};
  for (int i = 1; i < m.rotary->num_inputs(); ++i) inputs.push_back(m.rotary->input(i));
  Attributes attrs = m.rotary->attrs();
  attrs.Set("num_heads", *m.rotary->input(0)->type().dims[1].as_const());
  ASSIGN_OR_RETURN(Node * r, AddInferredNode(graph, OpKind::kRotaryEmbedding, inputs, 1, attrs,
                                             m.rotary->name() + "/bsd", before));
  return r->output(0);
}

// The Reshape that merges output `y` ([B, H, S, D]) back through a head swap (to [B, S, H*D],
// [B*S, H*D] or any shape: a [B, S, H*D] tensor has the same element order), when that is y's
// only use; else null.
Node* MergingReshape(const Graph& graph, const Value* y) {
  if (!HasSingleUse(graph, y)) return nullptr;
  const Node* t = y->uses()[0].user;
  if (!IsHeadSwap(t) || !HasSingleUse(graph, t->output(0))) return nullptr;
  Node* r = t->output(0)->uses()[0].user;
  if (r->op() != OpKind::kReshape || r->input(0) != t->output(0)) return nullptr;
  return r;
}

class FoldAttentionLayout : public RewritePattern {
 public:
  absl::string_view name() const override { return "fold-attention-layout"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext& ctx) override {
    if (n->op() != OpKind::kFusedAttention || n->attr_string("layout") != "bhsd") return false;
    std::vector<MergedOperand> operands;
    for (int i = 0; i < 3; ++i) {
      std::optional<MergedOperand> m = MergedSource(n->input(i));
      if (!m || (m->rotary != nullptr && !n->input(i)->type().dims[1].as_const())) {
        ctx.Note(absl::StrCat("fold-attention-layout: ", n->Describe(), ": input ", i,
                              " is not a head split (or its rotary) of a [B, S, H*D] value"));
        return false;
      }
      operands.push_back(*m);
    }
    Node* merge = MergingReshape(graph, n->output(0));
    if (merge == nullptr) {
      ctx.Note(absl::StrCat("fold-attention-layout: ", n->Describe(),
                            ": the output is not only merged back to [B, S, H*D]"));
      return false;
    }
    std::vector<Value*> inputs;
    for (const MergedOperand& m : operands) {
      ASSIGN_OR_RETURN(Value * v, Materialize(graph, m, n));
      inputs.push_back(v);
    }
    for (int i = 3; i < n->num_inputs(); ++i) inputs.push_back(n->input(i));
    Attributes attrs = n->attrs();
    attrs.Set("layout", AttrValue(std::string("bsd")));
    ASSIGN_OR_RETURN(Node * bsd, AddInferredNode(graph, OpKind::kFusedAttention, inputs, 1, attrs,
                                                 n->name(), merge));
    // The merge now reshapes the [B, S, H*D] output; the old node, the head swaps and their
    // reshapes lose their last uses.
    Value* swapped = merge->input(0);
    merge->SetInput(0, bsd->output(0));
    EraseDeadProducers(graph, {swapped});
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFoldAttentionLayout() {
  return MakePatternPass("fold-attention-layout", std::make_unique<FoldAttentionLayout>());
}

}  // namespace kiln
