// Emits a FusedKernel whose body holds one last-axis row reduction (Softmax,
// LayerNormalization, RMSNormalization, SkipNormalization) with elementwise prologue and
// epilogue ops: one block per row, fp32 accumulation through warp shuffles. Rows of a constant
// length up to 8192 are read once into registers; when they are a kernel input's own elements
// and 16-byte vectors tile them, they are read and the row-shaped outputs written as vectors
// (EmittedKernel::vector_width > 1: the launcher then requires 16-byte-aligned buffers).
#ifndef KILN_CODEGEN_ROW_REDUCTION_EMITTER_H_
#define KILN_CODEGEN_ROW_REDUCTION_EMITTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "codegen/kernel_emitter.h"

namespace kiln {

// True when `n` is a reduction op this emitter handles.
bool IsRowReduction(const Node& n);

// The kernel named `name` for `node`, whose body holds exactly one reduction node `reduction`.
absl::StatusOr<EmittedKernel> EmitRowReductionKernel(const Node& node, const Node& reduction,
                                                     const std::string& name);

}  // namespace kiln

#endif  // KILN_CODEGEN_ROW_REDUCTION_EMITTER_H_
