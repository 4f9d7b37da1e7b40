#include <cmath>
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "runtime/reference/convert.h"
#include "runtime/reference/elementwise_test_util.h"

namespace kiln::reference {
namespace {

using testing::Bits;
using testing::RunOp;
using testing::To;
using testing::Values;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(CastKernel, FloatToHalfRoundsToNearestEven) {
  Tensor x = Tensor::FromVector<float>(
      {1.00048828125f,  // 1 + 2^-11: tie, to even 1.0.
       1.00146484375f,  // 1 + 3*2^-11: tie, to even 1 + 2^-9.
       65519.0f, 65520.0f,  // Largest finite is 65504; 65520 ties to infinity.
       2.98023223876953125e-8f,  // 2^-25: half the smallest subnormal, ties to 0.
       4.470348358154296875e-8f,  // 3*2^-26 rounds up to the smallest subnormal.
       -kInf, kNaN},
      {8});
  auto out = RunOp(OpKind::kCast, {x}, To("f16"));
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<uint16_t> bits = Bits<Half>(*out);
  EXPECT_EQ(bits[0], 0x3c00);
  EXPECT_EQ(bits[1], 0x3c02);
  EXPECT_EQ(bits[2], 0x7bff);
  EXPECT_EQ(bits[3], 0x7c00);
  EXPECT_EQ(bits[4], 0x0000);
  EXPECT_EQ(bits[5], 0x0001);
  EXPECT_EQ(bits[6], 0xfc00);
  EXPECT_EQ(bits[7] & 0x7c00, 0x7c00);
  EXPECT_NE(bits[7] & 0x03ff, 0);  // Still NaN.
}

TEST(CastKernel, DoubleAndInt64RoundOnceNotTwice) {
  // 1 + 2^-11 + 2^-40 is just above a half tie; going through float would drop the 2^-40
  // and round the tie down to 1.0.
  const double above_tie = 1 + std::ldexp(1, -11) + std::ldexp(1, -40);
  auto h = RunOp(OpKind::kCast, {Tensor::Scalar<double>(above_tie)}, To("f16"));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(Bits<Half>(*h)[0], 0x3c01);
  // 2^60 + 2^52 + 1: just above the tie between bf16 2^60 and 2^60 + 2^53 (bits 0x5d81).
  // int64 -> double alone would round to the exact tie and then to even, 2^60.
  auto b = RunOp(OpKind::kCast,
                 {Tensor::FromVector<int64_t>({(int64_t{1} << 60) + (int64_t{1} << 52) + 1,
                                               (int64_t{1} << 60) + (int64_t{1} << 52)},
                                              {2})},
                 To("bf16"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Bits<BFloat16>(*b), (std::vector<uint16_t>{0x5d81, 0x5d80}));
}

TEST(CastKernel, FloatToIntegerTruncatesAndSaturates) {
  Tensor x = Tensor::FromVector<float>({2.9f, -2.9f, kNaN, 1e10f, -1e10f}, {5});
  auto i32 = RunOp(OpKind::kCast, {x}, To("i32"));
  auto u8 = RunOp(OpKind::kCast, {x}, To("u8"));
  ASSERT_TRUE(i32.ok() && u8.ok());
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(Values<int32_t>(*i32), (std::vector<int32_t>{2, -2, 0, kMax, kMin}));
  EXPECT_EQ(Values<uint8_t>(*u8), (std::vector<uint8_t>{2, 0, 0, 255, 0}));
}

TEST(CastKernel, IntegersWrapAndBoolsAreNonZero) {
  Tensor x = Tensor::FromVector<int32_t>({300, -1, 0, 2}, {4});
  auto u8 = RunOp(OpKind::kCast, {x}, To("u8"));
  auto u16 = RunOp(OpKind::kCast, {x}, To("u16"));
  auto b = RunOp(OpKind::kCast, {x}, To("bool"));
  auto fb = RunOp(OpKind::kCast, {Tensor::FromVector<float>({-0.0f, kNaN, 0.1f}, {3})}, To("bool"));
  auto bf = RunOp(OpKind::kCast, {Tensor::FromVector<bool>({true, false}, {2})}, To("bf16"));
  ASSERT_TRUE(u8.ok() && u16.ok() && b.ok() && fb.ok() && bf.ok());
  EXPECT_EQ(Values<uint8_t>(*u8), (std::vector<uint8_t>{44, 255, 0, 2}));
  EXPECT_EQ(Values<uint16_t>(*u16), (std::vector<uint16_t>{300, 65535, 0, 2}));
  EXPECT_EQ(Values<bool>(*b), (std::vector<bool>{true, true, false, true}));
  EXPECT_EQ(Values<bool>(*fb), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(Bits<BFloat16>(*bf), (std::vector<uint16_t>{0x3f80, 0x0000}));
}

TEST(CastKernel, WideUnsignedToFloat) {
  Tensor x = Tensor::FromVector<uint64_t>({std::numeric_limits<uint64_t>::max(), 3}, {2});
  auto f = RunOp(OpKind::kCast, {x}, To("f32"));
  auto d = RunOp(OpKind::kCast, {x}, To("f64"));
  ASSERT_TRUE(f.ok() && d.ok());
  EXPECT_EQ(Values<float>(*f), (std::vector<float>{18446744073709551616.0f, 3}));
  EXPECT_EQ(Values<double>(*d), (std::vector<double>{18446744073709551616.0, 3}));
}

TEST(CastKernel, SameDTypeIsIdentityAndTypeIsInferred) {
  Tensor x = Tensor::FromVector<int64_t>({1, 2}, {2});
  auto same = RunOp(OpKind::kCast, {x}, To("i64"));
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->BitwiseEqual(x));
  auto bad = RunOp(OpKind::kCast, {x}, To("string"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown target dtype 'string'"), std::string::npos);
}

TEST(RoundToOdd, KeepsStickyBits) {
  EXPECT_EQ(UintToDoubleRoundOdd(3), 3.0);
  // 2^60 + 1 is not a double; round-to-odd gives 2^60 + 2^8 (odd last mantissa bit).
  EXPECT_EQ(UintToDoubleRoundOdd((uint64_t{1} << 60) + 1), std::ldexp(1, 60) + 256);
  EXPECT_EQ(IntToDoubleRoundOdd(std::numeric_limits<int64_t>::min()), -std::ldexp(1, 63));
  EXPECT_EQ(DoubleToFloatRoundOdd(1 + std::ldexp(1, -40)), 1 + std::ldexp(1.0f, -23));
  EXPECT_EQ(DoubleToFloatRoundOdd(1.5), 1.5f);
  EXPECT_TRUE(std::isnan(DoubleToFloatRoundOdd(std::nan(""))));
  EXPECT_EQ(DoubleToFloatRoundOdd(1e300), std::numeric_limits<float>::max());
}

}  // namespace
}  // namespace kiln::reference
