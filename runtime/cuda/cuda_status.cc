#include "runtime/cuda/cuda_status.h"

#include "absl/strings/str_cat.h"

namespace kiln::cuda {

absl::Status ToStatus(cudaError_t e, const char* call) {
  if (e == cudaSuccess) return absl::OkStatus();
  // A missing driver or device is not an internal error: callers report it as unavailable.
  absl::StatusCode code = (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver)
                              ? absl::StatusCode::kUnavailable
                              : absl::StatusCode::kInternal;
  return absl::Status(code, absl::StrCat(call, " failed: ", cudaGetErrorName(e), " (",
                                         cudaGetErrorString(e), ")"));
}

absl::Status ToStatus(nvrtcResult r, const char* call) {
  if (r == NVRTC_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(call, " failed: ", nvrtcGetErrorString(r)));
}

absl::Status ToStatus(cublasStatus_t s, const char* call) {
  if (s == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(call, " failed: cuBLAS status ", static_cast<int>(s)));
}

}  // namespace kiln::cuda
