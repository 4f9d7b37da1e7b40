// Reference kernels of ReduceSum/Mean/Max/Min and ArgMax, on values worked out by hand.
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/shape_inference.h"
#include "runtime/reference/executor.h"
#include "runtime/reference/reduction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsNan;

Tensor Axes(std::vector<int64_t> axes) {
  int64_t n = static_cast<int64_t>(axes.size());
  return Tensor::FromVector<int64_t>(axes, {n});
}

std::vector<double> Iota(int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(ReduceKernelTest, SumKeepsReducedAxis) {
  // x[b,j,k] = 12b + 4j + k; summing over j gives 36b + 12 + 3k.
  KernelHarness h(OpKind::kReduceSum, {Make<float>({2, 3, 4}, Iota(24)), Axes({1})});
  auto out = h.Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{2, 1, 4}));
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(12, 15, 18, 21, 48, 51, 54, 57));
}

TEST(ReduceKernelTest, MeanOverTwoAxesWithoutKeepdims) {
  // mean over b and k of 12b + 4j + k is 6 + 4j + 1.5.
  KernelHarness h(OpKind::kReduceMean, {Make<float>({2, 3, 4}, Iota(24)), Axes({0, -1})},
                  {{"keepdims", int64_t{0}}});
  auto out = h.Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{3}));
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(7.5, 11.5, 15.5));
}

TEST(ReduceKernelTest, NoAxesReducesAllUnlessNoop) {
  Tensor x = Make<double>({2, 2}, {1, 2, 3, 4});
  auto all = KernelHarness(OpKind::kReduceSum, {x}, {{"keepdims", int64_t{0}}}).Run();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].rank(), 0);
  EXPECT_EQ((*all)[0].GetAsDouble(0), 10);
  auto noop =
      KernelHarness(OpKind::kReduceSum, {x, Axes({})}, {{"noop_with_empty_axes", int64_t{1}}})
          .Run();
  ASSERT_TRUE(noop.ok());
  EXPECT_TRUE((*noop)[0].BitwiseEqual(x));
}

TEST(ReduceKernelTest, MaxAndMinPropagateNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = Make<float>({2, 2}, {1, nan, 3, 2});
  auto max = KernelHarness(OpKind::kReduceMax, {x, Axes({1})}).Run();
  auto min = KernelHarness(OpKind::kReduceMin, {x, Axes({1})}).Run();
  ASSERT_TRUE(max.ok() && min.ok());
  EXPECT_THAT(AsDoubles((*max)[0]), ElementsAre(IsNan(), 3));
  EXPECT_THAT(AsDoubles((*min)[0]), ElementsAre(IsNan(), 2));
}

TEST(ReduceKernelTest, EmptySetIdentities) {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor f = Make<float>({2, 0, 3}, {});
  Tensor i = Make<int32_t>({2, 0, 3}, {});
  auto max = KernelHarness(OpKind::kReduceMax, {f, Axes({1})}).Run();
  auto min = KernelHarness(OpKind::kReduceMin, {i, Axes({1})}).Run();
  auto sum = KernelHarness(OpKind::kReduceSum, {f, Axes({1})}).Run();
  auto mean = KernelHarness(OpKind::kReduceMean, {f, Axes({1})}).Run();
  ASSERT_TRUE(max.ok() && min.ok() && sum.ok() && mean.ok());
  EXPECT_EQ((*max)[0].shape(), (std::vector<int64_t>{2, 1, 3}));
  EXPECT_THAT(AsDoubles((*max)[0]), ElementsAreArray(std::vector<double>(6, -inf)));
  EXPECT_THAT(AsInts((*min)[0]), ElementsAreArray(std::vector<int64_t>(6, INT32_MAX)));
  EXPECT_THAT(AsDoubles((*sum)[0]), ElementsAreArray(std::vector<double>(6, 0)));
  EXPECT_THAT(AsDoubles((*mean)[0]), ::testing::Each(IsNan()));
}

TEST(ReduceKernelTest, IntegerMeanTruncatesTowardZero) {
  Tensor x = Make<int32_t>({2, 2}, {1, 2, -3, -4});
  auto out = KernelHarness(OpKind::kReduceMean, {x, Axes({1})}).Run();
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(AsInts((*out)[0]), ElementsAre(1, -3));  // 1.5 -> 1, -3.5 -> -3.
}

