// TensorProto <-> Tensor. Protos come from untrusted files: dims, data sizes, value ranges
// and external-data keys are all checked, and sizes before anything is allocated.
#include "frontend/tensor_proto.h"

#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/external_data.h"
#include "ir/status_macros.h"

namespace kiln::frontend {
namespace {

std::string TypeString(DType dtype, absl::Span<const int64_t> dims) {
  return absl::StrCat(DTypeName(dtype), "[", absl::StrJoin(dims, ","), "]");
}

// Copies a repeated proto field into `t`, converting each value with `conv`, which returns
// nullopt for a value out of range for the tensor's dtype.
template <typename Dst, typename Field, typename Conv>
absl::Status CopyField(const Field& field, Tensor& t, Conv conv) {
  Dst* out = t.data<Dst>();
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    auto v = field.Get(static_cast<int>(i));
    std::optional<Dst> c = conv(v);
    if (!c) {
      return absl::InvalidArgumentError(absl::StrCat("value ", v, " at index ", i,
                                                     " is out of range for ", t.TypeString()));
    }
    out[i] = *c;
  }
  return absl::OkStatus();
}

// An integer `v` as T when it fits.
template <typename T, typename V>
std::optional<T> Narrow(V v) {
  if (!std::in_range<T>(v)) return std::nullopt;
  return static_cast<T>(v);
}

// Bytes that are not 0 or 1 would make invalid bools; any nonzero byte means true.
void NormalizeBools(Tensor& t) {
  if (t.dtype() != DType::kBool) return;
  auto* b = static_cast<uint8_t*>(t.raw_data());
  for (int64_t i = 0; i < t.num_elements(); ++i) b[i] = b[i] != 0;
}

// Reads the bytes of an EXTERNAL tensor of `nbytes` bytes: its `location`, `offset` and
// `length` keys are untrusted; the range is checked against the file before it is read.
absl::StatusOr<std::string> ReadExternalTensorData(const onnx::TensorProto& proto, DType dtype,
                                                   const std::vector<int64_t>& shape,
                                                   int64_t nbytes, const std::string& base_dir) {
  std::string location;
  int64_t offset = 0, length = nbytes;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      int64_t v;
      if (!absl::SimpleAtoi(kv.value(), &v) || v < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad external data ", kv.key(), " '", kv.value(), "'"));
      }
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) return absl::InvalidArgumentError("external data has no location");
  if (length != nbytes) {
    return absl::InvalidArgumentError(absl::StrCat("external data length ", length,
                                                   " does not match ", TypeString(dtype, shape),
                                                   " (", nbytes, " bytes)"));
  }
  // The file's size bounds the read, but a big enough file must still not pass the cap.
  if (nbytes > kMaxTensorBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(TypeString(dtype, shape),
                                                     " is larger than the ", kMaxTensorBytes,
                                                     "-byte tensor limit"));
  }
  return ReadExternalData(base_dir, location, offset, length);
}

