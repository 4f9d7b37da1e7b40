// Reference kernels for the ops that fusion passes create.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefSilu(const KernelContext& ctx) { return ctx.Unsupported("not implemented yet"); }
KernelResult RefSwiGlu(const KernelContext& ctx) { return ctx.Unsupported("not implemented yet"); }
KernelResult RefSkipNormalization(const KernelContext& ctx) {
  return ctx.Unsupported("not implemented yet");
}
KernelResult RefFusedMatMul(const KernelContext& ctx) {
  return ctx.Unsupported("not implemented yet");
}
KernelResult RefFusedAttention(const KernelContext& ctx) {
  return ctx.Unsupported("not implemented yet");
}
KernelResult RefFusedKernel(const KernelContext& ctx) {
  return ctx.Unsupported("not implemented yet");
}

}  // namespace kiln::reference
