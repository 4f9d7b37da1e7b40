// fold-gemm-cast (device stage): a 16-bit GEMM whose only use widens it to f32 writes f32
// itself. A model compiled at f16/bf16 keeps its f32 graph outputs, so mixed-precision ends
// the lm_head with a Cast (after fuse-elementwise and lower-device: a FusedKernel whose body is
// that one Cast): a kernel reading the f16 logits and writing them again as f32, 3x the
// logits' f16 bytes of traffic, after a GEMM that rounded them to f16 first.
//
// Algorithm: for each FusedMatMul y = f(a, b[, bias]) without `to`, of f16/bf16, that
// cuBLASLt runs (CublasLtRefusal), and whose output's single use is z = Cast(y, to=f32) or a
// FusedKernel z = {Cast(y, to=f32)}: a new FusedMatMul with to="f32" computes z (keeping z's
// name) from the same operands. The bias must then be f32 (cuBLASLt's bias has D's type): a
// constant bias is widened (exactly); a computed one declines. A residual declines too (C has
// D's type, and widening it would cost what the fold saves). The old GEMM and the cast are
// erased. Declines are noted.
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/lower_device.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

constexpr absl::string_view kPass = "fold-gemm-cast";

// True for a Cast of `in` to f32.
bool IsCastToF32(const Node& n, const Value* in) {
  if (n.op() != OpKind::kCast || n.input(0) != in) return false;
  return n.output(0)->type().dtype == DType::kF32;
}

// The node whose output is `y` cast to f32: a Cast, or a FusedKernel whose body is that one
// Cast. Null otherwise.
Node* WideningUse(const Graph& graph, const Value* y) {
  if (!HasSingleUse(graph, y)) return nullptr;
  Node* u = y->uses()[0].user;
  if (u->num_outputs() != 1) return nullptr;
  if (u->op() == OpKind::kCast) return IsCastToF32(*u, y) ? u : nullptr;
  if (u->op() != OpKind::kFusedKernel || u->body() == nullptr || u->num_inputs() != 1) {
    return nullptr;
  }
  const Graph& body = *u->body();
  if (body.num_nodes() != 1 || body.inputs().size() != 1 || body.outputs().size() != 1) {
    return nullptr;
  }
  const Node* cast = *body.nodes().begin();
  if (!IsCastToF32(*cast, body.inputs()[0]) || body.outputs()[0] != cast->output(0)) {
    return nullptr;
  }
  return u;
}

// `t` (f16 or bf16) as f32: exact.
absl::StatusOr<Tensor> Widen(const Tensor& t) {
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DType::kF32, t.shape()));
  float* p = out.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = static_cast<float>(t.GetAsDouble(i));
  return out;
}

absl::StatusOr<bool> Fold(Graph& graph, Node* gemm, PassContext& ctx) {
  Value* y = gemm->output(0);
  const DType dt = y->type().dtype;
  if (dt != DType::kF16 && dt != DType::kBF16) return false;
  if (gemm->attrs().FindAs<std::string>("to") != nullptr) return false;
  Node* cast = WideningUse(graph, y);
  if (cast == nullptr) return false;
  auto decline = [&](absl::string_view why) {
    ctx.Note(absl::StrCat(kPass, ": ", gemm->name(), ": f32 cast not folded (", why, ")"));
    return false;
  };
  if (std::optional<std::string> why = CublasLtRefusal(*gemm)) {
    return decline(absl::StrCat("not one cuBLASLt GEMM: ", *why));
  }
  if (gemm->input(3) != nullptr) {
    return decline("a fused residual: cuBLASLt's C must have D's type, f32");
  }
  std::vector<Value*> inputs = {gemm->input(0), gemm->input(1)};
  if (Value* bias = gemm->input(2)) {
    const Tensor* c = ConstantOf(bias);
    if (c == nullptr) return decline("a computed bias: cuBLASLt's bias must have D's type, f32");
    ASSIGN_OR_RETURN(Tensor wide, Widen(*c));
    const std::string name = graph.UniqueValueName(bias->name() + "_f32");
    inputs.push_back(graph.AddConstant(std::move(wide), name));
  }
  Attributes attrs = gemm->attrs();
  attrs.Set("to", std::string(DTypeName(DType::kF32)));
  Value* z = cast->output(0);
  ASSIGN_OR_RETURN(Node * folded, AddInferredNode(graph, OpKind::kFusedMatMul, inputs, 1,
                                                  std::move(attrs), gemm->name(), cast));
  RETURN_IF_ERROR(ReplaceValue(graph, z, folded->output(0)));
  EraseDeadProducers(graph, {z});
  return true;
}

}  // namespace

// A fold erases the GEMM and its cast and adds nodes; the snapshot holds only GEMMs.
std::unique_ptr<Pass> CreateFoldGemmCast() {
  return MakeNodePass(std::string(kPass), OpKind::kFusedMatMul, Fold);
}

}  // namespace kiln
