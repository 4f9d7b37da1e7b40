// RAII device memory and the host<->device copies the GPU runtime and its tests need.
#ifndef KILN_RUNTIME_CUDA_DEVICE_BUFFER_H_
#define KILN_RUNTIME_CUDA_DEVICE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/tensor.h"

namespace kiln::cuda {

// Owns one cudaMalloc allocation (none for zero bytes); move-only, freed on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  // Allocates `bytes` of device memory (uninitialized).
  static absl::StatusOr<DeviceBuffer> Allocate(size_t bytes);
  // A new buffer holding a copy of `t`'s bytes.
  static absl::StatusOr<DeviceBuffer> FromTensor(const Tensor& t);

  void* data() { return ptr_; }
  const void* data() const { return ptr_; }
  size_t size() const { return bytes_; }

  // Copies `bytes` from host `src` to this buffer at `offset`; OutOfRange past the end.
  absl::Status CopyFromHost(const void* src, size_t bytes, size_t offset = 0);
  // Copies `bytes` at `offset` of this buffer to host `dst`; OutOfRange past the end.
  absl::Status CopyToHost(void* dst, size_t bytes, size_t offset = 0) const;
  // Sets every byte to zero.
  absl::Status Zero();
  // The buffer's leading bytes as a host tensor of `dtype` and `shape`.
  absl::StatusOr<Tensor> ToTensor(DType dtype, std::vector<int64_t> shape) const;

 private:
  DeviceBuffer(void* ptr, size_t bytes) : ptr_(ptr), bytes_(bytes) {}
  absl::Status CheckRange(size_t bytes, size_t offset) const;
  void Release();

  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace kiln::cuda

#endif  // KILN_RUNTIME_CUDA_DEVICE_BUFFER_H_
