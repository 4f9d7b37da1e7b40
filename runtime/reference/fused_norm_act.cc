// Reference kernels: activation and skip-norm fusions.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefSilu(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSwiGlu(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSkipNormalization(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
