// Conversion between onnx::TensorProto and kiln::Tensor, with every size checked.
#ifndef KILN_FRONTEND_TENSOR_PROTO_H_
#define KILN_FRONTEND_TENSOR_PROTO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/tensor.h"
#include "onnx/onnx.pb.h"

namespace kiln::frontend {

// Maps an ONNX TensorProto.DataType to a Kiln dtype; Unimplemented for types Kiln lacks.
absl::StatusOr<DType> DTypeFromOnnx(int onnx_type);
int OnnxFromDType(DType t);
// Bytes of a dense `dtype` tensor of `dims`; InvalidArgument for negative dims or overflow.
absl::StatusOr<int64_t> DenseByteSize(DType dtype, absl::Span<const int64_t> dims);
// Converts a TensorProto; external data is read from under `base_dir` ("" forbids it).
absl::StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir);
onnx::TensorProto TensorToProto(const Tensor& t, const std::string& name);

}  // namespace kiln::frontend

#endif  // KILN_FRONTEND_TENSOR_PROTO_H_
