// fold-transpose: canonicalises GEMMs into FusedMatMul, folding operand transposes into its
// trans_a / trans_b flags (as XLA's TransposeFolding folds transposes into dot dimension
// numbers). Patterns, applied greedily until none matches:
//   - Gemm(A, B, C) -> FusedMatMul(A, B, bias|residual) with transA/transB/alpha; C becomes the
//     bias when it is [N] (a constant row vector is scaled by beta and reshaped to [N]), else the
//     residual when beta is 1 (or C is constant, scaled by beta).
//   - MatMul / FusedMatMul with an operand Transpose(x) that swaps the last two dims (rank 2 is
//     the exporters' weight transpose) -> FusedMatMul(x) with that operand's flag toggled.
//   - MatMul(x, W) with a constant 2-D W (a linear layer) -> FusedMatMul(x, W), so that every
//     linear layer has one form for later passes and backends.
//   - Add(MatMul(x, W), bias[N]) -> FusedMatMul(x, W, bias) (shared with fuse-gemm-epilogue).
// FusedMatMul is float-only and needs operands of rank >= 2: other matmuls stay, with a note.
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/gemm_util.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

constexpr absl::string_view kPass = "fold-transpose";

void Note(PassContext& ctx, const Node& n, absl::string_view why) {
  ctx.Note(absl::StrCat(kPass, ": ", n.name(), ": ", why));
}

// A constant of `dtype` and `shape` holding `values`.
absl::StatusOr<Value*> AddFloatConstant(Graph& graph, DType dtype, std::vector<int64_t> shape,
                                        const std::vector<double>& values, std::string name) {
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, std::move(shape)));
  VisitDType(dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      for (size_t i = 0; i < values.size(); ++i) t.data<T>()[i] = T(static_cast<float>(values[i]));
    } else if constexpr (std::is_floating_point_v<T>) {
      for (size_t i = 0; i < values.size(); ++i) t.data<T>()[i] = static_cast<T>(values[i]);
    }
    return 0;
  });
  Attributes attrs;
  attrs.Set("value", std::move(t));
  ASSIGN_OR_RETURN(Node * c, AddInferredNode(graph, OpKind::kConstant, {}, 1, std::move(attrs),
                                             name, graph.NodeList().front()));
  return c->output(0);
}

// Sets spec->bias or spec->residual from Gemm's C = input 2 (scaled by beta); false with a note
// when C cannot be expressed.
absl::StatusOr<bool> ReadGemmC(Graph& graph, PassContext& ctx, const Node& gemm, GemmSpec* spec) {
  Value* c = gemm.input(2);
  const float beta = gemm.attr_float("beta");
  if (c == nullptr || beta == 0.0f) return true;
  const TensorType& ct = c->type();
  const DimExpr& n = gemm.output(0)->type().dims[1];
  if (ct.rank() == 1 && ct.dims[0] == n && beta == 1.0f) {
    spec->bias = c;
    return true;
  }
  const Tensor* t = ConstantOf(c);
  const bool row =
      ct.rank() == 0 || (ct.rank() == 1) || (ct.rank() == 2 && ct.dims[0] == DimExpr(1));
  if (t != nullptr && row && n.as_const()) {
    // A row vector (or scalar) broadcast over the rows: a bias of [N].
    const int64_t cols = *n.as_const();
    std::vector<double> v(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) v[j] = beta * t->GetAsDouble(t->num_elements() == 1 ? 0 : j);
    ASSIGN_OR_RETURN(spec->bias,
                     AddFloatConstant(graph, ct.dtype, {cols}, v, gemm.name() + "_bias"));
    return true;
  }
  if (beta == 1.0f) {
    spec->residual = c;
    return true;
  }
  if (t != nullptr) {
    std::vector<double> v(static_cast<size_t>(t->num_elements()));
    for (size_t i = 0; i < v.size(); ++i) v[i] = beta * t->GetAsDouble(static_cast<int64_t>(i));
    ASSIGN_OR_RETURN(spec->residual,
                     AddFloatConstant(graph, ct.dtype, t->shape(), v, gemm.name() + "_c"));
    return true;
  }
  Note(ctx, gemm, "beta != 1 with a computed C has no FusedMatMul form");
  return false;
}

class GemmToFusedMatMul : public RewritePattern {
 public:
  absl::string_view name() const override { return "gemm-to-fused-matmul"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    if (root->op() != OpKind::kGemm) return false;
    if (!IsFloat(root->output(0)->type().dtype)) {
      Note(ctx, *root, "FusedMatMul takes float operands");
      return false;
    }
    GemmSpec spec;
    spec.a = root->input(0);
    spec.b = root->input(1);
    spec.trans_a = root->attr_int("transA") != 0;
    spec.trans_b = root->attr_int("transB") != 0;
    spec.alpha = root->attr_float("alpha");
    ASSIGN_OR_RETURN(bool ok, ReadGemmC(graph, ctx, *root, &spec));
    if (!ok) return false;
    RETURN_IF_ERROR(EmitFusedMatMul(graph, spec, root->output(0), root, root->name()).status());
    return true;
  }
};

// Folds operand transposes into the flags, and turns linear-layer MatMuls into FusedMatMul.
class FoldOperandTranspose : public RewritePattern {
 public:
  absl::string_view name() const override { return "fold-operand-transpose"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    if (root->op() != OpKind::kMatMul && root->op() != OpKind::kFusedMatMul) return false;
    const Node* ta = root->input(0)->producer();
    const Node* tb = root->input(1)->producer();
    const bool fold_a = ta != nullptr && SwapsLastTwoDims(*ta);
    const bool fold_b = tb != nullptr && SwapsLastTwoDims(*tb);
    const bool linear = root->op() == OpKind::kMatMul && ConstantOf(root->input(1)) != nullptr &&
                        root->input(1)->type().rank() == 2;
    if (!fold_a && !fold_b && !linear) return false;
    std::string why;
    std::optional<GemmSpec> spec = ReadGemm(*root, &why);
    if (!spec) {
      Note(ctx, *root, why);
      return false;
    }
    if (fold_a) {
      spec->a = ta->input(0);
      spec->trans_a = !spec->trans_a;
    }
    if (fold_b) {
      spec->b = tb->input(0);
      spec->trans_b = !spec->trans_b;
    }
    RETURN_IF_ERROR(EmitFusedMatMul(graph, *spec, root->output(0), root, root->name()).status());
    return true;
  }
};

class BiasAdd : public RewritePattern {
 public:
  absl::string_view name() const override { return "bias-add"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    return FoldBiasAdd(root, graph, ctx, kPass);
  }
};

class FoldTranspose : public Pass {
 public:
  absl::string_view name() const override { return kPass; }
  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    std::vector<std::unique_ptr<RewritePattern>> patterns;
    patterns.push_back(std::make_unique<GemmToFusedMatMul>());
    patterns.push_back(std::make_unique<FoldOperandTranspose>());
    patterns.push_back(std::make_unique<BiasAdd>());
    const size_t first_note = ctx.notes.size();
    absl::StatusOr<bool> changed = ApplyPatternsGreedily(graph, ctx, patterns);
    DedupeNotesSince(ctx, first_note);
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFoldTranspose() { return std::make_unique<FoldTranspose>(); }

}  // namespace kiln
