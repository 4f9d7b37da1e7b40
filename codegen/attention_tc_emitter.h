// The tensor-core (flash-attention-2 style) variant of the FusedAttention kernel, for f16/bf16
// with head sizes that are multiples of 16: mma.sync m16n8k16 for Q·Kᵀ and P·V, online softmax
// in fp32 registers. Internal to codegen/attention_emitter.cc, which picks the variant.
#ifndef KILN_CODEGEN_ATTENTION_TC_EMITTER_H_
#define KILN_CODEGEN_ATTENTION_TC_EMITTER_H_

#include <string>

#include "codegen/attention_emitter.h"

namespace kiln {

inline constexpr int kAttentionTcQueryTile = 64;   // Queries per block: 16 per warp.
inline constexpr int kAttentionTcBlockSize = 128;  // 4 warps.

// Whether the tensor-core kernel covers `config` (f16/bf16, both head sizes multiples of 16).
bool TensorCoreAttentionCovers(const AttentionConfig& config);

// Keys the kernel for `config` keeps in shared memory while one block computes several query
// tiles (EmittedAttention::resident_keys): 128 with the double-buffered pipeline, else 0.
int TensorCoreAttentionResidentKeys(const AttentionConfig& config);

std::string TensorCoreAttentionTilesName(const std::string& name);

// The tensor-core kernel's source for `config` (which it must cover), named `name`: one query
// tile per block. Where TensorCoreAttentionResidentKeys is positive the source also defines
// TensorCoreAttentionTilesName(name), the same kernel taking KilnAttentionParams::q_tiles
// query tiles per block (a separate kernel, so the one-tile kernel keeps its registers).
std::string EmitTensorCoreAttentionSource(const AttentionConfig& config, const std::string& name);

}  // namespace kiln

#endif  // KILN_CODEGEN_ATTENTION_TC_EMITTER_H_
