#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/contraction_test_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using testing::F32;
using ::testing::HasSubstr;
using testing::Of;
using testing::RunOp;
using testing::Values;

Attributes Attrs(int64_t trans_a, int64_t trans_b, float alpha, std::string act) {
  Attributes a;
  a.Set("trans_a", trans_a);
  a.Set("trans_b", trans_b);
  a.Set("alpha", alpha);
  a.Set("activation", std::move(act));
  return a;
}

TEST(RefFusedMatMulTest, TransposeFlagsAndAlpha) {
  // a = [[1,2,3],[4,5,6]] stored transposed, b = [[7,8],[9,10],[11,12]] stored transposed;
  // a @ b = [[58,64],[139,154]], times 0.5.
  auto out = RunOp(OpKind::kFusedMatMul,
                   {F32({1, 4, 2, 5, 3, 6}, {3, 2}), F32({7, 9, 11, 8, 10, 12}, {2, 3})},
                   Attrs(1, 1, 0.5f, "none"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_THAT(Values((*out)[0]), ElementsAre(29, 32, 69.5, 77));
}

TEST(RefFusedMatMulTest, BiasThenEachActivation) {
  // [1, -2] @ I = [1, -2]; + bias 0.5 = [1.5, -1.5]; expected activations from Python's math.
  const Tensor a = F32({1, -2}, {1, 2});
  const Tensor eye = F32({1, 0, 0, 1}, {2, 2});
  const Tensor bias = F32({0.5, 0.5}, {2});
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"none", {1.5, -1.5}},
      {"relu", {1.5, 0}},
      {"gelu", {1.399789198096713, -0.10021080190328713}},
      {"gelu_tanh", {1.3995715769802328, -0.10042842301976707}},
      {"silu", {1.2263617142904655, -0.2736382857095345}},
  };
  for (const auto& [act, want] : cases) {
    auto out = RunOp(OpKind::kFusedMatMul, {a, eye, bias}, Attrs(0, 0, 1, act));
    ASSERT_TRUE(out.ok()) << act << ": " << out.status();
    EXPECT_THAT(Values((*out)[0]),
                ElementsAre(DoubleNear(want[0], 1e-6), DoubleNear(want[1], 1e-6)))
        << act;
  }
}

TEST(RefFusedMatMulTest, ResidualAfterActivationWithBatchBroadcast) {
  // a [2,1,2] against an unbatched b: [[1,-2]] and [[3,4]] times I; relu; + residual [10,20]
  // broadcast over the batch. The absent bias is a null input.
  auto out = RunOp(
      OpKind::kFusedMatMul,
      {F32({1, -2, 3, 4}, {2, 1, 2}), F32({1, 0, 0, 1}, {2, 2}), Tensor(), F32({10, 20}, {1, 2})},
      Attrs(0, 0, 1, "relu"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{2, 1, 2}));
  EXPECT_THAT(Values((*out)[0]), ElementsAre(11, 20, 13, 24));
}

TEST(RefFusedMatMulTest, BatchedTransposedOperandsBroadcastBatches) {
  // a [2,2,1] with trans_a reads rows [1,2] and [3,4]; b [1,2,1] is the column [1,1] for both.
  auto out = RunOp(OpKind::kFusedMatMul, {F32({1, 2, 3, 4}, {2, 2, 1}), F32({1, 1}, {1, 2, 1})},
                   Attrs(1, 0, 1, "none"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{2, 1, 1}));
  EXPECT_THAT(Values((*out)[0]), ElementsAre(3, 7));
}

