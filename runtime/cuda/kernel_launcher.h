// Loading NVRTC-compiled modules and launching Kiln's generated FusedKernel kernels: the host
// fills the by-value params struct the emitted source declares (KilnElementwiseParams or
// KilnRowParams from the prelude) by evaluating the kernel's DimExprs under the run's bindings.
#ifndef KILN_RUNTIME_CUDA_KERNEL_LAUNCHER_H_
#define KILN_RUNTIME_CUDA_KERNEL_LAUNCHER_H_

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/kernel_emitter.h"
#include "ir/symbol_bindings.h"

namespace kiln::cuda {

// The kernel's params struct as the host passes it: every field is a 64-bit integer, so the
// struct is these words in declaration order, with no padding. Elementwise: n, out_dims[R],
// in_strides[K][R], dims[D]; row reduction: rows, cols, dims[D] (R, K, D at least 1).
struct KernelParams {
  std::vector<int64_t> words;
  int64_t work_items = 0;  // Threads' worth of work (elements / vector width, or rows).
};

// The current device's SM count and resident threads per SM, queried once per process; zeros
// when the device cannot be queried.
struct DeviceLimits {
  int64_t sm_count = 0;
  int64_t threads_per_sm = 0;
};
const DeviceLimits& CurrentDeviceLimits();

// Evaluates `kernel`'s launch DimExprs under `bindings` into its params struct. Pure (no GPU);
// an unbound symbol or a malformed description is an error naming the kernel.
absl::StatusOr<KernelParams> BuildKernelParams(const EmittedKernel& kernel,
                                               const SymbolBindings& bindings);

// Threads per block of `kernel` over `rows` rows: its block_size, or 32 (a warp per row) for a
// kernel with warp_rows when rows * block_size exceeds `resident_threads` (the device's SMs
// times their threads).
int RowBlockSize(const EmittedKernel& kernel, int64_t rows, int64_t resident_threads);

// Blocks to launch for `work_items` (grid-stride kernels: capped, at least one).
int64_t GridBlocks(const EmittedKernel& kernel, int64_t work_items);

// One loaded cubin (a cudaLibrary_t), unloaded on destruction; move-only.
class LoadedModule {
 public:
  LoadedModule() = default;
  ~LoadedModule();
  LoadedModule(LoadedModule&& other) noexcept;
  LoadedModule& operator=(LoadedModule&& other) noexcept;
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;

  // Loads `cubin` (CompiledModule::cubin) on the current device.
  static absl::StatusOr<LoadedModule> Load(const std::string& cubin);
  // The extern "C" kernel called `name`; NotFound-like CUDA error when absent.
  absl::StatusOr<cudaKernel_t> GetKernel(const std::string& name) const;

 private:
  explicit LoadedModule(cudaLibrary_t library) : library_(library) {}
  cudaLibrary_t library_ = nullptr;
};

// Launches `kernel` from `module` with `buffers` (device pointers, one per kernel.buffers
// entry: inputs then outputs) on `stream`, then checks cudaGetLastError. Does not synchronize.
absl::Status LaunchEmittedKernel(const LoadedModule& module, const EmittedKernel& kernel,
                                 absl::Span<void* const> buffers, const SymbolBindings& bindings,
                                 cudaStream_t stream = nullptr);

}  // namespace kiln::cuda

#endif  // KILN_RUNTIME_CUDA_KERNEL_LAUNCHER_H_
