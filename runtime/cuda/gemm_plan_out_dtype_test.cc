// Device-free tests of the GEMM descriptor's output dtype (FusedMatMul's `to`) and of the
// layout an odd-N weight gets once align-gemm-weights stores it transposed.
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cuda/gemm_plan.h"

namespace kiln::cuda {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<GemmDesc> Plan(DType dtype, DType out, std::vector<int64_t> a,
                              std::vector<int64_t> b, bool tb = false, bool bias = false) {
  std::optional<std::vector<int64_t>> bias_shape;
  if (bias) bias_shape = std::vector<int64_t>{tb ? b[b.size() - 2] : b.back()};
  return PlanFusedMatMul(dtype, a, b, bias_shape, std::nullopt, false, tb, 1, "none", false, out);
}

TEST(GemmPlanOutDTypeTest, HalfOperandsFloatOutputSetsTheOutputTypes) {
  for (auto [dtype, cuda] : {std::pair{DType::kF16, CUDA_R_16F},
                             std::pair{DType::kBF16, CUDA_R_16BF}}) {
    auto desc = Plan(dtype, DType::kF32, {2, 512, 768}, {768, 50257}, false, true);
    ASSERT_TRUE(desc.ok()) << desc.status();
    EXPECT_EQ(desc->dtype, dtype);
    EXPECT_EQ(desc->d_dtype(), DType::kF32);
    auto plan = PlanLtGemm(*desc);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->data_type, cuda);           // A and B.
    EXPECT_EQ(plan->out_type, CUDA_R_32F);      // C, D and the bias.
    EXPECT_EQ(plan->compute_type, CUBLAS_COMPUTE_32F);
    EXPECT_EQ(plan->epilogue, CUBLASLT_EPILOGUE_BIAS);
  }
}

TEST(GemmPlanOutDTypeTest, SameOrAbsentOutputDTypeIsThePlainGemm) {
  auto plain = Plan(DType::kF16, DType::kUndefined, {4, 8}, {8, 6});
  auto same = Plan(DType::kF16, DType::kF16, {4, 8}, {8, 6});
  ASSERT_TRUE(plain.ok() && same.ok());
  EXPECT_EQ(plain->out_dtype, DType::kUndefined);
  EXPECT_EQ(same->out_dtype, DType::kUndefined);
  EXPECT_EQ(same->d_dtype(), DType::kF16);
  auto plan = PlanLtGemm(*same);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->out_type, CUDA_R_16F);
  EXPECT_EQ(AlgoCacheKey(*plan, {}), AlgoCacheKey(*PlanLtGemm(*plain), {}));
}

TEST(GemmPlanOutDTypeTest, OnlyWideningTo32IsSupported) {
  auto narrow = Plan(DType::kF32, DType::kF16, {4, 8}, {8, 6});
  EXPECT_EQ(narrow.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(narrow.status().message(), HasSubstr("f32 operands with a f16 output"));
  auto cross = Plan(DType::kF16, DType::kBF16, {4, 8}, {8, 6});
  EXPECT_EQ(cross.status().code(), absl::StatusCode::kUnimplemented);
  auto f64 = Plan(DType::kF16, DType::kF64, {4, 8}, {8, 6});
  EXPECT_EQ(f64.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(GemmPlanOutDTypeTest, CacheKeySeesTheOutputType) {
  auto half = Plan(DType::kF16, DType::kF16, {4, 8}, {8, 6});
  auto wide = Plan(DType::kF16, DType::kF32, {4, 8}, {8, 6});
  auto bf = Plan(DType::kBF16, DType::kF32, {4, 8}, {8, 6});
  ASSERT_TRUE(half.ok() && wide.ok() && bf.ok());
  std::set<std::string> keys;
  for (const GemmDesc* d : {&*half, &*wide, &*bf}) keys.insert(AlgoCacheKey(*PlanLtGemm(*d), {}));
  EXPECT_EQ(keys.size(), 3u);
}

// GPT-2's lm_head: [512, 768] @ [768, 50257]. Stored [K, N], cuBLASLt's A (Kiln's b) has
// leading dimension N = 50257 (100514 bytes in f16, not a multiple of 16); stored [N, K] with
// trans_b its leading dimension is K = 768 (1536 bytes), and only D keeps N.
TEST(GemmPlanOutDTypeTest, TransposedOddNWeightHasAlignedLeadingDimension) {
  auto kn = Plan(DType::kF16, DType::kF32, {512, 768}, {768, 50257});
  auto nk = Plan(DType::kF16, DType::kF32, {512, 768}, {50257, 768}, /*tb=*/true);
  ASSERT_TRUE(kn.ok() && nk.ok());
  auto l_kn = ToColumnMajor(*kn), l_nk = ToColumnMajor(*nk);
  ASSERT_TRUE(l_kn.ok() && l_nk.ok());
  EXPECT_EQ(l_kn->a.ld, 50257);
  EXPECT_FALSE(l_kn->trans_a);
  EXPECT_EQ(l_nk->a, (LtMatrix{768, 50257, 768, 0}));
  EXPECT_TRUE(l_nk->trans_a);
  EXPECT_EQ((l_nk->a.ld * 2) % 16, 0);
  EXPECT_EQ(l_nk->b, (LtMatrix{768, 512, 768, 0}));  // Kiln's a, untouched.
  EXPECT_EQ(l_nk->d, (LtMatrix{50257, 512, 50257, 0}));
  EXPECT_EQ(l_nk->m, 50257);
  EXPECT_EQ(l_nk->n, 512);
  EXPECT_EQ(l_nk->k, 768);
  EXPECT_NE(AlgoCacheKey(*PlanLtGemm(*kn), {}), AlgoCacheKey(*PlanLtGemm(*nk), {}));
}

}  // namespace
}  // namespace kiln::cuda
