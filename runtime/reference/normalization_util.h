// The row normalisation shared by the reference kernels of LayerNormalization,
// RMSNormalization and SkipNormalization (runtime/reference/normalization.cc).
#ifndef KILN_RUNTIME_REFERENCE_NORMALIZATION_UTIL_H_
#define KILN_RUNTIME_REFERENCE_NORMALIZATION_UTIL_H_

#include <cstdint>

#include "runtime/reference/kernel.h"

namespace kiln::reference {

// How to normalise: over axes [axis, rank) of X, statistics rounded to `stash`.
struct NormOptions {
  int64_t axis = -1;  // Already mapped into [0, rank).
  double epsilon = 1e-5;
  DType stash = DType::kF32;
  bool rms = false;        // RMSNormalization: no mean subtracted, no bias.
  int num_statistics = 0;  // 0..2 extra outputs: mean and inverse standard deviation.
};

// y = norm(x) * scale (+ bias), with scale and bias broadcast unidirectionally to x; `bias`
// may be null. Returns y followed by `num_statistics` statistics tensors of dtype `stash`.
KernelResult NormalizeTensor(const KernelContext& ctx, const Tensor& x, const Tensor& scale,
                             const Tensor* bias, const NormOptions& options);

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_NORMALIZATION_UTIL_H_
