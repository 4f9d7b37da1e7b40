// Reference kernels: GEMM with a fused epilogue.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefFusedMatMul(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
