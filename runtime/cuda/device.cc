#include "runtime/cuda/device.h"

#include <cuda_runtime_api.h>

#include "absl/strings/str_cat.h"
#include "runtime/cuda/cuda_status.h"

namespace kiln::cuda {

std::string DeviceInfo::arch() const { return absl::StrCat("sm_", major, minor); }

absl::StatusOr<DeviceInfo> QueryDevice(int ordinal) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // Clear the sticky error so later calls are not poisoned.
    return absl::UnavailableError(absl::StrCat("no usable CUDA device: ", cudaGetErrorString(e)));
  }
  if (ordinal < 0 || ordinal >= count) {
    return absl::UnavailableError(absl::StrCat("CUDA device ", ordinal, " does not exist (",
                                               count, " found)"));
  }
  cudaDeviceProp p;
  KILN_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&p, ordinal));
  DeviceInfo d;
  d.ordinal = ordinal;
  d.name = p.name;
  d.major = p.major;
  d.minor = p.minor;
  d.sm_count = p.multiProcessorCount;
  d.threads_per_sm = p.maxThreadsPerMultiProcessor;
  d.l2_bytes = p.l2CacheSize;
  d.smem_per_block_optin = static_cast<int64_t>(p.sharedMemPerBlockOptin);
  d.global_bytes = static_cast<int64_t>(p.totalGlobalMem);
  return d;
}

}  // namespace kiln::cuda
