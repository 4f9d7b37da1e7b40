// cuBLASLt GEMM against the reference FusedMatMul kernel; skipped where there is no GPU.
#include "runtime/cuda/gemm.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cuda/cuda_status.h"
#include "runtime/cuda/device.h"
#include "runtime/reference/contraction_test_util.h"

namespace kiln::cuda {
namespace {

using ::testing::HasSubstr;
using reference::testing::RunOp;

struct Problem {
  std::vector<int64_t> a, b;
  bool ta = false, tb = false;
  bool bias = false, residual = false;
  float alpha = 1;
  std::string act = "none";
  float scale = 1;  // Of the a values: larger spreads the activations' inputs.
};

std::string Describe(const Problem& p) {
  return ::testing::PrintToString(p.a) + (p.ta ? "^T" : "") + " @ " +
         ::testing::PrintToString(p.b) + (p.tb ? "^T" : "") + " act=" + p.act +
         (p.bias ? " +bias" : "") + (p.residual ? " +residual" : "");
}

// Deterministic values in [-scale, scale) as a tensor of `dtype`.
Tensor Random(DType dtype, std::vector<int64_t> shape, uint32_t seed, float scale = 1) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v;
  uint32_t x = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    v.push_back(scale * (static_cast<float>(x >> 8) / 8388608.0f - 1.0f));
  }
  switch (dtype) {
    case DType::kF16: return reference::testing::Of<Half>(v, std::move(shape));
    case DType::kBF16: return reference::testing::Of<BFloat16>(v, std::move(shape));
    default: return reference::testing::F32(v, std::move(shape));
  }
}

double RelL2(const Tensor& got, const Tensor& want) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    const double d = got.GetAsDouble(i) - want.GetAsDouble(i);
    num += d * d;
    den += want.GetAsDouble(i) * want.GetAsDouble(i);
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

class GemmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dev = QueryDevice(0);
    if (!dev.ok()) GTEST_SKIP() << "no GPU here: " << dev.status().message();
    auto runner = GemmRunner::Create();
    ASSERT_TRUE(runner.ok()) << runner.status();
    runner_ = std::move(*runner);
  }

  // Runs `p` on the GPU and returns it with the reference result for `ref_act`. `out` is the
  // output dtype (FusedMatMul's `to`; kUndefined: dtype), also that of bias and residual.
  absl::StatusOr<std::pair<Tensor, Tensor>> RunBoth(DType dtype, const Problem& p,
                                                    bool tf32 = false,
                                                    std::string ref_act = "",
                                                    DType out = DType::kUndefined) {
    const DType od = out == DType::kUndefined ? dtype : out;
    const Tensor a = Random(dtype, p.a, 1, p.scale), b = Random(dtype, p.b, 2);
    Tensor bias, residual;
    std::vector<int64_t> out_shape;
    if (p.bias) bias = Random(od, {p.tb ? p.b[p.b.size() - 2] : p.b.back()}, 3);
    Attributes attrs;
    attrs.Set("trans_a", int64_t{p.ta});
    attrs.Set("trans_b", int64_t{p.tb});
    attrs.Set("alpha", p.alpha);
    attrs.Set("activation", ref_act.empty() ? p.act : ref_act);
    if (out != DType::kUndefined) attrs.Set("to", std::string(DTypeName(out)));
    ASSIGN_OR_RETURN(auto plain, RunOp(OpKind::kFusedMatMul, {a, b}, attrs));
    if (p.residual) residual = Random(od, plain[0].shape(), 4);
    std::vector<Tensor> inputs = {a, b};
    if (p.bias || p.residual) inputs.push_back(bias);  // Undefined: absent.
    if (p.residual) inputs.push_back(residual);
    ASSIGN_OR_RETURN(auto want, RunOp(OpKind::kFusedMatMul, inputs, attrs));
    auto shape_of = [](const Tensor& t) -> std::optional<std::vector<int64_t>> {
      if (!t.defined()) return std::nullopt;
      return t.shape();
    };
    ASSIGN_OR_RETURN(GemmDesc desc, PlanFusedMatMul(dtype, p.a, p.b, shape_of(bias),
                                                    shape_of(residual), p.ta, p.tb, p.alpha,
                                                    p.act, tf32, out));
    ASSIGN_OR_RETURN(DeviceBuffer da, DeviceBuffer::FromTensor(a));
    ASSIGN_OR_RETURN(DeviceBuffer db, DeviceBuffer::FromTensor(b));
    ASSIGN_OR_RETURN(DeviceBuffer dbias, DeviceBuffer::FromTensor(bias));
    ASSIGN_OR_RETURN(DeviceBuffer dres, DeviceBuffer::FromTensor(residual));
    ASSIGN_OR_RETURN(DeviceBuffer dout, DeviceBuffer::Allocate(want[0].nbytes()));
    GemmOperands ops{da.data(), db.data(), dbias.data(), dres.data(), dout.data()};
    RETURN_IF_ERROR(runner_->Run(desc, ops));
    KILN_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
    ASSIGN_OR_RETURN(Tensor got, dout.ToTensor(od, want[0].shape()));
    return std::make_pair(std::move(got), std::move(want[0]));
  }

  // Checks `p` in each float dtype at Kiln's tolerances (1e-4 for f32, 1e-2 for 16-bit).
  void CheckAllDTypes(const Problem& p) {
    for (auto [dtype, tol] : {std::pair{DType::kF32, 1e-4}, std::pair{DType::kF16, 1e-2},
                              std::pair{DType::kBF16, 1e-2}}) {
      SCOPED_TRACE(std::string(DTypeName(dtype)) + " " + Describe(p));
      auto r = RunBoth(dtype, p);
      ASSERT_TRUE(r.ok()) << r.status();
      const double err = RelL2(r->first, r->second);
      // Visible in --gtest_output reports, for the record of how close each path comes.
      RecordProperty(std::string(DTypeName(dtype)) + " " + Describe(p), std::to_string(err));
      EXPECT_LE(err, tol);
    }
  }

  std::unique_ptr<GemmRunner> runner_;
};

