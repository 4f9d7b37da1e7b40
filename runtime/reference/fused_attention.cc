// Reference kernels: the fused attention op.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefFusedAttention(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
