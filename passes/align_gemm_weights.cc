// align-gemm-weights (device stage): stores a constant GEMM weight transposed when that makes
// its rows 16-byte aligned. cuBLASLt's fast kernels load operands in 16-byte vectors, so each
// operand's leading dimension (in bytes) must be a multiple of 16; a row-major b [K, N] has
// leading dimension N, and GPT-2's lm_head (N = 50257, odd) falls to kernels without vector
// loads at ~17% of the GEMM's roofline. Stored [N, K] with trans_b = 1 its leading dimension
// is K (768), and only D keeps the odd one.
//
// Algorithm: for each Constant W [.., K, N] (any float dtype, batch dims kept) with
// N * elem_size not a multiple of 16 bytes while K * elem_size is, every use of which is the b
// operand of a FusedMatMul with trans_b = 0: add the constant W^T [.., N, K] (last two dims
// swapped), point each of those GEMMs at it with trans_b = 1, and erase W. The product is the
// same (the reference kernel reads both forms into one row-major matrix). A W with another
// kind of use is left alone with a note, so that no weight is stored twice. When a constant
// equal to W^T exists already (a tied lm_head: both exporters store the embedding [V, D] and
// a transposed copy [D, V] for the lm_head's MatMul), the GEMMs use that one instead.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

constexpr absl::string_view kPass = "align-gemm-weights";
constexpr int64_t kVectorBytes = 16;

// True for a use of `w` as the untransposed b operand of a FusedMatMul.
bool IsPlainWeightUse(const Use& u) {
  return u.user->op() == OpKind::kFusedMatMul && u.index == 1 &&
         u.user->attr_int("trans_b") == 0;
}

// True when `w` (a constant [.., K, N]) has unaligned rows that transposing would align.
bool TransposeAligns(const Tensor& w) {
  if (w.rank() < 2 || !IsFloat(w.dtype())) return false;
  const int64_t elem = static_cast<int64_t>(DTypeSize(w.dtype()));
  const int64_t k = w.shape()[w.rank() - 2], n = w.shape()[w.rank() - 1];
  return (n * elem) % kVectorBytes != 0 && (k * elem) % kVectorBytes == 0;
}

// `w` with its last two dims swapped, for any element size.
absl::StatusOr<Tensor> TransposeLastTwo(const Tensor& w) {
  std::vector<int64_t> shape = w.shape();
  const size_t r = shape.size();
  const int64_t rows = shape[r - 2], cols = shape[r - 1];
  std::swap(shape[r - 2], shape[r - 1]);
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(w.dtype(), shape));
  const size_t elem = DTypeSize(w.dtype());
  const int64_t matrix = rows * cols;
  const int64_t batch = matrix == 0 ? 0 : w.num_elements() / matrix;
  const char* src = static_cast<const char*>(w.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (int64_t b = 0; b < batch; ++b) {
    const char* s = src + b * matrix * elem;
    char* d = dst + b * matrix * elem;
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        std::memcpy(d + (j * rows + i) * elem, s + (i * cols + j) * elem, elem);
      }
    }
  }
  return out;
}

// A Constant of `graph` holding exactly `t` (dtype, shape and bytes), else null.
Value* FindEqualConstant(const Graph& graph, const Tensor& t) {
  for (const Node* n : graph.nodes()) {
    if (n->op() != OpKind::kConstant) continue;
    const Tensor* c = ConstantOf(n->output(0));
    if (c != nullptr && c->dtype() == t.dtype() && c->shape() == t.shape() &&
        std::memcmp(c->raw_data(), t.raw_data(), t.nbytes()) == 0) {
      return n->output(0);
    }
  }
  return nullptr;
}

absl::StatusOr<bool> Align(Graph& graph, Node* constant, PassContext& ctx) {
  Value* w = constant->output(0);
  const Tensor* t = ConstantOf(w);
  if (t == nullptr || w->uses().empty() || !TransposeAligns(*t)) return false;
  bool any_gemm = false;
  for (const Use& u : w->uses()) any_gemm |= IsPlainWeightUse(u);
  if (!any_gemm) return false;
  for (const Use& u : w->uses()) {
    if (!IsPlainWeightUse(u)) {
      ctx.Note(absl::StrCat(kPass, ": ", w->name(), ": not transposed (also used by ",
                            u.user->Describe(), ", input ", u.index, ")"));
      return false;
    }
  }
  if (IsGraphOutput(graph, w)) {
    ctx.Note(absl::StrCat(kPass, ": ", w->name(), ": not transposed (a graph output)"));
    return false;
  }
  ASSIGN_OR_RETURN(Tensor transposed, TransposeLastTwo(*t));
  Value* wt = FindEqualConstant(graph, transposed);
  if (wt != nullptr) {
    ctx.Note(absl::StrCat(kPass, ": ", w->name(), ": its transpose is ", wt->name()));
    // It may have been placed after the GEMMs; a constant can go anywhere, so first.
    Node* first = *graph.nodes().begin();
    if (first != wt->producer()) graph.MoveBefore(wt->producer(), first);
  } else {
    wt = graph.AddConstant(std::move(transposed), graph.UniqueValueName(w->name() + "_t"));
  }
  const std::vector<Use> uses = w->uses();
  for (const Use& u : uses) {
    u.user->SetInput(1, wt);
    u.user->mutable_attrs().Set("trans_b", int64_t{1});
  }
  graph.RemoveNode(constant);
  return true;
}

}  // namespace

std::unique_ptr<Pass> CreateAlignGemmWeights() {
  return MakeNodePass(std::string(kPass), OpKind::kConstant, Align);
}

}  // namespace kiln
