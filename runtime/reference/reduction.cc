// Reference kernels: reductions, softmax, normalisations, cumulative sums and top-k.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefReduceSum(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefReduceMean(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefReduceMax(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefReduceMin(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefArgMax(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSoftmax(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefLogSoftmax(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefLayerNormalization(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefRMSNormalization(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefCumSum(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefTopK(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
