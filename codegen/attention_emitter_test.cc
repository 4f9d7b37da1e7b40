#include "codegen/attention_emitter.h"

#include <chrono>
#include <cstdio>

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

// One variant: dtype, layout, q/k and v head sizes, mask kind, bias, uniform empty rows.
struct Variant {
  DType dtype;
  bool bsd;
  int head, v_head;
  const char* mask;
  bool bias, uniform;
};

// Emits every variant into one module and compiles it with NVRTC for sm_90; returns the
// kernels (empty on failure, with the failure recorded).
std::vector<EmittedAttention> CompileAll(const std::vector<Variant>& variants) {
  std::vector<EmittedAttention> kernels;
  for (const Variant& v : variants) {
    AttentionConfig c = Config(v.dtype, v.bsd, v.head, v.mask);
    c.v_head_dim = v.v_head;
    c.uniform_empty = v.uniform;
    if (v.bias) c.bias_dtype = v.dtype;
    auto k = EmitAttentionKernel(c, absl::StrCat("attn", kernels.size()));
    EXPECT_TRUE(k.ok()) << k.status();
    if (!k.ok()) return {};
    kernels.push_back(*std::move(k));
  }
  std::string source = CudaPrelude();
  for (const EmittedAttention& k : kernels) source += k.source + "\n";
  auto m = CompileCuda(source, "attention.cu", NvrtcOptions{.arch = "sm_90"});
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return {};
  EXPECT_FALSE(m->cubin.empty());
  return kernels;
}

TEST(AttentionEmitterTest, EveryConfigurationCompilesWithNvrtc) {
  // Each dtype, layout, head size and mask kind at least once (GQA is a launch parameter).
  const std::vector<Variant> variants = {
      {DType::kF32, false, 64, 64, "none", false, false},
      {DType::kF32, true, 80, 80, "padding", true, true},
      {DType::kF32, false, 128, 128, "causal", false, false},
      {DType::kF16, true, 64, 64, "both", false, true},
      {DType::kF16, false, 80, 80, "none", true, false},
      {DType::kF16, true, 128, 128, "padding", false, false},
      {DType::kF16, false, 72, 72, "both", true, true},  // Not a multiple of 16: CUDA cores.
      {DType::kBF16, false, 64, 64, "causal", true, false},
      {DType::kBF16, true, 128, 128, "both", false, true},
      {DType::kBF16, true, 40, 40, "padding", false, false},  // CUDA cores.
  };
  const std::vector<EmittedAttention> kernels = CompileAll(variants);
  ASSERT_EQ(kernels.size(), variants.size());
  for (size_t i = 0; i < kernels.size(); ++i) {
    const Variant& v = variants[i];
    EXPECT_EQ(kernels[i].tensor_cores, v.dtype != DType::kF32 && v.head % 16 == 0) << i;
  }
}

// Every head size the tensor-core kernel takes, q/k and v sizes apart, both 16-bit dtypes,
// every mask kind, bias and both empty-row modes, both layouts.
TEST(AttentionEmitterTest, EveryTensorCoreConfigurationCompilesWithNvrtc) {
  std::vector<Variant> variants;
  const char* masks[] = {"none", "padding", "causal", "both"};
  int i = 0;
  for (int head = 16; head <= 128; head += 16) {
    const DType dtype = i % 3 == 2 ? DType::kBF16 : DType::kF16;
    variants.push_back({dtype, i % 2 == 1, head, head, masks[i % 4], i % 3 == 0, i % 5 == 0});
    ++i;
  }
  variants.push_back({DType::kBF16, false, 64, 64, "none", false, false});
  variants.push_back({DType::kF16, false, 128, 64, "both", true, true});
  variants.push_back({DType::kBF16, true, 64, 128, "padding", false, true});
  const std::vector<EmittedAttention> kernels = CompileAll(variants);
  ASSERT_EQ(kernels.size(), variants.size());
  for (const EmittedAttention& k : kernels) {
    EXPECT_TRUE(k.tensor_cores) << k.name;
    EXPECT_EQ(k.query_tile, 64) << k.name;
    EXPECT_EQ(k.block_size, 128) << k.name;
    EXPECT_THAT(k.source, HasSubstr("mma.sync.aligned.m16n8k16"));
    EXPECT_THAT(k.source, Not(HasSubstr("#include")));
    EXPECT_THAT(k.source, Not(HasSubstr("$")));
  }
}

TEST(AttentionEmitterTest, TensorCoreCompileIsFast) {
  AttentionConfig c = Config(DType::kF16, false, 64, "padding");
  auto k = EmitAttentionKernel(c, "attn_fast");
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_TRUE(k->tensor_cores);
  const auto start = std::chrono::steady_clock::now();
  auto m = CompileCuda(CudaPrelude() + k->source, "attention.cu", NvrtcOptions{});
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(m.ok()) << m.status();
  std::printf("[nvrtc] tensor-core attention (f16, D64, padding): %.0f ms\n", ms);
  EXPECT_LT(ms, 5000.0);  // Generous: the shared CI machine is slow; typical is a few 100 ms.
}

TEST(AttentionEmitterTest, SourceCarriesTheSpecialisation) {
  AttentionConfig c = Config(DType::kF32, true, 80, "both");
  c.bias_dtype = DType::kF32;
  c.uniform_empty = true;
  auto k = EmitAttentionKernel(c, "attn_x");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_FALSE(k->tensor_cores);
  EXPECT_EQ(k->query_tile, kAttentionQueryTile);
  EXPECT_THAT(k->source, HasSubstr("attn_x(const float* __restrict__ q"));
  EXPECT_THAT(k->source, HasSubstr("constexpr int D = 80, DV = 80"));
  EXPECT_THAT(k->source, HasSubstr("key_mask[b * Skv + j]"));
  EXPECT_THAT(k->source, HasSubstr("j <= i + Skv - Sq"));
  EXPECT_THAT(k->source, HasSubstr("0.125f"));
  EXPECT_THAT(k->source, HasSubstr("const float* __restrict__ bias"));
  EXPECT_THAT(k->source, HasSubstr("out /= (float)Skv"));  // Uniform empty rows.
  EXPECT_THAT(k->source, Not(HasSubstr("$")));
}

TEST(AttentionEmitterTest, TensorCoreSourceCarriesTheSpecialisation) {
  AttentionConfig c = Config(DType::kBF16, true, 80, "both");
  c.v_head_dim = 48;
  c.bias_dtype = DType::kF16;
  c.uniform_empty = true;
  auto k = EmitAttentionKernel(c, "attn_t");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(k->tensor_cores);
  EXPECT_THAT(k->source, HasSubstr("attn_t(const kiln_bf16* __restrict__ q"));
  EXPECT_THAT(k->source, HasSubstr("constexpr int D = 80, DV = 48"));
  EXPECT_THAT(k->source, HasSubstr("kiln_mma_bf16(s[n]"));
  EXPECT_THAT(k->source, HasSubstr("key_mask[b * Skv + j]"));
  EXPECT_THAT(k->source, HasSubstr("j <= i + Skv - Sq"));
  EXPECT_THAT(k->source, HasSubstr("0.180336"));  // 0.125 * log2(e): softmax in base 2.
  EXPECT_THAT(k->source, HasSubstr("const kiln_half* __restrict__ bias"));
  EXPECT_THAT(k->source, HasSubstr("out0 /= (float)Skv"));  // Uniform empty rows.
  // bsd: rows of one head are p.row_stride[0] apart (Hq * D, or a packed QKV row).
  EXPECT_THAT(k->source, HasSubstr("q_stride = p.row_stride[0]"));
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