TEST(ReduceKernelTest, HalfSumAccumulatesInFloat) {
  // Accumulating in f16 would stall at 2048 (2048 + 1 rounds back to 2048).
  Tensor x = Make<Half>({4096}, std::vector<double>(4096, 1.0));
  auto out = KernelHarness(OpKind::kReduceSum, {x}).Run();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].dtype(), DType::kF16);
  EXPECT_EQ((*out)[0].GetAsDouble(0), 4096);
}

TEST(ReduceKernelTest, BoolAndUint8MinMax) {
  Tensor b = Make<bool>({2, 2}, {0, 1, 0, 0});
  auto any = KernelHarness(OpKind::kReduceMax, {b, Axes({1})}).Run();
  auto all = KernelHarness(OpKind::kReduceMin, {b, Axes({0})}).Run();
  ASSERT_TRUE(any.ok() && all.ok());
  EXPECT_THAT(AsInts((*any)[0]), ElementsAre(1, 0));
  EXPECT_THAT(AsInts((*all)[0]), ElementsAre(0, 0));
  auto u8 = KernelHarness(OpKind::kReduceMax, {Make<uint8_t>({3}, {7, 200, 9})}).Run();
  ASSERT_TRUE(u8.ok());
  EXPECT_EQ((*u8)[0].GetAsInt(0), 200);
}

TEST(ReduceKernelTest, BadRuntimeAxesAreErrors) {
  Tensor x = Make<float>({2, 3}, Iota(6));
  auto range = KernelHarness(OpKind::kReduceSum, {x, Axes({2})}).Run();
  EXPECT_EQ(range.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(range.status().message().find("out of range"), absl::string_view::npos);
  auto twice = KernelHarness(OpKind::kReduceSum, {x, Axes({1, -1})}).Run();
  EXPECT_NE(twice.status().message().find("given twice"), absl::string_view::npos);
}

TEST(ReduceKernelTest, RuntimeAxesAgreeWithInferenceInTheExecutor) {
  Graph g;
  Value* x = g.AddInput("x", TensorType{DType::kF32, {DimExpr::Symbol("n"), 3, 4}});
  Value* axes = g.AddInput("axes", TensorType{DType::kI64, {2}});
  Attributes a;
  a.Set("keepdims", int64_t{0});
  Node* n = g.AddNode(OpKind::kReduceSum, {x, axes}, 1, a, "sum");
  g.AddOutput(n->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto out = Execute(g, {Make<float>({2, 3, 4}, Iota(24)), Axes({0, 2})});
  ASSERT_TRUE(out.ok()) << out.status();
  // Sum over b and k of 12b + 4j + k: 4*12 + 8*4j + 2*(0+1+2+3) = 60 + 32j.
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(60, 92, 124));
}

TEST(ArgMaxKernelTest, FirstOrLastIndexOfTies) {
  Tensor x = Make<float>({2, 3}, {2, 7, 7, 5, 1, 5});
  auto first =
      KernelHarness(OpKind::kArgMax, {x}, {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}}).Run();
  auto last =
      KernelHarness(
          OpKind::kArgMax, {x},
          {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}, {"select_last_index", int64_t{1}}})
          .Run();
  ASSERT_TRUE(first.ok() && last.ok());
  EXPECT_EQ((*first)[0].dtype(), DType::kI64);
  EXPECT_EQ((*first)[0].shape(), (std::vector<int64_t>{2}));
  EXPECT_THAT(AsInts((*first)[0]), ElementsAre(1, 0));
  EXPECT_THAT(AsInts((*last)[0]), ElementsAre(2, 2));
}

TEST(ArgMaxKernelTest, DefaultAxisKeepsDims) {
  Tensor x = Make<int64_t>({2, 3}, {2, 7, 7, 5, 1, 5});
  auto out = KernelHarness(OpKind::kArgMax, {x}).Run();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{1, 3}));
  EXPECT_THAT(AsInts((*out)[0]), ElementsAre(1, 0, 0));
}

TEST(ArgMaxKernelTest, NaNIsTheMaximum) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto out = KernelHarness(OpKind::kArgMax, {Make<float>({3}, {1, nan, 3})}).Run();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].GetAsInt(0), 1);
}

TEST(ArgMaxKernelTest, EmptyAxisIsAnError) {
  auto out = KernelHarness(OpKind::kArgMax, {Make<float>({0, 2}, {})}).Run();
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::reference
