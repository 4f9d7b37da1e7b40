// CUDA C++ for a FusedKernel node: the entry point that picks an emitter for the body's shape
// (elementwise map or one last-axis row reduction) and the description of how to launch it.
#ifndef KILN_CODEGEN_KERNEL_EMITTER_H_
#define KILN_CODEGEN_KERNEL_EMITTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "codegen/prelude.h"
#include "ir/graph.h"

namespace kiln {

// One pointer argument of a generated kernel (inputs first, then outputs, in node order).
struct KernelBuffer {
  std::string value;  // The outer graph value it holds.
  DType dtype = DType::kUndefined;
  bool is_output = false;
};

// A generated kernel: its source (without the prelude) and what its launcher must pass.
// The last argument is a by-value params struct from the prelude whose fields the host fills
// by evaluating the DimExprs below under the run's symbol bindings.
struct EmittedKernel {
  enum class Kind {
    // One thread per element of `domain` (grid-stride loop), KilnElementwiseParams<R,K,D>:
    // n = product(domain), out_dims = domain, in_strides[k] = input_strides[k], dims.
    kElementwise,
    // One block per row (grid-stride over rows), KilnRowParams<D>: rows, cols, dims.
    kRowReduction,
  };
  Kind kind = Kind::kElementwise;
  std::string name;    // The extern "C" symbol.
  std::string source;  // File-scope constant tables, then the kernel.
  std::vector<KernelBuffer> buffers;
  std::vector<DimExpr> domain;
  std::vector<std::vector<DimExpr>> input_strides;
  DimExpr rows, cols;
  std::vector<DimExpr> dims;  // params.dims[i] (at least one entry is always passed).
  int block_size = 256;       // Threads per block.
  // Elements per 16-byte vector access (elementwise: per thread-iteration; size the grid for
  // n / vector_width). Above 1 every buffer must be 16-byte aligned.
  int vector_width = 1;
  // Row reductions: the kernel also runs with one warp per row (block 32), which the launcher
  // chooses when rows * block_size threads would not all be resident on the device at once.
  bool warp_rows = false;

  // A readable summary of the launch parameters.
  std::string LaunchSummary() const;
};

// Emits the kernel for `fused_kernel_node` (a FusedKernel). Its symbol is `kernel_name` (a C
// identifier, unique in the module), or "kiln_" + the sanitized node name when empty. Unimplemented
// names the op it cannot emit.
absl::StatusOr<EmittedKernel> EmitKernel(const Node& fused_kernel_node,
                                         absl::string_view kernel_name = "");

// One translation unit: the prelude (defining kiln_idx for `index_width`) followed by every
// kernel's source. Kernels are emitted independently of the width; the module fixes it.
std::string BuildModuleSource(const std::vector<EmittedKernel>& kernels,
                              IndexWidth index_width = IndexWidth::k64);

}  // namespace kiln

#endif  // KILN_CODEGEN_KERNEL_EMITTER_H_
