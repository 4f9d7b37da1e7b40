// Numerics harness for the passes on real models: every registered pass, and the whole -O3
// pipeline, must leave each model's reference outputs unchanged (relative L2 <= 1e-5 against
// the graph before the pass, on the stored test data sets); -O1 at fp16/bf16 must stay within
// 1e-2 of the stored fp32 outputs; and the ONNX `_expanded` node tests (functions written out
// as primitive ops, what the fusions match) must still pass after -O3.
//
// Models come from tests/models and, when present, the shared folder beside the checkout
// (KILN_SOURCE_DIR/../shared) or /work/shared; the tests that need the shared folder skip
// without it.
#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "passes/pass_manager.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"
#include "tools/cli/model_verifier.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

fs::path SharedDir() {
  for (fs::path p : {fs::path(KILN_SOURCE_DIR) / ".." / "shared", fs::path("/work/shared")}) {
    if (fs::is_directory(p / "models") || fs::is_directory(p / "onnx-node-tests")) return p;
  }
  return {};
}

// Sorted subfolders of `root` that hold a model.onnx.
std::vector<fs::path> ModelDirsIn(const fs::path& root, absl::string_view suffix = "") {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (fs::exists(e.path() / "model.onnx") &&
        absl::EndsWith(e.path().filename().string(), suffix)) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> AllModelDirs() {
  std::vector<fs::path> dirs = ModelDirsIn(fs::path(KILN_SOURCE_DIR) / "tests" / "models");
  if (fs::path shared = SharedDir(); !shared.empty()) {
    for (const fs::path& p : ModelDirsIn(shared / "models")) dirs.push_back(p);
  }
  return dirs;
}

// The tensors PREFIX_0.pb, PREFIX_1.pb, ... of every test_data_set_N of a model folder, in N
// order (PREFIX: "input" or "output").
std::vector<std::vector<Tensor>> LoadDataSets(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (absl::StartsWith(e.path().filename().string(), "test_data_set_")) sets.push_back(e.path());
  }
  std::sort(sets.begin(), sets.end());
  std::vector<std::vector<Tensor>> out;
  for (const fs::path& set : sets) {
    std::vector<Tensor> tensors;
    for (int k = 0; fs::exists(set / (prefix + "_" + std::to_string(k) + ".pb")); ++k) {
      auto t = LoadTensorProtoFile((set / (prefix + "_" + std::to_string(k) + ".pb")).string());
      EXPECT_TRUE(t.ok()) << t.status();
      if (t.ok()) tensors.push_back(*std::move(t));
    }
    out.push_back(std::move(tensors));
  }
  return out;
}

// Runs `pipeline` ("-O3" or a pass list) over a copy of `base` and compares its outputs with
// `want` on every input set.
void ExpectSameOutputs(const Graph& base, const std::string& pipeline,
                       const std::vector<std::vector<Tensor>>& input_sets,
                       const std::vector<std::vector<Tensor>>& want) {
  SCOPED_TRACE(pipeline);
  std::unique_ptr<Graph> g = base.Clone();
  auto pm = pipeline == "-O3" ? BuildPipeline(3) : BuildPipeline(pipeline);
  ASSERT_TRUE(pm.ok()) << pm.status();
  PassContext ctx;
  absl::Status s = pm->Run(*g, ctx);
  ASSERT_TRUE(s.ok()) << s;
  for (size_t i = 0; i < input_sets.size(); ++i) {
    auto got = reference::Execute(*g, input_sets[i]);
    ASSERT_TRUE(got.ok()) << "data set " << i << ": " << got.status();
    ASSERT_EQ(got->size(), want[i].size());
    for (size_t k = 0; k < got->size(); ++k) {
      CompareResult r = CompareTensors((*got)[k], want[i][k], 1e-5);
      EXPECT_TRUE(r.ok) << "data set " << i << " output " << k << ": " << r.detail;
    }
  }
}

TEST(PassNumericsTest, EveryPassAndO3KeepModelOutputs) {
  std::vector<fs::path> dirs = AllModelDirs();
  ASSERT_FALSE(dirs.empty());
  std::vector<std::string> pipelines = PassNames();
  pipelines.push_back("-O3");
  for (const fs::path& dir : dirs) {
    SCOPED_TRACE(dir.string());
    auto graph = ImportOnnxFile((dir / "model.onnx").string());
    ASSERT_TRUE(graph.ok()) << graph.status();
    // The baseline is already folded and simplified, so each pass sees what it would in -O1+.
    auto prep = BuildPipeline("constant-folding,algebraic-simplify");
    ASSERT_TRUE(prep.ok());
    PassContext ctx;
    ASSERT_TRUE(prep->Run(**graph, ctx).ok());
    std::vector<std::vector<Tensor>> inputs = LoadDataSets(dir, "input");
    std::vector<std::vector<Tensor>> stored = LoadDataSets(dir, "output");
    ASSERT_FALSE(inputs.empty());
    std::vector<std::vector<Tensor>> want;
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto out = reference::Execute(**graph, inputs[i]);
      ASSERT_TRUE(out.ok()) << out.status();
      // The baseline's own passes are checked against the exporter's outputs.
      ASSERT_EQ(out->size(), stored[i].size());
      for (size_t k = 0; k < out->size(); ++k) {
        CompareResult r =
            CompareTensors((*out)[k], stored[i][k], DefaultTolerance(stored[i][k].dtype()));
        EXPECT_TRUE(r.ok) << "baseline, data set " << i << " output " << k << ": " << r.detail;
      }
      want.push_back(*std::move(out));
    }
    for (const std::string& p : pipelines) ExpectSameOutputs(**graph, p, inputs, want);
  }
}

TEST(PassNumericsTest, SixteenBitModelsStayWithinOnePercent) {
  std::vector<fs::path> dirs = AllModelDirs();
  ASSERT_FALSE(dirs.empty());
  for (const fs::path& dir : dirs) {
    for (const char* precision : {"fp16", "bf16"}) {
      cli::VerifyOptions options;
      options.precision = precision;
      options.opt_level = 1;
      cli::VerifyOutcome o = cli::VerifyModelDir(dir.string(), options);
      EXPECT_EQ(o.status, cli::VerifyOutcome::Status::kPass)
          << dir.filename() << " " << precision << ": " << o.message;
      EXPECT_LE(o.worst_error, 1e-2) << dir.filename() << " " << precision;
    }
  }
}

TEST(PassNumericsTest, ExpandedNodeTestsStillPassAfterO3) {
  fs::path shared = SharedDir();
  if (shared.empty()) GTEST_SKIP() << "no shared folder with onnx-node-tests";
  std::vector<fs::path> dirs = ModelDirsIn(shared / "onnx-node-tests", "_expanded");
  if (dirs.empty()) GTEST_SKIP() << "no _expanded node tests";
  int checked = 0;
  for (const fs::path& dir : dirs) {
    if (cli::VerifyModelDir(dir.string(), {}).status != cli::VerifyOutcome::Status::kPass) {
      continue;  // Unsupported or failing before any pass: not the passes' business.
    }
    cli::VerifyOptions o3;
    o3.opt_level = 3;
    cli::VerifyOutcome o = cli::VerifyModelDir(dir.string(), o3);
    EXPECT_EQ(o.status, cli::VerifyOutcome::Status::kPass)
        << dir.filename() << " after -O3: " << o.message;
    ++checked;
  }
  EXPECT_GT(checked, 100) << "most expanded node tests should run";
}

}  // namespace
}  // namespace kiln
