#include "frontend/tensor_proto.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "frontend/external_data.h"
#include "ir/status_macros.h"

namespace kiln::frontend {
namespace {

// Copies `count` values of a repeated proto field into the tensor, converting each with `conv`.
template <typename Dst, typename Field, typename Conv>
void CopyField(const Field& field, Tensor& t, Conv conv) {
  Dst* out = t.data<Dst>();
  for (int64_t i = 0; i < t.num_elements(); ++i) out[i] = conv(field.Get(static_cast<int>(i)));
}

}  // namespace

absl::StatusOr<DType> DTypeFromOnnx(int onnx_type) {
  using P = onnx::TensorProto;
  switch (onnx_type) {
    case P::FLOAT: return DType::kF32;
    case P::UINT8: return DType::kU8;
    case P::INT8: return DType::kI8;
    case P::UINT16: return DType::kU16;
    case P::INT16: return DType::kI16;
    case P::INT32: return DType::kI32;
    case P::INT64: return DType::kI64;
    case P::BOOL: return DType::kBool;
    case P::FLOAT16: return DType::kF16;
    case P::DOUBLE: return DType::kF64;
    case P::UINT32: return DType::kU32;
    case P::UINT64: return DType::kU64;
    case P::BFLOAT16: return DType::kBF16;
    case P::STRING: return absl::UnimplementedError("dtype STRING is not supported");
    case P::COMPLEX64:
    case P::COMPLEX128: return absl::UnimplementedError("complex dtypes are not supported");
    case P::UNDEFINED: return absl::InvalidArgumentError("tensor dtype is UNDEFINED");
    default:
      return absl::UnimplementedError(absl::StrCat("ONNX dtype ", onnx_type, " is not supported"));
  }
}

int OnnxFromDType(DType t) {
  using P = onnx::TensorProto;
  switch (t) {
    case DType::kF32: return P::FLOAT;
    case DType::kF16: return P::FLOAT16;
    case DType::kBF16: return P::BFLOAT16;
    case DType::kF64: return P::DOUBLE;
    case DType::kI8: return P::INT8;
    case DType::kI16: return P::INT16;
    case DType::kI32: return P::INT32;
    case DType::kI64: return P::INT64;
    case DType::kU8: return P::UINT8;
    case DType::kU16: return P::UINT16;
    case DType::kU32: return P::UINT32;
    case DType::kU64: return P::UINT64;
    case DType::kBool: return P::BOOL;
    case DType::kUndefined: break;
  }
  return P::UNDEFINED;
}

absl::StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir) {
  const std::string where = absl::StrCat("tensor '", proto.name(), "'");
  auto fail = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
  };
  if (proto.has_segment()) return fail(absl::UnimplementedError("segmented tensors"));
  auto dtype = DTypeFromOnnx(proto.data_type());
  if (!dtype.ok()) return fail(dtype.status());
  std::vector<int64_t> shape(proto.dims().begin(), proto.dims().end());
  auto zeros = Tensor::Zeros(*dtype, shape);
  if (!zeros.ok()) return fail(zeros.status());
  Tensor t = *std::move(zeros);
  const int64_t n = t.num_elements();

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = static_cast<int64_t>(t.nbytes());
    for (const auto& kv : proto.external_data()) {
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset" || kv.key() == "length") {
        int64_t v;
        if (!absl::SimpleAtoi(kv.value(), &v) || v < 0) {
          return fail(absl::InvalidArgumentError(
              absl::StrCat("bad external data ", kv.key(), " '", kv.value(), "'")));
        }
        (kv.key() == "offset" ? offset : length) = v;
      }
    }
    if (length != static_cast<int64_t>(t.nbytes())) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "external data length ", length, " does not match ", t.TypeString(), " (", t.nbytes(),
          " bytes)")));
    }
    auto bytes = ReadExternalData(base_dir, location, offset, length);
    if (!bytes.ok()) return fail(bytes.status());
    return Tensor::FromBytes(*dtype, shape, *bytes);
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != t.nbytes()) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "raw_data has ", proto.raw_data().size(), " bytes, ", t.TypeString(), " needs ",
          t.nbytes())));
    }
    if (n > 0) std::memcpy(t.raw_data(), proto.raw_data().data(), t.nbytes());
    return t;
  }
  using P = onnx::TensorProto;
  auto check_count = [&](int64_t have) -> absl::Status {
    if (have != n) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("has ", have, " values, ", t.TypeString(), " needs ", n)));
    }
    return absl::OkStatus();
  };
  switch (proto.data_type()) {
    case P::FLOAT:
      RETURN_IF_ERROR(check_count(proto.float_data_size()));
      CopyField<float>(proto.float_data(), t, [](float v) { return v; });
      break;
    case P::DOUBLE:
      RETURN_IF_ERROR(check_count(proto.double_data_size()));
      CopyField<double>(proto.double_data(), t, [](double v) { return v; });
      break;
    case P::INT64:
      RETURN_IF_ERROR(check_count(proto.int64_data_size()));
      CopyField<int64_t>(proto.int64_data(), t, [](int64_t v) { return v; });
      break;
    case P::UINT32:
      RETURN_IF_ERROR(check_count(proto.uint64_data_size()));
      CopyField<uint32_t>(proto.uint64_data(), t, [](uint64_t v) { return static_cast<uint32_t>(v); });
      break;
    case P::UINT64:
      RETURN_IF_ERROR(check_count(proto.uint64_data_size()));
      CopyField<uint64_t>(proto.uint64_data(), t, [](uint64_t v) { return v; });
      break;
    default: {
      // INT32 and the narrower types travel in int32_data; 16-bit floats as their bits.
      RETURN_IF_ERROR(check_count(proto.int32_data_size()));
      VisitDType(*dtype, [&](auto zero) {
        using T = decltype(zero);
        if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
          CopyField<T>(proto.int32_data(), t, [](int32_t v) {
            T h;
            h.bits = static_cast<uint16_t>(v);
            return h;
          });
        } else if constexpr (std::is_same_v<T, bool>) {
          CopyField<bool>(proto.int32_data(), t, [](int32_t v) { return v != 0; });
        } else {
          CopyField<T>(proto.int32_data(), t, [](int32_t v) { return static_cast<T>(v); });
        }
        return 0;
      });
    }
  }
  return t;
}

onnx::TensorProto TensorToProto(const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(OnnxFromDType(t.dtype()));
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_raw_data(std::string(static_cast<const char*>(t.raw_data()), t.nbytes()));
  return p;
}

}  // namespace kiln::frontend
