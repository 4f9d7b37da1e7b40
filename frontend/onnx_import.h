// The ONNX frontend's public API. Protobuf types never appear outside frontend/.
#ifndef KILN_FRONTEND_ONNX_IMPORT_H_
#define KILN_FRONTEND_ONNX_IMPORT_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace kiln {

// Largest model file Kiln reads (protobuf's own limit is 2 GiB).
inline constexpr int64_t kMaxModelBytes = (int64_t{1} << 31) - 1;

// Loads an ONNX model file (external data resolved beside it), imports it into Kiln's IR and
// infers every value's type with symbolic shapes. Errors name the file, node and problem; an
// op Kiln does not import gives an Unimplemented status naming it.
absl::StatusOr<std::unique_ptr<Graph>> ImportOnnxFile(const std::string& path);
// The same from bytes. `base_dir` is where external data may live ("" forbids external data);
// `display_name` prefixes error messages.
absl::StatusOr<std::unique_ptr<Graph>> ImportOnnxBytes(absl::string_view bytes,
                                                       const std::string& base_dir,
                                                       absl::string_view display_name);
// Reads a serialized TensorProto file (the backend-test `input_0.pb` layout).
absl::StatusOr<Tensor> LoadTensorProtoFile(const std::string& path);
// Writes a tensor as a serialized TensorProto with raw data.
absl::Status SaveTensorProtoFile(const Tensor& tensor, const std::string& name,
                                 const std::string& path);

}  // namespace kiln

#endif  // KILN_FRONTEND_ONNX_IMPORT_H_
