// Tests of the -O pipelines, the pass list parser and algebraic-simplify's cast table.
#include <algorithm>

#include "gtest/gtest.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "passes/passes.h"

namespace kiln {
namespace {

// Only pipelines for the GPU fold residual adds into GEMMs (fold-skip-residual), and only from
// -O2 on, where fusion made the SkipNormalizations it rewrites.
TEST(PipelineTest, DevicePipelinesFoldResidualsIntoGemms) {
  for (int level = 0; level <= 3; ++level) {
    for (bool device : {false, true}) {
      auto pm = BuildPipeline(PipelineOptions{.level = level, .device = device});
      ASSERT_TRUE(pm.ok()) << pm.status();
      EXPECT_EQ(pm->Contains("fold-skip-residual"), device && level >= 2)
          << "-O" << level << (device ? " device" : "");
    }
  }
}

TEST(PipelineTest, EveryLevelBuilds) {
  // Fails loudly when a pass named in a pipeline table is not registered (e.g. a fusion name
  // uncommented before its branch was merged, or misspelt).
  std::vector<std::string> known = PassNames();
  for (const std::vector<std::string>* table : {&SimplifyPassNames(), &FusionPassNames()}) {
    for (const std::string& name : *table) {
      EXPECT_TRUE(std::find(known.begin(), known.end(), name) != known.end())
          << "pipeline pass '" << name << "' is not registered";
    }
  }
  for (int level = 0; level <= 3; ++level) {
    for (DType p : {DType::kF32, DType::kF16, DType::kBF16}) {
      auto pm = BuildPipeline(PipelineOptions{.level = level, .precision = p});
      EXPECT_TRUE(pm.ok()) << "-O" << level << " " << DTypeName(p) << ": " << pm.status();
    }
  }
}

TEST(PipelineTest, LevelsContainTheirPasses) {
  auto o0 = BuildPipeline(0);
  ASSERT_TRUE(o0.ok());
  EXPECT_FALSE(o0->Contains("dce"));
  EXPECT_FALSE(o0->Contains("mixed-precision"));
  auto o1 = BuildPipeline(1);
  ASSERT_TRUE(o1.ok());
  for (const std::string& name : SimplifyPassNames()) EXPECT_TRUE(o1->Contains(name)) << name;
  EXPECT_FALSE(o1->Contains("mixed-precision"));
  auto o2 = BuildPipeline(2);
  ASSERT_TRUE(o2.ok());
  for (const std::string& name : FusionPassNames()) EXPECT_TRUE(o2->Contains(name)) << name;
  auto o3 = BuildPipeline(3);
  ASSERT_TRUE(o3.ok());
  EXPECT_TRUE(o3->Contains("mixed-precision"));
  // A 16-bit precision is honoured at every level, -O0 included.
  auto o0_f16 = BuildPipeline(PipelineOptions{.level = 0, .precision = DType::kF16});
  ASSERT_TRUE(o0_f16.ok());
  EXPECT_TRUE(o0_f16->Contains("mixed-precision"));
}

TEST(PipelineTest, RejectsUnknownPassesLevelsAndPrecisions) {
  auto unknown = BuildPipeline("cse,no-such-pass");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("no-such-pass"), absl::string_view::npos);
  EXPECT_NE(unknown.status().message().find("algebraic-simplify"), absl::string_view::npos)
      << "the error lists the known passes";
  EXPECT_FALSE(BuildPipeline(4).ok());
  EXPECT_FALSE(BuildPipeline(-1).ok());
  EXPECT_FALSE(BuildPipeline(PipelineOptions{.level = 1, .precision = DType::kF64}).ok());
}

TEST(PipelineTest, PassListAppendsMixedPrecisionForSixteenBit) {
  auto plain = BuildPipeline("cse,dce", DType::kF32);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->Contains("mixed-precision"));
  auto half = BuildPipeline("cse,dce", DType::kBF16);
  ASSERT_TRUE(half.ok());
  EXPECT_TRUE(half->Contains("mixed-precision"));
}

