#include "runtime/cuda/gemm_plan.h"

#include <cmath>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/contraction_test_util.h"

namespace kiln::cuda {
namespace {

using ::testing::HasSubstr;
using reference::testing::RunOp;

GemmDesc Desc(int64_t m, int64_t n, int64_t k, bool ta = false, bool tb = false) {
  GemmDesc d;
  d.m = m;
  d.n = n;
  d.k = k;
  d.trans_a = ta;
  d.trans_b = tb;
  return d;
}

TEST(GemmPlanTest, ColumnMajorSwapsOperandsAndKeepsTheirFlags) {
  // D [3,5] = a [3,7] @ b [7,5] becomes D^T [5,3] = b^T [5,7] @ a^T [7,3] column-major, where
  // b's buffer read column-major is b^T (rows 5, cols 7, ld 5) and a's is a^T (7x3, ld 7).
  auto l = ToColumnMajor(Desc(3, 5, 7));
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->m, 5);
  EXPECT_EQ(l->n, 3);
  EXPECT_EQ(l->k, 7);
  EXPECT_FALSE(l->trans_a);
  EXPECT_FALSE(l->trans_b);
  EXPECT_EQ(l->a, (LtMatrix{5, 7, 5, 0}));
  EXPECT_EQ(l->b, (LtMatrix{7, 3, 7, 0}));
  EXPECT_EQ(l->d, (LtMatrix{5, 3, 5, 0}));
  // a stored [7,3] and b stored [5,7]: column-major [3,7] (ld 3) and [7,5] (ld 7), transposed.
  auto t = ToColumnMajor(Desc(3, 5, 7, true, true));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->trans_a);
  EXPECT_TRUE(t->trans_b);
  EXPECT_EQ(t->a, (LtMatrix{7, 5, 7, 0}));
  EXPECT_EQ(t->b, (LtMatrix{3, 7, 3, 0}));
  EXPECT_EQ(t->d, (LtMatrix{5, 3, 5, 0}));
}

TEST(GemmPlanTest, BatchStridesFollowTheirOperands) {
  GemmDesc d = Desc(2, 4, 3);
  d.batch_count = 6;
  d.stride_a = 0;
  d.stride_b = 12;
  d.stride_d = 8;
  auto l = ToColumnMajor(d);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->batch_count, 6);
  EXPECT_EQ(l->a.batch_stride, 12);  // Kiln's b.
  EXPECT_EQ(l->b.batch_stride, 0);   // Kiln's a, broadcast.
  EXPECT_EQ(l->d.batch_stride, 8);
}

// Runs cuBLASLt's column-major contract on the host: D = op(A) @ op(B) per batch, with
// op(X)(i, j) = X[i + j*ld] or, transposed, X[j + i*ld].
std::vector<float> ColumnMajorGemm(const LtGemmLayout& l, const float* a, const float* b) {
  std::vector<float> d(static_cast<size_t>(l.batch_count * std::max<int64_t>(l.d.batch_stride,
                                                                            l.m * l.n)));
  for (int32_t s = 0; s < l.batch_count; ++s) {
    const float* pa = a + s * l.a.batch_stride;
    const float* pb = b + s * l.b.batch_stride;
    for (int64_t i = 0; i < l.m; ++i) {
      for (int64_t j = 0; j < l.n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < l.k; ++p) {
          const float x = l.trans_a ? pa[p + i * l.a.ld] : pa[i + p * l.a.ld];
          const float y = l.trans_b ? pb[j + p * l.b.ld] : pb[p + j * l.b.ld];
          acc += double{x} * y;
        }
        d[s * l.d.batch_stride + i + j * l.d.ld] = static_cast<float>(acc);
      }
    }
  }
  return d;
}

std::vector<float> Ramp(int64_t n, float scale) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(std::sin(0.7f * i + 0.3f) * scale);
  return v;
}

int64_t Count(const std::vector<int64_t>& s) {
  int64_t c = 1;
  for (int64_t d : s) c *= d;
  return c;
}

