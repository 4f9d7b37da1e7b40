// The device stage's acceptance test: on every model (shared, KV-cache decoders, Kiln's
// variants), at fp32 and fp16, -O3 then DevicePassNames() (what kiln compile runs) leaves only
// device-executable nodes
// (CheckDeviceExecutable), keeps the numbers (fp32: the stored reference outputs at the o3
// test's 1e-4; fp16: the -O3 graph's own outputs at the f16 tolerance 1e-2, since lowering must
// not change what the fp16 graph computes), and every FusedKernel emits, never loads a host
// value (LoadsHostInput) and compiles with NVRTC for sm_90 as one module per model.
#include <map>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/kernel_emitter.h"
#include "codegen/nvrtc_compiler.h"
#include "gtest/gtest.h"
#include "ir/shape_inference.h"
#include "ir/status_macros.h"
#include "passes/lower_device.h"
#include "passes/pass_manager.h"
#include "passes/passes.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"
#include "tests/lower_device_test_util.h"
#include "tests/model_test_util.h"

namespace kiln {
namespace {

absl::StatusOr<std::unique_ptr<Graph>> Optimize(const std::filesystem::path& dir, DType precision) {
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, ImportOnnxFile((dir / "model.onnx").string()));
  ASSIGN_OR_RETURN(PassManager pm,
                   BuildPipeline(PipelineOptions{.level = 3, .precision = precision}));
  PassContext ctx;
  ctx.precision = precision;
  RETURN_IF_ERROR(pm.Run(*graph, ctx));
  return graph;
}

std::string OpCounts(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Node* n : g.nodes()) ++counts[std::string(n->op_name())];
  std::vector<std::string> parts;
  for (const auto& [op, count] : counts) parts.push_back(absl::StrCat(op, " ", count));
  return absl::StrJoin(parts, ", ");
}

void CheckModel(const std::filesystem::path& dir, DType precision) {
  const std::string name = dir.filename().string();
  SCOPED_TRACE(absl::StrCat(name, " at ", DTypeName(precision)));
  absl::StatusOr<std::unique_ptr<Graph>> graph = Optimize(dir, precision);
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::unique_ptr<Graph> optimized = (*graph)->Clone();
  // The whole device stage of `kiln compile` (layout folding, QKV packing, lowering).
  PassContext ctx;
  for (const std::string& pass_name : DevicePassNames()) {
    absl::StatusOr<std::unique_ptr<Pass>> pass = CreatePass(pass_name);
    ASSERT_TRUE(pass.ok()) << pass.status();
    absl::StatusOr<bool> ran = (*pass)->Run(**graph, ctx);
    ASSERT_TRUE(ran.ok()) << pass_name << ": " << ran.status();
  }
  ASSERT_TRUE(VerifyGraph(**graph).ok());
  absl::Status executable = CheckDeviceExecutable(**graph);
  EXPECT_TRUE(executable.ok()) << executable << "\nnotes:\n" << absl::StrJoin(ctx.notes, "\n");
  std::printf("[lower-device] %-14s %-4s %s\n", name.c_str(),
              std::string(DTypeName(precision)).c_str(), OpCounts(**graph).c_str());

  std::vector<Tensor> inputs = testing::LoadDataSet(dir, 0, "input");
  auto got = reference::Execute(**graph, inputs);
  ASSERT_TRUE(got.ok()) << got.status();
  std::vector<Tensor> want = testing::LoadDataSet(dir, 0, "output");
  double tolerance = 1e-4;
  if (precision != DType::kF32) {
    auto before = reference::Execute(*optimized, inputs);
    ASSERT_TRUE(before.ok()) << before.status();
    want = *std::move(before);
    tolerance = 1e-2;
  }
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CompareResult r = CompareTensors((*got)[i], want[i], tolerance);
    EXPECT_TRUE(r.ok) << "output " << i << ": " << r.detail;
  }

  std::vector<EmittedKernel> kernels;
  for (const Node* n : (*graph)->nodes()) {
    if (n->op() != OpKind::kFusedKernel) continue;
    absl::StatusOr<EmittedKernel> k = EmitKernel(*n, absl::StrCat("kiln_k", kernels.size()));
    if (!k.ok()) {
      ADD_FAILURE() << k.status();
      continue;
    }
    EXPECT_EQ(testing::LoadsHostInput(*n, *k), "") << n->Describe();
    kernels.push_back(*std::move(k));
  }
  ASSERT_FALSE(kernels.empty());
  absl::StatusOr<CompiledModule> compiled =
      CompileCuda(BuildModuleSource(kernels), absl::StrCat(name, "_lowered.cu"), NvrtcOptions{});
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_FALSE(compiled->cubin.empty());
}

TEST(LowerDeviceModelsTest, EveryModelLowersToExecutableNodesAndKeepsItsNumbers) {
  auto dirs = testing::AllModelDirs();
  ASSERT_GE(dirs.size(), 5u);
  if (testing::SharedDir()) {
    EXPECT_EQ(dirs.size(), 15u);
  }
  for (const auto& dir : dirs) {
    for (DType precision : {DType::kF32, DType::kF16}) CheckModel(dir, precision);
  }
}

}  // namespace
}  // namespace kiln
