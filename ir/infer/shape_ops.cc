// Shape inference: Data movement and shape ops; these also propagate symbolic values.
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

absl::Status InferReshape(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferTranspose(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferConcat(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferSplit(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferSlice(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferGather(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferGatherElements(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferGatherND(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferExpand(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferTile(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferPad(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferSqueeze(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferUnsqueeze(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferFlatten(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferRange(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferConstantOfShape(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferShape(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferConstant(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

}  // namespace kiln
