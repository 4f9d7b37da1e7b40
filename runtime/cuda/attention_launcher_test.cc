#include "runtime/cuda/attention_launcher.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kiln::cuda {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

EmittedAttention Kernel(bool bsd, bool mask, bool bias) {
  EmittedAttention k;
  k.name = "attn";
  k.config.bsd = bsd;
  k.config.head_dim = 64;
  k.config.v_head_dim = 32;
  if (mask) k.config.key_mask_dtype = DType::kBool;
  if (bias) k.config.bias_dtype = DType::kF32;
  return k;
}

TEST(AttentionLauncherTest, BhsdWordsAndGrid) {
  auto l = BuildAttentionLaunch(Kernel(false, false, false), 8, 2,
                                {{3, 8, 17, 64}, {3, 2, 33, 64}, {3, 2, 33, 32}});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(l->words, ElementsAre(3, 8, 2, 17, 33, 0, 0, 0, 0, 0, 0, 0, 1));
  EXPECT_THAT(l->grid, ElementsAre(2, 8, 3));  // ceil(17 / 16) query tiles.
}

TEST(AttentionLauncherTest, BsdWithMaskAndBroadcastBias) {
  // Bias [Hq, 1, Skv] broadcasts over batch and queries: strides {0, Skv, 0, 1}.
  auto l = BuildAttentionLaunch(Kernel(true, true, true), 4, 4,
                                {{2, 5, 256}, {2, 7, 256}, {2, 7, 128}, {2, 7}, {4, 1, 7}});
  ASSERT_TRUE(l.ok()) << l.status();
  // Row strides (bsd): the elements between tokens of q, k and v.
  EXPECT_THAT(l->words, ElementsAre(2, 4, 4, 5, 7, 0, 7, 0, 1, 256, 256, 128, 1));
  EXPECT_THAT(l->grid, ElementsAre(1, 4, 2));
}

TEST(AttentionLauncherTest, FullBiasStrides) {
  auto l = BuildAttentionLaunch(Kernel(false, false, true), 2, 1,
                                {{1, 2, 3, 64}, {1, 1, 5, 64}, {1, 1, 5, 32}, {1, 2, 3, 5}});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(l->words, ElementsAre(1, 2, 1, 3, 5, 0, 15, 5, 1, 0, 0, 0, 1));
}

TEST(AttentionLauncherTest, PackedQkvIsOneTensorWithItsWidthAsRowStride) {
  AttentionConfig c;
  c.dtype = DType::kF16;
  c.bsd = true;
  c.packed = true;
  c.head_dim = c.v_head_dim = 64;
  auto k = EmitAttentionKernel(c, "packed");
  ASSERT_TRUE(k.ok()) << k.status();
  // 4 q heads and 2 kv heads: rows of (4 + 2 * 2) * 64 = 512.
  const std::vector<int64_t> qkv = {2, 9, 512};
  auto l = BuildAttentionLaunch(*k, 4, 2, {qkv, qkv, qkv});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(l->words, ElementsAre(2, 4, 2, 9, 9, 0, 0, 0, 0, 512, 512, 512, 1));
  EXPECT_FALSE(BuildAttentionLaunch(*k, 4, 2, {{2, 9, 448}, {2, 9, 448}, {2, 9, 448}}).ok());
}

TEST(AttentionLauncherTest, GridFollowsTheKernelsQueryTile) {
  // The tensor-core kernel takes 64 queries per block: 130 queries are 3 blocks, not 9.
  AttentionConfig c;
  c.dtype = DType::kF16;
  c.head_dim = c.v_head_dim = 64;
  c.scale = 0.125f;
  auto k = EmitAttentionKernel(c, "attn");
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_TRUE(k->tensor_cores);
  auto l = BuildAttentionLaunch(*k, 4, 4, {{2, 4, 130, 64}, {2, 4, 130, 64}, {2, 4, 130, 64}});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(l->grid, ElementsAre(3, 4, 2));
  EmittedAttention bad = *k;
  bad.query_tile = 0;
  EXPECT_FALSE(BuildAttentionLaunch(bad, 4, 4, {{2, 4, 130, 64}, {2, 4, 130, 64},
                                                {2, 4, 130, 64}}).ok());
}

