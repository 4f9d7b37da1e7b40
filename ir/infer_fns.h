// Shape and type inference functions named in ir/ops.def (one per op family).
#ifndef KILN_IR_INFER_FNS_H_
#define KILN_IR_INFER_FNS_H_

#include "absl/status/status.h"

namespace kiln {

class InferContext;

absl::Status InferArgMax(InferContext& ctx);
absl::Status InferAttention(InferContext& ctx);
absl::Status InferBroadcast(InferContext& ctx);
absl::Status InferCast(InferContext& ctx);
absl::Status InferCompare(InferContext& ctx);
absl::Status InferConcat(InferContext& ctx);
absl::Status InferConstant(InferContext& ctx);
absl::Status InferConstantOfShape(InferContext& ctx);
absl::Status InferConv(InferContext& ctx);
absl::Status InferCumSum(InferContext& ctx);
absl::Status InferDimValues(InferContext& ctx);
absl::Status InferEinsum(InferContext& ctx);
absl::Status InferExpand(InferContext& ctx);
absl::Status InferFlatten(InferContext& ctx);
absl::Status InferFusedAttention(InferContext& ctx);
absl::Status InferFusedKernel(InferContext& ctx);
absl::Status InferFusedMatMul(InferContext& ctx);
absl::Status InferGather(InferContext& ctx);
absl::Status InferGatherElements(InferContext& ctx);
absl::Status InferGatherND(InferContext& ctx);
absl::Status InferGemm(InferContext& ctx);
absl::Status InferIsNaN(InferContext& ctx);
absl::Status InferLayerNorm(InferContext& ctx);
absl::Status InferMatMul(InferContext& ctx);
absl::Status InferMod(InferContext& ctx);
absl::Status InferPad(InferContext& ctx);
absl::Status InferRMSNorm(InferContext& ctx);
absl::Status InferRange(InferContext& ctx);
absl::Status InferReduce(InferContext& ctx);
absl::Status InferReshape(InferContext& ctx);
absl::Status InferRotaryEmbedding(InferContext& ctx);
absl::Status InferShape(InferContext& ctx);
absl::Status InferSize(InferContext& ctx);
absl::Status InferSkipNorm(InferContext& ctx);
absl::Status InferSlice(InferContext& ctx);
absl::Status InferSoftmax(InferContext& ctx);
absl::Status InferSplit(InferContext& ctx);
absl::Status InferSqueeze(InferContext& ctx);
absl::Status InferTile(InferContext& ctx);
absl::Status InferTopK(InferContext& ctx);
absl::Status InferTranspose(InferContext& ctx);
absl::Status InferUnary(InferContext& ctx);
absl::Status InferUnsqueeze(InferContext& ctx);
absl::Status InferWhere(InferContext& ctx);

}  // namespace kiln

#endif  // KILN_IR_INFER_FNS_H_
