// Classifying an attention mask by what it computes, not by how an exporter built it.
//
// TorchScript builds (1 - mask) * finfo.min, the dynamo exporter and transformers 5 build
// vmap-style index arithmetic (Range, GatherND, LessOrEqual, And, Where); matching those
// builders would break with every exporter release. Instead the steps that mask the scores
// (additive terms and Where replacements) are copied into a standalone graph together with
// everything they are computed from (graph inputs and constants only), run on several probes
// (random sizes, 0/1 attention-mask rows padded left and right), and the kept/dropped pattern
// they leave on the scores is compared with the four canonical masks: none, padding (from a
// rank-2 graph input: key j dropped where it is 0), causal (j > i + Skv - Sq) and both.
#ifndef KILN_PASSES_ATTENTION_MASK_H_
#define KILN_PASSES_ATTENTION_MASK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "passes/subgraph_probe.h"

namespace kiln {

// One masking step on the scores, innermost first.
struct MaskStep {
  enum class Kind { kAdd, kKeepWhere, kDropWhere };
  Kind kind;
  Value* value;     // The additive term, or the Where's condition.
  double fill = 0;  // Where: the constant that replaces dropped scores.
};

// The canonical masks of FusedAttention's `mask` attribute.
enum class MaskKind { kNone, kPadding, kCausal, kBoth };
absl::string_view MaskKindName(MaskKind kind);

struct MaskClass {
  MaskKind kind = MaskKind::kNone;
  const Value* key_mask = nullptr;  // The graph input that padding reads.
};

// Scores at or below this are dropped keys (finfo.min, -1e30, -inf); other nonzero values make
// the mask a bias. f16's finfo.min is -65504, so its threshold is higher.
double DroppedScore(DType scores);

// Classifies `steps` applied to scores of type `scores` ([B, H, Sq, Skv]). NotFound when the
// steps add values other than 0 and dropped-score values (a bias), FailedPrecondition when they
// only drop keys but in no canonical pattern or cannot be probed; both say why.
absl::StatusOr<MaskClass> ClassifyMask(const Graph& graph, const std::vector<MaskStep>& steps,
                                       const TensorType& scores);

// The probe setup for a subgraph that reads `key_mask` (may be null) for scores of `scores`.
ProbeSpec MaskProbeSpec(const Graph& graph, const Value* key_mask, const TensorType& scores);

}  // namespace kiln

#endif  // KILN_PASSES_ATTENTION_MASK_H_
