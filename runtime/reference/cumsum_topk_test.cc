// Reference kernels of CumSum and TopK, on values worked out by hand.
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/shape_inference.h"
#include "runtime/reference/executor.h"
#include "runtime/reference/reduction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::ElementsAre;
using ::testing::IsNan;

Tensor Axis(int64_t axis) { return Tensor::Scalar<int64_t>(axis); }
Tensor K(int64_t k) { return Tensor::FromVector<int64_t>({k}, {1}); }

TEST(CumSumKernelTest, ExclusiveAndReverse) {
  Tensor x = Make<float>({5}, {1, 2, 3, 4, 5});
  auto run = [&](int64_t exclusive, int64_t reverse) {
    auto out = KernelHarness(OpKind::kCumSum, {x, Axis(0)},
                             {{"exclusive", exclusive}, {"reverse", reverse}})
                   .Run();
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? AsDoubles((*out)[0]) : std::vector<double>{};
  };
  EXPECT_THAT(run(0, 0), ElementsAre(1, 3, 6, 10, 15));
  EXPECT_THAT(run(1, 0), ElementsAre(0, 1, 3, 6, 10));
  EXPECT_THAT(run(0, 1), ElementsAre(15, 14, 12, 9, 5));
  EXPECT_THAT(run(1, 1), ElementsAre(14, 12, 9, 5, 0));
}

TEST(CumSumKernelTest, MatrixAxesWithInt32Axis) {
  Tensor x = Make<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto rows = KernelHarness(OpKind::kCumSum, {x, Tensor::Scalar<int32_t>(-1)}).Run();
  auto cols = KernelHarness(OpKind::kCumSum, {x, Axis(0)}).Run();
  ASSERT_TRUE(rows.ok() && cols.ok());
  EXPECT_EQ((*rows)[0].dtype(), DType::kI64);
  EXPECT_THAT(AsInts((*rows)[0]), ElementsAre(1, 3, 6, 4, 9, 15));
  EXPECT_THAT(AsInts((*cols)[0]), ElementsAre(1, 2, 3, 5, 7, 9));
}

TEST(CumSumKernelTest, BadAxisIsAnError) {
  Tensor x = Make<float>({2, 3}, {});
  auto range = KernelHarness(OpKind::kCumSum, {x, Axis(2)}).Run();
  EXPECT_NE(range.status().message().find("out of range"), absl::string_view::npos);
  auto pair = KernelHarness(OpKind::kCumSum, {x, Tensor::FromVector<int64_t>({0, 1}, {2})}).Run();
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TopKKernelTest, LargestAlongRows) {
  Tensor x = Make<float>({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  auto out = KernelHarness(OpKind::kTopK, {x, K(3)}, {}, 2).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{3, 3}));
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(3, 2, 1, 7, 6, 5, 11, 10, 9));
  EXPECT_EQ((*out)[1].dtype(), DType::kI64);
  EXPECT_THAT(AsInts((*out)[1]), ElementsAre(3, 2, 1, 3, 2, 1, 3, 2, 1));
}

TEST(TopKKernelTest, TiesGoToTheLowerIndex) {
  Tensor x = Make<int64_t>({5}, {3, 1, 3, 2, 3});
  auto largest = KernelHarness(OpKind::kTopK, {x, K(2)}, {}, 2).Run();
  auto smallest = KernelHarness(OpKind::kTopK, {x, K(3)}, {{"largest", int64_t{0}}}, 2).Run();
  ASSERT_TRUE(largest.ok() && smallest.ok());
  EXPECT_THAT(AsInts((*largest)[0]), ElementsAre(3, 3));
  EXPECT_THAT(AsInts((*largest)[1]), ElementsAre(0, 2));
  EXPECT_THAT(AsInts((*smallest)[0]), ElementsAre(1, 2, 3));
  EXPECT_THAT(AsInts((*smallest)[1]), ElementsAre(1, 3, 0));
}

TEST(TopKKernelTest, LeadingAxis) {
  Tensor x = Make<uint64_t>({3, 2}, {1, 5, 4, 2, 3, 6});
  auto out = KernelHarness(OpKind::kTopK, {x, K(2)}, {{"axis", int64_t{0}}}, 2).Run();
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(AsInts((*out)[0]), ElementsAre(4, 6, 3, 5));
  EXPECT_THAT(AsInts((*out)[1]), ElementsAre(1, 2, 2, 0));
}

TEST(TopKKernelTest, NaNRanksAboveNumbers) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = Make<float>({3}, {1, nan, 3});
  auto largest = KernelHarness(OpKind::kTopK, {x, K(2)}, {}, 2).Run();
  auto smallest = KernelHarness(OpKind::kTopK, {x, K(1)}, {{"largest", int64_t{0}}}, 2).Run();
  ASSERT_TRUE(largest.ok() && smallest.ok());
  EXPECT_THAT(AsDoubles((*largest)[0]), ElementsAre(IsNan(), 3));
  EXPECT_THAT(AsInts((*largest)[1]), ElementsAre(1, 2));
  EXPECT_THAT(AsInts((*smallest)[1]), ElementsAre(0));
}

TEST(TopKKernelTest, KOutOfRangeIsAnErrorAndZeroIsEmpty) {
  Tensor x = Make<float>({2, 4}, {});
  auto big = KernelHarness(OpKind::kTopK, {x, K(5)}, {}, 2).Run();
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  auto neg = KernelHarness(OpKind::kTopK, {x, K(-1)}, {}, 2).Run();
  EXPECT_EQ(neg.status().code(), absl::StatusCode::kInvalidArgument);
  auto zero = KernelHarness(OpKind::kTopK, {x, K(0)}, {}, 2).Run();
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ((*zero)[1].shape(), (std::vector<int64_t>{2, 0}));
}

TEST(TopKKernelTest, RuntimeKAgreesWithInferenceInTheExecutor) {
  Graph g;
  Value* x = g.AddInput("x", TensorType{DType::kF32, {2, 4}});
  Value* k = g.AddInput("k", TensorType{DType::kI64, {1}});
  Node* n = g.AddNode(OpKind::kTopK, {x, k}, 2, {}, "topk");
  g.AddOutput(n->output(0));
  g.AddOutput(n->output(1));
  ASSERT_TRUE(InferShapes(g).ok());
  auto out = Execute(g, {Make<float>({2, 4}, {5, 1, 4, 2, 0, 9, 8, 7}), K(2)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(5, 4, 9, 8));
  EXPECT_THAT(AsInts((*out)[1]), ElementsAre(0, 2, 1, 2));
}

}  // namespace
}  // namespace kiln::reference
