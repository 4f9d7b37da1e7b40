// pack-qkv: a FusedAttention (layout bsd) whose q, k and v come from one projection becomes
// packed=1 over a single [B, S, (Hq + 2*Hkv)*D] tensor, so the GPU runs one wide GEMM instead
// of three narrow ones (better wave utilisation) and no split copies:
//   - q, k, v = FusedMatMul(a, Wq[, bq]), FusedMatMul(a, Wk[, bk]), FusedMatMul(a, Wv[, bv])
//     with one input `a`, constant weights and biases, equal flags, no activation or residual:
//     the weights (and biases) are concatenated along N into one FusedMatMul;
//   - q, k, v = the three outputs of a Split of one value along its last axis (GPT-2's c_attn):
//     that value itself.
// Each of q, k, v must be used only by the attention. Anything else is left alone with a note.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// Concatenates 2-D constant tensors of one dtype along `axis` (0 or 1).
absl::StatusOr<Tensor> Concat2D(const std::vector<const Tensor*>& parts, int axis) {
  const DType dtype = parts[0]->dtype();
  const int64_t rows = parts[0]->shape()[0];
  int64_t cols = 0, total_rows = 0;
  for (const Tensor* t : parts) {
    if (t->dtype() != dtype || t->rank() != 2) return absl::InvalidArgumentError("bad weight");
    if (axis == 1 && t->shape()[0] != rows) return absl::InvalidArgumentError("row mismatch");
    if (axis == 0 && t->shape()[1] != parts[0]->shape()[1]) {
      return absl::InvalidArgumentError("column mismatch");
    }
    cols += t->shape()[1];
    total_rows += t->shape()[0];
  }
  std::vector<int64_t> shape =
      axis == 0 ? std::vector<int64_t>{total_rows, parts[0]->shape()[1]}
                : std::vector<int64_t>{rows, cols};
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(dtype, shape));
  char* dst = static_cast<char*>(out.raw_data());
  const size_t elem = DTypeSize(dtype);
  if (axis == 0) {
    for (const Tensor* t : parts) {
      std::memcpy(dst, t->raw_data(), t->nbytes());
      dst += t->nbytes();
    }
    return out;
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (const Tensor* t : parts) {
      const size_t n = static_cast<size_t>(t->shape()[1]) * elem;
      std::memcpy(dst, static_cast<const char*>(t->raw_data()) + r * n, n);
      dst += n;
    }
  }
  return out;
}

absl::StatusOr<Tensor> Concat1D(const std::vector<const Tensor*>& parts) {
  std::vector<Tensor> rows;
  std::vector<const Tensor*> as_rows;
  for (const Tensor* t : parts) {
    if (t->rank() != 1) return absl::InvalidArgumentError("bias is not 1-D");
    ASSIGN_OR_RETURN(Tensor r, t->Reshaped({1, t->shape()[0]}));
    rows.push_back(std::move(r));
  }
  for (const Tensor& r : rows) as_rows.push_back(&r);
  ASSIGN_OR_RETURN(Tensor cat, Concat2D(as_rows, 1));
  return cat.Reshaped({cat.shape()[1]});
}

