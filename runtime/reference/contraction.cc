// Reference kernels: MatMul, Gemm, Einsum, Conv, Attention and rotary embeddings.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefMatMul(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefGemm(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefEinsum(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefConv(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefAttention(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefRotaryEmbedding(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
