// The structural half of fuse-attention: from a MatMul(P, V), find
//   P = Softmax(axis -1)(mask steps(c * MatMul(Q', K')))   [optionally Where(IsNaN(P), 0, P)]
// where the mask steps are Adds of a mask term and Where(cond, scores, fill) replacements, the
// scale c collects scalar Mul/Div on the scores and on both operands, and Q', K'^T, V' are
// traced back to [B, H, S, D] bases (passes/attention_layout.h).
#ifndef KILN_PASSES_ATTENTION_MATCH_H_
#define KILN_PASSES_ATTENTION_MATCH_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "passes/attention_layout.h"
#include "passes/attention_mask.h"

namespace kiln {

struct AttentionMatch {
  Node* root = nullptr;  // MatMul(P, V).
  Node* qk = nullptr;    // MatMul(Q', K').
  double scale = 1;      // Every constant factor on the scores.
  // A factor applied after some mask step, which then scales the mask term too.
  bool scale_outside_masks = false;
  std::vector<MaskStep> steps;  // Innermost first.
  HeadsBase q, k, v;
  int64_t num_heads = 0, kv_num_heads = 0;
};

// nullopt when `root` is not the output MatMul of an attention at all; FailedPrecondition
// with the reason when it almost is.
absl::StatusOr<std::optional<AttentionMatch>> MatchAttention(const Graph& graph, Node* root);

}  // namespace kiln

#endif  // KILN_PASSES_ATTENTION_MATCH_H_
