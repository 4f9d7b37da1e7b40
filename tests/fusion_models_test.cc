// The activation and normalisation fusions on real exported models: every model folder of
// the shared set (both exporters) and of tests/models (Kiln's own unseen variants) is imported,
// simplified (constant-folding, simplify-noops, cse, dce), and fused with fuse-gelu,
// fuse-silu, fuse-layer-norm, fuse-rms-norm and fuse-skip-norm. The test checks that every
// norm, GELU and SwiGLU of the model was fused, that no decomposed op is left, and that the
// reference backend gives the same outputs before and after on test_data_set_0.
#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "tests/model_test_util.h"
#include "ir/status_macros.h"
#include "passes/pass_manager.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

constexpr char kFusions[] = "fuse-gelu,fuse-silu,fuse-layer-norm,fuse-rms-norm,fuse-skip-norm";

// What a model family must look like after the fusions, per norm / MLP of the model.
struct Expected {
  int norms;           // LayerNormalization + SkipNormalization (or the RMS ones).
  int skip_norms;      // Of which SkipNormalization.
  int with_sum;        // Of which also return the sum (pre-norm: it is the next residual).
  int gelus;           // Gelu nodes (BERT, ViT: erf; GPT-2: tanh).
  int swiglus;         // SwiGlu nodes (LLaMA).
  int tanh_left;       // Tanh outside the MLP (the BERT and ViT poolers).
  const char* approx;  // Gelu's approximate attribute, or "".
};

// Per model folder name: 2 norms per layer plus one more (BERT: the embeddings' norm; the
// others: the final norm), one MLP per layer. gpt2_mini_dy has 3 layers, the others 2; the
// *_kv_chunk decoders (models-kv) take a KV cache.
const std::map<std::string, Expected>& Table() {
  static const auto* table = new std::map<std::string, Expected>{
      {"bert_tiny_ts", {5, 5, 0, 2, 0, 1, "none"}}, {"bert_tiny_dy", {5, 5, 0, 2, 0, 1, "none"}},
      {"bert_mini_ts", {5, 5, 0, 2, 0, 1, "none"}}, {"gpt2_tiny_ts", {5, 5, 4, 2, 0, 0, "tanh"}},
      {"gpt2_tiny_dy", {5, 5, 4, 2, 0, 0, "tanh"}}, {"gpt2_mini_dy", {7, 7, 6, 3, 0, 0, "tanh"}},
      {"vit_tiny_ts", {5, 5, 4, 2, 0, 1, "none"}},  {"vit_tiny_dy", {5, 5, 4, 2, 0, 1, "none"}},
      {"vit_mini_dy", {5, 5, 4, 2, 0, 1, "none"}},  {"llama_tiny_ts", {5, 4, 3, 0, 2, 0, ""}},
      {"llama_tiny_dy", {5, 4, 3, 0, 2, 0, ""}},    {"llama_mini_ts", {5, 4, 3, 0, 2, 0, ""}},
      {"llama_mini_dy", {5, 4, 3, 0, 2, 0, ""}},    {"gpt2_kv_chunk", {5, 5, 4, 2, 0, 0, "tanh"}},
      {"llama_kv_chunk", {5, 4, 3, 0, 2, 0, ""}},
  };
  return *table;
}

using ::kiln::testing::SharedDir;

std::vector<fs::path> ModelDirs() { return ::kiln::testing::AllModelDirs(); }

std::map<std::string, int> CountOps(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Node* n : g.nodes()) ++counts[std::string(n->op_name())];
  return counts;
}

std::vector<Tensor> DataSetInputs(const fs::path& dir, size_t count) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < count; ++i) {
    auto t =
        LoadTensorProtoFile((dir / "test_data_set_0" / absl::StrCat("input_", i, ".pb")).string());
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) inputs.push_back(*std::move(t));
  }
  return inputs;
}

absl::Status RunPasses(const std::string& list, Graph& graph, PassContext* ctx_out = nullptr) {
  ASSIGN_OR_RETURN(PassManager pm, BuildPipeline(list));
  PassContext ctx;
  RETURN_IF_ERROR(pm.Run(graph, ctx));
  if (ctx_out != nullptr) *ctx_out = std::move(ctx);
  return absl::OkStatus();
}

void CheckCounts(const Graph& graph, std::map<std::string, int>& ops, const Expected& want) {
  const bool layer = want.approx[0] != 0;
  int skip = 0, with_sum = 0;
  for (const Node* n : graph.nodes()) {
    if (n->op() == OpKind::kSkipNormalization) {
      ++skip;
      with_sum += n->num_outputs() == 2;
      EXPECT_EQ(n->attr_string("norm"), layer ? "layer" : "rms") << n->Describe();
    }
    if (n->op() == OpKind::kGelu) EXPECT_EQ(n->attr_string("approximate"), want.approx);
  }
  EXPECT_EQ(ops[layer ? "LayerNormalization" : "RMSNormalization"] + skip, want.norms);
  EXPECT_EQ(ops[layer ? "RMSNormalization" : "LayerNormalization"], 0);
  EXPECT_EQ(skip, want.skip_norms);
  EXPECT_EQ(with_sum, want.with_sum);
  EXPECT_EQ(ops["Gelu"], want.gelus);
  EXPECT_EQ(ops["SwiGlu"], want.swiglus);
  EXPECT_EQ(ops["Tanh"], want.tanh_left);
}

