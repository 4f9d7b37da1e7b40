// The CUDA device Kiln runs on, and whether there is one.
#ifndef KILN_RUNTIME_CUDA_DEVICE_H_
#define KILN_RUNTIME_CUDA_DEVICE_H_

#include <string>

#include "absl/status/statusor.h"

namespace kiln::cuda {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int major = 0, minor = 0;  // Compute capability.
  int sm_count = 0;
  int threads_per_sm = 0;  // Resident threads one SM holds (2048 on Hopper).
  int64_t l2_bytes = 0;
  int64_t smem_per_block_optin = 0;
  int64_t global_bytes = 0;
  // NVRTC's architecture flag value for this device: "sm_90".
  std::string arch() const;
};

// Describes device `ordinal`; Unavailable (with the driver's reason) when there is no usable
// GPU, so tests and the CLI can say so and skip.
absl::StatusOr<DeviceInfo> QueryDevice(int ordinal = 0);

}  // namespace kiln::cuda

#endif  // KILN_RUNTIME_CUDA_DEVICE_H_
