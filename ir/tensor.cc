#include "ir/tensor.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln {

absl::StatusOr<int64_t> ElementCount(absl::Span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("negative dimension ", d));
    if (__builtin_mul_overflow(n, d, &n)) {
      return absl::OutOfRangeError(
          absl::StrCat("element count of [", absl::StrJoin(shape, ","), "] overflows int64"));
    }
  }
  return n;
}

absl::StatusOr<Tensor> Tensor::Zeros(DType dtype, std::vector<int64_t> shape) {
  if (dtype == DType::kUndefined) return absl::InvalidArgumentError("tensor of undefined dtype");
  auto count = ElementCount(shape);
  if (!count.ok()) return count.status();
  int64_t bytes;
  if (__builtin_mul_overflow(*count, static_cast<int64_t>(DTypeSize(dtype)), &bytes) ||
      bytes > kMaxTensorBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("tensor ", DTypeName(dtype), "[", absl::StrJoin(shape, ","),
                     "] is larger than the ", kMaxTensorBytes, "-byte limit"));
  }
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.num_elements_ = *count;
  // Round up so that vectorised readers may touch a whole 64-byte line.
  size_t alloc = (static_cast<size_t>(bytes) + 63) / 64 * 64;
  t.data_ = std::shared_ptr<uint8_t[]>(new (std::nothrow) uint8_t[alloc == 0 ? 64 : alloc]());
  if (!t.data_) return absl::ResourceExhaustedError("host allocation failed");
  return t;
}

absl::StatusOr<Tensor> Tensor::FromBytes(DType dtype, std::vector<int64_t> shape,
                                         absl::string_view bytes) {
  auto t = Zeros(dtype, std::move(shape));
  if (!t.ok()) return t;
  if (bytes.size() != t->nbytes()) {
    return absl::InvalidArgumentError(absl::StrCat("tensor ", t->TypeString(), " needs ",
                                                   t->nbytes(), " bytes, got ", bytes.size()));
  }
  if (!bytes.empty()) std::memcpy(t->raw_data(), bytes.data(), bytes.size());
  return t;
}

double Tensor::GetAsDouble(int64_t i) const {
  return VisitDType(dtype_, [&](auto zero) -> double {
    using T = decltype(zero);
    return static_cast<double>(data<T>()[i]);
  });
}

int64_t Tensor::GetAsInt(int64_t i) const {
  return VisitDType(dtype_, [&](auto zero) -> int64_t {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      return static_cast<int64_t>(static_cast<float>(data<T>()[i]));
    } else {
      return static_cast<int64_t>(data<T>()[i]);
    }
  });
}

absl::StatusOr<Tensor> Tensor::Reshaped(std::vector<int64_t> shape) const {
  auto count = ElementCount(shape);
  if (!count.ok()) return count.status();
  if (*count != num_elements_) {
    return absl::InvalidArgumentError(absl::StrCat("cannot reshape ", TypeString(), " to [",
                                                   absl::StrJoin(shape, ","), "]"));
  }
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

bool Tensor::BitwiseEqual(const Tensor& other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         (nbytes() == 0 || std::memcmp(raw_data(), other.raw_data(), nbytes()) == 0);
}

std::string Tensor::TypeString() const {
  return absl::StrCat(DTypeName(dtype_), "[", absl::StrJoin(shape_, ","), "]");
}

}  // namespace kiln
