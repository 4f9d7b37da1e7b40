// Reference kernels: elementwise ops with numpy broadcasting.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefAbs(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefNeg(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefExp(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefLog(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSqrt(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefReciprocal(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSin(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefCos(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefTanh(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSigmoid(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefErf(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefRelu(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefFloor(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefCeil(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefNot(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefIdentity(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefIsNaN(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefGelu(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefClip(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefCast(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefAdd(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSub(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefMul(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefDiv(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefPow(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefAnd(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefOr(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefMax(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefMin(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefEqual(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefLess(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefLessOrEqual(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefGreater(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefGreaterOrEqual(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefWhere(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
