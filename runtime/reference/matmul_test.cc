#include <cstdint>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/contraction_test_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using testing::F32;
using testing::Of;
using ::testing::Pointwise;
using testing::RunOp;
using testing::Values;

TEST(RefMatMulTest, SmallMatrices) {
  auto out =
      RunOp(OpKind::kMatMul, {F32({1, 2, 3, 4, 5, 6}, {2, 3}), F32({7, 8, 9, 10, 11, 12}, {3, 2})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_THAT(Values((*out)[0]), ElementsAre(58, 64, 139, 154));
}

TEST(RefMatMulTest, VectorsAndBroadcastBatches) {
  auto dot = RunOp(OpKind::kMatMul, {F32({1, 2, 3}, {3}), F32({4, 5, 6}, {3})});
  ASSERT_TRUE(dot.ok()) << dot.status();
  EXPECT_TRUE((*dot)[0].shape().empty());
  EXPECT_THAT(Values((*dot)[0]), ElementsAre(32));
  // [2,1,1,2] @ [3,2,1] -> [2,3,1,1]: out[a][b] = A[a] . B[b].
  auto bc = RunOp(OpKind::kMatMul,
                  {F32({1, 2, 3, 4}, {2, 1, 1, 2}), F32({1, 1, 1, -1, 2, 0}, {3, 2, 1})});
  ASSERT_TRUE(bc.ok()) << bc.status();
  EXPECT_EQ((*bc)[0].shape(), (std::vector<int64_t>{2, 3, 1, 1}));
  EXPECT_THAT(Values((*bc)[0]), ElementsAre(3, -1, 2, 7, -1, 6));
}

TEST(RefMatMulTest, IntegersWrapLikeNumpy) {
  auto out = RunOp(OpKind::kMatMul, {Tensor::FromVector<int32_t>({65536}, {1, 1}),
                                     Tensor::FromVector<int32_t>({32768}, {1, 1})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].data<int32_t>()[0], std::numeric_limits<int32_t>::min());
  auto u = RunOp(OpKind::kMatMul, {Tensor::FromVector<uint64_t>({3, 4}, {1, 2}),
                                   Tensor::FromVector<uint64_t>({5, 6}, {2, 1})});
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ((*u)[0].data<uint64_t>()[0], 39u);
}

TEST(RefMatMulTest, SixteenBitFloatsAccumulateInFloat) {
  auto h = RunOp(OpKind::kMatMul, {Of<Half>({0.5, 1.5}, {1, 2}), Of<Half>({2, 4}, {2, 1})});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ((*h)[0].dtype(), DType::kF16);
  EXPECT_THAT(Values((*h)[0]), ElementsAre(7));
  // Summing 300 ones in bf16 would stall at 256; a float accumulator reaches 300.
  auto b = RunOp(OpKind::kMatMul, {Of<BFloat16>(std::vector<float>(300, 1), {1, 300}),
                                   Of<BFloat16>(std::vector<float>(300, 1), {300, 1})});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(Values((*b)[0]), ElementsAre(300));
}

TEST(RefMatMulTest, BlockedLoopsMatchNaiveProduct) {
  // K and N cross the kernel's cache blocks (128 and 512).
  const int64_t m = 3, k = 300, n = 600;
  std::vector<float> a(m * k), b(k * n);
  for (int64_t i = 0; i < m * k; ++i) a[i] = static_cast<float>((i * 7) % 13) - 6;
  for (int64_t i = 0; i < k * n; ++i) b[i] = static_cast<float>((i * 5) % 11) - 5;
  auto out = RunOp(OpKind::kMatMul, {F32(a, {m, k}), F32(b, {k, n})});
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<double> want(m * n, 0);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t kk = 0; kk < k; ++kk) want[i * n + j] += double{a[i * k + kk]} * b[kk * n + j];
    }
  }
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-3), want));
}

TEST(RefMatMulTest, KernelRejectsMismatchedShapes) {
  Graph g;
  Value* a = g.AddInput("a", {DType::kF32, {2, 3}});
  Value* b = g.AddInput("b", {DType::kF32, {3, 2}});
  Node* n = g.AddNode(OpKind::kMatMul, {a, b}, 1);
  Tensor ta = F32({1, 2, 3, 4, 5, 6}, {2, 3}), tb = F32({1, 2, 3, 4}, {2, 2});
  KernelContext ctx{*n, {&ta, &tb}};
  EXPECT_EQ(RefMatMul(ctx).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefGemmTest, AllAttributes) {
  Attributes attrs;
  attrs.Set("transA", int64_t{1});
  attrs.Set("transB", int64_t{1});
  attrs.Set("alpha", 0.5f);
  attrs.Set("beta", 2.0f);
  // A' = [[1,3],[2,4]], B' = [[1,1],[0,1]]: A'B' = [[1,4],[2,6]]; + 2 * [10, 20] per row.
  auto out =
      RunOp(OpKind::kGemm,
            {F32({1, 2, 3, 4}, {2, 2}), F32({1, 0, 1, 1}, {2, 2}), F32({10, 20}, {2})}, attrs);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(20.5, 42, 21, 43));
}

TEST(RefGemmTest, ScalarBiasAndNoBias) {
  auto with_c = RunOp(OpKind::kGemm, {F32({1, 2}, {1, 2}), F32({3, 4}, {2, 1}), F32({5}, {})});
  ASSERT_TRUE(with_c.ok()) << with_c.status();
  EXPECT_THAT(Values((*with_c)[0]), ElementsAre(16));
  auto no_c = RunOp(OpKind::kGemm, {F32({1, 2}, {1, 2}), F32({3, 4}, {2, 1})});
  ASSERT_TRUE(no_c.ok()) << no_c.status();
  EXPECT_THAT(Values((*no_c)[0]), ElementsAre(11));
}

TEST(RefGemmTest, IntegerScalingTruncates) {
  Attributes attrs;
  attrs.Set("alpha", 0.5f);
  auto out =
      RunOp(OpKind::kGemm,
            {Tensor::FromVector<int32_t>({3}, {1, 1}), Tensor::FromVector<int32_t>({5}, {1, 1}),
             Tensor::FromVector<int32_t>({2}, {1})},
            attrs);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].data<int32_t>()[0], 9);  // trunc(0.5 * 15 + 2).
}

}  // namespace
}  // namespace kiln::reference
