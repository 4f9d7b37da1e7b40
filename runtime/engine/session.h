// Running a Plan on the GPU. A Session owns everything one plan needs on the device: the loaded
// module, the weights (uploaded once), one arena sized by the plan's memory plan, staging
// buffers for the inputs and outputs at the plan's bounds, a stream, a cuBLASLt runner, and one
// CUDA graph per input shape seen twice (the first call of a shape runs eagerly; the second
// captures; later calls replay). Pointers never change, so a captured graph stays valid.
// Not thread-safe: use one Session per thread.
#ifndef KILN_RUNTIME_ENGINE_SESSION_H_
#define KILN_RUNTIME_ENGINE_SESSION_H_

#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ir/symbol_bindings.h"
#include "ir/tensor.h"
#include "runtime/cuda/device_buffer.h"
#include "runtime/cuda/gemm.h"
#include "runtime/cuda/kernel_launcher.h"
#include "runtime/engine/plan.h"
#include "runtime/engine/thunks.h"

namespace kiln {

// A tensor in device memory (not owned).
struct DeviceTensor {
  void* data = nullptr;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
};

struct SessionOptions {
  bool use_cuda_graphs = true;
  // Time cuBLASLt's candidate algorithms on each GEMM problem's first run and keep the fastest
  // (choices are shared across the process; a new process may choose differently, so bits
  // can differ between processes). Off: the heuristic's first choice, the same everywhere.
  bool autotune_gemms = true;
};

// Time of one thunk in a profiled run, with the work it did.
struct ThunkTiming {
  std::string name;
  std::string kind;   // "kernel", "attention", "gemm", "copy".
  double ms = 0;      // Median over the profiled runs.
  int64_t bytes = 0;  // Bytes its arguments hold (read + written).
  double flops = 0;   // GEMM and attention multiply-adds times two; 0 for memory-bound kernels.
};

class Session {
 public:
  // Fails Unavailable without a GPU, FailedPrecondition when the plan was compiled for another
  // architecture.
  static absl::StatusOr<std::unique_ptr<Session>> Create(std::shared_ptr<const Plan> plan,
                                                         const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Host tensors in graph-input order; host tensors out in graph-output order.
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs);
  // The same by name (every graph input must be given, and no other name).
  absl::StatusOr<absl::flat_hash_map<std::string, Tensor>> Run(
      const absl::flat_hash_map<std::string, Tensor>& inputs);
  // Device tensors in; the outputs point into the session's buffers, valid until the next call.
  // Synchronizes the session's stream before returning.
  absl::StatusOr<std::vector<DeviceTensor>> RunOnDevice(const std::vector<DeviceTensor>& inputs);

  // Benchmarking: stage `inputs` once, then time `iterations` executions of the plan (after
  // `warmup` more, which also capture the CUDA graph): milliseconds of each by CUDA events,
  // each started on an idle GPU, so the host's launch cost counts.
  absl::StatusOr<std::vector<double>> TimeRuns(const std::vector<Tensor>& inputs, int warmup,
                                               int iterations);
  // Per-thunk times (median over `iterations` runs) with `inputs` staged.
  absl::StatusOr<std::vector<ThunkTiming>> ProfileThunks(const std::vector<Tensor>& inputs,
                                                         int iterations);

  const Plan& plan() const { return *plan_; }
  // Input shapes whose CUDA graph has been captured.
  int captured_graphs() const;

 private:
  struct ShapeState;
  Session(std::shared_ptr<const Plan> plan, const SessionOptions& options);
  absl::Status Init();
  absl::StatusOr<ShapeState*> StateFor(const std::vector<std::vector<int64_t>>& shapes);
  absl::Status CheckInputs(const std::vector<DType>& dtypes,
                           const std::vector<std::vector<int64_t>>& shapes);
  absl::Status StageHost(const std::vector<Tensor>& inputs);
  // Enqueues the whole plan for `state` (graph replay when captured). `timing_events`, when
  // given, are recorded before each thunk and after the last.
  absl::Status Execute(ShapeState& state);
  absl::Status LaunchThunks(ShapeState& state, std::vector<cudaEvent_t>* timing_events);
  absl::Status LaunchThunk(ShapeState& state, size_t i);
  void* Pointer(const Value* v) const;
  absl::StatusOr<std::vector<Tensor>> FetchOutputs(const ShapeState& state);
  // Writes the graph outputs that are shape arithmetic into their output buffers.
  absl::Status WriteHostOutputs(const ShapeState& state);

  std::shared_ptr<const Plan> plan_;
  SessionOptions options_;
  ThunkProgram program_;
  cuda::LoadedModule module_;
  std::unique_ptr<cuda::GemmRunner> gemm_;
  cudaStream_t stream_ = nullptr;
  cuda::DeviceBuffer weights_, arena_;
  std::vector<cuda::DeviceBuffer> input_buffers_, output_buffers_;
  std::vector<int64_t> weight_offsets_;
  absl::flat_hash_map<const Value*, void*> pointers_;
  absl::flat_hash_map<std::string, std::unique_ptr<ShapeState>> states_;
};

}  // namespace kiln

#endif  // KILN_RUNTIME_ENGINE_SESSION_H_
