// Reference kernels of Silu, SwiGlu and SkipNormalization, on values computed independently
// with numpy in float64.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/reduction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Pointwise;

constexpr double kTol = 1e-6;

TEST(SiluKernelTest, ValuesAndExtremes) {
  auto y =
      KernelHarness(OpKind::kSilu, {Make<float>({8}, {-3, -0.5, 0, 1, 2.5, 40, -40, -800})}).Run();
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(AsDoubles((*y)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{-0.14227762, -0.188770334, 0,
                                                              0.731058579, 2.31035455, 40, 0, 0}));
}

TEST(SiluKernelTest, HalfAndRejectsIntegers) {
  auto y = KernelHarness(OpKind::kSilu, {Make<Half>({2}, {1, -3})}).Run();
  ASSERT_TRUE(y.ok());
  EXPECT_EQ((*y)[0].dtype(), DType::kF16);
  EXPECT_THAT(AsDoubles((*y)[0]),
              Pointwise(DoubleNear(1e-3), std::vector<double>{0.7310586, -0.1422776}));
  auto bad = KernelHarness(OpKind::kSilu, {Make<int32_t>({2}, {1, 2})}).Run();
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SwiGluKernelTest, EqualShapesAndBroadcast) {
  Tensor g = Make<float>({2, 3}, {1, -2, 0.5, 3, 0, -1});
  auto y = KernelHarness(OpKind::kSwiGlu, {g, Make<float>({2, 3}, {2, 1, -4, 0.5, 7, 3})}).Run();
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(AsDoubles((*y)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{1.46211716, -0.238405844, -1.24491866,
                                                              1.42886119, 0, -0.806824264}));
  auto b = KernelHarness(OpKind::kSwiGlu, {g, Make<float>({2, 1}, {2, -1})}).Run();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(AsDoubles((*b)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{1.46211716, -0.476811688, 0.622459331,
                                                              -2.85772238, 0, 0.268941421}));
}

TEST(SwiGluKernelTest, Errors) {
  Tensor g = Make<float>({2, 3}, {});
  auto dtype = KernelHarness(OpKind::kSwiGlu, {g, Make<double>({2, 3}, {})}).Run();
  EXPECT_EQ(dtype.status().code(), absl::StatusCode::kInvalidArgument);
  auto shape = KernelHarness(OpKind::kSwiGlu, {g, Make<float>({2, 2}, {})}).Run();
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kInvalidArgument);
}

Tensor SkipX() { return Make<float>({2, 4}, {1, 2, 3, 4, 0.5, -0.5, 2, 0}); }
Tensor SkipS() { return Make<float>({2, 4}, {0, 1, -1, 2, 1.5, 0.5, -2, 4}); }
Tensor Scale() { return Make<float>({4}, {1, 2, 0.5, -1}); }

TEST(SkipNormKernelTest, LayerWithBiasAndSum) {
  auto out = KernelHarness(OpKind::kSkipNormalization,
                           {SkipX(), SkipS(), Scale(), Make<float>({4}, {0.1, 0, -0.2, 0.3})},
                           {{"norm", std::string("layer")}}, 2)
                 .Run();
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_THAT(AsDoubles((*out)[0]),
              Pointwise(DoubleNear(1e-5),
                        std::vector<double>{-0.96904344, 0, -0.46726086, -1.30356516, 0.401510796,
                                            -1.80906478, -0.652266195, -1.20755398}));
  EXPECT_THAT(AsDoubles((*out)[1]), ElementsAre(1, 3, 2, 6, 2, 0, 0, 4));
}

TEST(SkipNormKernelTest, RmsWithoutSumOutput) {
  auto out = KernelHarness(OpKind::kSkipNormalization, {SkipX(), SkipS(), Scale()},
                           {{"norm", std::string("rms")}})
                 .Run();
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_THAT(
      AsDoubles((*out)[0]),
      Pointwise(DoubleNear(1e-5), std::vector<double>{0.282842599, 1.6970556, 0.282842599,
                                                      -1.6970556, 0.894426297, 0, 0, -1.78885259}));
}

TEST(SkipNormKernelTest, BroadcastSkip) {
  auto out = KernelHarness(OpKind::kSkipNormalization,
                           {SkipX(), Make<float>({1, 4}, {1, 0, -1, 0.5}), Scale()},
                           {{"norm", std::string("layer")}}, 2)
                 .Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(AsDoubles((*out)[0]),
              Pointwise(DoubleNear(1e-5),
                        std::vector<double>{-0.577347806, -1.15469561, -0.288673903, -1.73204342,
                                            1.18320514, -3.0425275, 0.253543958, 0.169029306}));
  EXPECT_THAT(AsDoubles((*out)[1]), ElementsAre(2, 2, 2, 4.5, 1.5, -0.5, 1, 0.5));
}

TEST(SkipNormKernelTest, Errors) {
  auto norm = [](const char* n) {
    return std::pair<const char*, AttrValue>("norm", std::string(n));
  };
  auto bad_norm =
      KernelHarness(OpKind::kSkipNormalization, {SkipX(), SkipS(), Scale()}, {norm("batch")}).Run();
  EXPECT_EQ(bad_norm.status().code(), absl::StatusCode::kInvalidArgument);
  auto rms_bias =
      KernelHarness(OpKind::kSkipNormalization, {SkipX(), SkipS(), Scale(), Scale()}, {norm("rms")})
          .Run();
  EXPECT_EQ(rms_bias.status().code(), absl::StatusCode::kInvalidArgument);
  auto scale_rank = KernelHarness(OpKind::kSkipNormalization,
                                  {SkipX(), SkipS(), Make<float>({1, 4}, {})}, {norm("layer")})
                        .Run();
  EXPECT_EQ(scale_rank.status().code(), absl::StatusCode::kInvalidArgument);
  auto scale_len = KernelHarness(OpKind::kSkipNormalization,
                                 {SkipX(), SkipS(), Make<float>({3}, {})}, {norm("layer")})
                       .Run();
  EXPECT_EQ(scale_len.status().code(), absl::StatusCode::kInvalidArgument);
  auto ints =
      KernelHarness(OpKind::kSkipNormalization,
                    {Make<int32_t>({4}, {}), Make<int32_t>({4}, {}), Make<int32_t>({4}, {})},
                    {norm("layer")})
          .Run();
  EXPECT_EQ(ints.status().code(), absl::StatusCode::kInvalidArgument);
  auto mismatch = KernelHarness(OpKind::kSkipNormalization,
                                {SkipX(), Make<float>({3, 4}, {}), Scale()}, {norm("layer")})
                      .Run();
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::reference
