// cuBLASLt GEMM with fused bias/activation/residual epilogues for FusedMatMul. The problem
// description, the row-major -> column-major mapping and the epilogue choice live in
// gemm_plan.h (device-free); this file owns the cuBLASLt handle, the workspace and the
// per-shape algorithm cache.
#ifndef KILN_RUNTIME_CUDA_GEMM_H_
#define KILN_RUNTIME_CUDA_GEMM_H_

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runtime/cuda/device_buffer.h"
#include "runtime/cuda/gemm_plan.h"

namespace kiln::cuda {

// Device pointers of one GEMM (see GemmDesc for their layouts); bias and residual are null
// when the desc has none.
struct GemmOperands {
  const void* a = nullptr;
  const void* b = nullptr;
  const void* bias = nullptr;
  const void* residual = nullptr;
  void* d = nullptr;
};

// Runs GemmDescs through cuBLASLt. Not thread-safe: use one runner per stream/thread.
class GemmRunner {
 public:
  // Default workspace: 32 MiB, what cuBLASLt's Hopper kernels want for split-K and the like.
  static constexpr size_t kDefaultWorkspaceBytes = size_t{32} << 20;

  // Candidates the heuristic is asked for when autotuning.
  static constexpr int kAutotuneCandidates = 8;

  // Creates the cuBLASLt handle and allocates the workspace on the current device. With
  // `autotune`, the first GEMM of each problem (outside stream capture) times up to
  // kAutotuneCandidates of cuBLASLt's heuristic algorithms on its operands and keeps the
  // fastest (shared by every runner of the process); else the heuristic's first choice.
  static absl::StatusOr<std::unique_ptr<GemmRunner>> Create(
      size_t workspace_bytes = kDefaultWorkspaceBytes, bool autotune = true);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  // Enqueues D = act(alpha * op(A) @ op(B) + bias) + residual on `stream`. Unsupported
  // combinations are Unimplemented before any CUDA call; a missing operand pointer is
  // InvalidArgument.
  absl::Status Run(const GemmDesc& desc, const GemmOperands& ops, cudaStream_t stream = nullptr);

  // Number of shapes whose algorithm is cached.
  size_t cached_algorithms() const { return algos_.size(); }

 private:
  // Milliseconds of a few launches of one candidate algorithm.
  using AlgoTimer = std::function<absl::StatusOr<float>(const cublasLtMatmulAlgo_t&)>;

  GemmRunner(cublasLtHandle_t handle, DeviceBuffer workspace, bool autotune)
      : handle_(handle), workspace_(std::move(workspace)), autotune_(autotune) {}
  // The cached algorithm for `key`, asking cuBLASLt's heuristic on a miss (and, with a
  // `timer`, keeping the fastest of its candidates).
  absl::StatusOr<cublasLtMatmulAlgo_t> FindAlgo(const std::string& key,
                                                cublasLtMatmulDesc_t op,
                                                cublasLtMatrixLayout_t a,
                                                cublasLtMatrixLayout_t b,
                                                cublasLtMatrixLayout_t c,
                                                const GemmAlignment& alignment,
                                                const AlgoTimer& timer);
  static absl::StatusOr<float> TimeAlgo(const std::function<cublasStatus_t()>& launch,
                                        cudaStream_t stream);

  // Autotuned algorithms of the whole process, by problem key.
  struct SharedAlgos {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, cublasLtMatmulAlgo_t> algos;
  };
  static SharedAlgos& TunedAlgos();

  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer workspace_;
  bool autotune_ = true;
  absl::flat_hash_map<std::string, cublasLtMatmulAlgo_t> algos_;
};

}  // namespace kiln::cuda

#endif  // KILN_RUNTIME_CUDA_GEMM_H_
