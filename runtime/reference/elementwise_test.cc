#include <cmath>
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "runtime/reference/elementwise_test_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

using testing::Bits;
using testing::Halfs;
using testing::RunOp;
using testing::Values;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(ElementwiseKernels, AddBroadcastsBothWays) {
  // [2,1,3] + [4,1] -> [2,4,3]: out[i][j][k] = a[i][0][k] + b[j][0].
  Tensor a = Tensor::FromVector<float>({0, 1, 2, 10, 11, 12}, {2, 1, 3});
  Tensor b = Tensor::FromVector<float>({100, 200, 300, 400}, {4, 1});
  auto out = RunOp(OpKind::kAdd, {a, b});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->shape(), (std::vector<int64_t>{2, 4, 3}));
  std::vector<float> got = Values<float>(*out);
  EXPECT_EQ(got[0], 100);        // [0][0][0]
  EXPECT_EQ(got[5], 202);        // [0][1][2]
  EXPECT_EQ(got[12 + 9], 410);   // [1][3][0]
  EXPECT_EQ(got[12 + 11], 412);  // [1][3][2]
}

TEST(ElementwiseKernels, SubScalarAndEmpty) {
  Tensor a = Tensor::FromVector<int64_t>({5, 7, 9}, {3});
  auto out = RunOp(OpKind::kSub, {a, Tensor::Scalar<int64_t>(10)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Values<int64_t>(*out), (std::vector<int64_t>{-5, -3, -1}));
  auto rev = RunOp(OpKind::kSub, {Tensor::Scalar<int64_t>(10), a});
  ASSERT_TRUE(rev.ok()) << rev.status();
  EXPECT_EQ(Values<int64_t>(*rev), (std::vector<int64_t>{5, 3, 1}));
  auto empty = RunOp(OpKind::kMul, {*Tensor::Zeros(DType::kF32, {0, 3}),
                                    Tensor::FromVector<float>({1, 2, 3}, {3})});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->shape(), (std::vector<int64_t>{0, 3}));
}

TEST(ElementwiseKernels, IntegerDivisionTruncates) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  Tensor a = Tensor::FromVector<int32_t>({7, -7, 7, -7, 0, kMin}, {6});
  Tensor b = Tensor::FromVector<int32_t>({2, 2, -2, -2, 5, -1}, {6});
  auto out = RunOp(OpKind::kDiv, {a, b});
  ASSERT_TRUE(out.ok()) << out.status();
  // INT_MIN / -1 wraps instead of trapping.
  EXPECT_EQ(Values<int32_t>(*out),
            (std::vector<int32_t>{3, -3, -3, 3, 0, kMin}));
  auto u = RunOp(OpKind::kDiv, {Tensor::FromVector<uint8_t>({255, 7}, {2}),
                                Tensor::FromVector<uint8_t>({2, 8}, {2})});
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(Values<uint8_t>(*u), (std::vector<uint8_t>{127, 0}));
}

