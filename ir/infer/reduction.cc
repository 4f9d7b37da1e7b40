// Shape inference: Reductions, arg-reductions and normalisations.
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

absl::Status InferReduce(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferArgMax(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferLayerNorm(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferRMSNorm(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferTopK(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

}  // namespace kiln
