// The device-executability predicate (lower_device.h) the GPU runtime also calls, and
// CublasLtRefusal's restatement of runtime/cuda/gemm_plan.h's rules.
#include "passes/lower_device.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "passes/passes.h"

namespace kiln {
namespace {

const Node* Find(const Graph& g, absl::string_view output) {
  for (const Node* n : g.nodes()) {
    if (n->output(0)->name() == output) return n;
  }
  return nullptr;
}

TEST(LowerDeviceTest, ExecutableKinds) {
  auto g = ParseGraph(R"(graph main(%x: f32[b,4], %w: f32[4,4]) {
  %shape: i64[2] = DimValues() {value=dims[b, 4]}
  %r: f32[b,4] = Reshape(%x, %shape)
  %t: f32[4,b] = Transpose(%x) {perm=[1, 0]}
  %m: f32[b,4] = MatMul(%x, %w)
  %f: f32[b,4] = FusedMatMul(%x, %w)
  %c: f32[2*b,4] = Concat(%r, %f) {axis=0}
  return %r, %t, %m, %c
})");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_TRUE(IsDeviceExecutable(*Find(**g, "shape")));
  EXPECT_TRUE(IsHostValueNode(*Find(**g, "shape")));
  EXPECT_TRUE(IsDeviceExecutable(*Find(**g, "r")));
  EXPECT_TRUE(IsDeviceExecutable(*Find(**g, "f")));
  EXPECT_FALSE(IsDeviceExecutable(*Find(**g, "t")));
  EXPECT_FALSE(IsDeviceExecutable(*Find(**g, "m")));
  EXPECT_FALSE(IsDeviceExecutable(*Find(**g, "c")));
  absl::Status s = CheckDeviceExecutable(**g);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "3 node(s)")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "Transpose")) << s;
}

TEST(LowerDeviceTest, CublasLtEpilogueAndBatchRules) {
  auto g = ParseGraph(R"(graph main(%x: f32[b,3,4], %w: f32[4,5], %r: f32[b,3,5], %bias: f32[5],
                                 %r2: f32[3,5], %p: f32[2,1,3,4], %q: f32[1,7,4,5]) {
  %ok_bias_gelu_tanh: f32[b,3,5] = FusedMatMul(%x, %w, %bias) {activation="gelu_tanh"}
  %ok_residual: f32[b,3,5] = FusedMatMul(%x, %w, %bias, %r)
  %erf: f32[b,3,5] = FusedMatMul(%x, %w) {activation="gelu"}
  %silu: f32[b,3,5] = FusedMatMul(%x, %w) {activation="silu"}
  %relu_residual: f32[b,3,5] = FusedMatMul(%x, %w, none, %r) {activation="relu"}
  %small_residual: f32[b,3,5] = FusedMatMul(%x, %w, none, %r2)
  %partial: f32[2,7,3,5] = FusedMatMul(%p, %q)
  return %ok_bias_gelu_tanh, %ok_residual, %erf, %silu, %relu_residual, %small_residual, %partial
})");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(CublasLtRefusal(*Find(**g, "ok_bias_gelu_tanh")), std::nullopt);
  EXPECT_EQ(CublasLtRefusal(*Find(**g, "ok_residual")), std::nullopt);
  for (const char* bad : {"erf", "silu", "relu_residual", "small_residual", "partial"}) {
    SCOPED_TRACE(bad);
    std::optional<std::string> why = CublasLtRefusal(*Find(**g, bad));
    ASSERT_TRUE(why.has_value());
    EXPECT_FALSE(IsDeviceExecutable(*Find(**g, bad)));
  }
  EXPECT_TRUE(absl::StrContains(*CublasLtRefusal(*Find(**g, "partial")), "part of the batch"));
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// 16-bit erf-GELU epilogues take cuBLASLt's tanh form (one GEMM, no kernel) unless exact_gelu;
// an f32 one always stays erf, split into GEMM + kernel.
TEST(LowerDeviceTest, SixteenBitErfGeluUsesTheTanhEpilogueUnlessExact) {
  constexpr char kText[] = R"(graph main(%x: f16[b,4], %w: f16[4,6], %bias: f16[6], %xf: f32[b,4], %wf: f32[4,6]) {
  %h: f16[b,6] = FusedMatMul(%x, %w, %bias) {activation="gelu"}
  %f: f32[b,6] = FusedMatMul(%xf, %wf) {activation="gelu"}
  return %h, %f
})";
  for (bool exact : {false, true}) {
    auto g = ParseGraph(kText);
    ASSERT_TRUE(g.ok()) << g.status();
    PassContext ctx;
    ctx.precision = DType::kF16;
    ctx.exact_gelu = exact;
    ASSERT_TRUE(CreateLowerDevice()->Run(**g, ctx).ok());
    int tanh_gemms = 0, kernels = 0;
    for (const Node* n : (*g)->nodes()) {
      tanh_gemms += n->op() == OpKind::kFusedMatMul && n->attr_string("activation") == "gelu_tanh";
      kernels += n->op() == OpKind::kFusedKernel;
    }
    EXPECT_EQ(tanh_gemms, exact ? 0 : 1);
    EXPECT_EQ(kernels, exact ? 2 : 1);  // The f32 GELU always runs as a kernel.
    EXPECT_TRUE(CheckDeviceExecutable(**g).ok());
  }
}

}  // namespace
}  // namespace kiln