TEST_F(GemmTest, OddSizesEveryTransposeWithBiasAndRelu) {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      Problem p;
      p.a = ta ? std::vector<int64_t>{7, 3} : std::vector<int64_t>{3, 7};
      p.b = tb ? std::vector<int64_t>{5, 7} : std::vector<int64_t>{7, 5};
      p.ta = ta;
      p.tb = tb;
      CheckAllDTypes(p);
      p.bias = true;
      p.act = "relu";
      p.alpha = 0.75f;
      CheckAllDTypes(p);
    }
  }
}

TEST_F(GemmTest, BatchedBroadcastForms) {
  CheckAllDTypes({{2, 3, 3, 7}, {7, 5}, false, false, true});        // Batch folded into m.
  CheckAllDTypes({{4, 7, 3}, {7, 5}, true, false, true, false, 1, "relu"});  // b stride 0.
  CheckAllDTypes({{3, 7}, {4, 5, 7}, false, true, true});            // a stride 0.
  CheckAllDTypes({{2, 3, 7}, {2, 7, 5}, false, false, true, false, 2, "gelu_tanh"});
  CheckAllDTypes({{2, 1, 33, 65}, {1, 65, 17}});
}

TEST_F(GemmTest, ResidualThroughBeta) {
  CheckAllDTypes({{2, 3, 7}, {7, 5}, false, false, true, true, 0.5f});
  CheckAllDTypes({{3, 7}, {2, 5, 7}, false, true, false, true});
}

TEST_F(GemmTest, GeluEpilogueIsTheTanhApproximation) {
  // Inputs spread to |x| ~ 2-3, where the tanh and erf forms differ by ~1e-4 relative.
  Problem p{{16, 32}, {32, 24}, false, false, true, false, 1, "gelu_tanh", 1.5f};
  CheckAllDTypes(p);
  auto tanh_form = RunBoth(DType::kF32, p);
  auto erf_form = RunBoth(DType::kF32, p, false, "gelu");
  ASSERT_TRUE(tanh_form.ok() && erf_form.ok());
  EXPECT_LT(RelL2(tanh_form->first, tanh_form->second),
            RelL2(erf_form->first, erf_form->second) / 10);
}

TEST_F(GemmTest, LargerShapesAndTf32OnlyWhenAsked) {
  CheckAllDTypes({{64, 96}, {96, 128}, false, false, true, false, 1, "relu"});
  auto tf32 = RunBoth(DType::kF32, {{64, 256}, {256, 128}}, /*tf32=*/true);
  ASSERT_TRUE(tf32.ok()) << tf32.status();
  EXPECT_LE(RelL2(tf32->first, tf32->second), 1e-3);
}

