// Numpy broadcasting for reference kernels: the output shape of several inputs, and an
// iterator that walks the output in row-major order while tracking each input's flat offset
// (a broadcast axis has stride 0), so kernels never materialise expanded inputs.
#ifndef KILN_RUNTIME_REFERENCE_BROADCAST_H_
#define KILN_RUNTIME_REFERENCE_BROADCAST_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kiln::reference {

// The numpy broadcast of `shapes`; an InvalidArgument error naming the first mismatch.
absl::StatusOr<std::vector<int64_t>> BroadcastShapes(
    absl::Span<const std::vector<int64_t>* const> shapes);

// Walks every element of `out_shape`; offset(k) is the matching element of input k.
class BroadcastIterator {
 public:
  // Every input shape must broadcast to `out_shape` (see BroadcastShapes).
  BroadcastIterator(const std::vector<int64_t>& out_shape,
                    absl::Span<const std::vector<int64_t>* const> in_shapes);

  int64_t offset(int k) const { return offsets_[k]; }
  // Moves to the next output element (row-major).
  void Next() {
    const size_t n = offsets_.size();
    for (size_t ax = dims_.size(); ax-- > 0;) {
      const int64_t* stride = &strides_[ax * n];
      if (++index_[ax] < dims_[ax]) {
        for (size_t k = 0; k < n; ++k) offsets_[k] += stride[k];
        return;
      }
      index_[ax] = 0;
      for (size_t k = 0; k < n; ++k) offsets_[k] -= stride[k] * (dims_[ax] - 1);
    }
  }

 private:
  std::vector<int64_t> dims_;
  std::vector<int64_t> index_;
  std::vector<int64_t> strides_;  // strides_[axis * num_inputs + k]; 0 where k broadcasts.
  std::vector<int64_t> offsets_;
};

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_BROADCAST_H_
