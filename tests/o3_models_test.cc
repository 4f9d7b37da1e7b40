// The optimizer's acceptance test: on every model (shared, both exporters, KV-cache decoders,
// and Kiln's own unseen variants) -O3 leaves one FusedAttention per transformer layer, every
// norm fused (LayerNorm-family for BERT/GPT-2/ViT, RMSNorm for LLaMA; a skip-norm counts),
// GELU or SwiGLU fused, rotary fused for LLaMA, no elementwise op outside a fused kernel, a
// memory plan within 1.5x of the live-set lower bound, and the stored reference outputs.
#include <map>

#include "gtest/gtest.h"
#include "passes/memory_plan.h"
#include "passes/pass_manager.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"
#include "tests/model_test_util.h"

namespace kiln {
namespace {

struct Family {
  const char* prefix;
  const char* norm;      // "layer" or "rms".
  const char* mlp;       // "gelu" or "swiglu".
  bool rotary;
};

constexpr Family kFamilies[] = {{"bert", "layer", "gelu", false},
                                {"gpt2", "layer", "gelu", false},
                                {"vit", "layer", "gelu", false},
                                {"llama", "rms", "swiglu", true}};

// Transformer layers per model (from the export scripts' configs).
int Layers(const std::string& name) { return name == "gpt2_mini_dy" ? 3 : 2; }

// Ops at the top level and inside fused-kernel bodies, and FusedMatMul activations.
struct Census {
  std::map<std::string, int> top, all;
  int gelu_epilogues = 0;
};

void Count(const Graph& g, Census& c, bool top) {
  for (const Node* n : g.nodes()) {
    std::string op(n->op_name());
    if (n->op() == OpKind::kSkipNormalization) op += "." + n->attr_string("norm");
    if (top) ++c.top[op];
    ++c.all[op];
    if (n->op() == OpKind::kFusedMatMul && n->attr_string("activation").rfind("gelu", 0) == 0) {
      ++c.gelu_epilogues;
    }
    if (n->body()) Count(*n->body(), c, false);
  }
}

TEST(O3ModelsTest, FusesEveryModelCompletelyAndKeepsItsNumbers) {
  auto dirs = testing::AllModelDirs();
  ASSERT_GE(dirs.size(), 5u);
  if (testing::SharedDir()) EXPECT_EQ(dirs.size(), 15u);
  if (!testing::SharedDir()) GTEST_LOG_(INFO) << "shared models absent: checking tests/models only";
  for (const auto& dir : dirs) {
    std::string name = dir.filename().string();
    SCOPED_TRACE(name);
    const Family* fam = nullptr;
    for (const Family& f : kFamilies) {
      if (name.rfind(f.prefix, 0) == 0) fam = &f;
    }
    ASSERT_NE(fam, nullptr) << "no expectations for " << name;
    auto graph = ImportOnnxFile((dir / "model.onnx").string());
    ASSERT_TRUE(graph.ok()) << graph.status();
    auto pm = BuildPipeline(3);
    ASSERT_TRUE(pm.ok());
    PassContext ctx;
    ASSERT_TRUE(pm->Run(**graph, ctx).ok());
    Census c;
    Count(**graph, c, true);
    const int layers = Layers(name);
    EXPECT_EQ(c.top["FusedAttention"], layers);
    EXPECT_EQ(c.all["Softmax"], 0);
    if (std::string(fam->norm) == "layer") {
      EXPECT_EQ(c.all["LayerNormalization"] + c.all["SkipNormalization.layer"], 2 * layers + 1);
    } else {
      EXPECT_EQ(c.all["RMSNormalization"] + c.all["SkipNormalization.rms"], 2 * layers + 1);
    }
    EXPECT_EQ(c.all["ReduceMean"], 0);
    if (std::string(fam->mlp) == "gelu") {
      EXPECT_EQ(c.all["Gelu"] + c.gelu_epilogues, layers);
      EXPECT_EQ(c.all["Erf"], 0);
    } else {
      EXPECT_EQ(c.all["SwiGlu"], layers);
      EXPECT_EQ(c.all["Sigmoid"], 0);
    }
    EXPECT_EQ(c.top["RotaryEmbedding"], fam->rotary ? 2 * layers : 0);
    for (const Node* n : (*graph)->nodes()) {
      FusionKind k = n->info().fusion;
      EXPECT_FALSE(k == FusionKind::kElementwise || k == FusionKind::kBroadcast)
          << n->Describe() << " is an elementwise op outside a fused kernel";
    }
    // Memory plan at the shared models' shapes (batch 2, sequence and past up to 16).
    auto bounds = MakeSymbolBounds(**graph, 2, 16, {});
    ASSERT_TRUE(bounds.ok()) << bounds.status();
    auto plan = PlanMemory(**graph, *bounds);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_LE(plan->arena_bytes, 1.5 * plan->lower_bound_bytes);
    EXPECT_LT(plan->arena_bytes, plan->naive_bytes);
    // Numbers: the optimized graph reproduces the stored outputs.
    for (int set = 0; std::filesystem::exists(dir / absl::StrCat("test_data_set_", set)); ++set) {
      auto out = reference::Execute(**graph, testing::LoadDataSet(dir, set, "input"));
      ASSERT_TRUE(out.ok()) << out.status();
      std::vector<Tensor> want = testing::LoadDataSet(dir, set, "output");
      ASSERT_EQ(out->size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        CompareResult r = CompareTensors((*out)[i], want[i], 1e-4);
        EXPECT_TRUE(r.ok) << "data set " << set << " output " << i << ": " << r.detail;
      }
    }
  }
}

}  // namespace
}  // namespace kiln
