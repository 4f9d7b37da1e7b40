#include "codegen/attention_emitter.h"

#include "absl/strings/str_cat.h"
#include "codegen/nvrtc_compiler.h"
#include "codegen/prelude.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AttentionConfig Config(DType dtype, bool bsd, int head, const std::string& mask) {
  AttentionConfig c;
  c.dtype = dtype;
  c.bsd = bsd;
  c.head_dim = c.v_head_dim = head;
  c.scale = 0.125f;
  c.causal = mask == "causal" || mask == "both";
  if (mask == "padding" || mask == "both") c.key_mask_dtype = DType::kI64;
  return c;
}

TEST(AttentionEmitterTest, EveryConfigurationCompilesWithNvrtc) {
  // Each dtype, layout, head size and mask kind at least once (GQA is a launch parameter).
  struct Variant {
    DType dtype;
    bool bsd;
    int head;
    const char* mask;
    bool bias, uniform;
  };
  const Variant variants[] = {
      {DType::kF32, false, 64, "none", false, false},
      {DType::kF32, true, 80, "padding", true, true},
      {DType::kF32, false, 128, "causal", false, false},
      {DType::kF16, true, 64, "both", false, true},
      {DType::kF16, false, 80, "none", true, false},
      {DType::kF16, true, 128, "padding", false, false},
      {DType::kBF16, false, 64, "causal", true, false},
      {DType::kBF16, true, 128, "both", false, true},
  };
  std::vector<EmittedAttention> kernels;
  for (const Variant& v : variants) {
    AttentionConfig c = Config(v.dtype, v.bsd, v.head, v.mask);
    c.uniform_empty = v.uniform;
    if (v.bias) c.bias_dtype = v.dtype;
    auto k = EmitAttentionKernel(c, absl::StrCat("attn", kernels.size()));
    ASSERT_TRUE(k.ok()) << k.status();
    kernels.push_back(*std::move(k));
  }
  std::string source = CudaPrelude();
  for (const EmittedAttention& k : kernels) source += k.source + "\n";
  auto m = CompileCuda(source, "attention.cu", NvrtcOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->cubin.empty());
}

TEST(AttentionEmitterTest, SourceCarriesTheSpecialisation) {
  AttentionConfig c = Config(DType::kF16, true, 80, "both");
  c.bias_dtype = DType::kF32;
  c.uniform_empty = true;
  auto k = EmitAttentionKernel(c, "attn_x");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_THAT(k->source, HasSubstr("attn_x(const kiln_half* __restrict__ q"));
  EXPECT_THAT(k->source, HasSubstr("constexpr int D = 80, DV = 80"));
  EXPECT_THAT(k->source, HasSubstr("key_mask[b * Skv + j]"));
  EXPECT_THAT(k->source, HasSubstr("j <= i + Skv - Sq"));
  EXPECT_THAT(k->source, HasSubstr("0.125f"));
  EXPECT_THAT(k->source, HasSubstr("const float* __restrict__ bias"));
  EXPECT_THAT(k->source, HasSubstr("out /= (float)Skv"));  // Uniform empty rows.
  EXPECT_THAT(k->source, Not(HasSubstr("$")));
}

TEST(AttentionEmitterTest, RejectsWhatTheKernelDoesNotCover) {
  AttentionConfig big = Config(DType::kF32, false, 160, "none");
  EXPECT_EQ(EmitAttentionKernel(big, "a").status().code(), absl::StatusCode::kUnimplemented);
  AttentionConfig f64 = Config(DType::kF64, false, 64, "none");
  EXPECT_EQ(EmitAttentionKernel(f64, "a").status().code(), absl::StatusCode::kUnimplemented);
}

TEST(AttentionEmitterTest, ConfigComesFromTheNode) {
  Graph g;
  DimExpr b = DimExpr::Symbol("batch"), s = DimExpr::Symbol("seq");
  Value* q = g.AddInput("q", {DType::kF16, {b, s, DimExpr(8 * 64)}});
  Value* kv = g.AddInput("kv", {DType::kF16, {b, s, DimExpr(2 * 64)}});
  Value* mask = g.AddInput("mask", {DType::kI64, {b, s}});
  Attributes a;
  a.Set("num_heads", int64_t{8});
  a.Set("kv_num_heads", int64_t{2});
  a.Set("scale", 0.5f);
  a.Set("mask", std::string("both"));
  a.Set("layout", std::string("bsd"));
  a.Set("empty_rows", std::string("uniform"));
  Node* n = g.AddNode(OpKind::kFusedAttention, {q, kv, kv, mask}, 1, a, "attn");
  g.AddOutput(n->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto c = AttentionConfigFor(*n);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->bsd);
  EXPECT_TRUE(c->causal);
  EXPECT_TRUE(c->uniform_empty);
  EXPECT_EQ(c->head_dim, 64);
  EXPECT_EQ(c->v_head_dim, 64);
  EXPECT_EQ(c->key_mask_dtype, DType::kI64);
  EXPECT_EQ(c->bias_dtype, DType::kUndefined);
  EXPECT_EQ(c->dtype, DType::kF16);
  EXPECT_FLOAT_EQ(c->scale, 0.5f);
}

}  // namespace
}  // namespace kiln
