// Reference kernels of Softmax, LogSoftmax, LayerNormalization and RMSNormalization, on values
// computed independently with numpy in float64.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/reduction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Pointwise;

constexpr double kTol = 1e-6;

TEST(SoftmaxKernelTest, LastAxis) {
  auto sm = KernelHarness(OpKind::kSoftmax, {Make<float>({1, 3}, {1, 2, 3})}).Run();
  auto lsm = KernelHarness(OpKind::kLogSoftmax, {Make<double>({1, 3}, {1, 2, 3})}).Run();
  ASSERT_TRUE(sm.ok() && lsm.ok());
  EXPECT_THAT(AsDoubles((*sm)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{0.09003057, 0.24472847, 0.66524096}));
  EXPECT_EQ((*lsm)[0].dtype(), DType::kF64);
  EXPECT_THAT(
      AsDoubles((*lsm)[0]),
      Pointwise(DoubleNear(1e-8), std::vector<double>{-2.40760596, -1.40760596, -0.40760596}));
}

TEST(SoftmaxKernelTest, LargeValuesDoNotOverflow) {
  auto sm = KernelHarness(OpKind::kSoftmax, {Make<float>({2}, {1000, 1001})}).Run();
  auto lsm = KernelHarness(OpKind::kLogSoftmax, {Make<float>({2}, {1000, 1000})}).Run();
  ASSERT_TRUE(sm.ok() && lsm.ok());
  EXPECT_THAT(AsDoubles((*sm)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{0.26894142, 0.73105858}));
  EXPECT_THAT(AsDoubles((*lsm)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{-0.69314718, -0.69314718}));
}

TEST(SoftmaxKernelTest, FirstAxisOfAMatrix) {
  // Columns [0, 1] and [0, 2].
  auto sm =
      KernelHarness(OpKind::kSoftmax, {Make<float>({2, 2}, {0, 0, 1, 2})}, {{"axis", int64_t{0}}})
          .Run();
  ASSERT_TRUE(sm.ok());
  EXPECT_THAT(AsDoubles((*sm)[0]),
              Pointwise(DoubleNear(kTol),
                        std::vector<double>{0.26894142, 0.11920292, 0.73105858, 0.88079708}));
}

TEST(SoftmaxKernelTest, HalfInputAndBadAxis) {
  auto sm = KernelHarness(OpKind::kSoftmax, {Make<Half>({4}, {0, 0, 0, 0})}).Run();
  ASSERT_TRUE(sm.ok());
  EXPECT_EQ((*sm)[0].dtype(), DType::kF16);
  EXPECT_THAT(AsDoubles((*sm)[0]), ElementsAre(0.25, 0.25, 0.25, 0.25));
  auto bad = KernelHarness(OpKind::kSoftmax, {Make<float>({4}, {})}, {{"axis", int64_t{1}}}).Run();
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LayerNormKernelTest, LastAxisWithBiasAndStatistics) {
  Tensor x = Make<float>({2, 4}, {1, 2, 3, 4, 2, 2, 2, 2});
  Tensor scale = Make<float>({4}, {1, 1, 2, 2});
  Tensor bias = Make<float>({4}, {0, 1, 0, -1});
  auto out = KernelHarness(OpKind::kLayerNormalization, {x, scale, bias}, {}, 3).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_THAT(AsDoubles((*out)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{-1.34163542, 0.55278819, 0.89442361,
                                                              1.68327084, 0, 1, 0, -1}));
  EXPECT_EQ((*out)[1].shape(), (std::vector<int64_t>{2, 1}));
  EXPECT_THAT(AsDoubles((*out)[1]), Pointwise(DoubleNear(kTol), std::vector<double>{2.5, 2}));
  EXPECT_THAT(AsDoubles((*out)[2]),
              Pointwise(DoubleNear(1e-4), std::vector<double>{0.89442361, 316.22776602}));
}

TEST(LayerNormKernelTest, AxisZeroNormalizesEverything) {
  // Mean 3, variance 5 over all four elements; scale [1,1] = 3 broadcasts.
  Tensor x = Make<float>({2, 2}, {0, 2, 4, 6});
  Tensor scale = Make<float>({1, 1}, {3});
  auto out =
      KernelHarness(OpKind::kLayerNormalization, {x, scale}, {{"axis", int64_t{0}}}, 3).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(AsDoubles((*out)[0]),
              Pointwise(DoubleNear(1e-5),
                        std::vector<double>{-4.02491833, -1.34163944, 1.34163944, 4.02491833}));
  EXPECT_EQ((*out)[1].shape(), (std::vector<int64_t>{1, 1}));
  EXPECT_THAT(AsDoubles((*out)[2]), Pointwise(DoubleNear(kTol), std::vector<double>{0.44721315}));
}

TEST(LayerNormKernelTest, HalfInputStashesInFloat) {
  Tensor x = Make<Half>({1, 4}, {1, 2, 3, 4});
  Tensor scale = Make<Half>({4}, {1, 1, 1, 1});
  auto out = KernelHarness(OpKind::kLayerNormalization, {x, scale}, {}, 2).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype(), DType::kF16);
  EXPECT_EQ((*out)[1].dtype(), DType::kF32);
  EXPECT_THAT(AsDoubles((*out)[0]),
              Pointwise(DoubleNear(2e-3),
                        std::vector<double>{-1.34163542, -0.44721181, 0.44721181, 1.34163542}));
}

TEST(LayerNormKernelTest, ScaleThatDoesNotBroadcastIsAnError) {
  Tensor x = Make<float>({2, 4}, {});
  auto out = KernelHarness(OpKind::kLayerNormalization, {x, Make<float>({3}, {})}).Run();
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RMSNormKernelTest, LastAxis) {
  Tensor x = Make<float>({1, 4}, {1, 2, 3, 4});
  Tensor scale = Make<float>({4}, {1, 1, 1, 1});
  auto out = KernelHarness(OpKind::kRMSNormalization, {x, scale}).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(AsDoubles((*out)[0]),
              Pointwise(DoubleNear(kTol),
                        std::vector<double>{0.36514813, 0.73029626, 1.09544438, 1.46059251}));
}

TEST(RMSNormKernelTest, AxisZeroWithBroadcastScale) {
  // Mean square 25/4 over all elements; RMS ~2.5; scale 2.
  Tensor x = Make<double>({2, 2}, {3, 4, 0, 0});
  auto out =
      KernelHarness(OpKind::kRMSNormalization, {x, Make<double>({1}, {2})}, {{"axis", int64_t{-2}}})
          .Run();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(AsDoubles((*out)[0]),
              Pointwise(DoubleNear(kTol), std::vector<double>{2.39999808, 3.19999744, 0, 0}));
}

}  // namespace
}  // namespace kiln::reference