// The mapping is right iff the host column-major GEMM on the swapped raw buffers reproduces
// the reference FusedMatMul, for every flag combination and batch form.
TEST(GemmPlanTest, HostColumnMajorGemmOnMappedLayoutMatchesTheReference) {
  struct Case {
    std::vector<int64_t> a, b;
    bool ta, tb;
  };
  const std::vector<Case> cases = {
      {{3, 7}, {7, 5}, false, false},       {{7, 3}, {7, 5}, true, false},
      {{3, 7}, {5, 7}, false, true},        {{7, 3}, {5, 7}, true, true},
      {{2, 3, 3, 7}, {7, 5}, false, false},  // Folds the batch into m.
      {{4, 7, 3}, {7, 5}, true, false},     // Transposed a: stays batched, b stride 0.
      {{3, 7}, {4, 5, 7}, false, true},     // Batched b, a stride 0.
      {{2, 1, 3, 7}, {1, 7, 5}, false, false},
      {{2, 3, 7}, {2, 7, 5}, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.a) + " @ " + ::testing::PrintToString(c.b));
    const Tensor a = reference::testing::F32(Ramp(Count(c.a), 1), c.a);
    const Tensor b = reference::testing::F32(Ramp(Count(c.b), 0.5f), c.b);
    Attributes attrs;
    attrs.Set("trans_a", int64_t{c.ta});
    attrs.Set("trans_b", int64_t{c.tb});
    auto want = RunOp(OpKind::kFusedMatMul, {a, b}, attrs);
    ASSERT_TRUE(want.ok()) << want.status();
    auto desc = PlanFusedMatMul(DType::kF32, c.a, c.b, std::nullopt, std::nullopt, c.ta, c.tb, 1,
                                "none");
    ASSERT_TRUE(desc.ok()) << desc.status();
    auto l = ToColumnMajor(*desc);
    ASSERT_TRUE(l.ok()) << l.status();
    const std::vector<float> got = ColumnMajorGemm(*l, b.data<float>(), a.data<float>());
    const Tensor& w = (*want)[0];
    ASSERT_EQ(static_cast<int64_t>(got.size()), w.num_elements());
    for (int64_t i = 0; i < w.num_elements(); ++i) {
      EXPECT_NEAR(got[i], w.data<float>()[i], 1e-5) << "element " << i;
    }
  }
}

TEST(GemmPlanTest, PlanFusedMatMulBatchForms) {
  auto fold = PlanFusedMatMul(DType::kF16, {2, 3, 4, 8}, {8, 5}, std::vector<int64_t>{5},
                              std::vector<int64_t>{2, 3, 4, 5}, false, false, 0.5f, "none");
  ASSERT_TRUE(fold.ok()) << fold.status();
  EXPECT_EQ(fold->m, 24);
  EXPECT_EQ(fold->batch_count, 1);
  EXPECT_TRUE(fold->has_bias);
  EXPECT_TRUE(fold->has_residual);
  EXPECT_EQ(fold->alpha, 0.5f);
  auto batched = PlanFusedMatMul(DType::kF32, {3, 4}, {6, 1, 5, 4}, std::nullopt, std::nullopt,
                                 false, true, 1, "relu");
  ASSERT_TRUE(batched.ok()) << batched.status();
  EXPECT_EQ(batched->batch_count, 6);
  EXPECT_EQ(batched->stride_a, 0);
  EXPECT_EQ(batched->stride_b, 20);
  EXPECT_EQ(batched->stride_d, 15);
  EXPECT_EQ(batched->activation, GemmActivation::kRelu);
}

TEST(GemmPlanTest, EpilogueMapping) {
  using A = GemmActivation;
  EXPECT_EQ(*SelectEpilogue(A::kNone, false, false), CUBLASLT_EPILOGUE_DEFAULT);
  EXPECT_EQ(*SelectEpilogue(A::kNone, true, true), CUBLASLT_EPILOGUE_BIAS);
  EXPECT_EQ(*SelectEpilogue(A::kRelu, false, false), CUBLASLT_EPILOGUE_RELU);
  EXPECT_EQ(*SelectEpilogue(A::kRelu, true, false), CUBLASLT_EPILOGUE_RELU_BIAS);
  EXPECT_EQ(*SelectEpilogue(A::kGeluTanh, false, false), CUBLASLT_EPILOGUE_GELU);
  EXPECT_EQ(*SelectEpilogue(A::kGeluTanh, true, false), CUBLASLT_EPILOGUE_GELU_BIAS);
  GemmDesc d = Desc(3, 5, 7);
  d.has_residual = true;
  auto plan = PlanLtGemm(d);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->beta, 1.0f);
  EXPECT_EQ(plan->compute_type, CUBLAS_COMPUTE_32F);  // No TF32 unless asked.
  d.allow_tf32 = true;
  EXPECT_EQ(PlanLtGemm(d)->compute_type, CUBLAS_COMPUTE_32F_FAST_TF32);
  d.dtype = DType::kBF16;
  d.allow_tf32 = false;
  EXPECT_EQ(PlanLtGemm(d)->data_type, CUDA_R_16BF);
}

void ExpectUnimplemented(const absl::Status& s, const std::string& text) {
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
  EXPECT_THAT(s.message(), HasSubstr(text));
}

