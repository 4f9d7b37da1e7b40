// The GEMM and elementwise fusion passes on real models: every model Kiln ships (tests/models)
// and the shared exports (../shared/models, ../shared/models-kv; skipped when absent) goes
// through constant-folding,simplify-noops,cse,dce and then fold-transpose, fuse-gemm-epilogue,
// fuse-elementwise. Afterwards no elementwise op may be left outside a FusedKernel (shape
// arithmetic excepted), there must be one FusedMatMul per linear layer of the architecture,
// every kernel body must verify, the graph must round-trip through the text form, and the
// outputs on the stored test data must match the graph's before fusion (relative L2 <= 1e-5).
// Set KILN_DUMP_FUSED=1 to print each fused graph and the passes' notes.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "tests/model_test_util.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "passes/fusion_planner.h"
#include "passes/pass_manager.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

// Linear layers of each architecture, from its export configuration: BERT and ViT have q, k, v,
// attention output, intermediate and output per layer plus the pooler; GPT-2 c_attn, attn
// c_proj, c_fc, mlp c_proj per layer plus lm_head; LLaMA q, k, v, o, gate, up, down per layer
// plus lm_head.
const absl::flat_hash_map<std::string, int>& LinearLayers() {
  static const auto* table = new absl::flat_hash_map<std::string, int>{
      {"bert_tiny_ts", 2 * 6 + 1},   {"bert_tiny_dy", 2 * 6 + 1},  {"gpt2_tiny_ts", 2 * 4 + 1},
      {"gpt2_tiny_dy", 2 * 4 + 1},   {"llama_tiny_ts", 2 * 7 + 1}, {"llama_tiny_dy", 2 * 7 + 1},
      {"vit_tiny_ts", 2 * 6 + 1},    {"vit_tiny_dy", 2 * 6 + 1},   {"gpt2_kv_chunk", 2 * 4 + 1},
      {"llama_kv_chunk", 2 * 7 + 1}, {"bert_mini_ts", 2 * 6 + 1},  {"gpt2_mini_dy", 3 * 4 + 1},
      {"llama_mini_ts", 2 * 7 + 1},  {"llama_mini_dy", 2 * 7 + 1}, {"vit_mini_dy", 2 * 6 + 1},
  };
  return *table;
}

std::vector<fs::path> ModelDirs() { return ::kiln::testing::AllModelDirs(); }

absl::Status RunPasses(Graph& graph, absl::string_view passes, PassContext& ctx) {
  ASSIGN_OR_RETURN(PassManager pm, BuildPipeline(passes));
  return pm.Run(graph, ctx);
}

// Every test_data_set_N's inputs, in order.
std::vector<std::vector<Tensor>> LoadDataSets(const fs::path& dir, size_t num_inputs) {
  std::vector<std::vector<Tensor>> sets;
  for (int k = 0; fs::is_directory(dir / absl::StrCat("test_data_set_", k)); ++k) {
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < num_inputs; ++i) {
      auto t = LoadTensorProtoFile(
          (dir / absl::StrCat("test_data_set_", k) / absl::StrCat("input_", i, ".pb")).string());
      EXPECT_TRUE(t.ok()) << t.status();
      if (t.ok()) inputs.push_back(*t);
    }
    sets.push_back(std::move(inputs));
  }
  return sets;
}

void CheckStructure(const std::string& name, const Graph& graph) {
  int fused_matmuls = 0;
  std::vector<std::string> bare, weight_matmuls;
  for (const Node* n : graph.nodes()) {
    if (n->op() == OpKind::kFusedMatMul) ++fused_matmuls;
    FusionKind kind = n->info().fusion;
    if ((kind == FusionKind::kElementwise || kind == FusionKind::kBroadcast) &&
        !IsHostShapeWork(*n)) {
      bare.push_back(absl::StrCat(n->name(), " (", n->op_name(), ")"));
    }
    if ((n->op() == OpKind::kMatMul || n->op() == OpKind::kGemm) &&
        n->input(1)->producer() != nullptr && n->input(1)->producer()->op() == OpKind::kConstant &&
        n->input(1)->type().rank() == 2) {
      weight_matmuls.push_back(n->name());
    }
    if (n->op() == OpKind::kFusedKernel) {
      ASSERT_NE(n->body(), nullptr);
      absl::Status s = VerifyGraph(*n->body());
      EXPECT_TRUE(s.ok()) << name << ": body of " << n->name() << ": " << s;
    }
  }
  EXPECT_TRUE(bare.empty()) << name << ": elementwise ops outside a FusedKernel: "
                            << absl::StrJoin(bare, ", ");
  EXPECT_TRUE(weight_matmuls.empty())
      << name << ": linear layers left unfused: " << absl::StrJoin(weight_matmuls, ", ");
  auto it = LinearLayers().find(name);
  if (it == LinearLayers().end()) {
    ADD_FAILURE() << name << ": add its number of linear layers to LinearLayers()";
  } else {
    EXPECT_EQ(fused_matmuls, it->second) << name << ": FusedMatMul count";
  }
}

