// Compiling test models into plans without touching the user's kernel cache: one cache folder
// in the build tree, shared by every engine test (so a second test run skips NVRTC).
#ifndef KILN_RUNTIME_ENGINE_ENGINE_TEST_UTIL_H_
#define KILN_RUNTIME_ENGINE_ENGINE_TEST_UTIL_H_

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/engine/plan.h"

namespace kiln::testing {

inline CompileOptions TestCompileOptions(DType precision = DType::kF32) {
  CompileOptions o;
  o.precision = precision;
  o.max_batch = 8;
  o.max_seq = 64;
  o.kernel_cache_dir = (std::filesystem::temp_directory_path() / "kiln-test-kernel-cache").string();
  return o;
}

inline absl::StatusOr<std::unique_ptr<Plan>> CompileTestModel(const std::filesystem::path& dir,
                                                              DType precision = DType::kF32) {
  return CompileModelFile((dir / "model.onnx").string(), TestCompileOptions(precision));
}

}  // namespace kiln::testing

#endif  // KILN_RUNTIME_ENGINE_ENGINE_TEST_UTIL_H_