TEST(AttentionLauncherTest, PacksQueryTilesOnlyPastOneWaveWithResidentKeys) {
  AttentionConfig c;
  c.dtype = DType::kF16;
  c.bsd = true;
  c.head_dim = c.v_head_dim = 64;
  c.scale = 0.125f;
  auto k = EmitAttentionKernel(c, "attn");
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_EQ(k->resident_keys, 128);
  auto shapes = [](int64_t b, int64_t s) {
    return std::vector<std::vector<int64_t>>(3, {b, s, 12 * 64});
  };
  // BERT-base batch 32, seq 128: 768 blocks, 396 resident (3 per SM on 132 SMs): two tiles each.
  auto l = BuildAttentionLaunch(*k, 12, 12, shapes(32, 128));
  ASSERT_TRUE(l.ok()) << l.status();
  AttentionLaunch p = PackQueryTiles(*k, *l, 396);
  EXPECT_EQ(p.words[12], 2);
  EXPECT_THAT(p.grid, ElementsAre(1, 12, 32));
  // Batch 1 fits one wave, and an unknown device packs nothing.
  auto one = BuildAttentionLaunch(*k, 12, 12, shapes(1, 128));
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(PackQueryTiles(*k, *one, 396).words[12], 1);
  EXPECT_EQ(PackQueryTiles(*k, *l, 0).words[12], 1);
  // 129 keys do not stay resident.
  auto long_keys = BuildAttentionLaunch(*k, 12, 12, shapes(32, 129));
  ASSERT_TRUE(long_keys.ok()) << long_keys.status();
  EXPECT_EQ(PackQueryTiles(*k, *long_keys, 396).words[12], 1);
  // Five tiles against a capacity of a third of the blocks: three per block, two blocks.
  auto five = BuildAttentionLaunch(*k, 12, 12, shapes(1, 300));
  ASSERT_TRUE(five.ok()) << five.status();
  five->words[4] = 100;  // As if the keys were shorter than the queries.
  AttentionLaunch q = PackQueryTiles(*k, *five, 20);
  EXPECT_EQ(q.words[12], 3);
  EXPECT_THAT(q.grid, ElementsAre(2, 12, 1));
  // A head size whose pipeline keeps no keys resident never packs.
  c.head_dim = c.v_head_dim = 128;
  auto big = EmitAttentionKernel(c, "attn");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->resident_keys, 0);
}

TEST(AttentionLauncherTest, RejectsMismatchedShapes) {
  // Wrong head size.
  auto a = BuildAttentionLaunch(Kernel(false, false, false), 2, 2,
                                {{1, 2, 3, 80}, {1, 2, 5, 80}, {1, 2, 5, 32}});
  EXPECT_THAT(a.status().message(), HasSubstr("do not fit"));
  // Heads not a multiple.
  auto b = BuildAttentionLaunch(Kernel(false, false, false), 3, 2,
                                {{1, 3, 3, 64}, {1, 2, 5, 64}, {1, 2, 5, 32}});
  EXPECT_THAT(b.status().message(), HasSubstr("multiple"));
  // key_mask of the wrong length.
  auto c = BuildAttentionLaunch(Kernel(true, true, false), 1, 1,
                                {{1, 3, 64}, {1, 5, 64}, {1, 5, 32}, {1, 4}});
  EXPECT_THAT(c.status().message(), HasSubstr("key_mask"));
  // Bias that does not broadcast.
  auto d = BuildAttentionLaunch(Kernel(true, false, true), 1, 1,
                                {{1, 3, 64}, {1, 5, 64}, {1, 5, 32}, {3, 4}});
  EXPECT_THAT(d.status().message(), HasSubstr("broadcast"));
  // Missing input.
  auto e = BuildAttentionLaunch(Kernel(false, true, false), 1, 1,
                                {{1, 1, 3, 64}, {1, 1, 5, 64}, {1, 1, 5, 32}});
  EXPECT_THAT(e.status().message(), HasSubstr("takes 4 inputs"));
}

}  // namespace
}  // namespace kiln::cuda
