#include "runtime/cuda/device_buffer.h"

#include <cuda_runtime_api.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/cuda/cuda_status.h"

namespace kiln::cuda {

DeviceBuffer::~DeviceBuffer() { Release(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::Release() {
  // A destructor cannot report an error; cudaFree only fails on a corrupted context, which
  // the next checked call reports.
  if (ptr_ != nullptr) cudaFree(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

absl::StatusOr<DeviceBuffer> DeviceBuffer::Allocate(size_t bytes) {
  if (bytes == 0) return DeviceBuffer();
  void* p = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(cudaMalloc(&p, bytes));
  return DeviceBuffer(p, bytes);
}

absl::StatusOr<DeviceBuffer> DeviceBuffer::FromTensor(const Tensor& t) {
  ASSIGN_OR_RETURN(DeviceBuffer buf, Allocate(t.nbytes()));
  RETURN_IF_ERROR(buf.CopyFromHost(t.raw_data(), t.nbytes()));
  return buf;
}

absl::Status DeviceBuffer::CheckRange(size_t bytes, size_t offset) const {
  if (offset > bytes_ || bytes > bytes_ - offset) {
    return absl::OutOfRangeError(absl::StrCat("device copy of ", bytes, " bytes at offset ",
                                              offset, " exceeds the ", bytes_, "-byte buffer"));
  }
  return absl::OkStatus();
}

absl::Status DeviceBuffer::CopyFromHost(const void* src, size_t bytes, size_t offset) {
  RETURN_IF_ERROR(CheckRange(bytes, offset));
  if (bytes == 0) return absl::OkStatus();
  KILN_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(static_cast<char*>(ptr_) + offset, src, bytes, cudaMemcpyHostToDevice));
  return absl::OkStatus();
}

absl::Status DeviceBuffer::CopyToHost(void* dst, size_t bytes, size_t offset) const {
  RETURN_IF_ERROR(CheckRange(bytes, offset));
  if (bytes == 0) return absl::OkStatus();
  KILN_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(dst, static_cast<const char*>(ptr_) + offset, bytes, cudaMemcpyDeviceToHost));
  return absl::OkStatus();
}

absl::Status DeviceBuffer::Zero() {
  if (bytes_ == 0) return absl::OkStatus();
  KILN_CUDA_RETURN_IF_ERROR(cudaMemset(ptr_, 0, bytes_));
  return absl::OkStatus();
}

absl::StatusOr<Tensor> DeviceBuffer::ToTensor(DType dtype, std::vector<int64_t> shape) const {
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, std::move(shape)));
  RETURN_IF_ERROR(CopyToHost(t.raw_data(), t.nbytes()));
  return t;
}

}  // namespace kiln::cuda
