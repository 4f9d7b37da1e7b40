// Dense host tensors: constants in the IR, and the values of the reference backend.
#ifndef KILN_IR_TENSOR_H_
#define KILN_IR_TENSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/dtype.h"

namespace kiln {

// Largest tensor Kiln allocates on the host (bytes); larger requests are errors, not OOMs.
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 36;

// Returns the element count of `shape`, or an error for negative dims or overflow.
absl::StatusOr<int64_t> ElementCount(absl::Span<const int64_t> shape);

// A dense row-major tensor with shared, immutable-by-convention storage. Copies share the
// buffer; a kernel writes only into tensors it has just allocated.
class Tensor {
 public:
  Tensor() = default;
  // Allocates a zero-filled tensor; fails on bad dims, overflow or absurd sizes.
  static absl::StatusOr<Tensor> Zeros(DType dtype, std::vector<int64_t> shape);
  // A tensor over `bytes`, which must hold exactly the tensor's size.
  static absl::StatusOr<Tensor> FromBytes(DType dtype, std::vector<int64_t> shape,
                                          absl::string_view bytes);
  // A rank-0 or rank-1 tensor of the given values.
  template <typename T>
  static Tensor FromVector(const std::vector<T>& values, std::vector<int64_t> shape);
  template <typename T>
  static Tensor Scalar(T value) {
    return FromVector<T>({value}, {});
  }

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t num_elements() const { return num_elements_; }
  size_t nbytes() const { return static_cast<size_t>(num_elements_) * DTypeSize(dtype_); }
  bool defined() const { return dtype_ != DType::kUndefined; }

  void* raw_data() { return data_ ? data_.get() : nullptr; }
  const void* raw_data() const { return data_ ? data_.get() : nullptr; }
  template <typename T>
  T* data() { return static_cast<T*>(raw_data()); }
  template <typename T>
  const T* data() const { return static_cast<const T*>(raw_data()); }
  template <typename T>
  absl::Span<const T> values() const {
    // Not `return {ptr, n}`: for T = bool that picks Span's initializer_list constructor.
    return absl::Span<const T>(data<T>(), static_cast<size_t>(num_elements_));
  }

  // Reads element i of any dtype as double / int64 (for small shape tensors and tests).
  double GetAsDouble(int64_t i) const;
  int64_t GetAsInt(int64_t i) const;
  // The same data with another shape of equal element count.
  absl::StatusOr<Tensor> Reshaped(std::vector<int64_t> shape) const;
  // True when dtype, shape and bytes are identical.
  bool BitwiseEqual(const Tensor& other) const;
  // "f32[2,3]".
  std::string TypeString() const;

 private:
  DType dtype_ = DType::kUndefined;
  std::vector<int64_t> shape_;
  int64_t num_elements_ = 0;
  std::shared_ptr<uint8_t[]> data_;
};

template <typename T>
Tensor Tensor::FromVector(const std::vector<T>& values, std::vector<int64_t> shape) {
  Tensor t = *Zeros(DTypeOf<T>::value, std::move(shape));
  for (size_t i = 0; i < values.size() && i < static_cast<size_t>(t.num_elements()); ++i) {
    t.data<T>()[i] = values[i];
  }
  return t;
}

}  // namespace kiln

#endif  // KILN_IR_TENSOR_H_