// The packed [B, S, Nq + Nk + Nv] value behind q, k, v, built if they are three projections of
// one input; else null with `why` set.
absl::StatusOr<Value*> PackProjections(Graph& graph, Node* attention, std::string* why) {
  std::vector<Node*> mm;
  for (int i = 0; i < 3; ++i) {
    Node* p = ProducerOf(attention->input(i), OpKind::kFusedMatMul);
    if (p == nullptr || !HasSingleUse(graph, p->output(0))) {
      *why = absl::StrCat("input ", i, " is not a single-use FusedMatMul");
      return nullptr;
    }
    mm.push_back(p);
  }
  std::vector<const Tensor*> weights, biases;
  for (Node* p : mm) {
    const Node* f = mm[0];
    if (p->input(0) != f->input(0) || p->attr_int("trans_a") != 0 ||
        p->attr_int("trans_b") != f->attr_int("trans_b") ||
        p->attr_float("alpha") != f->attr_float("alpha") ||
        p->attr_string("activation") != "none" || p->num_inputs() > 3 ||
        (p->num_inputs() == 3) != (f->num_inputs() == 3)) {
      *why = "the projections differ in input, flags, activation, bias or residual";
      return nullptr;
    }
    const Tensor* w = ConstantOf(p->input(1));
    const Tensor* b = p->num_inputs() == 3 ? ConstantOf(p->input(2)) : nullptr;
    if (w == nullptr || w->rank() != 2 || (p->num_inputs() == 3 && b == nullptr)) {
      *why = "a projection's weight or bias is not a 2-D/1-D constant";
      return nullptr;
    }
    weights.push_back(w);
    if (b != nullptr) biases.push_back(b);
  }
  const bool trans_b = mm[0]->attr_int("trans_b") != 0;
  absl::StatusOr<Tensor> w = Concat2D(weights, trans_b ? 0 : 1);
  if (!w.ok()) {
    *why = absl::StrCat("weights do not concatenate: ", w.status().message());
    return nullptr;
  }
  std::vector<Value*> inputs = {
      mm[0]->input(0), graph.AddConstant(*std::move(w), graph.UniqueValueName("qkv_w"))};
  if (!biases.empty()) {
    ASSIGN_OR_RETURN(Tensor b, Concat1D(biases));
    inputs.push_back(graph.AddConstant(std::move(b), graph.UniqueValueName("qkv_b")));
  }
  ASSIGN_OR_RETURN(Node * packed,
                   AddInferredNode(graph, OpKind::kFusedMatMul, inputs, 1, mm[0]->attrs(),
                                   absl::StrCat(mm[0]->name(), "/qkv"), attention));
  return packed->output(0);
}

// The value q, k, v were split from (outputs 0, 1, 2 of one last-axis Split), or null.
Value* SplitSource(const Graph& graph, Node* attention) {
  const Node* split = attention->input(0)->producer();
  if (split == nullptr || split->op() != OpKind::kSplit || split->num_outputs() != 3) return nullptr;
  const int64_t rank = split->input(0)->type().rank();
  int64_t axis = split->attr_int("axis");
  if (axis < 0) axis += rank;
  if (axis != rank - 1) return nullptr;
  for (int i = 0; i < 3; ++i) {
    if (attention->input(i) != split->output(i) || !HasSingleUse(graph, split->output(i))) {
      return nullptr;
    }
  }
  return split->input(0);
}

class PackQkv : public RewritePattern {
 public:
  absl::string_view name() const override { return "pack-qkv"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext& ctx) override {
    if (n->op() != OpKind::kFusedAttention || n->attr_string("layout") != "bsd" ||
        n->attr_int("packed") != 0) {
      return false;
    }
    const auto& q = n->input(0)->type().dims;
    const auto& v = n->input(2)->type().dims;
    const int64_t hq = n->attr_int("num_heads"), hkv = n->attr_int("kv_num_heads");
    // v's head size must equal q's, and q/kv must share batch and sequence.
    if (q.size() != 3 || v.size() != 3 || q[0] != v[0] || q[1] != v[1] ||
        q[2] * DimExpr(hkv) != v[2] * DimExpr(hq)) {
      return false;
    }
    Value* packed = SplitSource(graph, n);
    std::string why;
    if (packed == nullptr) {
      ASSIGN_OR_RETURN(packed, PackProjections(graph, n, &why));
    }
    if (packed == nullptr) {
      ctx.Note(absl::StrCat("pack-qkv: ", n->Describe(), ": ", why));
      return false;
    }
    std::vector<Value*> inputs = {packed, packed, packed};
    for (int i = 3; i < n->num_inputs(); ++i) inputs.push_back(n->input(i));
    Attributes attrs = n->attrs();
    attrs.Set("packed", int64_t{1});
    ASSIGN_OR_RETURN(Node * fused, AddInferredNode(graph, OpKind::kFusedAttention, inputs, 1,
                                                   attrs, n->name(), n));
    std::vector<Value*> old = {n->input(0), n->input(1), n->input(2)};
    RETURN_IF_ERROR(ReplaceValue(graph, n->output(0), fused->output(0)));
    graph.RemoveNode(n);
    EraseDeadProducers(graph, old);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> CreatePackQkv() {
  return MakePatternPass("pack-qkv", std::make_unique<PackQkv>());
}

}  // namespace kiln
