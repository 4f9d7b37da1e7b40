#include "codegen/nvrtc_compiler.h"

#include <nvrtc.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/cuda/cuda_status.h"

namespace kiln {

std::string NvrtcVersion() {
  int major = 0, minor = 0;
  nvrtcVersion(&major, &minor);
  return absl::StrCat(major, ".", minor);
}

absl::StatusOr<CompiledModule> CompileCuda(const std::string& source, const std::string& file_name,
                                           const NvrtcOptions& options, const KernelCache* cache) {
  std::vector<std::string> flags = options.flags;
  flags.push_back(absl::StrCat("--gpu-architecture=", options.arch));
  std::string key = absl::StrCat("nvrtc ", NvrtcVersion(), "\n", absl::StrJoin(flags, " "), "\n",
                                 source);
  if (cache != nullptr) {
    if (std::optional<std::string> hit = cache->Get(key)) {
      return CompiledModule{*std::move(hit), "", true};
    }
  }
  nvrtcProgram prog;
  KILN_CUDA_RETURN_IF_ERROR(
      nvrtcCreateProgram(&prog, source.c_str(), file_name.c_str(), 0, nullptr, nullptr));
  std::unique_ptr<nvrtcProgram, void (*)(nvrtcProgram*)> guard(&prog, [](nvrtcProgram* p) {
    nvrtcDestroyProgram(p);
  });
  std::vector<const char*> argv;
  for (const std::string& f : flags) argv.push_back(f.c_str());
  nvrtcResult r = nvrtcCompileProgram(prog, static_cast<int>(argv.size()), argv.data());
  size_t log_size = 0;
  KILN_CUDA_RETURN_IF_ERROR(nvrtcGetProgramLogSize(prog, &log_size));
  std::string log(log_size, '\0');
  if (log_size > 0) KILN_CUDA_RETURN_IF_ERROR(nvrtcGetProgramLog(prog, log.data()));
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  if (r != NVRTC_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("NVRTC could not compile ", file_name, " for ",
                                                   options.arch, ": ", nvrtcGetErrorString(r),
                                                   "\n", log));
  }
  size_t cubin_size = 0;
  KILN_CUDA_RETURN_IF_ERROR(nvrtcGetCUBINSize(prog, &cubin_size));
  std::string cubin(cubin_size, '\0');
  KILN_CUDA_RETURN_IF_ERROR(nvrtcGetCUBIN(prog, cubin.data()));
  if (cache != nullptr) RETURN_IF_ERROR(cache->Put(key, cubin));
  return CompiledModule{std::move(cubin), std::move(log), false};
}

}  // namespace kiln
