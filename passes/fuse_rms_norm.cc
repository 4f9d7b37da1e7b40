// fuse-rms-norm: x * 1/sqrt(mean(x^2, last axis) + eps) [* weight] -> RMSNormalization.
//
// Matched forward from each ReduceMean of a square (passes/norm_match.h), which accepts what
// both exporters emit for LLaMA's RMSNorm: Pow(x, 2) or Mul(x, x); 1/sqrt as Reciprocal(Sqrt),
// Div(1, Sqrt), Pow(-0.5) or a Div of x by the Sqrt; the Cast up to f32 and back around it
// (then the norm's input is the uncast value and stash_type the compute type); the weight
// multiplied on either side. Without a weight, a ones vector is used. Every intermediate must
// have no other use, or fusing would compute it twice. An input centred by its own mean is a
// LayerNorm, left to fuse-layer-norm.
#include "absl/strings/str_cat.h"
#include "passes/fusion_match.h"
#include "passes/norm_match.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// True when `v` is x - ReduceMean(x) over the last axis.
bool IsCentred(const Value* v) {
  const Node* sub = ProducerOf(v, OpKind::kSub);
  if (sub == nullptr) return false;
  const Node* mean = ProducerOf(sub->input(1), OpKind::kReduceMean);
  return mean != nullptr && mean->input(0) == sub->input(0) && ReducesLastAxisKeepingDims(*mean);
}

class RmsNormPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "rms-norm"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    Value* base = SquaredBase(*root);
    if (base == nullptr || IsCentred(base)) return false;  // Centred: fuse-layer-norm's.
    std::string why;
    std::optional<NormStatistics> stats = MatchNormStatistics(graph, root, &why);
    if (!stats) {
      if (!why.empty()) NoteOnce(ctx, absl::StrCat("fuse-rms-norm: ", root->Describe(), ": ", why));
      return false;
    }
    NormTail tail = MatchNormTail(graph, *stats, stats->base, /*with_bias=*/false);
    return EmitNorm(graph, ctx, "fuse-rms-norm", OpKind::kRMSNormalization, *stats, tail);
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseRmsNorm() {
  return MakePatternPass("fuse-rms-norm", std::make_unique<RmsNormPattern>());
}

}  // namespace kiln
