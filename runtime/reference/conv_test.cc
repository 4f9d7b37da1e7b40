#include <numeric>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/contraction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::F32;
using testing::Of;
using testing::RunOp;
using testing::Values;

std::vector<float> Iota(int n, float start = 0) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(RefConvTest, Padded2D) {
  // 5x5 input 0..24, 3x3 ones, pad 1: each output sums the in-range 3x3 neighbourhood.
  Attributes a;
  a.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  auto out = RunOp(OpKind::kConv,
                   {F32(Iota(25), {1, 1, 5, 5}), F32(std::vector<float>(9, 1), {1, 1, 3, 3})}, a);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]),
              ElementsAreArray({12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84}));
}

TEST(RefConvTest, Strided2D) {
  Attributes a;
  a.Set("strides", std::vector<int64_t>{2, 2});
  auto out = RunOp(OpKind::kConv,
                   {F32(Iota(35), {1, 1, 7, 5}), F32(std::vector<float>(9, 1), {1, 1, 3, 3})}, a);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{1, 1, 3, 2}));
  EXPECT_THAT(Values((*out)[0]), ElementsAre(54, 72, 144, 162, 234, 252));
}

TEST(RefConvTest, GroupedDilatedWithBias1D) {
  // Channel 0: x[i] - x[i+2] + 100; channel 1: 2 x[i] + x[i+2].
  Attributes a;
  a.Set("group", int64_t{2});
  a.Set("dilations", std::vector<int64_t>{2});
  auto out = RunOp(OpKind::kConv,
                   {F32({1, 2, 3, 4, 5, 10, 20, 30, 40, 50}, {1, 2, 5}),
                    F32({1, -1, 2, 1}, {2, 1, 2}), F32({100, 0}, {2})},
                   a);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(98, 98, 98, 50, 80, 110));
}

TEST(RefConvTest, SameUpperAndLowerPadOppositeEnds) {
  const Tensor x = F32({1, 2, 3, 4}, {1, 1, 4}), w = F32({1, 10}, {1, 1, 2});
  Attributes upper, lower;
  upper.Set("auto_pad", std::string("SAME_UPPER"));
  lower.Set("auto_pad", std::string("SAME_LOWER"));
  auto u = RunOp(OpKind::kConv, {x, w}, upper);
  auto l = RunOp(OpKind::kConv, {x, w}, lower);
  ASSERT_TRUE(u.ok()) << u.status();
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(Values((*u)[0]), ElementsAre(21, 32, 43, 4));
  EXPECT_THAT(Values((*l)[0]), ElementsAre(10, 21, 32, 43));
}

TEST(RefConvTest, ThreeDimensionalAndHalf) {
  auto out = RunOp(OpKind::kConv, {F32(std::vector<float>(8, 1), {1, 1, 2, 2, 2}),
                                   F32(Iota(8, 1), {1, 1, 2, 2, 2})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(36));
  auto h = RunOp(OpKind::kConv, {Of<Half>({1, 2, 3}, {1, 1, 3}), Of<Half>({0.5, 0.25}, {1, 1, 2})});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ((*h)[0].dtype(), DType::kF16);
  EXPECT_THAT(Values((*h)[0]), ElementsAre(1, 1.75));
}

}  // namespace
}  // namespace kiln::reference
