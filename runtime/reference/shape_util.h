// Helpers for the reference data-movement kernels. These kernels never look at element
// values, only copy them, so they work on bytes and support every dtype alike.
#ifndef KILN_RUNTIME_REFERENCE_SHAPE_UTIL_H_
#define KILN_RUNTIME_REFERENCE_SHAPE_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/tensor.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {

// The elements of an integer tensor.
std::vector<int64_t> ReadInts(const Tensor& t);

// Row-major strides (in elements) of `shape`.
std::vector<int64_t> ElementStrides(const std::vector<int64_t>& shape);

// Marks an output coordinate that is not copied from the input but filled.
inline constexpr int64_t kFillOffset = -1;

// Fills `out` from `in`: the output element at coordinate (i_0, ..., i_{r-1}) is the input
// element at flat offset sum_a offsets[a][i_a], or `fill` (one element's bytes) when any
// offsets[a][i_a] is kFillOffset. offsets[a] has out.shape()[a] entries. Transpose, Slice,
// Expand, Tile and Pad are all this copy with different per-axis offsets.
void IndexedCopy(const Tensor& in, Tensor& out,
                 const std::vector<std::vector<int64_t>>& offsets, const void* fill = nullptr);

// Maps a possibly negative axis into [0, rank) or fails naming the node.
absl::StatusOr<int64_t> KernelAxis(const KernelContext& ctx, int64_t axis, int64_t rank);

// Tensor::Zeros with errors (bad or absurd shapes) that name the node.
absl::StatusOr<Tensor> NewTensor(const KernelContext& ctx, DType dtype, std::vector<int64_t> shape);

// Returns a single-output kernel result.
inline KernelResult One(Tensor t) {
  std::vector<Tensor> v;
  v.push_back(std::move(t));
  return v;
}

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_SHAPE_UTIL_H_
