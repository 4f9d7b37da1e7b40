#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/contraction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::ElementsAre;
using testing::F32;
using testing::RunOp;
using testing::Values;

// Position 1 of the caches has cos [0, 0.5] and sin [1, 0.5]; position 0 is the identity.
const std::vector<float> kCos = {1, 1, 0, 0.5}, kSin = {0, 0, 1, 0.5};

TEST(RefRotaryTest, HalvesAreRotatedByPosition) {
  // Pairs (x0, x2) and (x1, x3): (1, 3) rotates by 90 degrees, (2, 4) by cos = sin = 0.5.
  auto out = RunOp(OpKind::kRotaryEmbedding,
                   {F32({1, 2, 3, 4}, {1, 1, 1, 4}), F32(kCos, {2, 2}), F32(kSin, {2, 2}),
                    Tensor::FromVector<int64_t>({1}, {1, 1})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(-3, -1, 1, 3));
}

TEST(RefRotaryTest, InterleavedPairsAreAdjacent) {
  Attributes a;
  a.Set("interleaved", int64_t{1});
  auto out = RunOp(OpKind::kRotaryEmbedding,
                   {F32({1, 2, 3, 4}, {1, 1, 1, 4}), F32(kCos, {2, 2}), F32(kSin, {2, 2}),
                    Tensor::FromVector<int64_t>({1}, {1, 1})},
                   a);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(-2, 1, -0.5, 3.5));
}

TEST(RefRotaryTest, PackedHeadsPartialRotationWithoutPositionIds) {
  // Two heads of 4; only the first 2 dims of each rotate (by 90 degrees), the rest are copied.
  Attributes a;
  a.Set("num_heads", int64_t{2});
  a.Set("rotary_embedding_dim", int64_t{2});
  auto out = RunOp(
      OpKind::kRotaryEmbedding,
      {F32({1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 8}), F32({0}, {1, 1, 1}), F32({1}, {1, 1, 1})}, a);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(-2, 1, 3, 4, -6, 5, 7, 8));
}

TEST(RefRotaryTest, PositionOutsideCacheIsAnError) {
  auto out = RunOp(OpKind::kRotaryEmbedding,
                   {F32({1, 2, 3, 4}, {1, 1, 1, 4}), F32(kCos, {2, 2}), F32(kSin, {2, 2}),
                    Tensor::FromVector<int64_t>({2}, {1, 1})});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("position id 2"), std::string::npos);
}

}  // namespace
}  // namespace kiln::reference