void CheckModel(const fs::path& dir, absl::string_view fusion_passes) {
  const std::string name = dir.filename().string();
  SCOPED_TRACE(absl::StrCat(name, " with ", fusion_passes));
  auto imported = ImportOnnxFile((dir / "model.onnx").string());
  ASSERT_TRUE(imported.ok()) << imported.status();
  Graph& graph = **imported;
  PassContext ctx;
  ASSERT_TRUE(RunPasses(graph, "constant-folding,simplify-noops,cse,dce", ctx).ok());
  std::unique_ptr<Graph> before = graph.Clone();
  absl::Status s = RunPasses(graph, fusion_passes, ctx);
  ASSERT_TRUE(s.ok()) << s;
  // The simplification passes that a pipeline runs again after fusion must keep the result.
  s = RunPasses(graph, "constant-folding,simplify-noops,cse,dce", ctx);
  ASSERT_TRUE(s.ok()) << s;
  if (std::getenv("KILN_DUMP_FUSED") != nullptr) {
    std::cerr << "==== " << name << "\n"
              << PrintGraph(graph, {.elide_large_constants = true}) << "---- notes\n"
              << absl::StrJoin(ctx.notes, "\n") << "\n";
  }
  CheckStructure(name, graph);
  // The fused graph round-trips through the text form (bodies included).
  const std::string printed = PrintGraph(graph);
  auto reparsed = ParseGraph(printed);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  const std::string again = PrintGraph(**reparsed);
  if (again != printed) {
    std::vector<std::string> a = absl::StrSplit(printed, '\n'), b = absl::StrSplit(again, '\n');
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    ADD_FAILURE() << name << ": the text form does not round-trip; line " << i + 1 << ":\n"
                  << (i < a.size() ? a[i] : "") << "\nprints back as\n"
                  << (i < b.size() ? b[i] : "");
  }
  std::vector<std::vector<Tensor>> sets = LoadDataSets(dir, graph.inputs().size());
  ASSERT_FALSE(sets.empty());
  for (size_t k = 0; k < sets.size(); ++k) {
    auto want = reference::Execute(*before, sets[k]);
    ASSERT_TRUE(want.ok()) << "data set " << k << ": " << want.status();
    auto got = reference::Execute(graph, sets[k]);
    ASSERT_TRUE(got.ok()) << "data set " << k << ": " << got.status();
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      CompareResult r = CompareTensors((*got)[i], (*want)[i], 1e-5);
      EXPECT_TRUE(r.ok) << "data set " << k << " output " << i << ": " << r.detail;
    }
  }
}

TEST(GemmFusionModelsTest, EveryModelFusesCompletelyAndKeepsItsOutputs) {
  std::vector<fs::path> dirs = ModelDirs();
  ASSERT_FALSE(dirs.empty()) << "tests/models is missing";
  for (const fs::path& dir : dirs) {
    CheckModel(dir, "fold-transpose,fuse-gemm-epilogue,fuse-elementwise");
  }
}

// The epilogue pass reads Gemm itself, so it may run before fold-transpose too.
TEST(GemmFusionModelsTest, EpilogueBeforeFoldTransposeGivesTheSameCounts) {
  for (const fs::path& dir : ModelDirs()) {
    CheckModel(dir, "fuse-gemm-epilogue,fold-transpose,fuse-elementwise");
  }
}

}  // namespace
}  // namespace kiln
