// fold-skip-residual (GPU pipelines, before fuse-elementwise): a pre-norm SkipNormalization
// (its sum is used: a pre-norm model's residual stream) whose x is a GEMM's own output moves
// the residual add into that GEMM, whose epilogue adds it as cuBLASLt's C (beta = 1):
//
//   x = FusedMatMul(a, w[, bias])                 d = FusedMatMul(a, w, bias|none, skip)
//   y, sum = SkipNormalization(x, skip, s[, b])   y = LayerNormalization(d, s[, b])
//                                                     (RMSNormalization(d, s) for norm="rms")
//                                                 sum = d
//
// The norm kernel then reads one row tensor and writes one instead of reading two and writing
// two, and the GEMM reads the residual: one tensor less moves. A post-norm SkipNormalization
// (BERT: the sum is not used) is left alone: there the traffic only moves into the GEMM, and on
// the H100 the GEMMs slowed by more than the norm gained (BERT-base b32, per layer: out-proj
// 13.4 -> 15.3 us, FFN-out 31.2 -> 33.2, each norm 11.6 -> 10.3). Either operand of the sum may
// be the GEMM's output. Required: that output is used only by the norm, the GEMM adds no
// residual yet and has no activation (cuBLASLt adds C before it), and the other operand has the
// output's exact type. The sum is rounded once (from fp32) instead of twice at 16 bits, which
// is closer to the exact value. Refusals are noted. Not yet handled: a GEMM output reaching the
// norm through a view (GPT-2's exports compute [B*S, N] and Reshape it to [B, S, N]), so this
// fires on LLaMA's and ViT's blocks but not GPT-2's.
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/gemm_util.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// Why the GEMM producing `x` cannot take `skip` as its residual, or "" when it can.
std::string Refusal(const Graph& graph, const Value* x, const Value* skip) {
  const Node* mm = x->producer();
  if (mm == nullptr || mm->op() != OpKind::kFusedMatMul) return "not a GEMM output";
  if (!HasSingleUse(graph, x)) return absl::StrCat(mm->name(), "'s output has other uses");
  if (mm->num_inputs() > 3) return absl::StrCat(mm->name(), " already adds a residual");
  if (mm->attr_string("activation") != "none") {
    return absl::StrCat(mm->name(), " has an activation, which cuBLASLt applies after C");
  }
  if (skip->type() != x->type()) {
    return absl::StrCat("the residual ", skip->type().ToString(), " is not of the GEMM's type ",
                        x->type().ToString());
  }
  return "";
}

// The plain norm of `d` that `skip_norm` applies to its sum.
absl::StatusOr<Node*> AddNorm(Graph& graph, Node* skip_norm, Value* d) {
  const bool rms = skip_norm->attr_string("norm") == "rms";
  std::vector<Value*> inputs = {d, skip_norm->input(2)};
  if (!rms && skip_norm->num_inputs() > 3) inputs.push_back(skip_norm->input(3));
  Attributes attrs;
  attrs.Set("axis", int64_t{-1});
  attrs.Set("epsilon", skip_norm->attr_float("epsilon"));
  return AddInferredNode(graph, rms ? OpKind::kRMSNormalization : OpKind::kLayerNormalization,
                         std::move(inputs), 1, std::move(attrs), skip_norm->name(), skip_norm);
}

class FoldSkipResidual : public RewritePattern {
 public:
  absl::string_view name() const override { return "fold-skip-residual"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext& ctx) override {
    if (n->op() != OpKind::kSkipNormalization) return false;
    if (n->num_outputs() < 2 || !IsUsed(graph, n->output(1))) return false;  // Post-norm.
    std::string why;
    for (int i = 0; i < 2; ++i) {
      Value* x = n->input(i);
      Value* skip = n->input(1 - i);
      if (std::string refusal = Refusal(graph, x, skip); !refusal.empty()) {
        if (why.empty()) why = refusal;
        continue;
      }
      std::string read_why;
      std::optional<GemmSpec> spec = ReadGemm(*x->producer(), &read_why);
      if (!spec) {
        why = read_why;
        continue;
      }
      spec->residual = skip;
      const std::string gemm_name = x->producer()->name();
      ASSIGN_OR_RETURN(Node * gemm, EmitFusedMatMul(graph, *spec, x, n, gemm_name));
      Value* d = gemm->output(0);
      ASSIGN_OR_RETURN(Node * norm, AddNorm(graph, n, d));
      RETURN_IF_ERROR(ReplaceValue(graph, n->output(0), norm->output(0)));
      if (n->num_outputs() > 1) RETURN_IF_ERROR(ReplaceValue(graph, n->output(1), d));
      graph.RemoveNode(n);
      return true;
    }
    ctx.Note(absl::StrCat("fold-skip-residual: ", n->Describe(), ": ", why));
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFoldSkipResidual() {
  return MakePatternPass("fold-skip-residual", std::make_unique<FoldSkipResidual>());
}

}  // namespace kiln
