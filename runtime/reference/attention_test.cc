#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/contraction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using testing::F32;
using testing::Of;
using ::testing::Pointwise;
using testing::RunOp;
using testing::Values;

TEST(RefAttentionTest, SoftmaxWeightsValues) {
  // Scores [0, ln 3] -> weights [1/4, 3/4] -> Y = 4/4 + 3*8/4 = 7.
  Attributes a;
  a.Set("scale", 1.0f);
  auto out = RunOp(
      OpKind::kAttention,
      {F32({1}, {1, 1, 1, 1}), F32({0, std::log(3.0f)}, {1, 1, 2, 1}), F32({4, 8}, {1, 1, 2, 1})},
      a);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{7}));
}

TEST(RefAttentionTest, CausalWithPastIsOffsetAndConcatenatesCache) {
  // Zero queries give uniform weights over the allowed keys; query i sees keys j <= i + 1.
  Attributes a;
  a.Set("is_causal", int64_t{1});
  auto out = RunOp(OpKind::kAttention,
                   {F32({0, 0}, {1, 1, 2, 1}), F32({5, 6}, {1, 1, 2, 1}), F32({2, 6}, {1, 1, 2, 1}),
                    Tensor(), F32({4}, {1, 1, 1, 1}), F32({1}, {1, 1, 1, 1})},
                   a, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-6), std::vector<double>{1.5, 3}));
  EXPECT_THAT(Values((*out)[1]), ElementsAre(4, 5, 6));
  EXPECT_THAT(Values((*out)[2]), ElementsAre(1, 2, 6));
  EXPECT_EQ((*out)[1].shape(), (std::vector<int64_t>{1, 1, 3, 1}));
}

TEST(RefAttentionTest, GroupedQueryHeadsShareKvHeadsInOrder) {
  // 4 query heads over 2 KV heads: heads 0,1 read KV head 0 (mean 2), heads 2,3 KV head 1.
  auto out =
      RunOp(OpKind::kAttention, {F32({0, 0, 0, 0}, {1, 4, 1, 1}), F32({0, 0, 0, 0}, {1, 2, 2, 1}),
                                 F32({1, 3, 10, 30}, {1, 2, 2, 1})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{2, 2, 20, 20}));
}

TEST(RefAttentionTest, PackedThreeDimensionalLayout) {
  // [batch, seq, heads * head] with 2 heads of size 1; V rows are [h0, h1] per key.
  Attributes a;
  a.Set("q_num_heads", int64_t{2});
  a.Set("kv_num_heads", int64_t{2});
  auto out = RunOp(
      OpKind::kAttention,
      {F32({0, 0}, {1, 1, 2}), F32({0, 0, 0, 0}, {1, 2, 2}), F32({1, 10, 3, 30}, {1, 2, 2})}, a);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{2, 20}));
}

TEST(RefAttentionTest, FullyMaskedRowIsZero) {
  // Row 0 may see key 1 only; row 1 sees no key, so Y and the probabilities are 0 there.
  Attributes a;
  a.Set("qk_matmul_output_mode", int64_t{3});
  Tensor mask = Tensor::FromVector<bool>({false, true, false, false}, {2, 2});
  auto out =
      RunOp(OpKind::kAttention,
            {F32({1, 1}, {1, 1, 2, 1}), F32({1, 2}, {1, 1, 2, 1}), F32({5, 7}, {1, 1, 2, 1}), mask},
            a, 4);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(7, 0));
  EXPECT_THAT(Values((*out)[3]), ElementsAre(0, 1, 0, 0));
}

TEST(RefAttentionTest, QkOutputModesAndShortMaskPadding) {
  // Scores [2, 4]; softcap 4 -> 4 tanh(s / 4); the mask covers key 0 only, so key 1 is masked.
  const std::vector<Tensor> inputs = {F32({1}, {1, 1, 1, 1}), F32({2, 4}, {1, 1, 2, 1}),
                                      F32({3, 9}, {1, 1, 2, 1}), F32({-1}, {1, 1})};
  const double c0 = 4 * std::tanh(0.5), c1 = 4 * std::tanh(1.0);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> want = {{2, 4}, {c0, c1}, {c0 - 1, -inf}, {1, 0}};
  for (int64_t mode = 0; mode < 4; ++mode) {
    Attributes a;
    a.Set("scale", 1.0f);
    a.Set("softcap", 4.0f);
    a.Set("qk_matmul_output_mode", mode);
    auto out = RunOp(OpKind::kAttention, inputs, a, 4);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-6), std::vector<double>{3}));
    std::vector<double> got = Values((*out)[3]);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_NEAR(got[0], want[mode][0], 1e-5) << "mode " << mode;
    if (std::isinf(want[mode][1])) {
      EXPECT_EQ(got[1], want[mode][1]) << "mode " << mode;
    } else {
      EXPECT_NEAR(got[1], want[mode][1], 1e-5) << "mode " << mode;
    }
  }
}

TEST(RefAttentionTest, DefaultScaleIsInverseRootOfHeadSize) {
  // Q.K = 4 with head size 4 -> scaled score 2; mode 0 exposes the scaled scores.
  auto out = RunOp(OpKind::kAttention,
                   {F32({1, 1, 1, 1}, {1, 1, 1, 4}), F32({1, 1, 1, 1, 0, 0, 0, 0}, {1, 1, 2, 4}),
                    F32({0, 1}, {1, 1, 2, 1})},
                   {}, 4);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[3]), Pointwise(DoubleNear(1e-6), std::vector<double>{2, 0}));
  const double p1 = 1 / (1 + std::exp(2.0));
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-6), std::vector<double>{p1}));
}

TEST(RefAttentionTest, SoftmaxPrecisionRoundsLikeTheReference) {
  // Three equal scores: probabilities 1/3, which f16 softmax rounds to 0.333251953125.
  const std::vector<Tensor> inputs = {F32({0}, {1, 1, 1, 1}), F32({0, 0, 0}, {1, 1, 3, 1}),
                                      F32({3, 6, 9}, {1, 1, 3, 1})};
  for (int64_t precision : {1, 10}) {
    Attributes a;
    a.Set("qk_matmul_output_mode", int64_t{3});
    a.Set("softmax_precision", precision);
    auto out = RunOp(OpKind::kAttention, inputs, a, 4);
    ASSERT_TRUE(out.ok()) << out.status();
    const double p = precision == 10 ? 0.333251953125 : 1.0 / 3;
    EXPECT_THAT(Values((*out)[3]), Pointwise(DoubleNear(1e-7), std::vector<double>{p, p, p}));
    EXPECT_NEAR(Values((*out)[0])[0], 18 * p, 1e-5);
  }
}

TEST(RefAttentionTest, HalfPrecision) {
  auto out = RunOp(OpKind::kAttention, {Of<Half>({0}, {1, 1, 1, 1}), Of<Half>({0, 0}, {1, 1, 2, 1}),
                                        Of<Half>({1, 2}, {1, 1, 2, 1})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype(), DType::kF16);
  EXPECT_THAT(Values((*out)[0]), ElementsAre(1.5));
}

}  // namespace
}  // namespace kiln::reference
