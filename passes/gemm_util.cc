#include "passes/gemm_util.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"

namespace kiln {

namespace {

// Gemm's C as a bias ([N], beta 1) or residual (the output's type, beta 1); false otherwise.
bool ReadSimpleGemmC(const Node& n, GemmSpec* spec, std::string* why) {
  Value* c = n.input(2);
  const float beta = n.attr_float("beta");
  if (c == nullptr || beta == 0.0f) return true;
  const TensorType& out = n.output(0)->type();
  if (beta == 1.0f && c->type().rank() == 1 && c->type().dims[0] == out.dims[1]) {
    spec->bias = c;
  } else if (beta == 1.0f && c->type() == out) {
    spec->residual = c;
  } else {
    *why = "this Gemm's C needs fold-transpose to become a bias or residual";
    return false;
  }
  return true;
}

}  // namespace

std::optional<GemmSpec> ReadGemm(const Node& n, std::string* why) {
  if (n.op() != OpKind::kMatMul && n.op() != OpKind::kFusedMatMul && n.op() != OpKind::kGemm) {
    *why = absl::StrCat(n.op_name(), " is not a matmul");
    return std::nullopt;
  }
  const Value* a = n.input(0);
  const Value* b = n.input(1);
  if (!IsFloat(a->type().dtype)) {
    *why = absl::StrCat("FusedMatMul takes float operands, not ", DTypeName(a->type().dtype));
    return std::nullopt;
  }
  if (a->type().rank() < 2 || b->type().rank() < 2) {
    *why = "a rank-1 operand (FusedMatMul needs rank >= 2)";
    return std::nullopt;
  }
  if (n.op() == OpKind::kFusedMatMul && n.attrs().FindAs<std::string>("to") != nullptr) {
    // GemmSpec has no output dtype: a GEMM with a folded Cast is final.
    *why = "a FusedMatMul with an output dtype (to) is left as it is";
    return std::nullopt;
  }
  GemmSpec spec;
  spec.a = n.input(0);
  spec.b = n.input(1);
  if (n.op() == OpKind::kFusedMatMul) {
    spec.bias = n.input(2);
    spec.residual = n.input(3);
    spec.trans_a = n.attr_int("trans_a") != 0;
    spec.trans_b = n.attr_int("trans_b") != 0;
    spec.alpha = n.attr_float("alpha");
    spec.activation = n.attr_string("activation");
  } else if (n.op() == OpKind::kGemm) {
    spec.trans_a = n.attr_int("transA") != 0;
    spec.trans_b = n.attr_int("transB") != 0;
    spec.alpha = n.attr_float("alpha");
    if (!ReadSimpleGemmC(n, &spec, why)) return std::nullopt;
  }
  return spec;
}

bool SwapsLastTwoDims(const Node& n) {
  if (n.op() != OpKind::kTranspose) return false;
  const int64_t rank = n.input(0)->type().rank();
  if (rank < 2) return false;
  const std::vector<int64_t>* perm = n.attr_ints("perm");
  if (perm == nullptr) return rank == 2;  // No perm reverses the dims.
  if (static_cast<int64_t>(perm->size()) != rank) return false;
  for (int64_t i = 0; i < rank - 2; ++i) {
    if ((*perm)[i] != i) return false;
  }
  return (*perm)[rank - 2] == rank - 1 && (*perm)[rank - 1] == rank - 2;
}

absl::StatusOr<Node*> EmitFusedMatMul(Graph& graph, const GemmSpec& spec, Value* replaced,
                                      Node* before, std::string name) {
  std::vector<Value*> inputs = {spec.a, spec.b};
  if (spec.bias != nullptr || spec.residual != nullptr) inputs.push_back(spec.bias);
  if (spec.residual != nullptr) inputs.push_back(spec.residual);
  Attributes attrs;
  if (spec.trans_a) attrs.Set("trans_a", int64_t{1});
  if (spec.trans_b) attrs.Set("trans_b", int64_t{1});
  if (spec.alpha != 1.0f) attrs.Set("alpha", spec.alpha);
  if (spec.activation != "none") attrs.Set("activation", spec.activation);
  ASSIGN_OR_RETURN(Node * fused, AddInferredNode(graph, OpKind::kFusedMatMul, std::move(inputs), 1,
                                                 std::move(attrs), std::move(name), before));
  if (absl::Status s = ReplaceValue(graph, replaced, fused->output(0)); !s.ok()) {
    graph.RemoveNode(fused);
    return s;
  }
  EraseDeadProducers(graph, {replaced});
  return fused;
}

absl::StatusOr<bool> FoldBiasAdd(Node* root, Graph& graph, PassContext& ctx,
                                 absl::string_view pass_name) {
  if (root->op() != OpKind::kAdd) return false;
  for (int i = 0; i < 2; ++i) {
    Value* product = root->input(i);
    Value* bias = root->input(1 - i);
    Node* mm = product->producer();
    if (mm == nullptr || (mm->op() != OpKind::kMatMul && mm->op() != OpKind::kFusedMatMul &&
                          mm->op() != OpKind::kGemm)) {
      continue;
    }
    const TensorType& out = product->type();
    if (bias->type().rank() != 1 || out.rank() < 1 || bias->type().dims[0] != out.dims.back() ||
        bias->type().dtype != out.dtype) {
      continue;  // Not a bias; maybe a residual, which fuse-gemm-epilogue handles.
    }
    auto note = [&](absl::string_view why) {
      ctx.Note(absl::StrCat(pass_name, ": ", mm->name(), " + ", root->name(), ": ", why));
      return false;
    };
    std::string why;
    std::optional<GemmSpec> spec = ReadGemm(*mm, &why);
    if (!spec) return note(why);
    if (spec->bias || spec->residual || spec->activation != "none") {
      return note("the matmul already has an epilogue; a bias must come first");
    }
    if (!HasSingleUse(graph, product)) {
      return note(absl::StrCat("the matmul output has ", product->uses().size(),
                               " uses (or is a graph output)"));
    }
    spec->bias = bias;
    RETURN_IF_ERROR(EmitFusedMatMul(graph, *spec, root->output(0), root, mm->name()).status());
    return true;
  }
  return false;
}

void DedupeNotesSince(PassContext& ctx, size_t first) {
  absl::flat_hash_set<std::string> seen;
  size_t out = first;
  for (size_t i = first; i < ctx.notes.size(); ++i) {
    if (seen.insert(ctx.notes[i]).second) ctx.notes[out++] = ctx.notes[i];
  }
  ctx.notes.resize(out);
}

}  // namespace kiln
