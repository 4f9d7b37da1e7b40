// CUDA C++ for a FusedAttention node (contract in ir/ops.def): one thread block per (query
// tile, q head, batch) streams over key tiles with an online softmax in fp32. No tensor cores.
#ifndef KILN_CODEGEN_ATTENTION_EMITTER_H_
#define KILN_CODEGEN_ATTENTION_EMITTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/dtype.h"
#include "ir/graph.h"

namespace kiln {

// What the generated attention kernel is specialised on (everything else is a launch param).
struct AttentionConfig {
  DType dtype = DType::kF32;  // q, k, v and y.
  bool bsd = false;           // Layout "bsd" (else "bhsd").
  int head_dim = 0;           // q/k head size (<= kAttentionMaxHeadDim).
  int v_head_dim = 0;         // v/y head size (<= kAttentionMaxHeadDim).
  float scale = 1.0f;
  bool causal = false;
  bool uniform_empty = false;                // empty_rows "uniform" (else "zero").
  DType key_mask_dtype = DType::kUndefined;  // Set when the padding mask is on.
  DType bias_dtype = DType::kUndefined;      // Set when there is a bias input.
};

inline constexpr int kAttentionMaxHeadDim = 128;
inline constexpr int kAttentionQueryTile = 16;  // Queries per block.
inline constexpr int kAttentionBlockSize = 128;

// A generated attention kernel. Arguments: q, k, v, [key_mask], [bias], y, then the by-value
// KilnAttentionParams {batch, q_heads, kv_heads, q_seq, kv_seq, bias_stride[4]} (all i64).
// Grid: (ceil(q_seq / kAttentionQueryTile), q_heads, batch) blocks of kAttentionBlockSize.
struct EmittedAttention {
  std::string name;    // The extern "C" symbol.
  std::string source;  // The params struct and the kernel (without the prelude).
  AttentionConfig config;
};

// The configuration of `node` (a FusedAttention with inferred input types): Unimplemented for
// what the kernel does not cover (f64, a symbolic or > 128 head size).
absl::StatusOr<AttentionConfig> AttentionConfigFor(const Node& node);

// Emits the kernel for `config`, called `kernel_name` (a C identifier).
absl::StatusOr<EmittedAttention> EmitAttentionKernel(const AttentionConfig& config,
                                                     absl::string_view kernel_name);

}  // namespace kiln

#endif  // KILN_CODEGEN_ATTENTION_EMITTER_H_
