// The key codegen test: every FusedKernel of every exported model (the shared set and Kiln's
// own variants in tests/models), after the -O3 pipeline at fp32 and at f16, is emitted, and
// each model's kernels compile with NVRTC for sm_90 as one module. Prints NVRTC's uncached
// compile time per model (no GPU is needed).
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "codegen/kernel_emitter.h"
#include "codegen/nvrtc_compiler.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "passes/pass_manager.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> ModelDirs() {
  std::vector<fs::path> roots = {fs::path(KILN_SOURCE_DIR) / "tests" / "models"};
  for (const char* rel : {"/../shared/models", "/../../shared/models"}) {
    std::error_code ec;
    fs::path p = fs::path(std::string(KILN_SOURCE_DIR) + rel);
    if (fs::is_directory(p, ec)) {
      roots.push_back(p);
      break;
    }
  }
  std::vector<fs::path> dirs;
  for (const fs::path& root : roots) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (fs::exists(entry.path() / "model.onnx")) dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Emits every FusedKernel of `graph`; the failures (one line each, naming the op) go to
// `errors`.
std::vector<EmittedKernel> EmitAll(const Graph& graph, std::vector<std::string>* errors) {
  std::vector<EmittedKernel> kernels;
  absl::flat_hash_set<std::string> names;
  for (const Node* n : graph.nodes()) {
    if (n->op() != OpKind::kFusedKernel) continue;
    std::string name = absl::StrCat("kiln_k", kernels.size() + errors->size());
    absl::StatusOr<EmittedKernel> k = EmitKernel(*n, name);
    if (!k.ok()) {
      errors->push_back(std::string(k.status().message()));
      continue;
    }
    kernels.push_back(*std::move(k));
  }
  return kernels;
}

void CompileModel(const fs::path& dir, DType precision) {
  std::string model = dir.filename().string();
  SCOPED_TRACE(absl::StrCat(model, " at ", DTypeName(precision)));
  absl::StatusOr<std::unique_ptr<Graph>> graph = ImportOnnxFile((dir / "model.onnx").string());
  ASSERT_TRUE(graph.ok()) << graph.status();
  absl::StatusOr<PassManager> pm =
      BuildPipeline(PipelineOptions{.level = 3, .precision = precision});
  ASSERT_TRUE(pm.ok()) << pm.status();
  PassContext ctx;
  ctx.precision = precision;
  absl::Status ran = pm->Run(**graph, ctx);
  ASSERT_TRUE(ran.ok()) << ran;
  std::vector<std::string> errors;
  std::vector<EmittedKernel> kernels = EmitAll(**graph, &errors);
  for (const std::string& e : errors) ADD_FAILURE() << e;
  ASSERT_FALSE(kernels.empty()) << "no FusedKernel in " << model;
  std::string source = BuildModuleSource(kernels);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<CompiledModule> compiled =
      CompileCuda(source, absl::StrCat(model, ".cu"), NvrtcOptions{});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_FALSE(compiled->cubin.empty());
  std::printf("[codegen] %-14s %-4s %2zu kernels, %6zu bytes of CUDA, NVRTC %.3f s (uncached)\n",
              model.c_str(), std::string(DTypeName(precision)).c_str(), kernels.size(),
              source.size(), seconds);
}

TEST(ModelCodegenTest, EveryFusedKernelOfEveryModelCompiles) {
  std::vector<fs::path> dirs = ModelDirs();
  ASSERT_FALSE(dirs.empty());
  for (const fs::path& dir : dirs) {
    for (DType precision : {DType::kF32, DType::kF16}) CompileModel(dir, precision);
  }
}

}  // namespace
}  // namespace kiln
