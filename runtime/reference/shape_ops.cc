// Reference kernels: data movement and shape ops.
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefReshape(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefTranspose(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefConcat(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSplit(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSlice(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefGather(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefGatherElements(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefGatherND(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefExpand(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefTile(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefPad(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefSqueeze(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefUnsqueeze(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefFlatten(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefTrilu(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefRange(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefConstantOfShape(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefShape(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

KernelResult RefConstant(const KernelContext& ctx) {
  return ctx.Unsupported("reference kernel not implemented yet");
}

}  // namespace kiln::reference
