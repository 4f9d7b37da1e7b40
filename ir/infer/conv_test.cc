#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

DimExpr S(const char* n) { return DimExpr::Symbol(n); }

absl::StatusOr<TensorType> InferConv(std::vector<TensorType> inputs, Attributes attrs) {
  Graph g;
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.push_back(g.AddInput(absl::StrCat("in", i), inputs[i]));
  }
  Node* n = g.AddNode(OpKind::kConv, ins, 1, std::move(attrs), "conv");
  g.AddOutput(n->output(0));
  RETURN_IF_ERROR(InferShapes(g));
  return n->output(0)->type();
}

TEST(ConvInferTest, StridesPadsDilations) {
  Attributes a;
  a.Set("strides", std::vector<int64_t>{2, 1});
  a.Set("pads", std::vector<int64_t>{1, 0, 1, 0});
  a.Set("dilations", std::vector<int64_t>{1, 2});
  // H: (7 + 2 - 3) / 2 + 1 = 4; W: (9 - 5) / 1 + 1 = 5.
  auto t =
      InferConv({{DType::kF32, {2, 4, 7, 9}}, {DType::kF32, {6, 4, 3, 3}}, {DType::kF32, {6}}}, a);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f32[2,6,4,5]");
}

TEST(ConvInferTest, SymbolicSpatialDims) {
  Attributes a;
  a.Set("strides", std::vector<int64_t>{2});
  auto t = InferConv({{DType::kF32, {S("n"), 80, S("t")}}, {DType::kF32, {384, 80, 3}}}, a);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f32[n,384,div(t-3,2)+1]");
  Attributes same;
  same.Set("auto_pad", std::string("SAME_UPPER"));
  same.Set("strides", std::vector<int64_t>{2});
  auto s = InferConv({{DType::kF32, {S("n"), 80, S("t")}}, {DType::kF32, {384, 80, 3}}}, same);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ToString(), "f32[n,384," + DimExpr::CeilDiv(S("t"), 2).ToString() + "]");
}

TEST(ConvInferTest, GroupsAndAutoPadValid) {
  Attributes a;
  a.Set("group", int64_t{4});
  a.Set("auto_pad", std::string("VALID"));
  a.Set("kernel_shape", std::vector<int64_t>{3, 3});
  auto t = InferConv({{DType::kF16, {1, 8, 5, 5}}, {DType::kF16, {4, 2, 3, 3}}}, a);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f16[1,4,3,3]");
}

TEST(ConvInferTest, Errors) {
  Attributes none;
  // Channels 3 != W's 2 * group 1.
  EXPECT_FALSE(InferConv({{DType::kF32, {1, 3, 5, 5}}, {DType::kF32, {4, 2, 3, 3}}}, none).ok());
  // Kernel larger than the input.
  EXPECT_FALSE(InferConv({{DType::kF32, {1, 2, 2, 2}}, {DType::kF32, {4, 2, 3, 3}}}, none).ok());
  // Rank mismatch and rank too small.
  EXPECT_FALSE(InferConv({{DType::kF32, {1, 2, 5, 5}}, {DType::kF32, {4, 2, 3}}}, none).ok());
  EXPECT_FALSE(InferConv({{DType::kF32, {1, 2}}, {DType::kF32, {4, 2}}}, none).ok());
  Attributes bad_strides;
  bad_strides.Set("strides", std::vector<int64_t>{0, 1});
  EXPECT_FALSE(
      InferConv({{DType::kF32, {1, 2, 5, 5}}, {DType::kF32, {4, 2, 3, 3}}}, bad_strides).ok());
  Attributes bad_kernel;
  bad_kernel.Set("kernel_shape", std::vector<int64_t>{2, 2});
  EXPECT_FALSE(
      InferConv({{DType::kF32, {1, 2, 5, 5}}, {DType::kF32, {4, 2, 3, 3}}}, bad_kernel).ok());
  Attributes group;
  group.Set("group", int64_t{3});  // 4 output channels are not divisible by 3 groups.
  EXPECT_FALSE(InferConv({{DType::kF32, {1, 6, 5, 5}}, {DType::kF32, {4, 2, 3, 3}}}, group).ok());
  EXPECT_FALSE(InferConv({{DType::kI32, {1, 2, 5, 5}}, {DType::kI32, {4, 2, 3, 3}}}, none).ok());
}

}  // namespace
}  // namespace kiln
