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

TEST(ElementwiseUnaryKernels, FloatFunctions) {
  Tensor x = Tensor::FromVector<float>({0, 1, -2}, {3});
  auto sig = RunOp(OpKind::kSigmoid, {x});
  auto exp = RunOp(OpKind::kExp, {x});
  auto recip = RunOp(OpKind::kReciprocal, {x});
  ASSERT_TRUE(sig.ok() && exp.ok() && recip.ok());
  EXPECT_FLOAT_EQ(Values<float>(*sig)[0], 0.5f);
  EXPECT_FLOAT_EQ(Values<float>(*sig)[2], 1 / (1 + std::exp(2.0f)));
  EXPECT_FLOAT_EQ(Values<float>(*exp)[1], std::exp(1.0f));
  EXPECT_EQ(Values<float>(*recip), (std::vector<float>{kInf, 1, -0.5f}));
}

TEST(ElementwiseUnaryKernels, SigmoidSaturatesWithoutNaN) {
  auto out = RunOp(OpKind::kSigmoid, {Tensor::FromVector<double>({-1000, 1000}, {2})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Values<double>(*out), (std::vector<double>{0, 1}));
}

TEST(ElementwiseUnaryKernels, GeluModes) {
  Tensor x = Tensor::FromVector<double>({1, -2}, {2});
  Attributes tanh;
  tanh.Set("approximate", std::string("tanh"));
  auto exact = RunOp(OpKind::kGelu, {x});
  auto approx = RunOp(OpKind::kGelu, {x}, tanh);
  ASSERT_TRUE(exact.ok() && approx.ok());
  // 0.5 x (1 + erf(x / sqrt 2)) and 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  EXPECT_NEAR(Values<double>(*exact)[0], 0.8413447460685429, 1e-15);
  EXPECT_NEAR(Values<double>(*exact)[1], -0.04550026389635842, 1e-15);
  EXPECT_NEAR(Values<double>(*approx)[0], 0.8411919906082768, 1e-15);
}

TEST(ElementwiseUnaryKernels, IntegerAbsNegRelu) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  Tensor x = Tensor::FromVector<int32_t>({-3, 4, kMin}, {3});
  auto abs = RunOp(OpKind::kAbs, {x});
  auto neg = RunOp(OpKind::kNeg, {x});
  auto relu = RunOp(OpKind::kRelu, {x});
  auto uabs = RunOp(OpKind::kAbs, {Tensor::FromVector<uint8_t>({200}, {1})});
  ASSERT_TRUE(abs.ok() && neg.ok() && relu.ok() && uabs.ok());
  EXPECT_EQ(Values<int32_t>(*abs), (std::vector<int32_t>{3, 4, kMin}));  // Wraps like hardware.
  EXPECT_EQ(Values<int32_t>(*neg), (std::vector<int32_t>{3, -4, kMin}));
  EXPECT_EQ(Values<int32_t>(*relu), (std::vector<int32_t>{0, 4, 0}));
  EXPECT_EQ(Values<uint8_t>(*uabs), (std::vector<uint8_t>{200}));
}

TEST(ElementwiseUnaryKernels, NaNHandling) {
  Tensor x = Tensor::FromVector<float>({kNaN, -kInf, -0.0f, 2}, {4});
  auto isnan = RunOp(OpKind::kIsNaN, {x});
  auto relu = RunOp(OpKind::kRelu, {x});
  auto floor = RunOp(OpKind::kFloor, {Halfs<Half>({-1.5f, 2.5f, kNaN}, {3})});
  ASSERT_TRUE(isnan.ok() && relu.ok() && floor.ok());
  EXPECT_EQ(Values<bool>(*isnan), (std::vector<bool>{true, false, false, false}));
  EXPECT_TRUE(std::isnan(Values<float>(*relu)[0]));
  EXPECT_EQ(Values<float>(*relu)[1], 0);
  EXPECT_EQ(Bits<Half>(*floor)[0], Half(-2.0f).bits);
  EXPECT_EQ(Bits<Half>(*floor)[1], Half(2.0f).bits);
  EXPECT_TRUE(std::isnan(static_cast<float>(floor->values<Half>()[2])));
}

