// Reference kernel tests for Mod and Size. Expected values worked out by hand (Python's % for
// fmod=0, C's fmod for fmod=1) and cross-checked with numpy.mod / numpy.fmod.
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

Attributes Fmod(int64_t v) {
  Attributes a;
  a.Set("fmod", v);
  return a;
}

template <typename T>
Tensor Vec(std::vector<T> v) {
  int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromVector<T>(v, {n});
}

template <typename T>
void ExpectSignedMod() {
  Tensor a = Vec<T>({7, -7, 7, -7, 0, 6});
  Tensor b = Vec<T>({3, 3, -3, -3, 5, 3});
  auto py = RunOp(OpKind::kMod, {a, b});
  ASSERT_TRUE(py.ok()) << py.status();
  EXPECT_EQ(Values<T>(*py), (std::vector<T>{1, 2, -2, -1, 0, 0}));
  auto c = RunOp(OpKind::kMod, {a, b}, Fmod(1));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Values<T>(*c), (std::vector<T>{1, -1, 1, -1, 0, 0}));
}

TEST(ModKernel, SignedIntegersFollowTheFmodAttribute) {
  ExpectSignedMod<int8_t>();
  ExpectSignedMod<int16_t>();
  ExpectSignedMod<int32_t>();
  ExpectSignedMod<int64_t>();
}

TEST(ModKernel, MostNegativeDividendDoesNotTrap) {
  constexpr int8_t kMin8 = std::numeric_limits<int8_t>::min();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (int64_t fmod : {0, 1}) {
    auto m8 = RunOp(OpKind::kMod, {Vec<int8_t>({kMin8, kMin8, kMin8}), Vec<int8_t>({-1, 3, 127})},
                    Fmod(fmod));
    ASSERT_TRUE(m8.ok()) << m8.status();
    // -128 = -43*3 + 1 = -42*3 - 2; -128 = -2*127 + 126 = -1*127 - 1.
    EXPECT_EQ(Values<int8_t>(*m8),
              fmod == 0 ? (std::vector<int8_t>{0, 1, 126}) : (std::vector<int8_t>{0, -2, -1}));
    auto m = RunOp(OpKind::kMod, {Vec<int64_t>({kMin}), Vec<int64_t>({-1})}, Fmod(fmod));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(Values<int64_t>(*m), (std::vector<int64_t>{0}));
  }
}

TEST(ModKernel, UnsignedIntegersAndBroadcasting) {
  // [2,1] mod [3] -> [2,3].
  Tensor a = Tensor::FromVector<uint8_t>({255, 10}, {2, 1});
  Tensor b = Vec<uint8_t>({2, 7, 255});
  auto out = RunOp(OpKind::kMod, {a, b});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<uint8_t>(*out), (std::vector<uint8_t>{1, 3, 0, 0, 3, 10}));
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  auto u64 = RunOp(OpKind::kMod, {Vec<uint64_t>({kMax, 5}), Tensor::Scalar<uint64_t>(10)}, Fmod(1));
  ASSERT_TRUE(u64.ok()) << u64.status();
  EXPECT_EQ(Values<uint64_t>(*u64), (std::vector<uint64_t>{5, 5}));
}

TEST(ModKernel, IntegerModByZeroIsAnError) {
  auto out = RunOp(OpKind::kMod, {Vec<int32_t>({1, 2}), Vec<int32_t>({1, 0})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("integer modulo by zero"), std::string::npos)
      << out.status();
  auto u = RunOp(OpKind::kMod, {Vec<uint16_t>({1}), Vec<uint16_t>({0})}, Fmod(1));
  EXPECT_FALSE(u.ok());
}

TEST(ModKernel, FloatsUseCFmod) {
  Tensor a = Vec<float>({5.5f, -5.5f, 5.5f, -5.5f, 1.0f, 3.0f});
  Tensor b = Vec<float>({2, 2, -2, -2, 0, INFINITY});
  auto out = RunOp(OpKind::kMod, {a, b}, Fmod(1));
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<float> got = Values<float>(*out);
  EXPECT_EQ(std::vector<float>(got.begin(), got.begin() + 4),
            (std::vector<float>{1.5f, -1.5f, 1.5f, -1.5f}));
  EXPECT_TRUE(std::isnan(got[4]));  // fmod(x, 0) is NaN, not an error.
  EXPECT_EQ(got[5], 3.0f);          // fmod(x, inf) = x.
  auto d = RunOp(OpKind::kMod, {Vec<double>({-7.25, 1e17}), Vec<double>({2.0, 3.0})}, Fmod(1));
  ASSERT_TRUE(d.ok()) << d.status();
  // 1e17 = 33333333333333333 * 3 + 1 exactly (1e17 is a double).
  EXPECT_EQ(Values<double>(*d), (std::vector<double>{-1.25, 1.0}));
}

TEST(ModKernel, HalfFloatsAreExact) {
  auto h = RunOp(OpKind::kMod, {Halfs<Half>({-7.5f, 1000.0f}, {2}), Halfs<Half>({2.0f, 7.0f}, {2})},
                 Fmod(1));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(Bits<Half>(*h), Bits<Half>(Halfs<Half>({-1.5f, 6.0f}, {2})));
  auto bf =
      RunOp(OpKind::kMod, {Halfs<BFloat16>({-7.5f}, {1}), Halfs<BFloat16>({-2.0f}, {1})}, Fmod(1));
  ASSERT_TRUE(bf.ok()) << bf.status();
  EXPECT_EQ(Bits<BFloat16>(*bf), Bits<BFloat16>(Halfs<BFloat16>({-1.5f}, {1})));
}

TEST(ModKernel, KernelRejectsFloatPythonModAndBadFmod) {
  // Inference rejects these first; the kernel must too when called directly.
  Graph g;
  Value* x = g.AddInput("x", TensorType{DType::kF32, {DimExpr(1)}});
  Node* py = g.AddNode(OpKind::kMod, {x, x}, 1, Fmod(0), "py");
  Node* bad = g.AddNode(OpKind::kMod, {x, x}, 1, Fmod(3), "bad");
  Tensor one = Vec<float>({1.0f});
  auto r1 = RefMod(KernelContext{*py, {&one, &one}});
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.status().message().find("fmod must be 1 for float inputs"), std::string::npos);
  auto r2 = RefMod(KernelContext{*bad, {&one, &one}});
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("fmod must be 0 or 1"), std::string::npos);
  auto r3 = RefMod(KernelContext{*py, {&one, nullptr}});
  EXPECT_FALSE(r3.ok());
}

TEST(SizeKernel, CountsElements) {
  auto n = RunOp(OpKind::kSize, {*Tensor::Zeros(DType::kF16, {2, 3, 4})});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->dtype(), DType::kI64);
  EXPECT_EQ(n->rank(), 0);
  EXPECT_EQ(Values<int64_t>(*n), (std::vector<int64_t>{24}));
  auto scalar = RunOp(OpKind::kSize, {Tensor::Scalar<bool>(true)});
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(Values<int64_t>(*scalar), (std::vector<int64_t>{1}));
  auto empty = RunOp(OpKind::kSize, {*Tensor::Zeros(DType::kU8, {5, 0, 3})});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(Values<int64_t>(*empty), (std::vector<int64_t>{0}));
}

}  // namespace
}  // namespace kiln::reference
