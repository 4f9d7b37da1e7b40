#include <cmath>
#include <limits>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/compare.h"
#include "runtime/reference/contraction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::DoubleNear;
using testing::F32;
using ::testing::HasSubstr;
using testing::Of;
using ::testing::Pointwise;
using testing::RunOp;
using testing::Values;

Attributes Attrs(int64_t heads, int64_t kv_heads, float scale, const std::string& mask = "none",
                 const std::string& empty = "zero", const std::string& layout = "bhsd") {
  Attributes a;
  a.Set("num_heads", heads);
  a.Set("kv_num_heads", kv_heads);
  a.Set("scale", scale);
  a.Set("mask", mask);
  a.Set("empty_rows", empty);
  a.Set("layout", layout);
  return a;
}

Tensor I64(const std::vector<int64_t>& v, std::vector<int64_t> shape) {
  return Tensor::FromVector<int64_t>(v, std::move(shape));
}

TEST(RefFusedAttentionTest, ScaleMultipliesScores) {
  // q.k = [0, ln 3]; scale 2 gives weights [1/10, 9/10] -> y = 0.4 + 7.2.
  auto out = RunOp(
      OpKind::kFusedAttention,
      {F32({1}, {1, 1, 1, 1}), F32({0, std::log(3.0f)}, {1, 1, 2, 1}), F32({4, 8}, {1, 1, 2, 1})},
      Attrs(1, 1, 2.0f));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{7.6}));
}

TEST(RefFusedAttentionTest, CausalIsBottomRightAligned) {
  // Sq 2, Skv 3: query 0 sees keys 0..1, query 1 sees 0..2; zero queries average them.
  auto out =
      RunOp(OpKind::kFusedAttention,
            {F32({0, 0}, {1, 1, 2, 1}), F32({5, 6, 7}, {1, 1, 3, 1}), F32({1, 2, 6}, {1, 1, 3, 1})},
            Attrs(1, 1, 1.0f, "causal"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-6), std::vector<double>{1.5, 3}));
}

TEST(RefFusedAttentionTest, PaddingMaskDropsZeroKeysPerBatch) {
  // Batch 0 keeps keys 0 and 2, batch 1 keeps key 1 only.
  auto out = RunOp(OpKind::kFusedAttention,
                   {F32({0, 0}, {2, 1, 1, 1}), F32({0, 0, 0, 0, 0, 0}, {2, 1, 3, 1}),
                    F32({1, 2, 6, 10, 20, 30}, {2, 1, 3, 1}), I64({1, 0, 1, 0, 1, 0}, {2, 3})},
                   Attrs(1, 1, 1.0f, "padding"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-6), std::vector<double>{3.5, 20}));
}

TEST(RefFusedAttentionTest, EmptyRowsAreZeroOrUniform) {
  // key_mask keeps key 2 only; with causal, queries 0 and 1 keep nothing.
  std::vector<Tensor> in = {F32({0, 0, 0}, {1, 1, 3, 1}), F32({0, 0, 0}, {1, 1, 3, 1}),
                            F32({1, 2, 6}, {1, 1, 3, 1}), I64({0, 0, 1}, {1, 3})};
  auto zero = RunOp(OpKind::kFusedAttention, in, Attrs(1, 1, 1.0f, "both", "zero"));
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_THAT(Values((*zero)[0]), Pointwise(DoubleNear(1e-6), std::vector<double>{0, 0, 6}));
  auto uniform = RunOp(OpKind::kFusedAttention, in, Attrs(1, 1, 1.0f, "both", "uniform"));
  ASSERT_TRUE(uniform.ok()) << uniform.status();
  EXPECT_THAT(Values((*uniform)[0]), Pointwise(DoubleNear(1e-6), std::vector<double>{3, 3, 6}));
}

TEST(RefFusedAttentionTest, GroupedQueryHeadsReadKvHeadOverGroup) {
  // 4 query heads over 2 KV heads: heads 0,1 read KV head 0 (mean 2), heads 2,3 KV head 1.
  auto out = RunOp(OpKind::kFusedAttention,
                   {F32({0, 0, 0, 0}, {1, 4, 1, 1}), F32({0, 0, 0, 0}, {1, 2, 2, 1}),
                    F32({1, 3, 10, 30}, {1, 2, 2, 1})},
                   Attrs(4, 2, 1.0f));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{2, 2, 20, 20}));
}

TEST(RefFusedAttentionTest, PackedLayoutInterleavesHeads) {
  // bsd: [batch, seq, heads * head] with 2 heads of size 1; V rows are [h0, h1] per key.
  // Head 0 scores [0, ln 3] (weights 1/4, 3/4), head 1 all zero (uniform).
  auto out = RunOp(OpKind::kFusedAttention,
                   {F32({1, 1}, {1, 1, 2}), F32({0, 0, std::log(3.0f), 0}, {1, 2, 2}),
                    F32({4, 1, 8, 3}, {1, 2, 2})},
                   Attrs(2, 2, 1.0f, "none", "zero", "bsd"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{7, 2}));
}

