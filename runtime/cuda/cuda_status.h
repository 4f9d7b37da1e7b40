// One checking macro for every CUDA runtime, NVRTC and cuBLAS(Lt) call: a failure becomes an
// absl::Status naming the call and the library's own error text.
#ifndef KILN_RUNTIME_CUDA_CUDA_STATUS_H_
#define KILN_RUNTIME_CUDA_CUDA_STATUS_H_

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <nvrtc.h>

#include "absl/status/status.h"
#include "ir/status_macros.h"

namespace kiln::cuda {

absl::Status ToStatus(cudaError_t e, const char* call);
absl::Status ToStatus(nvrtcResult r, const char* call);
absl::Status ToStatus(cublasStatus_t s, const char* call);

}  // namespace kiln::cuda

// Evaluates a CUDA/NVRTC/cuBLAS call and returns a Status naming it on failure.
#define KILN_CUDA_RETURN_IF_ERROR(call) RETURN_IF_ERROR(::kiln::cuda::ToStatus((call), #call))

#endif  // KILN_RUNTIME_CUDA_CUDA_STATUS_H_
