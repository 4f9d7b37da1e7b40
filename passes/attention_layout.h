// Recovering the [batch, heads, seq, head_dim] tensor behind an attention MatMul operand.
//
// Exporters reach the operands of the two attention MatMuls through chains of Reshape,
// Transpose, Unsqueeze/Squeeze and Expand (head splits, K^T as a Transpose or as a
// Reshape/Transpose/Reshape over [B*H, S, D], LLaMA's repeat_kv = Unsqueeze/Expand/Reshape)
// and scalar Mul/Div (sqrt(scale) applied to both operands). TraceHeads walks such a chain
// backwards while tracking which logical axis (batch, head, seq, feature) each dim holds: a
// Reshape may merge axes or split one into a major and a minor part, an Expand from size 1
// marks the axes it creates as broadcast. The deepest value whose dims are exactly
// [batch, head, seq, feature] is the base; failing that, the deepest whose dims are those four
// in another order (a Transpose to [B, H, S, D] then makes the base). When the head axis was
// split with its minor part broadcast, that part is the grouped-query repeat, and the base holds
// head / group KV heads.
#ifndef KILN_PASSES_ATTENTION_LAYOUT_H_
#define KILN_PASSES_ATTENTION_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace kiln {

// How the operand's dims are laid out: [b, h, s, d] (query, value) or [b, h, d, s] (K^T).
enum class OperandLayout { kBhsd, kBhds };

// The tensor an attention operand was derived from.
struct HeadsBase {
  Value* value = nullptr;     // [B, heads, S, D], or those dims permuted by `perm`.
  std::vector<int64_t> perm;  // Transpose(value, perm) is [B, heads, S, D]; empty: identity.
  double scale = 1.0;         // Product of the scalar factors applied on the way to the operand.
  int64_t heads = 0;          // value's head count.
  int64_t group = 1;          // Operand heads per base head (1 unless grouped-query repeats).
};

// The dims of Transpose(base.value, base.perm).
std::vector<DimExpr> BaseDims(const HeadsBase& base);

// Traces a rank-4 attention MatMul operand back to its base; NotFound says why none fits.
absl::StatusOr<HeadsBase> TraceHeads(Value* operand, OperandLayout layout);

}  // namespace kiln

#endif  // KILN_PASSES_ATTENTION_LAYOUT_H_
