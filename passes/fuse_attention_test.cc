// Pass-level tests of fuse-attention and fuse-rotary: what they refuse and the notes they leave
// (the rewrites themselves are covered by tests/golden/fuse-*/ and tests/attention_models_test).
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"

namespace kiln {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

struct Result {
  std::string before, printed, notes;
  bool changed = false;
};

Result RunPass(absl::string_view pass, absl::string_view text) {
  Result r;
  auto g = ParseGraph(text);
  EXPECT_TRUE(g.ok()) << g.status();
  if (!g.ok()) return r;
  r.before = PrintGraph(**g);
  auto p = CreatePass(pass);
  EXPECT_TRUE(p.ok());
  PassContext ctx;
  auto changed = (*p)->Run(**g, ctx);
  EXPECT_TRUE(changed.ok()) << changed.status();
  r.changed = changed.ok() && *changed;
  r.printed = PrintGraph(**g);
  r.notes = absl::StrJoin(ctx.notes, "\n");
  return r;
}

TEST(FuseAttentionTest, PaddingWithMinusInfinityAndNoGuardIsRefused) {
  // A row whose keys are all padding is NaN here, which FusedAttention would turn into zeros or
  // a mean: the end-to-end probes catch it and the graph stays as it is.
  Result r = RunPass(
      "fuse-attention",
      R"(graph main(%q: f32[b,2,s,4], %k: f32[b,2,s,4], %v: f32[b,2,s,4], %attention_mask: i64[b,s]) {
    %a12: i64[2] = Constant() {value=tensor<i64[2]> [1, 2]}
    %zero: f32[] = Constant() {value=tensor<f32[]> [0.0]}
    %ninf: f32[] = Constant() {value=tensor<f32[]> [-inf]}
    %m: bool[b,s] = Cast(%attention_mask) {to="bool"}
    %m4: bool[b,1,1,s] = Unsqueeze(%m, %a12)
    %mask: f32[b,1,1,s] = Where(%m4, %zero, %ninf)
    %kt: f32[b,2,4,s] = Transpose(%k) {perm=[0, 1, 3, 2]}
    %scores: f32[b,2,s,s] = MatMul(%q, %kt)
    %masked: f32[b,2,s,s] = Add(%scores, %mask)
    %probs: f32[b,2,s,s] = Softmax(%masked) {axis=-1}
    %attn: f32[b,2,s,4] = MatMul(%probs, %v)
    return %attn
  })");
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.printed, r.before);  // Everything the attempt added was rolled back.
  EXPECT_THAT(r.notes, HasSubstr("fuse-attention: attn: "));
  EXPECT_THAT(r.notes, HasSubstr("differs from the original on probes"));
}

TEST(FuseAttentionTest, HalfPrecisionPaddingWithItsOwnFinfoMin) {
  // f16's finfo.min is -65504; the probes compare at the 16-bit tolerance.
  Result r = RunPass(
      "fuse-attention",
      R"(graph main(%q: f16[b,2,s,8], %k: f16[b,2,s,8], %v: f16[b,2,s,8], %attention_mask: i64[b,s]) {
    %a12: i64[2] = Constant() {value=tensor<i64[2]> [1, 2]}
    %one: f16[] = Constant() {value=tensor<f16[]> [1.0]}
    %fmin: f16[] = Constant() {value=tensor<f16[]> [-65504.0]}
    %scale: f16[] = Constant() {value=tensor<f16[]> [0.353515625]}
    %m: f16[b,s] = Cast(%attention_mask) {to="f16"}
    %m4: f16[b,1,1,s] = Unsqueeze(%m, %a12)
    %inv: f16[b,1,1,s] = Sub(%one, %m4)
    %mask: f16[b,1,1,s] = Mul(%inv, %fmin)
    %kt: f16[b,2,8,s] = Transpose(%k) {perm=[0, 1, 3, 2]}
    %scores: f16[b,2,s,s] = MatMul(%q, %kt)
    %scaled: f16[b,2,s,s] = Mul(%scores, %scale)
    %masked: f16[b,2,s,s] = Add(%scaled, %mask)
    %probs: f16[b,2,s,s] = Softmax(%masked) {axis=-1}
    %attn: f16[b,2,s,8] = MatMul(%probs, %v)
    return %attn
  })");
  EXPECT_TRUE(r.changed) << r.notes;
  EXPECT_THAT(r.printed, HasSubstr("FusedAttention(%q, %k, %v, %attention_mask) "
                                   "{empty_rows=\"uniform\", kv_num_heads=2, mask=\"padding\""));
}

TEST(FuseAttentionTest, ProbabilitiesUsedElsewhereAreNoted) {
  Result r = RunPass("fuse-attention",
                     R"(graph main(%q: f32[b,2,s,4], %k: f32[b,2,s,4], %v: f32[b,2,s,4]) {
    %kt: f32[b,2,4,s] = Transpose(%k) {perm=[0, 1, 3, 2]}
    %scores: f32[b,2,s,s] = MatMul(%q, %kt)
    %probs: f32[b,2,s,s] = Softmax(%scores) {axis=-1}
    %attn: f32[b,2,s,4] = MatMul(%probs, %v)
    %other: f32[b,2,s,s] = Neg(%probs)
    return %attn, %other
  })");
  EXPECT_FALSE(r.changed);
  EXPECT_THAT(r.notes, HasSubstr("'probs' is also used outside the attention"));
}