TEST(ElementwiseUnaryKernels, ClipBounds) {
  Tensor x = Tensor::FromVector<int8_t>({-100, -5, 0, 5, 100}, {5});
  auto both = RunOp(OpKind::kClip, {x, Tensor::Scalar<int8_t>(-10), Tensor::Scalar<int8_t>(10)});
  auto max_only = RunOp(OpKind::kClip, {x, Tensor(), Tensor::Scalar<int8_t>(0)});
  auto swapped = RunOp(OpKind::kClip, {x, Tensor::Scalar<int8_t>(3), Tensor::Scalar<int8_t>(-3)});
  auto none = RunOp(OpKind::kClip, {x});
  ASSERT_TRUE(both.ok() && max_only.ok() && swapped.ok() && none.ok()) << both.status();
  EXPECT_EQ(Values<int8_t>(*both), (std::vector<int8_t>{-10, -5, 0, 5, 10}));
  EXPECT_EQ(Values<int8_t>(*max_only), (std::vector<int8_t>{-100, -5, 0, 0, 0}));
  // min > max: every element becomes max, as ONNX specifies.
  EXPECT_EQ(Values<int8_t>(*swapped), (std::vector<int8_t>(5, -3)));
  EXPECT_EQ(Values<int8_t>(*none), Values<int8_t>(x));
  // Float: infinities pass an absent bound; NaN stays NaN; a [1]-shaped bound is a scalar.
  Tensor f = Tensor::FromVector<float>({-kInf, kInf, kNaN}, {3});
  auto fc = RunOp(OpKind::kClip, {f, Tensor(), Tensor::FromVector<float>({1}, {1})});
  ASSERT_TRUE(fc.ok()) << fc.status();
  EXPECT_EQ(Values<float>(*fc)[0], -kInf);
  EXPECT_EQ(Values<float>(*fc)[1], 1);
  EXPECT_TRUE(std::isnan(Values<float>(*fc)[2]));
}

TEST(ElementwiseUnaryKernels, IdentitySharesTheBuffer) {
  Tensor x = Tensor::FromVector<bool>({true, false}, {2});
  auto out = RunOp(OpKind::kIdentity, {x});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->BitwiseEqual(x));
  EXPECT_EQ(out->raw_data(), x.raw_data());
}

// Kernel-level checks for inputs that inference would have rejected: the kernels must still
// fail cleanly rather than read out of bounds.
TEST(ElementwiseUnaryKernels, KernelsRejectBadInputsDirectly) {
  Graph g;
  Value* v = g.AddInput("x", TensorType{DType::kF32, {2}});
  Node* add = g.AddNode(OpKind::kAdd, {v, v}, 1, {}, "add");
  Node* clip = g.AddNode(OpKind::kClip, {v, v}, 1, {}, "clip");
  Node* exp = g.AddNode(OpKind::kExp, {v}, 1, {}, "exp");
  Tensor two = Tensor::FromVector<float>({1, 2}, {2});
  Tensor three = Tensor::FromVector<float>({1, 2, 3}, {3});
  Tensor ints = Tensor::FromVector<int32_t>({1, 2}, {2});
  KernelResult r = RefAdd(KernelContext{*add, {&two, &three}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("do not broadcast"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("'add'"), std::string::npos) << r.status();
  r = RefAdd(KernelContext{*add, {&two, &ints}});
  EXPECT_NE(r.status().message().find("different dtypes"), std::string::npos) << r.status();
  r = RefClip(KernelContext{*clip, {&two, &two}});
  EXPECT_NE(r.status().message().find("min must be one f32 value"), std::string::npos)
      << r.status();
  r = RefExp(KernelContext{*exp, {&ints}});
  EXPECT_NE(r.status().message().find("input dtype i32 is not supported"), std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace kiln::reference
