// A plan's index width: chosen from its graph and bounds when kernels are emitted, written
// into the module source (so the plan file's source hash covers it), and reproduced when the
// plan is loaded.
#include <filesystem>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "runtime/engine/engine_test_util.h"
#include "runtime/engine/plan.h"

namespace kiln {
namespace {

std::filesystem::path ModelDir(absl::string_view name) {
  return std::filesystem::path(KILN_SOURCE_DIR) / "tests" / "models" / std::string(name);
}

void ExpectRoundTripKeepsWidth(const Plan& plan, IndexWidth width) {
  EXPECT_EQ(plan.index_width, width);
  absl::StatusOr<std::unique_ptr<Plan>> back = DeserializePlan(SerializePlan(plan));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->index_width, width);
  EXPECT_EQ((*back)->source, plan.source);
}

TEST(PlanIndexWidthTest, BoundedPlansUse32BitIndicesAndKeepThemWhenLoaded) {
  auto plan = testing::CompileTestModel(ModelDir("llama_mini_dy"), DType::kF16);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const Plan& p = **plan;
  EXPECT_TRUE(absl::StrContains(p.source, "typedef int kiln_idx;"));
  // The elementwise kernels index in kiln_idx (the row and attention kernels' own loops may
  // keep kiln_i64).
  int elementwise = 0;
  for (const EmittedKernel& k : p.kernels) {
    if (k.kind != EmittedKernel::Kind::kElementwise) continue;
    ++elementwise;
    EXPECT_TRUE(absl::StrContains(k.source, "const kiln_idx flat = (kiln_idx)flat_u;")) << k.name;
  }
  EXPECT_GT(elementwise, 0);
  ExpectRoundTripKeepsWidth(p, IndexWidth::k32);

  // The same graph at bounds where a tensor passes 2^31 elements: the width is re-derived,
  // so the source (and the hash a plan file checks) changes with it.
  Plan wide;
  wide.graph = std::move((*plan)->graph);
  wide.bounds = p.bounds;
  for (auto& [sym, bound] : wide.bounds) bound = int64_t{1} << 20;
  ASSERT_TRUE(EmitPlanKernels(wide).ok());
  EXPECT_EQ(wide.index_width, IndexWidth::k64);
  EXPECT_TRUE(absl::StrContains(wide.source, "typedef long long kiln_idx;"));
}

TEST(PlanIndexWidthTest, HugeBoundsKeep64BitIndicesThroughSaveAndLoad) {
  CompileOptions options = testing::TestCompileOptions(DType::kF32);
  // 2^14 x 2^12 tokens: the 96-wide MLP activation has 6.4e9 elements at the bounds.
  options.max_batch = 1 << 14;
  options.max_seq = 1 << 12;
  auto plan = CompileModelFile((ModelDir("bert_mini_ts") / "model.onnx").string(), options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(absl::StrContains((*plan)->source, "typedef long long kiln_idx;"));
  ExpectRoundTripKeepsWidth(**plan, IndexWidth::k64);
}

}  // namespace
}  // namespace kiln
