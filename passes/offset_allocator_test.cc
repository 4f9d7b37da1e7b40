#include "passes/offset_allocator.h"

#include <random>

#include "gtest/gtest.h"

namespace kiln {
namespace {

TEST(OffsetAllocatorTest, DisjointLifetimesShareMemory) {
  std::vector<BufferRecord> r = {{1000, 0, 1}, {1000, 2, 3}, {500, 4, 5}};
  OffsetPlan p = PlanOffsets(r, 256);
  ASSERT_TRUE(CheckOffsetPlan(r, p, 256).ok());
  EXPECT_EQ(p.arena_size, 1024);
  EXPECT_EQ(LiveSetLowerBound(r), 1000);
}

TEST(OffsetAllocatorTest, OverlappingLifetimesDoNot) {
  std::vector<BufferRecord> r = {{1024, 0, 2}, {512, 1, 3}, {256, 2, 2}};
  OffsetPlan p = PlanOffsets(r, 256);
  ASSERT_TRUE(CheckOffsetPlan(r, p, 256).ok());
  EXPECT_EQ(p.arena_size, 1792);
  EXPECT_EQ(LiveSetLowerBound(r), 1792);
}

TEST(OffsetAllocatorTest, FillsGapsWithBestFit) {
  // A and B live over the whole span with a 512-byte hole between them (C occupied it early).
  std::vector<BufferRecord> r = {{1024, 0, 9}, {512, 0, 1}, {1024, 0, 9}, {512, 5, 6}};
  OffsetPlan p = PlanOffsets(r, 256);
  ASSERT_TRUE(CheckOffsetPlan(r, p, 256).ok());
  EXPECT_EQ(p.offsets[3], p.offsets[1]);  // Reuses the hole C left.
  EXPECT_EQ(p.arena_size, 2560);
}

TEST(OffsetAllocatorTest, CheckerCatchesOverlapAndOverflow) {
  std::vector<BufferRecord> r = {{512, 0, 2}, {512, 1, 3}};
  OffsetPlan bad{{0, 256}, 1024};
  EXPECT_FALSE(CheckOffsetPlan(r, bad, 256).ok());
  OffsetPlan too_small{{0, 512}, 768};
  EXPECT_FALSE(CheckOffsetPlan(r, too_small, 256).ok());
  OffsetPlan misaligned{{0, 600}, 2048};
  EXPECT_FALSE(CheckOffsetPlan(r, misaligned, 256).ok());
}

// Property test: on random interval sets, plans are always valid, never below the lower bound,
// and stay close to it.
TEST(OffsetAllocatorTest, RandomRecordsGiveValidTightPlans) {
  std::mt19937 rng(1234);
  double worst = 1;
  for (int trial = 0; trial < 300; ++trial) {
    int n = 1 + rng() % 60, steps = 1 + rng() % 40;
    std::vector<BufferRecord> r;
    for (int i = 0; i < n; ++i) {
      int a = rng() % steps, b = a + rng() % 6;
      r.push_back({static_cast<int64_t>(1 + rng() % 100000), a, b});
    }
    OffsetPlan p = PlanOffsets(r, 256);
    ASSERT_TRUE(CheckOffsetPlan(r, p, 256).ok()) << "trial " << trial;
    int64_t lb = LiveSetLowerBound(r);
    ASSERT_GE(p.arena_size, lb);
    worst = std::max(worst, static_cast<double>(p.arena_size) / lb);
  }
  EXPECT_LT(worst, 2.0);
}

}  // namespace
}  // namespace kiln
