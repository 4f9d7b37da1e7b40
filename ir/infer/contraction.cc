// Shape inference: Contractions and compound ops: MatMul, Gemm, Einsum, Conv, Attention, rotary.
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

absl::Status InferMatMul(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferGemm(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferEinsum(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferConv(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferAttention(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

absl::Status InferRotaryEmbedding(InferContext& ctx) {
  return ctx.Unsupported("shape inference not implemented yet");
}

}  // namespace kiln
