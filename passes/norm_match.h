// Matching of decomposed normalisations, shared by fuse-layer-norm and fuse-rms-norm: both end
// in mean(square(base)) + eps -> 1/sqrt -> base * that, and differ only in `base` (x - mean(x)
// for LayerNorm, x itself for RMSNorm) and in whether a bias follows the scale.
#ifndef KILN_PASSES_NORM_MATCH_H_
#define KILN_PASSES_NORM_MATCH_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln {

// base * rsqrt(mean(base^2, last axis) + eps), matched forward from its ReduceMean.
struct NormStatistics {
  Value* base = nullptr;      // The value squared and then normalised.
  Node* square = nullptr;     // Pow(base, 2) or Mul(base, base).
  Node* normalize = nullptr;  // base / sqrt(..) or base * 1/sqrt(..).
  double epsilon = 0;
};

// The value whose square `reduce` averages, if `reduce` is a ReduceMean of Pow(v, 2) or
// Mul(v, v) of a float v; else null.
Value* SquaredBase(const Node& reduce);

// Matches the statistics starting at `reduce`. Returns nullopt with `why` empty when `reduce`
// is not a ReduceMean of a square at all, and with `why` set when it almost matched.
std::optional<NormStatistics> MatchNormStatistics(const Graph& graph, Node* reduce,
                                                  std::string* why);

// What the fused node takes and replaces.
struct NormTail {
  Value* input = nullptr;  // `base`, or the value `base` was cast up from.
  Value* scale = nullptr;  // Null: no scale multiplies the result (ones are used).
  Value* bias = nullptr;
  Value* out = nullptr;  // The value the fused node's output replaces.
  DType stash = DType::kF32;
};

// Extends a match past `normalize`: a Cast back to the dtype that `input` was cast up from
// (the "compute in f32" idiom), then a Mul by a scale vector and, with `with_bias`, an Add of
// a bias vector, each optional, in either operand order. `input` defaults to `base`.
NormTail MatchNormTail(const Graph& graph, const NormStatistics& stats, Value* input,
                       bool with_bias);

// Replaces `tail.out` by `op`(input, scale[, bias]) over the last axis, then erases the nodes
// left dead. Declines (false, with a note from `pass`) when the types do not fit.
absl::StatusOr<bool> EmitNorm(Graph& graph, PassContext& ctx, absl::string_view pass, OpKind op,
                              const NormStatistics& stats, const NormTail& tail);

}  // namespace kiln

#endif  // KILN_PASSES_NORM_MATCH_H_