// Converts the typed repeated field that holds `proto`'s values (`n` of them).
absl::StatusOr<Tensor> FromTypedData(const onnx::TensorProto& proto, DType dtype,
                                     const std::vector<int64_t>& shape, int64_t n) {
  using P = onnx::TensorProto;
  int64_t have;
  switch (proto.data_type()) {
    case P::FLOAT: have = proto.float_data_size(); break;
    case P::DOUBLE: have = proto.double_data_size(); break;
    case P::INT64: have = proto.int64_data_size(); break;
    case P::UINT32:
    case P::UINT64: have = proto.uint64_data_size(); break;
    default: have = proto.int32_data_size(); break;
  }
  // Checked before allocating: the declared size is only trusted once the values exist.
  if (have != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", have, " values, ", TypeString(dtype, shape), " needs ", n));
  }
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, shape));
  switch (proto.data_type()) {
    case P::FLOAT:
      RETURN_IF_ERROR(CopyField<float>(proto.float_data(), t, [](float v) { return v; }));
      break;
    case P::DOUBLE:
      RETURN_IF_ERROR(CopyField<double>(proto.double_data(), t, [](double v) { return v; }));
      break;
    case P::INT64:
      RETURN_IF_ERROR(CopyField<int64_t>(proto.int64_data(), t, [](int64_t v) { return v; }));
      break;
    case P::UINT32:
      RETURN_IF_ERROR(CopyField<uint32_t>(proto.uint64_data(), t, Narrow<uint32_t, uint64_t>));
      break;
    case P::UINT64:
      RETURN_IF_ERROR(CopyField<uint64_t>(proto.uint64_data(), t, [](uint64_t v) { return v; }));
      break;
    default: {
      // INT32 and the narrower types travel in int32_data; 16-bit floats as their bits
      // (accepted as a uint16 or an int16 view of them).
      absl::Status s = VisitDType(dtype, [&](auto zero) -> absl::Status {
        using T = decltype(zero);
        const auto& f = proto.int32_data();
        if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
          return CopyField<T>(f, t, [](int32_t v) -> std::optional<T> {
            if (v < -32768 || v > 65535) return std::nullopt;
            T h;
            h.bits = static_cast<uint16_t>(v);
            return h;
          });
        } else if constexpr (std::is_same_v<T, bool>) {
          return CopyField<bool>(f, t, [](int32_t v) -> std::optional<bool> { return v != 0; });
        } else if constexpr (std::is_integral_v<T> && sizeof(T) <= 4) {
          return CopyField<T>(f, t, Narrow<T, int32_t>);
        } else {
          return absl::InternalError(absl::StrCat("no int32_data form for ", DTypeName(dtype)));
        }
      });
      RETURN_IF_ERROR(s);
    }
  }
  return t;
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

absl::StatusOr<int64_t> DenseByteSize(DType dtype, absl::Span<const int64_t> dims) {
  for (int64_t d : dims) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("negative dimension ", d));
  }
  int64_t n = 1, bytes;
  for (int64_t d : dims) {
    if (__builtin_mul_overflow(n, d, &n)) {
      return absl::InvalidArgumentError(
          absl::StrCat("element count of ", TypeString(dtype, dims), " overflows int64"));
    }
  }
  if (__builtin_mul_overflow(n, static_cast<int64_t>(DTypeSize(dtype)), &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("byte size of ", TypeString(dtype, dims), " overflows int64"));
  }
  return bytes;
}

// Every declared size is checked against the bytes actually present (in the proto or the
// external file) before anything of that size is allocated.
absl::StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir) {
  const std::string where = absl::StrCat("tensor '", proto.name(), "'");
  auto fail = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
  };
  if (proto.has_segment()) return fail(absl::UnimplementedError("segmented tensors"));
  auto dtype = DTypeFromOnnx(proto.data_type());
  if (!dtype.ok()) return fail(dtype.status());
  std::vector<int64_t> shape(proto.dims().begin(), proto.dims().end());
  auto nbytes = DenseByteSize(*dtype, shape);
  if (!nbytes.ok()) return fail(nbytes.status());
  const int64_t n = *nbytes / static_cast<int64_t>(DTypeSize(*dtype));

  absl::StatusOr<Tensor> t;
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    auto bytes = ReadExternalTensorData(proto, *dtype, shape, *nbytes, base_dir);
    if (!bytes.ok()) return fail(bytes.status());
    t = Tensor::FromBytes(*dtype, shape, *bytes);
  } else if (proto.has_raw_data()) {
    if (static_cast<int64_t>(proto.raw_data().size()) != *nbytes) {
      return fail(absl::InvalidArgumentError(absl::StrCat("raw_data has ", proto.raw_data().size(),
                                                          " bytes, ", TypeString(*dtype, shape),
                                                          " needs ", *nbytes)));
    }
    t = Tensor::FromBytes(*dtype, shape, proto.raw_data());
  } else {
    t = FromTypedData(proto, *dtype, shape, n);
  }
  if (!t.ok()) return fail(t.status());
  NormalizeBools(*t);
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
