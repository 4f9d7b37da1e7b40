// Launching the generated FusedAttention kernel (codegen/attention_emitter.h): the host builds
// its KilnAttentionParams and grid from the concrete input shapes.
#ifndef KILN_RUNTIME_CUDA_ATTENTION_LAUNCHER_H_
#define KILN_RUNTIME_CUDA_ATTENTION_LAUNCHER_H_

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/attention_emitter.h"
#include "runtime/cuda/kernel_launcher.h"

namespace kiln::cuda {

// KilnAttentionParams as 64-bit words {batch, q_heads, kv_heads, q_seq, kv_seq,
// bias_stride[4], row_stride[3], q_tiles} and the grid (x: blocks of q_tiles query tiles,
// y: q heads, z: batch).
struct AttentionLaunch {
  std::vector<int64_t> words;
  int64_t grid[3] = {1, 1, 1};
};

// Validates the shapes of q, k, v, [key_mask], [bias] (in that order; present exactly as the
// kernel's config says) against `kernel` and the head counts, and builds its launch. Pure (no
// GPU); a mismatch is InvalidArgument naming the kernel.
absl::StatusOr<AttentionLaunch> BuildAttentionLaunch(
    const EmittedAttention& kernel, int64_t q_heads, int64_t kv_heads,
    const std::vector<std::vector<int64_t>>& input_shapes);

// `launch` (one query tile per block) with q_tiles query tiles per block, when that pays:
// the kernel keeps every key resident (kv_seq <= resident_keys) and its grid is more than
// `resident_blocks` (the device's SMs times the kernel's blocks per SM) hold at once. Then
// each block takes ceil(blocks / resident_blocks) tiles (at most all of its head's), so a
// (batch, head)'s keys are read once per block and its next tile's Q arrives while the
// current one is computed. That fits one wave when the blocks divide evenly (BERT-base b32 on
// an H100: 768 blocks, 396 resident, 2 tiles each); it is not the exact fewest tiles that do.
AttentionLaunch PackQueryTiles(const EmittedAttention& kernel, const AttentionLaunch& launch,
                               int64_t resident_blocks);

// Launches `kernel` from `module`: `buffers` are device pointers q, k, v, [key_mask], [bias], y.
// Packs query tiles as PackQueryTiles says for the current device. Does not synchronize.
absl::Status LaunchAttention(const LoadedModule& module, const EmittedAttention& kernel,
                             const AttentionLaunch& launch, absl::Span<void* const> buffers,
                             cudaStream_t stream = nullptr);

}  // namespace kiln::cuda

#endif  // KILN_RUNTIME_CUDA_ATTENTION_LAUNCHER_H_