// Checks the fusions on one model; `want` null: a model without a table entry, checked only
// for decomposed ops left and for numerics.
void CheckModel(const fs::path& dir, const Expected* want) {
  auto graph = ImportOnnxFile((dir / "model.onnx").string());
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_TRUE(RunPasses("constant-folding,simplify-noops,cse,dce", **graph).ok());
  std::unique_ptr<Graph> before = (*graph)->Clone();
  PassContext ctx;
  absl::Status s = RunPasses(kFusions, **graph, &ctx);
  ASSERT_TRUE(s.ok()) << s;
  // The exporters' forms are recognised whole: no fusion reports a near miss on them.
  for (const std::string& note : ctx.notes) ADD_FAILURE() << note;
  std::map<std::string, int> ops = CountOps(**graph);
  if (want != nullptr) CheckCounts(**graph, ops, *want);
  EXPECT_EQ(ops["Silu"], 0) << "every Silu should have become a SwiGlu";
  for (const char* op : {"Erf", "Sigmoid", "Pow", "Sqrt", "Reciprocal", "ReduceMean"}) {
    EXPECT_EQ(ops[op], 0) << op << " left after fusion";
  }
  std::vector<Tensor> inputs = DataSetInputs(dir, before->inputs().size());
  ASSERT_EQ(inputs.size(), before->inputs().size());
  auto expected = reference::Execute(*before, inputs);
  ASSERT_TRUE(expected.ok()) << expected.status();
  auto got = reference::Execute(**graph, inputs);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), expected->size());
  for (size_t i = 0; i < got->size(); ++i) {
    CompareResult r = CompareTensors((*got)[i], (*expected)[i], 1e-5);
    EXPECT_TRUE(r.ok) << "output " << i << ": " << r.detail;
  }
}

TEST(FusionModelsTest, NormsAndActivationsOfEveryModelFuse) {
  std::vector<fs::path> dirs = ModelDirs();
  if (!SharedDir()) GTEST_LOG_(INFO) << "no shared models folder; checking tests/models only";
  int checked = 0;
  for (const fs::path& dir : dirs) {
    auto it = Table().find(dir.filename().string());
    SCOPED_TRACE(dir.string());
    CheckModel(dir, it == Table().end() ? nullptr : &it->second);
    checked += it != Table().end();
  }
  EXPECT_GE(checked, 5);
}

// ONNX's own function bodies of Gelu (the *_expanded node tests), once constants are folded,
// are exactly what fuse-gelu recognises: each becomes one Gelu again.
TEST(FusionModelsTest, OnnxGeluFunctionBodiesFuseBack) {
  std::optional<fs::path> shared = SharedDir();
  if (!shared || !fs::is_directory(*shared / "onnx-node-tests")) {
    GTEST_SKIP() << "no shared onnx-node-tests folder";
  }
  int checked = 0;
  for (const char* name : {"test_gelu_default_1_expanded", "test_gelu_default_2_expanded",
                           "test_gelu_tanh_1_expanded", "test_gelu_tanh_2_expanded"}) {
    fs::path dir = *shared / "onnx-node-tests" / name;
    if (!fs::exists(dir / "model.onnx")) continue;
    SCOPED_TRACE(name);
    auto graph = ImportOnnxFile((dir / "model.onnx").string());
    ASSERT_TRUE(graph.ok()) << graph.status();
    ASSERT_TRUE(RunPasses("constant-folding,simplify-noops,cse,dce,fuse-gelu", **graph).ok());
    ASSERT_EQ((*graph)->num_nodes(), 1u);
    const Node* gelu = *(*graph)->nodes().begin();
    ASSERT_EQ(gelu->op(), OpKind::kGelu);
    EXPECT_EQ(gelu->attr_string("approximate"), absl::StrContains(name, "tanh") ? "tanh" : "none");
    auto got = reference::Execute(**graph, DataSetInputs(dir, 1));
    ASSERT_TRUE(got.ok()) << got.status();
    auto want = LoadTensorProtoFile((dir / "test_data_set_0" / "output_0.pb").string());
    ASSERT_TRUE(want.ok()) << want.status();
    CompareResult r = CompareTensors((*got)[0], *want, 1e-4);
    EXPECT_TRUE(r.ok) << r.detail;
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

}  // namespace
}  // namespace kiln