TEST_F(GemmTest, CachesOneAlgorithmPerShape) {
  const Problem p{{3, 7}, {7, 5}};
  ASSERT_TRUE(RunBoth(DType::kF32, p).ok());
  const size_t after_first = runner_->cached_algorithms();
  EXPECT_GE(after_first, 1u);
  ASSERT_TRUE(RunBoth(DType::kF32, p).ok());
  EXPECT_EQ(runner_->cached_algorithms(), after_first);
  ASSERT_TRUE(RunBoth(DType::kF32, {{4, 7}, {7, 5}}).ok());
  EXPECT_EQ(runner_->cached_algorithms(), after_first + 1);
}

// Operands at odd offsets inside one arena (as a memory plan may place them): the alignment
// preferences must steer the heuristic to kernels that accept them.
TEST_F(GemmTest, MisalignedOperandsInOneArena) {
  const Tensor a = Random(DType::kF16, {3, 7}, 1), b = Random(DType::kF16, {7, 5}, 2);
  auto want = RunOp(OpKind::kFusedMatMul, {a, b});
  ASSERT_TRUE(want.ok()) << want.status();
  auto arena = DeviceBuffer::Allocate(1024);
  ASSERT_TRUE(arena.ok()) << arena.status();
  const size_t a_at = 2, b_at = 2 + 64 + 4, d_at = 512 + 6;  // 2-byte aligned only.
  ASSERT_TRUE(arena->CopyFromHost(a.raw_data(), a.nbytes(), a_at).ok());
  ASSERT_TRUE(arena->CopyFromHost(b.raw_data(), b.nbytes(), b_at).ok());
  auto desc = PlanFusedMatMul(DType::kF16, {3, 7}, {7, 5}, std::nullopt, std::nullopt, false,
                              false, 1, "none");
  ASSERT_TRUE(desc.ok()) << desc.status();
  char* base = static_cast<char*>(arena->data());
  ASSERT_TRUE(runner_->Run(*desc, {base + a_at, base + b_at, nullptr, nullptr, base + d_at}).ok());
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  auto got = Tensor::Zeros(DType::kF16, {3, 5});
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(arena->CopyToHost(got->raw_data(), got->nbytes(), d_at).ok());
  EXPECT_LE(RelL2(*got, (*want)[0]), 1e-2);
}

// FusedMatMul {to="f32"} on f16/bf16 operands (a Cast folded into the GEMM): D, bias and
// residual are f32 and D is never rounded to 16 bits. The reference accumulates in f32 too, so
// only summation order differs: 1e-4, below the ~3e-4 a 16-bit rounding of D would add. The
// shapes include an odd N stored both ways (align-gemm-weights stores it [N, K], trans_b).
TEST_F(GemmTest, Float32OutputFromHalfOperands) {
  const std::vector<Problem> problems = {
      {{33, 64}, {64, 37}},
      {{33, 64}, {37, 64}, false, true},
      {{2, 9, 64}, {37, 64}, false, true, true, false, 1, "relu"},
      {{2, 9, 64}, {64, 40}, false, false, true, false, 0.5f, "gelu_tanh"},
      {{17, 64}, {64, 24}, false, false, false, true},
      {{16, 128}, {50257, 128}, false, true},  // GPT-2's vocabulary, narrower K and M.
  };
  for (DType dtype : {DType::kF16, DType::kBF16}) {
    for (const Problem& p : problems) {
      SCOPED_TRACE(std::string(DTypeName(dtype)) + "->f32 " + Describe(p));
      auto r = RunBoth(dtype, p, false, "", DType::kF32);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->first.dtype(), DType::kF32);
      ASSERT_EQ(r->second.dtype(), DType::kF32);
      const double err = RelL2(r->first, r->second);
      RecordProperty(std::string(DTypeName(dtype)) + "->f32 " + Describe(p), std::to_string(err));
      EXPECT_LE(err, 1e-4);
    }
  }
}

TEST_F(GemmTest, RejectsUnsupportedAndMissingOperands) {
  GemmDesc d;
  d.m = 3;
  d.n = 5;
  d.k = 7;
  d.activation = GemmActivation::kSilu;
  EXPECT_EQ(runner_->Run(d, {}).code(), absl::StatusCode::kUnimplemented);
  d.activation = GemmActivation::kNone;
  EXPECT_THAT(runner_->Run(d, {}).message(), HasSubstr("must be device pointers"));
  auto buf = DeviceBuffer::Allocate(1024);
  ASSERT_TRUE(buf.ok());
  d.has_bias = true;
  GemmOperands ops{buf->data(), buf->data(), nullptr, nullptr, buf->data()};
  EXPECT_THAT(runner_->Run(d, ops).message(), HasSubstr("bias pointer disagrees"));
}

}  // namespace
}  // namespace kiln::cuda