TEST(ElementwiseKernels, IntegerDivisionByZeroIsAnError) {
  auto out = RunOp(OpKind::kDiv, {Tensor::FromVector<int64_t>({1, 2}, {2}),
                                  Tensor::FromVector<int64_t>({1, 0}, {2})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("integer division by zero"), std::string::npos);
  EXPECT_NE(out.status().message().find("node"), std::string::npos);
  // Float division by zero is IEEE: inf.
  auto f = RunOp(OpKind::kDiv, {Tensor::Scalar<float>(1), Tensor::Scalar<float>(0)});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(Values<float>(*f)[0], kInf);
}

TEST(ElementwiseKernels, IntegerArithmeticWraps) {
  auto add = RunOp(OpKind::kAdd, {Tensor::Scalar<int8_t>(127), Tensor::Scalar<int8_t>(1)});
  Tensor u16_max = Tensor::Scalar<uint16_t>(65535);
  auto mul = RunOp(OpKind::kMul, {u16_max, u16_max});
  auto sub = RunOp(OpKind::kSub, {Tensor::Scalar<uint32_t>(0), Tensor::Scalar<uint32_t>(1)});
  auto big = RunOp(OpKind::kMul, {Tensor::Scalar<int64_t>(int64_t{1} << 62),
                                  Tensor::Scalar<int64_t>(4)});
  ASSERT_TRUE(add.ok() && mul.ok() && sub.ok() && big.ok());
  EXPECT_EQ(Values<int8_t>(*add)[0], -128);
  EXPECT_EQ(Values<uint16_t>(*mul)[0], 1);  // 65535^2 mod 2^16.
  EXPECT_EQ(Values<uint32_t>(*sub)[0], 4294967295u);
  EXPECT_EQ(Values<int64_t>(*big)[0], 0);
}

TEST(ElementwiseKernels, HalfArithmeticRoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to even (1).
  Tensor one = Halfs<Half>({1, 1, 2048}, {3});
  Tensor d = Halfs<Half>({0.00048828125f, 0.00146484375f, 1}, {3});  // 2^-11, 3*2^-11.
  auto out = RunOp(OpKind::kAdd, {one, d});
  ASSERT_TRUE(out.ok()) << out.status();
  // 1 + 3*2^-11 ties up to 1 + 2^-9 (even mantissa 2); 2048 + 1 ties to 2048.
  EXPECT_EQ(Bits<Half>(*out), (std::vector<uint16_t>{0x3c00, 0x3c02, 0x6800}));
  auto bf = RunOp(OpKind::kMul, {Halfs<BFloat16>({3}, {1}), Halfs<BFloat16>({1.0078125f}, {1})});
  ASSERT_TRUE(bf.ok()) << bf.status();
  // 3 * (1 + 2^-7) = 3.0234375 ties between bf16 3.015625 (odd) and 3.03125 (even).
  EXPECT_EQ(static_cast<float>(bf->values<BFloat16>()[0]), 3.03125f);
}

TEST(ElementwiseKernels, MaxMinAreVariadicAndPropagateNaN) {
  Tensor a = Tensor::FromVector<float>({1, 5, kNaN}, {3});
  Tensor b = Tensor::FromVector<float>({4, 2}, {2, 1});
  Tensor c = Tensor::Scalar<float>(3);
  auto mx = RunOp(OpKind::kMax, {a, b, c});
  auto mn = RunOp(OpKind::kMin, {a, b, c});
  ASSERT_TRUE(mx.ok() && mn.ok());
  EXPECT_EQ(mx->shape(), (std::vector<int64_t>{2, 3}));
  std::vector<float> x = Values<float>(*mx), n = Values<float>(*mn);
  EXPECT_EQ(x[0], 4);
  EXPECT_EQ(x[1], 5);
  EXPECT_TRUE(std::isnan(x[2]));
  EXPECT_EQ(x[3], 3);
  EXPECT_EQ(n[0], 1);
  EXPECT_EQ(n[4], 2);
  EXPECT_TRUE(std::isnan(n[5]));
  auto single = RunOp(OpKind::kMax, {Tensor::FromVector<uint64_t>({7, 9}, {2})});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(Values<uint64_t>(*single), (std::vector<uint64_t>{7, 9}));
}

TEST(ElementwiseKernels, ComparisonsBroadcastWithoutSignConfusion) {
  Tensor a = Tensor::FromVector<uint64_t>({uint64_t{1} << 63, 1, 5}, {3});
  Tensor b = Tensor::Scalar<uint64_t>(5);
  auto gt = RunOp(OpKind::kGreater, {a, b});
  auto le = RunOp(OpKind::kLessOrEqual, {a, b});
  auto eq = RunOp(OpKind::kEqual, {a, b});
  ASSERT_TRUE(gt.ok() && le.ok() && eq.ok());
  EXPECT_EQ(gt->dtype(), DType::kBool);
  EXPECT_EQ(Values<bool>(*gt), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(Values<bool>(*le), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(Values<bool>(*eq), (std::vector<bool>{false, false, true}));
  // NaN compares unequal to everything, itself included.
  Tensor n = Tensor::FromVector<float>({kNaN, 1}, {2});
  auto neq = RunOp(OpKind::kEqual, {n, n});
  auto ge = RunOp(OpKind::kGreaterOrEqual, {n, Tensor::Scalar<float>(0)});
  ASSERT_TRUE(neq.ok() && ge.ok());
  EXPECT_EQ(Values<bool>(*neq), (std::vector<bool>{false, true}));
  EXPECT_EQ(Values<bool>(*ge), (std::vector<bool>{false, true}));
}

TEST(ElementwiseKernels, LogicOps) {
  Tensor a = Tensor::FromVector<bool>({true, true, false, false}, {2, 2});
  Tensor b = Tensor::FromVector<bool>({true, false}, {2});
  auto a_and = RunOp(OpKind::kAnd, {a, b});
  auto a_or = RunOp(OpKind::kOr, {a, b});
  auto a_not = RunOp(OpKind::kNot, {a});
  ASSERT_TRUE(a_and.ok() && a_or.ok() && a_not.ok());
  EXPECT_EQ(Values<bool>(*a_and), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(Values<bool>(*a_or), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(Values<bool>(*a_not), (std::vector<bool>{false, false, true, true}));
}

TEST(ElementwiseKernels, WhereBroadcastsAllThree) {
  Tensor cond = Tensor::FromVector<bool>({true, false}, {2, 1});
  Tensor x = Tensor::FromVector<int16_t>({1, 2, 3}, {3});
  Tensor y = Tensor::Scalar<int16_t>(-1);
  auto out = RunOp(OpKind::kWhere, {cond, x, y});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<int16_t>(*out), (std::vector<int16_t>{1, 2, 3, -1, -1, -1}));
}

TEST(ElementwiseKernels, PowMixesDTypes) {
  auto ii = RunOp(OpKind::kPow, {Tensor::FromVector<int32_t>({2, 3, 7, 2, -1, 5}, {6}),
                                 Tensor::FromVector<int64_t>({10, 3, 0, -1, -3, 1}, {6})});
  ASSERT_TRUE(ii.ok()) << ii.status();
  EXPECT_EQ(ii->dtype(), DType::kI32);
  EXPECT_EQ(Values<int32_t>(*ii), (std::vector<int32_t>{1024, 27, 1, 0, -1, 5}));
  // Integer base, float exponent: computed in double, truncated into the base type.
  auto if_ = RunOp(OpKind::kPow, {Tensor::FromVector<int64_t>({2, 9}, {2}),
                                  Tensor::FromVector<float>({0.5f, 0.5f}, {2})});
  ASSERT_TRUE(if_.ok()) << if_.status();
  EXPECT_EQ(Values<int64_t>(*if_), (std::vector<int64_t>{1, 3}));
  auto fi = RunOp(OpKind::kPow, {Tensor::FromVector<float>({2, 0.5f}, {2}),
                                 Tensor::Scalar<uint8_t>(3)});
  ASSERT_TRUE(fi.ok()) << fi.status();
  EXPECT_EQ(Values<float>(*fi), (std::vector<float>{8, 0.125f}));
  auto zero = RunOp(OpKind::kPow, {Tensor::Scalar<int64_t>(0), Tensor::Scalar<int64_t>(-1)});
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("negative power"), std::string::npos);
}

}  // namespace
}  // namespace kiln::reference
