// Helpers for tests that run real models: where they are, and their stored test data.
#ifndef KILN_TESTS_MODEL_TEST_UTIL_H_
#define KILN_TESTS_MODEL_TEST_UTIL_H_

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/status/statusor.h"
#include "frontend/onnx_import.h"
#include "ir/symbol_bindings.h"
#include "gtest/gtest.h"

namespace kiln::testing {

// The shared data folder beside the checkout (or beside the worktree folder holding it).
inline std::optional<std::filesystem::path> SharedDir() {
  for (const char* rel : {"/../shared", "/../../shared"}) {
    std::filesystem::path p(std::string(KILN_SOURCE_DIR) + rel);
    std::error_code ec;
    if (std::filesystem::is_directory(p / "models", ec)) return std::filesystem::canonical(p, ec);
  }
  return std::nullopt;
}

// tests/models/*, plus the shared models and KV-cache models when present, sorted.
inline std::vector<std::filesystem::path> AllModelDirs() {
  namespace fs = std::filesystem;
  std::vector<fs::path> roots = {fs::path(KILN_SOURCE_DIR) / "tests" / "models"};
  if (auto shared = SharedDir()) {
    roots.push_back(*shared / "models");
    roots.push_back(*shared / "models-kv");
  }
  std::vector<fs::path> dirs;
  for (const fs::path& root : roots) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec)) {
      if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Models for GPU tests, which may run where the build's source folder does not exist: the
// source's tests/models, else tests/models of the working directory (the carried checkout);
// plus $KILN_SHARED/models when set, else the shared models beside the checkout.
inline std::vector<std::filesystem::path> GpuModelDirs() {
  namespace fs = std::filesystem;
  fs::path own = fs::path(KILN_SOURCE_DIR) / "tests" / "models";
  std::error_code ec;
  std::vector<fs::path> roots = {fs::is_directory(own, ec) ? own : fs::path("tests") / "models"};
  if (const char* env = std::getenv("KILN_SHARED"); env != nullptr && *env != '\0') {
    roots.push_back(fs::path(env) / "models");
  } else if (auto shared = SharedDir()) {
    roots.push_back(*shared / "models");
  }
  std::vector<fs::path> dirs;
  for (const fs::path& root : roots) {
    for (const auto& e : fs::directory_iterator(root, ec)) {
      if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Binds a model's symbols as the GPU tests run them: `batch` = 2, every other symbol 16.
inline absl::StatusOr<SymbolBindings> BindModelForTest(const Graph& graph) {
  std::vector<std::vector<int64_t>> shapes;
  for (const Value* in : graph.inputs()) {
    std::vector<int64_t> shape;
    for (const DimExpr& d : in->type().dims) {
      if (auto c = d.as_const()) {
        shape.push_back(*c);
      } else if (d.is_symbol()) {
        shape.push_back(d.symbol_name() == "batch" ? 2 : 16);
      } else {
        return absl::UnimplementedError(absl::StrCat("input ", in->name(), " dim ", d.ToString()));
      }
    }
    shapes.push_back(std::move(shape));
  }
  return BindSymbols(graph, shapes);
}

// The tensors DIR/test_data_set_K/PREFIX_N.pb for N = 0.. while they exist.
inline std::vector<Tensor> LoadDataSet(const std::filesystem::path& dir, int set,
                                       const char* prefix) {
  std::vector<Tensor> out;
  for (int i = 0;; ++i) {
    auto p = dir / absl::StrCat("test_data_set_", set) / absl::StrCat(prefix, "_", i, ".pb");
    if (!std::filesystem::exists(p)) break;
    auto t = LoadTensorProtoFile(p.string());
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) out.push_back(*std::move(t));
  }
  return out;
}

}  // namespace kiln::testing

#endif  // KILN_TESTS_MODEL_TEST_UTIL_H_
