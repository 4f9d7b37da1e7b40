// The plan-wide index width: upper bounds of dims at the symbol bounds (interval arithmetic,
// overflow and unbounded symbols refused), the element-count bound over a graph and its fused
// bodies, and the module prelude's kiln_idx for each width (both compile with NVRTC).
#include "codegen/index_width.h"

#include "absl/strings/match.h"
#include "codegen/kernel_emitter.h"
#include "codegen/nvrtc_compiler.h"
#include "gtest/gtest.h"
#include "ir/parser.h"

namespace kiln {
namespace {

std::optional<int64_t> Upper(absl::string_view text, const SymbolBounds& bounds) {
  absl::StatusOr<DimExpr> d = DimExpr::Parse(text);
  EXPECT_TRUE(d.ok()) << d.status();
  return DimUpperBound(*d, bounds);
}

TEST(IndexWidthTest, DimUpperBoundsHoldOverTheWholeBox) {
  SymbolBounds b = {{"batch", 8}, {"seq", 512}, {"past", 100}};
  EXPECT_EQ(Upper("7", b), 7);
  EXPECT_EQ(Upper("batch*seq*64", b), 8 * 512 * 64);
  EXPECT_EQ(Upper("past+seq", b), 612);
  EXPECT_EQ(Upper("seq-1", b), 511);
  // Not monotone: the largest value is at seq = 0, not at the bound.
  EXPECT_EQ(Upper("1024-seq", b), 1024);
  EXPECT_EQ(Upper("div(seq,2)", b), 256);
  EXPECT_EQ(Upper("mod(seq,8)", b), 7);
  EXPECT_EQ(Upper("min(seq,100)", b), 100);
  EXPECT_EQ(Upper("max(seq,1000)", b), 1000);
  EXPECT_EQ(Upper("2*max(past,seq)-batch", b), 1024);
  // A symbol without a bound, and arithmetic past int64, prove nothing.
  EXPECT_EQ(Upper("heads*seq", b), std::nullopt);
  SymbolBounds huge = {{"a", int64_t{1} << 40}, {"b", int64_t{1} << 40}};
  EXPECT_EQ(Upper("a*b", huge), std::nullopt);
  // A divisor that may be 0 proves nothing.
  EXPECT_EQ(Upper("div(seq,past-1)", b), std::nullopt);
}

constexpr char kGraph[] = R"(
graph main(%x: f32[batch,seq,64]) {
  %y: f32[batch,seq,64] = FusedKernel(%x) @fused_relu body
    graph fused(%x: f32[batch,seq,64]) {
      %y: f32[batch,seq,64] = Relu(%x) @relu
      return %y
    }
  return %y
}
)";

// A body whose intermediate (the expanded [batch,seq,64,1024]) is larger than any outer value.
constexpr char kLargeBody[] = R"(
graph main(%x: f32[batch,seq,64]) {
  %y: f32[batch,seq,64,1] = FusedKernel(%x) @fused_big body
    graph fused(%x: f32[batch,seq,64]) {
      %ax: i64[1] = Constant() {value=tensor<i64[1]> [3]}
      %u: f32[batch,seq,64,1] = Unsqueeze(%x, %ax)
      %shape: i64[4] = Constant() {value=tensor<i64[4]> [1, 1, 1, 1024]}
      %e: f32[batch,seq,64,1024] = Expand(%u, %shape)
      %st: i64[1] = Constant() {value=tensor<i64[1]> [0]}
      %en: i64[1] = Constant() {value=tensor<i64[1]> [1]}
      %y: f32[batch,seq,64,1] = Slice(%e, %st, %en, %ax)
      return %y
    }
  return %y
}
)";

TEST(IndexWidthTest, ThirtyTwoBitsOnlyWhenEveryTensorFits) {
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(kGraph);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(MaxElementsAtBounds(**g, {{"batch", 8}, {"seq", 512}}), 8 * 512 * 64);
  EXPECT_EQ(ChooseIndexWidth(**g, {{"batch", 8}, {"seq", 512}}), IndexWidth::k32);
  // 2^15 * 2^10 * 64 = 2^31 elements: one too many for a signed 32-bit offset.
  EXPECT_EQ(ChooseIndexWidth(**g, {{"batch", 1 << 15}, {"seq", 1 << 10}}), IndexWidth::k64);
  EXPECT_EQ(ChooseIndexWidth(**g, {{"batch", (1 << 15) - 1}, {"seq", 1 << 10}}),
            IndexWidth::k32);
  // Unbounded (no bounds at all, as for kernels emitted outside a plan): 64-bit.
  EXPECT_EQ(ChooseIndexWidth(**g, {}), IndexWidth::k64);
  EXPECT_EQ(ChooseIndexWidth(**g, {{"batch", 8}}), IndexWidth::k64);

  absl::StatusOr<std::unique_ptr<Graph>> big = ParseGraph(kLargeBody);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(MaxElementsAtBounds(**big, {{"batch", 8}, {"seq", 512}}), 8 * 512 * 64 * 1024);
  EXPECT_EQ(ChooseIndexWidth(**big, {{"batch", 8}, {"seq", 512}}), IndexWidth::k32);
  EXPECT_EQ(ChooseIndexWidth(**big, {{"batch", 64}, {"seq", 512}}), IndexWidth::k64);
}

TEST(IndexWidthTest, ModulePreludeDefinesTheIndexTypeAndBothCompile) {
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(kGraph);
  ASSERT_TRUE(g.ok()) << g.status();
  absl::StatusOr<EmittedKernel> k = EmitKernel(**(*g)->nodes().begin());
  ASSERT_TRUE(k.ok()) << k.status();
  // The kernel itself is width-agnostic: all its index arithmetic is in kiln_idx, the loop
  // counter kiln_uidx, and the host's 64-bit params are cast where read.
  EXPECT_FALSE(absl::StrContains(k->source, "kiln_i64")) << k->source;
  EXPECT_TRUE(absl::StrContains(k->source, "for (kiln_uidx flat_u = ")) << k->source;
  EXPECT_TRUE(absl::StrContains(k->source, "const kiln_idx flat = (kiln_idx)flat_u;"));
  EXPECT_TRUE(absl::StrContains(k->source, "% (kiln_uidx)p.out_dims[1]")) << k->source;
  EXPECT_TRUE(absl::StrContains(k->source, "(kiln_idx)(flat_u % (kiln_uidx)64)")) << k->source;
  std::string s32 = BuildModuleSource({*k}, IndexWidth::k32);
  std::string s64 = BuildModuleSource({*k});
  EXPECT_TRUE(absl::StrContains(s32, "typedef int kiln_idx;\ntypedef unsigned int kiln_uidx;"));
  EXPECT_TRUE(absl::StrContains(
      s64, "typedef long long kiln_idx;\ntypedef unsigned long long kiln_uidx;"));
  EXPECT_FALSE(absl::StrContains(s64, "typedef int kiln_idx;"));
  for (const std::string& source : {s32, s64}) {
    absl::StatusOr<CompiledModule> m = CompileCuda(source, "width.cu", NvrtcOptions{});
    EXPECT_TRUE(m.ok()) << m.status();
  }
}

}  // namespace
}  // namespace kiln