TEST(RefFusedAttentionTest, BiasBroadcastsAndAllMinusInfinityIsEmpty) {
  // Bias [Sq, Skv]: row 0 adds ln 3 to key 1; row 1 is all -inf (an empty row).
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<Tensor> in = {F32({0, 0}, {1, 1, 2, 1}), F32({0, 0}, {1, 1, 2, 1}),
                            F32({4, 8}, {1, 1, 2, 1}), Tensor(),
                            F32({0, std::log(3.0f), -inf, -inf}, {2, 2})};
  auto zero = RunOp(OpKind::kFusedAttention, in, Attrs(1, 1, 1.0f));
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_THAT(Values((*zero)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{7, 0}));
  auto uniform = RunOp(OpKind::kFusedAttention, in, Attrs(1, 1, 1.0f, "none", "uniform"));
  ASSERT_TRUE(uniform.ok()) << uniform.status();
  EXPECT_THAT(Values((*uniform)[0]), Pointwise(DoubleNear(1e-5), std::vector<double>{7, 6}));
}

TEST(RefFusedAttentionTest, HalfInputsComputeThroughFloat) {
  auto out = RunOp(OpKind::kFusedAttention,
                   {Of<Half>({1}, {1, 1, 1, 1}), Of<Half>({0, std::log(3.0f)}, {1, 1, 2, 1}),
                    Of<Half>({4, 8}, {1, 1, 2, 1})},
                   Attrs(1, 1, 1.0f));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype(), DType::kF16);
  EXPECT_THAT(Values((*out)[0]), Pointwise(DoubleNear(1e-2), std::vector<double>{7}));
}

TEST(RefFusedAttentionTest, MatchesOnnxAttentionOnRandomInputs) {
  // Causal GQA with Sq == Skv, and a boolean key mask broadcast as ONNX Attention's attn_mask
  // (whose fully masked rows are zeroed, i.e. empty_rows "zero").
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0, 1);
  auto random = [&](std::vector<int64_t> shape) {
    Tensor t = *Tensor::Zeros(DType::kF32, shape);
    for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = n(rng);
    return t;
  };
  Tensor q = random({2, 4, 5, 3}), k = random({2, 2, 5, 3}), v = random({2, 2, 5, 3});
  const std::vector<int64_t> keep = {0, 0, 1, 1, 1, 1, 1, 0, 0, 0};
  Tensor km = I64(keep, {2, 5});
  Tensor bool_mask = *Tensor::Zeros(DType::kBool, {2, 1, 1, 5});
  for (int i = 0; i < 10; ++i) bool_mask.data<bool>()[i] = keep[i] != 0;
  Attributes onnx;
  onnx.Set("is_causal", int64_t{1});
  onnx.Set("scale", 0.7f);
  auto want = RunOp(OpKind::kAttention, {q, k, v, bool_mask}, onnx);
  ASSERT_TRUE(want.ok()) << want.status();
  auto got = RunOp(OpKind::kFusedAttention, {q, k, v, km}, Attrs(4, 2, 0.7f, "both"));
  ASSERT_TRUE(got.ok()) << got.status();
  CompareResult r = CompareTensors((*got)[0], (*want)[0], 1e-5);
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST(RefFusedAttentionTest, BiasThatDoesNotBroadcastIsAnError) {
  auto out = RunOp(OpKind::kFusedAttention,
                   {F32({0, 0}, {1, 1, 2, 1}), F32({0, 0}, {1, 1, 2, 1}), F32({4, 8}, {1, 1, 2, 1}),
                    Tensor(), F32({0, 0, 0}, {3})},
                   Attrs(1, 1, 1.0f));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("does not broadcast"));
}

TEST(RefFusedAttentionTest, HeadCountsMustFitInputs) {
  auto out =
      RunOp(OpKind::kFusedAttention,
            {F32({0, 0}, {1, 2, 1, 1}), F32({0, 0}, {1, 2, 1, 1}), F32({0, 0}, {1, 2, 1, 1})},
            Attrs(2, 1, 1.0f));
  EXPECT_FALSE(out.ok());
  auto packed =
      RunOp(OpKind::kFusedAttention,
            {F32({0, 0, 0}, {1, 1, 3}), F32({0, 0, 0}, {1, 1, 3}), F32({0, 0, 0}, {1, 1, 3})},
            Attrs(2, 2, 1.0f, "none", "zero", "bsd"));
  EXPECT_FALSE(packed.ok());
}

TEST(RefFusedAttentionTest, KeyMaskMustMatchBatchAndKeys) {
  auto out = RunOp(OpKind::kFusedAttention,
                   {F32({0}, {1, 1, 1, 1}), F32({0, 0}, {1, 1, 2, 1}), F32({4, 8}, {1, 1, 2, 1}),
                    I64({1, 1, 1}, {1, 3})},
                   Attrs(1, 1, 1.0f, "padding"));
  EXPECT_FALSE(out.ok());
}

}  // namespace
}  // namespace kiln::reference
