// FusedMatMul's `to` attribute: the output dtype of a GEMM with a Cast folded into it. The
// result is rounded once to `to`, never through the operands' 16-bit type.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/shape_inference.h"
#include "runtime/reference/contraction_test_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

using ::testing::ElementsAre;
using testing::F32;
using ::testing::HasSubstr;
using testing::Of;
using testing::RunOp;
using testing::Values;

Attributes To(std::string dtype, std::string act = "none") {
  Attributes a;
  a.Set("activation", std::move(act));
  a.Set("to", std::move(dtype));
  return a;
}

// [1, 1] @ [[1], [2^-11]] = 1 + 2^-11: f16 (10 mantissa bits) rounds it to 1 (a tie, to
// even); f32 holds it exactly.
TEST(RefFusedMatMulToTest, Float16OperandsFloat32OutputIsNotRoundedToHalf) {
  const Tensor a = Of<Half>({1, 1}, {1, 2});
  const Tensor b = Of<Half>({1, 0.00048828125f}, {2, 1});
  auto half = RunOp(OpKind::kFusedMatMul, {a, b}, Attributes());
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_EQ((*half)[0].dtype(), DType::kF16);
  EXPECT_THAT(Values((*half)[0]), ElementsAre(1.0));
  auto wide = RunOp(OpKind::kFusedMatMul, {a, b}, To("f32"));
  ASSERT_TRUE(wide.ok()) << wide.status();
  EXPECT_EQ((*wide)[0].dtype(), DType::kF32);
  EXPECT_EQ((*wide)[0].shape(), (std::vector<int64_t>{1, 1}));
  EXPECT_THAT(Values((*wide)[0]), ElementsAre(1.00048828125));
}

// The f32 bias is added in f32 and the activation applied there: 1 + 2^-11 + 2^-12, and
// relu of (-1 - 2^-11) is 0.
TEST(RefFusedMatMulToTest, BFloat16OperandsWithFloat32BiasAndRelu) {
  const Tensor a = Of<BFloat16>({1, 1}, {1, 2});
  // bf16 has 7 mantissa bits: 2^-11 is exact as a power of two.
  const Tensor b = Of<BFloat16>({1, -1, 0.00048828125f, -0.00048828125f}, {2, 2});
  const Tensor bias = F32({0.000244140625f, 0}, {2});
  auto out = RunOp(OpKind::kFusedMatMul, {a, b, bias}, To("f32", "relu"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype(), DType::kF32);
  EXPECT_THAT(Values((*out)[0]), ElementsAre(1.000732421875, 0));
}

// `to` equal to the operands' dtype changes nothing.
TEST(RefFusedMatMulToTest, SameDTypeIsTheDefault) {
  const Tensor a = F32({1, 2, 3, 4}, {2, 2}), b = F32({5, 6, 7, 8}, {2, 2});
  auto plain = RunOp(OpKind::kFusedMatMul, {a, b}, Attributes());
  auto same = RunOp(OpKind::kFusedMatMul, {a, b}, To("f32"));
  ASSERT_TRUE(plain.ok() && same.ok());
  EXPECT_TRUE((*plain)[0].BitwiseEqual((*same)[0]));
  EXPECT_THAT(Values((*same)[0]), ElementsAre(19, 22, 43, 50));
}

TEST(RefFusedMatMulToTest, KernelRejectsBadOutputDTypeAndEpilogueDTypes) {
  Graph g;
  auto run = [&](std::vector<const Tensor*> inputs, Attributes attrs) {
    Node* n = g.AddNode(OpKind::kFusedMatMul, {}, 1, std::move(attrs), "fmm");
    return RefFusedMatMul(KernelContext{*n, std::move(inputs)}).status();
  };
  const Tensor a = Of<Half>({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(run({&a, &a}, To("i32")).message(), HasSubstr("not a float dtype"));
  EXPECT_THAT(run({&a, &a}, To("f99")).message(), HasSubstr("not a float dtype"));
  const Tensor half_bias = Of<Half>({1, 2}, {2});
  EXPECT_THAT(run({&a, &a, &half_bias}, To("f32")).message(), HasSubstr("must be [2] of f32"));
  const Tensor half_res = Of<Half>({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(run({&a, &a, nullptr, &half_res}, To("f32")).message(),
              HasSubstr("does not broadcast"));
  const Tensor f32_res = F32({1, 2, 3, 4}, {2, 2});
  EXPECT_TRUE(run({&a, &a, nullptr, &f32_res}, To("f32")).ok());
}

TEST(FusedMatMulToInferTest, OutputTakesToAndEpilogueOperandsMustMatchIt) {
  Graph g;
  Value* a = g.AddInput("a", {DType::kF16, {DimExpr::Symbol("s"), DimExpr(3)}});
  Value* b = g.AddInput("b", {DType::kF16, {DimExpr(5), DimExpr(3)}});
  Value* bias32 = g.AddInput("bias32", {DType::kF32, {DimExpr(5)}});
  Attributes attrs = To("f32");
  attrs.Set("trans_b", int64_t{1});
  Node* n = g.AddNode(OpKind::kFusedMatMul, {a, b, bias32}, 1, attrs, "ok");
  g.AddOutput(n->output(0));
  ASSERT_TRUE(InferShapes(g).ok()) << InferShapes(g);
  EXPECT_EQ(n->output(0)->type().dtype, DType::kF32);
  EXPECT_EQ(n->output(0)->type().dims,
            (std::vector<DimExpr>{DimExpr::Symbol("s"), DimExpr(5)}));

  Graph bad;
  Value* x = bad.AddInput("x", {DType::kF16, {DimExpr(2), DimExpr(3)}});
  Value* w = bad.AddInput("w", {DType::kF16, {DimExpr(3), DimExpr(5)}});
  Value* bias16 = bad.AddInput("bias16", {DType::kF16, {DimExpr(5)}});
  bad.AddNode(OpKind::kFusedMatMul, {x, w, bias16}, 1, To("f32"), "half_bias");
  EXPECT_THAT(InferShapes(bad).message(), HasSubstr("must have the output's dtype f32"));

  Graph ints;
  Value* y = ints.AddInput("y", {DType::kF16, {DimExpr(2), DimExpr(3)}});
  Value* v = ints.AddInput("v", {DType::kF16, {DimExpr(3), DimExpr(5)}});
  ints.AddNode(OpKind::kFusedMatMul, {y, v}, 1, To("i64"), "int_out");
  EXPECT_THAT(InferShapes(ints).message(), HasSubstr("'i64' is not a float dtype"));
}

}  // namespace
}  // namespace kiln::reference