TEST(PipelineTest, O1ReachesAFixedPointAcrossPasses) {
  // Folding Div(c, c) gives a constant 1, which algebraic-simplify then removes, leaving the
  // folded constants dead for dce: only a fixed point over the group gets to a single Relu.
  Graph g;
  Value* x = g.AddInput("x", TensorType{DType::kF32, {DimExpr::Symbol("n"), 4}});
  Value* c = g.AddConstant(Tensor::FromVector<float>({3.0f}, {}), "c");
  Node* one = g.AddNode(OpKind::kDiv, {c, c}, 1);
  Node* mul = g.AddNode(OpKind::kMul, {x, one->output(0)}, 1);
  Node* neg1 = g.AddNode(OpKind::kNeg, {mul->output(0)}, 1);
  Node* neg2 = g.AddNode(OpKind::kNeg, {neg1->output(0)}, 1);
  Node* relu = g.AddNode(OpKind::kRelu, {neg2->output(0)}, 1);
  g.AddOutput(relu->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto pm = BuildPipeline(1);
  ASSERT_TRUE(pm.ok());
  PassContext ctx;
  ASSERT_TRUE(pm->Run(g, ctx).ok());
  ASSERT_EQ(g.num_nodes(), 1u);
  EXPECT_EQ((*g.nodes().begin())->op(), OpKind::kRelu);
  EXPECT_EQ((*g.nodes().begin())->input(0), x);
  // The last round of the group changed nothing.
  int last_round_changes = 0;
  const auto& records = pm->records();
  ASSERT_GE(records.size(), SimplifyPassNames().size());
  for (size_t i = records.size() - SimplifyPassNames().size(); i < records.size(); ++i) {
    last_round_changes += records[i].changed;
  }
  EXPECT_EQ(last_round_changes, 0);
}

TEST(AlgebraicSimplifyTest, LosslessCastTable) {
  EXPECT_TRUE(IsLosslessCast(DType::kF16, DType::kF32));
  EXPECT_TRUE(IsLosslessCast(DType::kBF16, DType::kF64));
  EXPECT_TRUE(IsLosslessCast(DType::kF32, DType::kF64));
  EXPECT_FALSE(IsLosslessCast(DType::kF32, DType::kF16));
  EXPECT_FALSE(IsLosslessCast(DType::kF16, DType::kBF16));  // Different exponent ranges.
  EXPECT_TRUE(IsLosslessCast(DType::kI8, DType::kBF16));    // |x| <= 128 fits 8 bits.
  EXPECT_TRUE(IsLosslessCast(DType::kU8, DType::kBF16));
  EXPECT_FALSE(IsLosslessCast(DType::kI16, DType::kF16));  // 4097 is not an f16.
  EXPECT_TRUE(IsLosslessCast(DType::kI16, DType::kF32));
  EXPECT_FALSE(IsLosslessCast(DType::kI32, DType::kF32));  // 2^24 + 1 is not an f32.
  EXPECT_TRUE(IsLosslessCast(DType::kI32, DType::kF64));
  EXPECT_FALSE(IsLosslessCast(DType::kI64, DType::kF64));
  EXPECT_TRUE(IsLosslessCast(DType::kI32, DType::kI64));
  EXPECT_FALSE(IsLosslessCast(DType::kI64, DType::kI32));
  EXPECT_TRUE(IsLosslessCast(DType::kU16, DType::kI32));
  EXPECT_FALSE(IsLosslessCast(DType::kU32, DType::kI32));
  EXPECT_FALSE(IsLosslessCast(DType::kI8, DType::kU64));  // Negative values.
  EXPECT_TRUE(IsLosslessCast(DType::kBool, DType::kF16));
  EXPECT_FALSE(IsLosslessCast(DType::kI32, DType::kBool));
  EXPECT_FALSE(IsLosslessCast(DType::kF32, DType::kI64));
}

}  // namespace
}  // namespace kiln
