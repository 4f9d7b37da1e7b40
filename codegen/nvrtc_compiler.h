// Compiling generated CUDA C++ to a cubin with NVRTC, through the on-disk kernel cache.
#ifndef KILN_CODEGEN_NVRTC_COMPILER_H_
#define KILN_CODEGEN_NVRTC_COMPILER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/kernel_cache.h"

namespace kiln {

struct NvrtcOptions {
  std::string arch = "sm_90";  // --gpu-architecture value.
  std::vector<std::string> flags = {"-std=c++17"};
};

struct CompiledModule {
  std::string cubin;
  std::string log;          // NVRTC's warnings, if any.
  bool from_cache = false;
};

// "13.0": the NVRTC library's version (part of every cache key).
std::string NvrtcVersion();
// Compiles `source` (called `file_name` in messages) for `options.arch`. With a cache, a hit
// skips NVRTC. A compile error is InvalidArgument carrying the file name and NVRTC's log.
absl::StatusOr<CompiledModule> CompileCuda(const std::string& source, const std::string& file_name,
                                           const NvrtcOptions& options,
                                           const KernelCache* cache = nullptr);

}  // namespace kiln

#endif  // KILN_CODEGEN_NVRTC_COMPILER_H_