// In f16 every epilogue step rounds as the unfused ops do, so the results are bit-identical.
TEST(RefFusedMatMulTest, Float16MatchesTheUnfusedChainBitForBit) {
  std::vector<float> av, bv, biasv, rv;
  for (int i = 0; i < 12; ++i) av.push_back(0.37f * i - 1.9f);
  for (int i = 0; i < 12; ++i) bv.push_back(0.21f * (i % 5) - 0.33f * (i % 3));
  for (int i = 0; i < 4; ++i) biasv.push_back(0.1f * i - 0.2f);
  for (int i = 0; i < 12; ++i) rv.push_back(0.05f * i);
  const Tensor a = Of<Half>(av, {3, 4}), b = Of<Half>(bv, {4, 3});
  const Tensor bias = Of<Half>({0.25, -0.5, 1}, {3}), r = Of<Half>(rv, {3, 3});
  auto fused = RunOp(OpKind::kFusedMatMul, {a, b, bias, r}, Attrs(0, 0, 1, "gelu"));
  ASSERT_TRUE(fused.ok()) << fused.status();
  auto mm = RunOp(OpKind::kMatMul, {a, b});
  ASSERT_TRUE(mm.ok());
  auto biased = RunOp(OpKind::kAdd, {(*mm)[0], bias});
  ASSERT_TRUE(biased.ok());
  auto act = RunOp(OpKind::kGelu, {(*biased)[0]});
  ASSERT_TRUE(act.ok());
  auto want = RunOp(OpKind::kAdd, {(*act)[0], r});
  ASSERT_TRUE(want.ok());
  EXPECT_TRUE((*fused)[0].BitwiseEqual((*want)[0]));
}

// The kernel's own checks, reached without inference in front of it.
class RefFusedMatMulErrorTest : public ::testing::Test {
 protected:
  absl::Status Run(std::vector<const Tensor*> inputs, Attributes attrs = {}) {
    Node* n = graph_.AddNode(OpKind::kFusedMatMul, {}, 1, std::move(attrs), "fmm");
    return RefFusedMatMul(KernelContext{*n, std::move(inputs)}).status();
  }
  Graph graph_;
};

TEST_F(RefFusedMatMulErrorTest, RejectsBadShapesDTypesAndAttributes) {
  const Tensor a = F32({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = F32({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(Run({&a, &b}).message(), HasSubstr("inner dimensions differ"));
  const Tensor b3 = F32({1, 2, 3, 4, 5, 6}, {3, 2});
  const Tensor bias = F32({1, 2, 3}, {3});
  EXPECT_THAT(Run({&a, &b3, &bias}).message(), HasSubstr("bias f32[3] must be [2]"));
  const Tensor wide = F32(std::vector<float>(12, 1), {3, 2, 2});
  EXPECT_THAT(Run({&a, &b3, nullptr, &wide}).message(), HasSubstr("does not broadcast"));
  const Tensor ints = Tensor::FromVector<int64_t>({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(Run({&ints, &ints}).message(), HasSubstr("float operands"));
  const Tensor vec = F32({1, 2}, {2});
  EXPECT_THAT(Run({&vec, &b}).message(), HasSubstr("rank >= 2"));
  Attributes bad;
  bad.Set("activation", std::string("tanh"));
  EXPECT_THAT(Run({&a, &b3}, bad).message(), HasSubstr("unknown activation 'tanh'"));
  const Tensor good_bias = F32({1, 2}, {2});
  EXPECT_TRUE(Run({&a, &b3, &good_bias}).ok());
}

TEST(FusedMatMulInferTest, RejectsWhatTheContractForbids) {
  Graph g;
  Value* a = g.AddInput("a", {DType::kF32, {DimExpr(2), DimExpr(3)}});
  Value* b = g.AddInput("b", {DType::kF32, {DimExpr(3), DimExpr(4)}});
  Value* r = g.AddInput("r", {DType::kF32, {DimExpr(5), DimExpr(2), DimExpr(4)}});
  g.AddNode(OpKind::kFusedMatMul, {a, b, nullptr, r}, 1, {}, "widening");
  EXPECT_THAT(InferShapes(g).message(), HasSubstr("must not widen"));
}

}  // namespace
}  // namespace kiln::reference
