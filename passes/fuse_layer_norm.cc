// fuse-layer-norm: a decomposed LayerNorm over the last axis -> LayerNormalization.
//
//   mean = ReduceMean(x); d = x - mean; var = ReduceMean(d^2); n = d / sqrt(var + eps)
//   y = n * scale + bias           (scale and bias optional, either operand order)
//
// Matched forward from the ReduceMean of the square (passes/norm_match.h accepts Pow(d, 2) or
// Mul(d, d), and 1/sqrt as Div by Sqrt, Reciprocal(Sqrt), Div(1, Sqrt) or Pow(-0.5)), then back
// to the centring. `d` may be used only by the square and the normalisation, every other
// intermediate only once, so nothing is computed twice. ONNX's own LayerNormalization op,
// which the exporters emit, is already in this form and is left alone.

#include "absl/strings/str_cat.h"
#include "passes/fusion_match.h"
#include "passes/norm_match.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// The x of d = x - ReduceMean(x), or null with `why` set.
Value* CentredInput(const Graph& graph, const NormStatistics& stats, std::string* why) {
  const Node* sub = ProducerOf(stats.base, OpKind::kSub);
  Node* mean = sub ? ProducerOf(sub->input(1), OpKind::kReduceMean) : nullptr;
  if (mean == nullptr || mean->input(0) != sub->input(0)) return nullptr;  // Not a LayerNorm.
  if (!ReducesLastAxisKeepingDims(*mean)) {
    *why = "the mean is not over the last axis alone with keepdims";
    return nullptr;
  }
  if (!HasSingleUse(graph, mean->output(0))) {
    *why = "the mean is used elsewhere";
    return nullptr;
  }
  bool local = !IsGraphOutput(graph, stats.base);
  for (const Use& u : stats.base->uses()) {
    local &= u.user == stats.square || u.user == stats.normalize;
  }
  if (!local) {
    *why = "x - mean is used elsewhere";
    return nullptr;
  }
  return sub->input(0);
}

class LayerNormPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "layer-norm"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    Value* base = SquaredBase(*root);
    if (base == nullptr || !ProducerOf(base, OpKind::kSub)) return false;  // Not centred.
    std::string why;
    std::optional<NormStatistics> stats = MatchNormStatistics(graph, root, &why);
    Value* x = stats ? CentredInput(graph, *stats, &why) : nullptr;
    if (x == nullptr) {
      if (!why.empty())
        NoteOnce(ctx, absl::StrCat("fuse-layer-norm: ", root->Describe(), ": ", why));
      return false;
    }
    NormTail tail = MatchNormTail(graph, *stats, x, /*with_bias=*/true);
    return EmitNorm(graph, ctx, "fuse-layer-norm", OpKind::kLayerNormalization, *stats, tail);
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseLayerNorm() {
  return MakePatternPass("fuse-layer-norm", std::make_unique<LayerNormPattern>());
}

}  // namespace kiln