TEST(GemmPlanTest, UnsupportedCombinationsAreUnimplemented) {
  GemmDesc d = Desc(3, 5, 7);
  d.activation = GemmActivation::kGeluErf;
  ExpectUnimplemented(PlanLtGemm(d).status(), "'gelu' (erf) has no cuBLASLt epilogue");
  d.activation = GemmActivation::kSilu;
  ExpectUnimplemented(PlanLtGemm(d).status(), "'silu' has no cuBLASLt epilogue");
  d.activation = GemmActivation::kRelu;
  d.has_residual = true;
  ExpectUnimplemented(PlanLtGemm(d).status(), "residual with an activation");
  d = Desc(3, 5, 7);
  d.dtype = DType::kF64;
  ExpectUnimplemented(PlanLtGemm(d).status(), "dtype f64 is not supported");
  ExpectUnimplemented(PlanLtGemm(Desc(3, 5, 0)).status(), "k=0");
  ExpectUnimplemented(PlanFusedMatMul(DType::kF32, {2, 1, 3, 4}, {1, 3, 4, 5}, std::nullopt,
                                      std::nullopt, false, false, 1, "none")
                          .status(),
                      "broadcasts only part of the batch");
  ExpectUnimplemented(PlanFusedMatMul(DType::kF32, {3, 4}, {4, 5}, std::nullopt,
                                      std::vector<int64_t>{1, 5}, false, false, 1, "none")
                          .status(),
                      "does not have the output's shape");
  d = Desc(3, 5, 7);
  d.dtype = DType::kF16;
  d.allow_tf32 = true;
  EXPECT_EQ(PlanLtGemm(d).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GemmPlanTest, InvalidShapesAreInvalidArgument) {
  auto expect = [](absl::Status s, const std::string& text) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(text));
  };
  expect(PlanFusedMatMul(DType::kF32, {3, 4}, {5, 6}, std::nullopt, std::nullopt, false, false,
                         1, "none").status(), "inner dimensions differ");
  expect(PlanFusedMatMul(DType::kF32, {4}, {4, 6}, std::nullopt, std::nullopt, false, false, 1,
                         "none").status(), "rank >= 2");
  expect(PlanFusedMatMul(DType::kF32, {3, 4}, {4, 6}, std::vector<int64_t>{3}, std::nullopt,
                         false, false, 1, "none").status(), "bias [3] must be [6]");
  expect(PlanFusedMatMul(DType::kF32, {2, 3, 4}, {3, 4, 6}, std::nullopt, std::nullopt, false,
                         false, 1, "none").status(), "do not broadcast");
  expect(PlanFusedMatMul(DType::kF32, {3, 4}, {4, 6}, std::nullopt, std::nullopt, false, false,
                         1, "tanh").status(), "unknown activation 'tanh'");
  expect(PlanFusedMatMul(DType::kF32, {int64_t{1} << 40, int64_t{1} << 40}, {int64_t{1} << 40, 2},
                         std::nullopt, std::nullopt, false, false, 1, "none").status(),
         "overflow");
}

TEST(GemmPlanTest, AlgoCacheKeySeesShapeTypesEpilogueAndAlignmentButNotAlpha) {
  GemmDesc base = Desc(3, 5, 7);
  const GemmAlignment al;
  const std::string key = AlgoCacheKey(*PlanLtGemm(base), al);
  GemmDesc other = base;
  other.alpha = 2.5f;
  EXPECT_EQ(AlgoCacheKey(*PlanLtGemm(other), al), key);
  std::vector<GemmDesc> differing(7, base);
  differing[0].m = 4;
  differing[1].trans_b = true;
  differing[2].dtype = DType::kF16;
  differing[3].allow_tf32 = true;
  differing[4].activation = GemmActivation::kRelu;
  differing[5].has_residual = true;
  differing[6].batch_count = 2;
  differing[6].stride_d = 15;
  std::set<std::string> keys = {key};
  for (const GemmDesc& d : differing) {
    auto plan = PlanLtGemm(d);
    ASSERT_TRUE(plan.ok()) << plan.status();
    keys.insert(AlgoCacheKey(*plan, al));
  }
  GemmAlignment odd;
  odd.a = 2;
  keys.insert(AlgoCacheKey(*PlanLtGemm(base), odd));
  EXPECT_EQ(keys.size(), differing.size() + 2);
}

TEST(GemmPlanTest, PointerAlignment) {
  EXPECT_EQ(PointerAlignment(nullptr), 256);
  EXPECT_EQ(PointerAlignment(reinterpret_cast<const void*>(0x1000)), 256);
  EXPECT_EQ(PointerAlignment(reinterpret_cast<const void*>(0x1008)), 8);
  EXPECT_EQ(PointerAlignment(reinterpret_cast<const void*>(0x1002)), 2);
}

}  // namespace
}  // namespace kiln::cuda
