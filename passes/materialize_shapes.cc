// materialize-shapes: an integer value whose contents shape inference knows symbolically
// (`[batch, seq, 4, 16]` from a Shape -> Gather -> Unsqueeze -> Concat chain) is replaced by
// one DimValues node holding those expressions; the chain that computed it then dies. What
// is left is data-path ops whose shape operands are plain symbolic dims, which a backend
// evaluates from the input shapes without running any graph code. Values whose contents are
// all constants are constant-folding's job and are left to it.
#include "absl/strings/str_cat.h"
#include "passes/passes.h"
#include "ir/shape_inference.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

bool Materializable(const Value* v) {
  const TensorType& t = v->type();
  if (t.dtype != DType::kI64 || t.rank() > 1 || !v->sym_value()) return false;
  if (t.rank() == 1 && t.dims[0].as_const() != static_cast<int64_t>(v->sym_value()->size())) {
    return false;
  }
  if (t.rank() == 0 && v->sym_value()->size() != 1) return false;
  bool symbolic = false;
  for (const DimExpr& d : *v->sym_value()) {
    symbolic |= !d.is_const();
    // Only dims computable from the input shapes qualify: a data-dependent symbol is bound
    // when its producer runs, which may be inside a fused kernel.
    absl::btree_set<std::string> syms;
    d.CollectSymbols(&syms);
    for (const std::string& s : syms) {
      if (IsDataDependentSymbol(s)) return false;
    }
  }
  return symbolic;
}

class MaterializeShapes : public Pass {
 public:
  absl::string_view name() const override { return "materialize-shapes"; }

  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    bool changed = false;
    for (Node* n : graph.NodeList()) {
      if (n->op() == OpKind::kDimValues || n->op() == OpKind::kConstant || n->body()) continue;
      for (int i = 0; i < n->num_outputs(); ++i) {
        Value* v = n->output(i);
        if (!Materializable(v) || v->uses().empty()) continue;
        Attributes attrs;
        attrs.Set("value", *v->sym_value());
        if (v->type().rank() == 0) attrs.Set("scalar", int64_t{1});
        ASSIGN_OR_RETURN(Node* dv, AddInferredNode(graph, OpKind::kDimValues, {}, 1,
                                                   std::move(attrs), "", n));
        RETURN_IF_ERROR(ReplaceValue(graph, v, dv->output(0)));
        dv->set_name(dv->output(0)->name());
        changed = true;
      }
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateMaterializeShapes() { return std::make_unique<MaterializeShapes>(); }

}  // namespace kiln
