// Reference kernels: fused elementwise/reduction kernels (runs the body).
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefFusedKernel(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
