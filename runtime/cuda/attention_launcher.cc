// Shape checks mirror the reference kernel's (runtime/reference/fused_attention.cc) so a launch
// never reads past a buffer the shapes describe.
#include "runtime/cuda/attention_launcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/cuda/cuda_status.h"

namespace kiln::cuda {
namespace {

constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxGridX = 2147483647;

std::string Shape(const std::vector<int64_t>& s) {
  return absl::StrCat("[", absl::StrJoin(s, ","), "]");
}

}  // namespace

absl::StatusOr<AttentionLaunch> BuildAttentionLaunch(
    const EmittedAttention& kernel, int64_t q_heads, int64_t kv_heads,
    const std::vector<std::vector<int64_t>>& input_shapes) {
  const AttentionConfig& c = kernel.config;
  auto fail = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("attention kernel ", kernel.name, ": ", why));
  };
  const bool has_mask = c.key_mask_dtype != DType::kUndefined;
  const bool has_bias = c.bias_dtype != DType::kUndefined;
  const size_t want_inputs = 3 + (has_mask ? 1 : 0) + (has_bias ? 1 : 0);
  if (input_shapes.size() != want_inputs) {
    return fail(absl::StrCat("takes ", want_inputs, " inputs, got ", input_shapes.size()));
  }
  if (q_heads <= 0 || kv_heads <= 0 || q_heads % kv_heads != 0) {
    return fail("num_heads must be a positive multiple of kv_num_heads");
  }
  const size_t rank = c.bsd ? 3 : 4;
  const auto& q = input_shapes[0];
  const auto& k = input_shapes[1];
  const auto& v = input_shapes[2];
  if (q.size() != rank || k.size() != rank || v.size() != rank) {
    return fail(absl::StrCat("q, k and v must be ", rank, "-D"));
  }
  // Expected shapes from (batch, seq) under the kernel's layout and head sizes.
  auto expect = [&](int64_t b, int64_t heads, int64_t seq, int64_t dim) {
    return c.bsd ? std::vector<int64_t>{b, seq, heads * dim}
                 : std::vector<int64_t>{b, heads, seq, dim};
  };
  const int64_t batch = q[0];
  const int64_t q_seq = c.bsd ? q[1] : q[2];
  const int64_t kv_seq = c.bsd ? k[1] : k[2];
  if (c.packed) {
    // One [B, S, (Hq + 2*Hkv)*D] tensor passed as q, k and v.
    const std::vector<int64_t> want = {batch, q_seq, (q_heads + 2 * kv_heads) * c.head_dim};
    if (q != want || k != want || v != want || c.v_head_dim != c.head_dim) {
      return fail(absl::StrCat("packed q/k/v ", Shape(q), " is not ", Shape(want)));
    }
  } else if (q != expect(batch, q_heads, q_seq, c.head_dim) ||
             k != expect(batch, kv_heads, kv_seq, c.head_dim) ||
             v != expect(batch, kv_heads, kv_seq, c.v_head_dim)) {
    return fail(absl::StrCat("q ", Shape(q), ", k ", Shape(k), ", v ", Shape(v),
                             " do not fit heads ", q_heads, "/", kv_heads, " of sizes ",
                             c.head_dim, "/", c.v_head_dim));
  }
  if (batch < 0 || q_seq < 0 || kv_seq < 0) return fail("negative dims");
  AttentionLaunch launch;
  // bias_stride[4], then row_stride[3]: the elements between tokens of q, k and v (bsd).
  launch.words = {batch, q_heads, kv_heads, q_seq, kv_seq, 0, 0, 0, 0, 0, 0, 0, 1};
  if (c.bsd) {
    for (int i = 0; i < 3; ++i) launch.words[9 + i] = input_shapes[i][2];
  }
  size_t next = 3;
  if (has_mask && input_shapes[next++] != std::vector<int64_t>{batch, kv_seq}) {
    return fail(absl::StrCat("key_mask ", Shape(input_shapes[next - 1]), " must be [", batch, ",",
                             kv_seq, "]"));
  }
  if (has_bias) {
    const auto& bias = input_shapes[next];
    const int64_t target[4] = {batch, q_heads, q_seq, kv_seq};
    if (bias.size() > 4) return fail("bias has rank > 4");
    int64_t stride = 1;
    for (int a = 3; a >= 0; --a) {
      const int src = a - (4 - static_cast<int>(bias.size()));
      const int64_t dim = src >= 0 ? bias[src] : 1;
      if (dim != 1 && dim != target[a]) {
        return fail(absl::StrCat("bias ", Shape(bias), " does not broadcast to [", batch, ",",
                                 q_heads, ",", q_seq, ",", kv_seq, "]"));
      }
      launch.words[5 + a] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  if (kernel.query_tile <= 0 || kernel.block_size <= 0) return fail("bad launch geometry");
  launch.grid[0] = (q_seq + kernel.query_tile - 1) / kernel.query_tile;
  launch.grid[1] = q_heads;
  launch.grid[2] = batch;
  if (launch.grid[0] > kMaxGridX || q_heads > kMaxGridYZ || batch > kMaxGridYZ) {
    return fail("grid too large");
  }
  return launch;
}

AttentionLaunch PackQueryTiles(const EmittedAttention& kernel, const AttentionLaunch& launch,
                               int64_t resident_blocks) {
  AttentionLaunch packed = launch;
  const int64_t tiles = launch.grid[0], blocks = tiles * launch.grid[1] * launch.grid[2];
  if (kernel.resident_keys <= 0 || kernel.tiles_name.empty() ||
      launch.words[4] > kernel.resident_keys || tiles < 2 ||
      resident_blocks <= 0 || blocks <= resident_blocks) {
    return packed;
  }
  const int64_t per_block = std::min(tiles, (blocks + resident_blocks - 1) / resident_blocks);
  packed.words[12] = per_block;
  packed.grid[0] = (tiles + per_block - 1) / per_block;
  return packed;
}

absl::Status LaunchAttention(const LoadedModule& module, const EmittedAttention& kernel,
                             const AttentionLaunch& launch, absl::Span<void* const> buffers,
                             cudaStream_t stream) {
  const AttentionConfig& c = kernel.config;
  const size_t want = 4 + (c.key_mask_dtype != DType::kUndefined ? 1 : 0) +
                      (c.bias_dtype != DType::kUndefined ? 1 : 0);
  if (buffers.size() != want || launch.words.size() != 13) {
    return absl::InvalidArgumentError(absl::StrCat("attention kernel ", kernel.name, " takes ",
                                                   want, " buffers, got ", buffers.size()));
  }
  if (launch.grid[0] == 0 || launch.grid[1] == 0 || launch.grid[2] == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(cudaKernel_t fn, module.GetKernel(kernel.name));
  AttentionLaunch run = launch;
  if (!kernel.tiles_name.empty()) {
    ASSIGN_OR_RETURN(cudaKernel_t tiles_fn, module.GetKernel(kernel.tiles_name));
    int per_sm = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(
            &per_sm, reinterpret_cast<const void*>(tiles_fn), kernel.block_size, 0) !=
        cudaSuccess) {
      cudaGetLastError();
      per_sm = 0;  // Unknown: one query tile per block.
    }
    run = PackQueryTiles(kernel, launch, per_sm * CurrentDeviceLimits().sm_count);
    if (run.words[12] > 1) fn = tiles_fn;
  }
  std::vector<void*> pointers(buffers.begin(), buffers.end());
  if (c.packed) {  // k and v start after q's (and k's) heads in each token's row.
    const int64_t elem = static_cast<int64_t>(DTypeSize(c.dtype));
    const int64_t k_off = launch.words[1] * c.head_dim * elem;
    const int64_t v_off = k_off + launch.words[2] * c.head_dim * elem;
    pointers[1] = static_cast<char*>(pointers[1]) + k_off;
    pointers[2] = static_cast<char*>(pointers[2]) + v_off;
  }
  dim3 block(static_cast<unsigned>(kernel.block_size));
  std::vector<void*> args;
  for (void*& p : pointers) args.push_back(&p);
  args.push_back(run.words.data());
  dim3 grid(static_cast<unsigned>(run.grid[0]), static_cast<unsigned>(run.grid[1]),
            static_cast<unsigned>(run.grid[2]));
  KILN_CUDA_RETURN_IF_ERROR(
      cudaLaunchKernel(reinterpret_cast<const void*>(fn), grid, block, args.data(), 0, stream));
  KILN_CUDA_RETURN_IF_ERROR(cudaGetLastError());
  return absl::OkStatus();
}

}  // namespace kiln::cuda
