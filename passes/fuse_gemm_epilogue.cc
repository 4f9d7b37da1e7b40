// fuse-gemm-epilogue: grows a GEMM's epilogue in the order the FusedMatMul contract computes it,
//   act(alpha * op(a) @ op(b) + bias) + residual,
// as cuBLASLt / CUTLASS epilogues do. Patterns, applied greedily until none matches:
//   - Add(GEMM, bias[N]) -> FusedMatMul(.., bias)             (no epilogue yet)
//   - Relu|Gelu(none|tanh)|Silu(GEMM) -> activation relu|gelu|gelu_tanh|silu
//                                                              (no activation or residual yet)
//   - Add(GEMM, r) with r of exactly the output's type -> FusedMatMul(.., r)
//                                                              (no residual yet)
// where GEMM is a MatMul, a FusedMatMul or a Gemm whose C is absent or already a bias or
// residual (so this pass also works before fold-transpose).
// The GEMM output must have a single use (and not be a graph output): otherwise its other users
// would need the value before the epilogue. Refusals of near matches are recorded as notes.
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/gemm_util.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

constexpr absl::string_view kPass = "fuse-gemm-epilogue";

Node* GemmProducer(const Value* v) {
  Node* p = v->producer();
  if (p == nullptr ||
      (p->op() != OpKind::kMatMul && p->op() != OpKind::kFusedMatMul && p->op() != OpKind::kGemm)) {
    return nullptr;
  }
  return p;
}

bool Refuse(PassContext& ctx, const Node& mm, const Node& root, absl::string_view why) {
  ctx.Note(absl::StrCat(kPass, ": ", mm.name(), " + ", root.name(), ": ", why));
  return false;
}

std::string UsesReason(const Value* v) {
  return absl::StrCat("the matmul output has ", v->uses().size(), " uses",
                      v->uses().size() == 1 ? " and is a graph output" : "");
}

class BiasAdd : public RewritePattern {
 public:
  absl::string_view name() const override { return "bias-add"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    return FoldBiasAdd(root, graph, ctx, kPass);
  }
};

// The FusedMatMul activation name for an activation node, or "" when it has none.
std::string ActivationOf(const Node& n) {
  switch (n.op()) {
    case OpKind::kRelu: return "relu";
    case OpKind::kSilu: return "silu";
    case OpKind::kGelu: {
      const std::string approximate = n.attr_string("approximate");
      if (approximate == "none") return "gelu";
      if (approximate == "tanh") return "gelu_tanh";
      return "";
    }
    default: return "";
  }
}

class Activation : public RewritePattern {
 public:
  absl::string_view name() const override { return "activation"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    const std::string act = ActivationOf(*root);
    if (act.empty()) return false;
    Value* product = root->input(0);
    Node* mm = GemmProducer(product);
    if (mm == nullptr) return false;
    std::string why;
    std::optional<GemmSpec> spec = ReadGemm(*mm, &why);
    if (!spec) return Refuse(ctx, *mm, *root, why);
    if (spec->activation != "none") {
      return Refuse(ctx, *mm, *root, absl::StrCat("it already applies ", spec->activation));
    }
    if (spec->residual != nullptr) {
      return Refuse(ctx, *mm, *root, "the activation would follow the residual add");
    }
    if (!HasSingleUse(graph, product)) return Refuse(ctx, *mm, *root, UsesReason(product));
    spec->activation = act;
    RETURN_IF_ERROR(EmitFusedMatMul(graph, *spec, root->output(0), root, mm->name()).status());
    return true;
  }
};

class Residual : public RewritePattern {
 public:
  absl::string_view name() const override { return "residual"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    if (root->op() != OpKind::kAdd) return false;
    // Try both operands before giving up: Add(matmul, matmul) may fuse either way.
    std::vector<std::string> refusals;
    for (int i = 0; i < 2; ++i) {
      Value* product = root->input(i);
      Value* residual = root->input(1 - i);
      Node* mm = GemmProducer(product);
      if (mm == nullptr) continue;
      if (residual->type().rank() == 1) continue;  // A bias candidate, not a residual.
      auto refuse = [&](absl::string_view why) {
        refusals.push_back(absl::StrCat(kPass, ": ", mm->name(), " + ", root->name(), ": ", why));
      };
      std::string why;
      std::optional<GemmSpec> spec = ReadGemm(*mm, &why);
      if (!spec) {
        refuse(why);
        continue;
      }
      if (residual->type() != root->output(0)->type()) {
        refuse(absl::StrCat("the residual ", residual->type().ToString(),
                            " does not have the output's type ",
                            root->output(0)->type().ToString()));
        continue;
      }
      if (spec->residual != nullptr) {
        refuse("it already adds a residual");
        continue;
      }
      if (!HasSingleUse(graph, product)) {
        refuse(absl::StrCat(UsesReason(product), ": no residual"));
        continue;
      }
      spec->residual = residual;
      RETURN_IF_ERROR(EmitFusedMatMul(graph, *spec, root->output(0), root, mm->name()).status());
      return true;
    }
    for (std::string& r : refusals) ctx.Note(std::move(r));
    return false;
  }
};

class FuseGemmEpilogue : public Pass {
 public:
  absl::string_view name() const override { return kPass; }
  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    std::vector<std::unique_ptr<RewritePattern>> patterns;
    patterns.push_back(std::make_unique<BiasAdd>());
    patterns.push_back(std::make_unique<Activation>());
    patterns.push_back(std::make_unique<Residual>());
    const size_t first_note = ctx.notes.size();
    absl::StatusOr<bool> changed = ApplyPatternsGreedily(graph, ctx, patterns);
    DedupeNotesSince(ctx, first_note);
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseGemmEpilogue() { return std::make_unique<FuseGemmEpilogue>(); }

}  // namespace kiln