TEST(FuseAttentionTest, SoftmaxOverAnotherAxisIsNoted) {
  Result r = RunPass("fuse-attention",
                     R"(graph main(%q: f32[b,2,s,4], %k: f32[b,2,s,4], %v: f32[b,2,s,4]) {
    %kt: f32[b,2,4,s] = Transpose(%k) {perm=[0, 1, 3, 2]}
    %scores: f32[b,2,s,s] = MatMul(%q, %kt)
    %probs: f32[b,2,s,s] = Softmax(%scores) {axis=2}
    %attn: f32[b,2,s,4] = MatMul(%probs, %v)
    return %attn
  })");
  EXPECT_FALSE(r.changed);
  EXPECT_THAT(r.notes, HasSubstr("not over the last axis"));
}

TEST(FuseAttentionTest, FusesOnceThenHasNothingLeft) {
  constexpr absl::string_view kText =
      R"(graph main(%q: f32[b,2,s,4], %k: f32[b,2,s,4], %v: f32[b,2,s,4]) {
    %kt: f32[b,2,4,s] = Transpose(%k) {perm=[0, 1, 3, 2]}
    %scores: f32[b,2,s,s] = MatMul(%q, %kt)
    %probs: f32[b,2,s,s] = Softmax(%scores) {axis=-1}
    %attn: f32[b,2,s,4] = MatMul(%probs, %v)
    return %attn
  })";
  Result r = RunPass("fuse-attention", kText);
  EXPECT_TRUE(r.changed);
  EXPECT_THAT(r.printed, HasSubstr("FusedAttention(%q, %k, %v) {empty_rows=\"zero\", "
                                   "kv_num_heads=2, mask=\"none\", num_heads=2, scale=1.0}"));
  Result again = RunPass("fuse-attention", r.printed);
  EXPECT_FALSE(again.changed);
  EXPECT_TRUE(again.notes.empty()) << again.notes;
}

TEST(FuseAttentionTest, OnnxAttentionCausalOverDifferentLengthsIsKept) {
  // Without a cache ONNX aligns is_causal top-left, FusedAttention bottom-right.
  Result r = RunPass("fuse-attention",
                     R"(graph main(%q: f32[b,2,n,4], %k: f32[b,2,t,4], %v: f32[b,2,t,4]) {
    %y: f32[b,2,n,4] = Attention(%q, %k, %v) {is_causal=1}
    return %y
  })");
  EXPECT_FALSE(r.changed);
  EXPECT_THAT(r.printed, HasSubstr("Attention(%q, %k, %v)"));
  EXPECT_THAT(r.notes, HasSubstr("fuse-attention: y: is_causal"));
}

TEST(FuseAttentionTest, OnnxAttentionWithSoftcapIsKept) {
  Result r = RunPass("fuse-attention",
                     R"(graph main(%q: f32[b,2,n,4], %k: f32[b,2,t,4], %v: f32[b,2,t,4]) {
    %y: f32[b,2,n,4] = Attention(%q, %k, %v) {softcap=30.0}
    return %y
  })");
  EXPECT_FALSE(r.changed);
  EXPECT_THAT(r.notes, HasSubstr("soft-caps"));
}

TEST(FuseRotaryTest, UnprovableCosIsNoted) {
  Result r = RunPass("fuse-rotary",
                     R"(graph main(%x: f32[b,2,s,4], %cos: f32[1,1,s,4], %sin: f32[1,1,s,4]) {
    %a1: i64[1] = Constant() {value=tensor<i64[1]> [1]}
    %a3: i64[1] = Constant() {value=tensor<i64[1]> [3]}
    %i0: i64[1] = Constant() {value=tensor<i64[1]> [0]}
    %i2: i64[1] = Constant() {value=tensor<i64[1]> [2]}
    %i4: i64[1] = Constant() {value=tensor<i64[1]> [4]}
    %x_cos: f32[b,2,s,4] = Mul(%x, %cos)
    %x_lo: f32[b,2,s,2] = Slice(%x, %i0, %i2, %a3, %a1)
    %x_hi: f32[b,2,s,2] = Slice(%x, %i2, %i4, %a3, %a1)
    %x_neg: f32[b,2,s,2] = Neg(%x_hi)
    %x_rot: f32[b,2,s,4] = Concat(%x_neg, %x_lo) {axis=-1}
    %x_sin: f32[b,2,s,4] = Mul(%x_rot, %sin)
    %out: f32[b,2,s,4] = Add(%x_cos, %x_sin)
    return %out
  })");
  EXPECT_FALSE(r.changed);
  EXPECT_THAT(r.notes, ContainsRegex("fuse-rotary: out: cannot prove .* cat\\(f, f\\)"));
  EXPECT_EQ(r.printed, r.before);
}

}  // namespace
}  // namespace kiln
