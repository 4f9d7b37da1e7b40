// CUDA C++ for a FusedAttention node (contract in ir/ops.def): one thread block per (query
// tile, q head, batch) streams over key tiles with an online softmax in fp32. f16/bf16 with head
// sizes that are multiples of 16 get a tensor-core kernel (codegen/attention_tc_emitter.h);
// everything else the fp32 CUDA-core kernel. The choice is internal: callers launch either one
// through runtime/cuda/attention_launcher.h, which reads the geometry from EmittedAttention.
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
  // bsd: q, k and v are one packed tensor (FusedAttention packed=1); the launcher offsets the
  // k and v pointers. The kernel itself only sees row strides.
  bool packed = false;
  bool allow_tensor_cores = true;  // False forces the CUDA-core kernel (comparisons, sm < 80).
};

inline constexpr int kAttentionMaxHeadDim = 128;
inline constexpr int kAttentionQueryTile = 16;  // Queries per block (CUDA-core kernel).
inline constexpr int kAttentionBlockSize = 128;  // Threads per block (CUDA-core kernel).

// A generated attention kernel. Arguments: q, k, v, [key_mask], [bias], y, then the by-value
// KilnAttentionParams {batch, q_heads, kv_heads, q_seq, kv_seq, bias_stride[4],
// row_stride[3], q_tiles} (all i64; row_stride: elements between tokens of q, k, v in layout
// bsd; q_tiles: query tiles per block, 1 but for tiles_name).
// Grid: (ceil(ceil(q_seq / query_tile) / q_tiles), q_heads, batch) blocks of block_size threads.
struct EmittedAttention {
  std::string name;    // The extern "C" symbol.
  std::string source;  // The params struct and the kernel (without the prelude).
  AttentionConfig config;
  bool tensor_cores = false;                 // The mma.sync kernel (needs sm_80+).
  int query_tile = kAttentionQueryTile;      // Queries per block.
  int block_size = kAttentionBlockSize;      // Threads per block.
  // When positive, `tiles_name` is the same kernel taking q_tiles > 1 query tiles per block,
  // for kv_seq up to resident_keys: the keys and values stay in shared memory between them.
  int resident_keys = 0;
  std::string tiles_name;
};

// The configuration of `node` (a FusedAttention with inferred input types): Unimplemented for
// what the kernel does not cover (f64, a symbolic or > 128 head size).
absl::StatusOr<AttentionConfig> AttentionConfigFor(const Node& node);

// Emits the kernel for `config`, called `kernel_name` (a C identifier).
absl::StatusOr<EmittedAttention> EmitAttentionKernel(const AttentionConfig& config,
                                                     absl::string_view kernel_name);

}  // namespace kiln

#endif  // KILN_CODEGEN_ATTENTION_EMITTER_H_
