// fuse-attention over ONNX's Attention conformance tests: the Attention op itself and its
// `_expanded` function bodies (MatMul/Softmax/Where graphs in yet another exporter's style).
// Whatever the pass fuses or keeps, the outputs must still match the stored expected outputs
// within the node-test tolerance; a good share must actually fuse.
#include <filesystem>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "passes/pass_manager.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

std::string NodeTestsDir() {
  for (std::string dir : {std::string(KILN_SOURCE_DIR) + "/../shared/onnx-node-tests",
                          std::string("/work/shared/onnx-node-tests")}) {
    if (fs::exists(dir)) return dir;
  }
  return "";
}

int Count(const Graph& g, OpKind op) {
  int n = 0;
  for (const Node* node : g.nodes()) n += node->op() == op;
  return n;
}

// Runs the case's data set 0 and compares with its stored outputs.
void ExpectMatchesReference(const fs::path& dir, const Graph& g) {
  const fs::path set = dir / "test_data_set_0";
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    auto t = LoadTensorProtoFile((set / absl::StrCat("input_", i, ".pb")).string());
    ASSERT_TRUE(t.ok()) << t.status();
    inputs.push_back(*t);
  }
  auto got = reference::Execute(g, inputs);
  ASSERT_TRUE(got.ok()) << got.status();
  for (size_t i = 0; i < got->size(); ++i) {
    auto want = LoadTensorProtoFile((set / absl::StrCat("output_", i, ".pb")).string());
    ASSERT_TRUE(want.ok()) << want.status();
    CompareResult r = CompareTensors((*got)[i], *want, DefaultTolerance(want->dtype()));
    EXPECT_TRUE(r.ok) << "output " << i << ": " << r.detail;
  }
}

TEST(FuseAttentionNodeTest, OutputsStillMatchAfterFusion) {
  const std::string root = NodeTestsDir();
  if (root.empty()) GTEST_SKIP() << "onnx-node-tests not available";
  int cases = 0, fused_op = 0, fused_expanded = 0, ops = 0, expanded = 0;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (!absl::StartsWith(name, "test_attention")) continue;
    auto graph = ImportOnnxFile((e.path() / "model.onnx").string());
    if (!graph.ok()) continue;  // Opsets or features Kiln rejects at import.
    SCOPED_TRACE(name);
    const bool is_expanded = absl::StrContains(name, "_expanded");
    auto pm = BuildPipeline("constant-folding,simplify-noops,cse,dce,fuse-attention,dce");
    ASSERT_TRUE(pm.ok());
    PassContext ctx;
    ASSERT_TRUE(pm->Run(**graph, ctx).ok());
    const bool fused = Count(**graph, OpKind::kFusedAttention) > 0;
    (is_expanded ? expanded : ops) += 1;
    (is_expanded ? fused_expanded : fused_op) += fused;
    ExpectMatchesReference(e.path(), **graph);
    ++cases;
  }
  std::cout << "fused " << fused_op << " of " << ops << " Attention ops and " << fused_expanded
            << " of " << expanded << " expanded bodies\n";
  EXPECT_GT(cases, 0);
  EXPECT_GT(fused_op, ops / 3);
}

}  // namespace
}  // namespace kiln
