// fuse-attention and fuse-rotary on every exported model: after the simplification passes, each
// transformer layer must become exactly one FusedAttention with the expected mask kind and head
// counts (and LLaMA's q and k rotations RotaryEmbedding), with no Softmax left, and the model's
// outputs on its stored data sets must agree before and after (relative L2 <= 1e-5).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "passes/pass_manager.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct ModelCase {
  const char* folder;  // Under shared/models, shared/models-kv or tests/models.
  const char* name;
  int layers;
  const char* mask;
  int64_t heads, kv_heads;
  bool rotary;
};

const ModelCase kCases[] = {
    {"models", "bert_tiny_ts", 2, "padding", 4, 4, false},
    {"models", "bert_tiny_dy", 2, "padding", 4, 4, false},
    {"models", "gpt2_tiny_ts", 2, "both", 4, 4, false},
    {"models", "gpt2_tiny_dy", 2, "both", 4, 4, false},
    {"models", "llama_tiny_ts", 2, "both", 4, 2, true},
    {"models", "llama_tiny_dy", 2, "both", 4, 2, true},
    {"models", "vit_tiny_ts", 2, "none", 4, 4, false},
    {"models", "vit_tiny_dy", 2, "none", 4, 4, false},
    {"models-kv", "gpt2_kv_chunk", 2, "both", 4, 4, false},
    {"models-kv", "llama_kv_chunk", 2, "both", 4, 2, true},
    {"tests", "bert_mini_ts", 2, "padding", 3, 3, false},
    {"tests", "gpt2_mini_dy", 3, "both", 5, 5, false},
    {"tests", "llama_mini_ts", 2, "both", 6, 3, true},
    {"tests", "llama_mini_dy", 2, "both", 6, 3, true},
    {"tests", "vit_mini_dy", 2, "none", 3, 3, false},
};

// The model's folder, or "" when the shared models are not on this machine.
std::string ModelDir(const ModelCase& c) {
  const std::string source(KILN_SOURCE_DIR);
  std::vector<std::string> roots;
  if (std::string(c.folder) == "tests") {
    roots = {source + "/tests/models"};
  } else {
    roots = {source + "/../shared/" + c.folder, std::string("/work/shared/") + c.folder};
  }
  for (const std::string& root : roots) {
    if (fs::exists(fs::path(root) / c.name / "model.onnx")) return root + "/" + c.name;
  }
  return "";
}

std::vector<std::vector<Tensor>> DataSets(const std::string& dir, int inputs) {
  std::vector<std::vector<Tensor>> sets;
  for (int k = 0;; ++k) {
    fs::path set = fs::path(dir) / absl::StrCat("test_data_set_", k);
    if (!fs::exists(set)) break;
    std::vector<Tensor> in;
    for (int i = 0; i < inputs; ++i) {
      auto t = LoadTensorProtoFile((set / absl::StrCat("input_", i, ".pb")).string());
      EXPECT_TRUE(t.ok()) << t.status();
      if (t.ok()) in.push_back(*t);
    }
    sets.push_back(std::move(in));
  }
  return sets;
}

class AttentionModelsTest : public ::testing::TestWithParam<ModelCase> {};

TEST_P(AttentionModelsTest, OneFusedAttentionPerLayer) {
  const ModelCase& c = GetParam();
  const std::string dir = ModelDir(c);
  if (dir.empty()) GTEST_SKIP() << c.name << " is not available";
  auto graph = ImportOnnxFile(dir + "/model.onnx");
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::unique_ptr<Graph> before = (*graph)->Clone();
  auto pm = BuildPipeline("constant-folding,simplify-noops,cse,dce,fuse-rotary,fuse-attention,dce");
  ASSERT_TRUE(pm.ok()) << pm.status();
  PassContext ctx;
  ASSERT_TRUE(pm->Run(**graph, ctx).ok());
  const std::string notes = absl::StrJoin(ctx.notes, "\n");

  int fused = 0, rotary = 0, softmax = 0;
  std::string empty_rows;
  for (const Node* n : (*graph)->nodes()) {
    if (n->op() == OpKind::kRotaryEmbedding) ++rotary;
    if (n->op() == OpKind::kSoftmax) ++softmax;
    if (n->op() != OpKind::kFusedAttention) continue;
    ++fused;
    empty_rows = n->attr_string("empty_rows");
    EXPECT_EQ(n->attr_string("mask"), c.mask) << n->name();
    EXPECT_EQ(n->attr_int("num_heads"), c.heads) << n->name();
    EXPECT_EQ(n->attr_int("kv_num_heads"), c.kv_heads) << n->name();
  }
  EXPECT_EQ(fused, c.layers) << "notes:\n" << notes;
  EXPECT_EQ(softmax, 0) << "notes:\n" << notes;
  EXPECT_EQ(rotary, c.rotary ? 2 * c.layers : 0) << "notes:\n" << notes;

  const auto sets = DataSets(dir, static_cast<int>(before->inputs().size()));
  EXPECT_FALSE(sets.empty());
  double worst = 0;
  for (size_t k = 0; k < sets.size(); ++k) {
    auto want = reference::Execute(*before, sets[k]);
    ASSERT_TRUE(want.ok()) << want.status();
    auto got = reference::Execute(**graph, sets[k]);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      CompareResult r = CompareTensors((*got)[i], (*want)[i], 1e-5);
      EXPECT_TRUE(r.ok) << "data set " << k << " output " << i << ": " << r.detail;
      worst = std::max(worst, r.error);
    }
  }
  std::cout << c.name << ": " << fused << " FusedAttention (mask " << c.mask << ", empty_rows "
            << empty_rows << "), " << rotary << " RotaryEmbedding, " << sets.size()
            << " data sets, worst relative L2 " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(Models, AttentionModelsTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ModelCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace kiln
