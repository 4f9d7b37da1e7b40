// Helpers shared by the GEMM passes (fold-transpose, fuse-gemm-epilogue): reading a GEMM-like
// node (MatMul, Gemm, FusedMatMul) as one FusedMatMul description, and emitting that
// description as a FusedMatMul node in place of the nodes it absorbs.
#ifndef KILN_PASSES_GEMM_UTIL_H_
#define KILN_PASSES_GEMM_UTIL_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln {

// FusedMatMul(a, b[, bias][, residual]) = act(alpha * op(a) @ op(b) + bias) + residual.
struct GemmSpec {
  Value* a = nullptr;
  Value* b = nullptr;
  Value* bias = nullptr;
  Value* residual = nullptr;
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  std::string activation = "none";
};

// The FusedMatMul that computes `n` (a MatMul, Gemm or FusedMatMul whose operands have rank
// >= 2 and a float dtype), or nullopt with `why` set. Only a Gemm whose C is absent, or with
// beta 1 a [N] bias or a residual of the output's type, is read here; fold-transpose rewrites
// the other forms (creating scaled constants).
std::optional<GemmSpec> ReadGemm(const Node& n, std::string* why);
// True when `n` is a Transpose that swaps the last two dims and keeps the others in place
// (a 2-D weight transpose is the rank-2 case).
bool SwapsLastTwoDims(const Node& n);
// Adds a FusedMatMul for `spec` before `before`, named `name`, makes it compute `replaced`
// (which keeps its name) and erases the nodes left dead. Returns the new node.
absl::StatusOr<Node*> EmitFusedMatMul(Graph& graph, const GemmSpec& spec, Value* replaced,
                                      Node* before, std::string name);
// The bias-Add rewrite shared by both passes: root is an Add of a single-use MatMul, Gemm or
// FusedMatMul output without epilogue and a rank-1 tensor over its last dim.
absl::StatusOr<bool> FoldBiasAdd(Node* root, Graph& graph, PassContext& ctx,
                                 absl::string_view pass_name);

// Drops repeated notes among those recorded since index `first` (greedy drivers retry a
// refused match after every rewrite), keeping the first of each.
void DedupeNotesSince(PassContext& ctx, size_t first);

}  // namespace kiln

#endif  // KILN_PASSES_GEMM_UTIL_H_
