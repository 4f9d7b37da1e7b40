// Tests of the pieces of fuse-attention: tracing operands to [B, H, S, D] bases, cutting and
// probing subgraphs, and classifying masks by what they compute.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "passes/attention_layout.h"
#include "passes/attention_mask.h"
#include "passes/subgraph_probe.h"

namespace kiln {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<Graph> Parse(absl::string_view text) {
  auto g = ParseGraph(text);
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *std::move(g) : std::make_unique<Graph>();
}

TEST(TraceHeadsTest, RepeatKvIsGroupedQueryHeads) {
  // LLaMA's repeat_kv: KV head h / 3 serves query head h, then K^T by a Transpose.
  auto g = Parse(R"(graph main(%k: f32[b,2,s,8]) {
    %ax: i64[1] = Constant() {value=tensor<i64[1]> [2]}
    %shape5: i64[5] = Constant() {value=tensor<i64[5]> [1, 2, 3, 1, 8]}
    %shape4: i64[4] = Constant() {value=tensor<i64[4]> [0, 6, -1, 8]}
    %k5: f32[b,2,1,s,8] = Unsqueeze(%k, %ax)
    %rep: f32[b,2,3,s,8] = Expand(%k5, %shape5)
    %all: f32[b,6,s,8] = Reshape(%rep, %shape4) {allowzero=0}
    %half: f32[] = Constant() {value=tensor<f32[]> [0.5]}
    %kt: f32[b,6,8,s] = Transpose(%all) {perm=[0, 1, 3, 2]}
    %kts: f32[b,6,8,s] = Mul(%half, %kt)
    return %kts
  })");
  auto base = TraceHeads(g->FindValue("kts"), OperandLayout::kBhds);
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(base->value, g->FindValue("k"));
  EXPECT_EQ(base->heads, 2);
  EXPECT_EQ(base->group, 3);
  EXPECT_TRUE(base->perm.empty());
  EXPECT_DOUBLE_EQ(base->scale, 0.5);
}

TEST(TraceHeadsTest, TiledRepeatIsNotGroupedQueryAttention) {
  // Here query head h would read KV head h % 2 (the repeat is the major part): not GQA as
  // FusedAttention defines it, so the base is the repeated tensor itself.
  auto g = Parse(R"(graph main(%k: f32[b,2,s,8]) {
    %ax: i64[1] = Constant() {value=tensor<i64[1]> [1]}
    %shape5: i64[5] = Constant() {value=tensor<i64[5]> [1, 3, 2, 1, 8]}
    %shape4: i64[4] = Constant() {value=tensor<i64[4]> [0, 6, -1, 8]}
    %k5: f32[b,1,2,s,8] = Unsqueeze(%k, %ax)
    %rep: f32[b,3,2,s,8] = Expand(%k5, %shape5)
    %all: f32[b,6,s,8] = Reshape(%rep, %shape4) {allowzero=0}
    return %all
  })");
  auto base = TraceHeads(g->FindValue("all"), OperandLayout::kBhsd);
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(base->value, g->FindValue("all"));
  EXPECT_EQ(base->heads, 6);
  EXPECT_EQ(base->group, 1);
}

TEST(TraceHeadsTest, MergedBatchHeadsAndPermutedBase) {
  // K^T through [B*H, S, D] (Reshape/Transpose/Reshape) and, deeper, [B, S, H, D]: the
  // deepest [B, H, S, D] value is the base.
  auto g = Parse(R"(graph main(%x: f32[b,s,4,8]) {
    %m1: i64[1] = Constant() {value=tensor<i64[1]> [-1]}
    %d8: i64[1] = Constant() {value=tensor<i64[1]> [8]}
    %nb: i64[1] = Shape(%x) {end=1, start=0}
    %ns: i64[1] = Shape(%x) {end=2, start=1}
    %flat_shape: i64[3] = Concat(%m1, %ns, %d8) {axis=0}
    %x4: f32[b,4,s,8] = Transpose(%x) {perm=[0, 2, 1, 3]}
    %flat: f32[4*b,s,8] = Reshape(%x4, %flat_shape) {allowzero=0}
    %flat_t: f32[4*b,8,s] = Transpose(%flat) {perm=[0, 2, 1]}
    %hd: i64[2] = Constant() {value=tensor<i64[2]> [4, 8]}
    %kt_shape: i64[4] = Concat(%nb, %hd, %ns) {axis=0}
    %kt: f32[b,4,8,s] = Reshape(%flat_t, %kt_shape) {allowzero=0}
    %kt2: f32[b,4,8,s] = Transpose(%x) {perm=[0, 2, 3, 1]}
    return %kt, %kt2
  })");
  ASSERT_NE(g->FindValue("kt"), nullptr);
  auto merged = TraceHeads(g->FindValue("kt"), OperandLayout::kBhds);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->value, g->FindValue("x4"));
  EXPECT_TRUE(merged->perm.empty());
  // Only [B, S, H, D] is behind kt2: a Transpose by perm makes the base.
  auto permuted = TraceHeads(g->FindValue("kt2"), OperandLayout::kBhds);
  ASSERT_TRUE(permuted.ok()) << permuted.status();
  EXPECT_EQ(permuted->value, g->FindValue("x"));
  EXPECT_THAT(permuted->perm, ElementsAre(0, 2, 1, 3));
  EXPECT_EQ(DimsToString(BaseDims(*permuted)), "[b,4,s,8]");
}

TEST(TraceHeadsTest, NeedsFourDimensions) {
  auto g = Parse(R"(graph main(%x: f32[b,s,8]) {
    return %x
  })");
  EXPECT_FALSE(TraceHeads(g->FindValue("x"), OperandLayout::kBhsd).ok());
}

TEST(SubgraphProbeTest, ShapeOnlyValuesBecomeInputs) {
  // Only h's dims matter to `out`, so the cut stops at h and does not copy Exp.
  auto g = Parse(R"(graph main(%x: f32[b,s]) {
    %h: f32[b,s] = Exp(%x)
    %shape: i64[2] = Shape(%h)
    %c0: i64[] = Constant() {value=tensor<i64[]> [0]}
    %c1: i64[] = Constant() {value=tensor<i64[]> [1]}
    %n: i64[] = Gather(%shape, %c1) {axis=0}
    %out: i64[s] = Range(%c0, %n, %c1)
    return %out
  })");
  auto sub = ExtractSubgraph(*g, {g->FindValue("out")}, {});
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_EQ(sub->leaves.size(), 1u);
  EXPECT_EQ(sub->leaves[0], g->FindValue("h"));
  for (const Node* n : sub->graph->nodes()) EXPECT_NE(n->op(), OpKind::kExp);
  ProbeSpec spec;
  auto probe = MakeProbe(*sub, spec, 0);
  ASSERT_TRUE(probe.ok()) << probe.status();
  auto out = RunProbe(*sub, *probe);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].num_elements(), probe->bindings.at("s"));

  auto small = ExtractSubgraph(*g, {g->FindValue("out")}, {}, 2);
  EXPECT_FALSE(small.ok());
}

TEST(SubgraphProbeTest, RefusesAbsurdSizes) {
  auto g = Parse(R"(graph main(%x: f32[b,s]) {
    %c0: i64[] = Constant() {value=tensor<i64[]> [0]}
    %c1: i64[] = Constant() {value=tensor<i64[]> [1]}
    %big: i64[] = Constant() {value=tensor<i64[]> [1073741824]}
    %r: i64[1073741824] = Range(%c0, %big, %c1)
    return %r
  })");
  auto sub = ExtractSubgraph(*g, {g->FindValue("r")}, {});
  ASSERT_TRUE(sub.ok()) << sub.status();
  auto probe = MakeProbe(*sub, ProbeSpec{}, 0);
  ASSERT_TRUE(probe.ok()) << probe.status();
  auto out = RunProbe(*sub, *probe);
  EXPECT_TRUE(absl::IsResourceExhausted(out.status())) << out.status();
}

TEST(SubgraphProbeTest, KeyMaskDimsFollowBatchAndKeys) {
  // The attention mask's own symbols are bound to [batch, past + new]; its rows mix padding
  // patterns (here all ones, right and left padding...).
  auto g = Parse(R"(graph main(%m: i64[m0,m1], %q: f32[b,n,4], %past: f32[b,p,4]) {
    %y: i64[m0,m1] = Neg(%m)
    return %y
  })");
  auto sub = ExtractSubgraph(*g, {g->FindValue("y")}, {});
  ASSERT_TRUE(sub.ok()) << sub.status();
  ProbeSpec spec;
  spec.key_mask = g->FindValue("m");
  spec.batch = DimExpr::Symbol("b");
  spec.keys = DimExpr::Symbol("n") + DimExpr::Symbol("p");
  bool saw_zero = false, saw_one = false;
  for (int i = 0; i < kNumProbes; ++i) {
    auto probe = MakeProbe(*sub, spec, i);
    ASSERT_TRUE(probe.ok()) << probe.status();
    const auto& b = probe->bindings;
    EXPECT_EQ(b.at("m0"), b.at("b"));
    EXPECT_EQ(b.at("m1"), b.at("n") + b.at("p"));
    for (int64_t v : probe->inputs[0].values<int64_t>()) {
      saw_zero |= v == 0;
      saw_one |= v == 1;
      EXPECT_TRUE(v == 0 || v == 1);
    }
  }
  EXPECT_TRUE(saw_zero && saw_one);
}

// Mask graphs over scores [b, 2, s, s] read from `%mask`.
absl::StatusOr<MaskClass> Classify(const Graph& g, MaskStep::Kind kind = MaskStep::Kind::kAdd,
                                   double fill = 0) {
  TensorType scores{DType::kF32,
                    {DimExpr::Symbol("b"), 2, DimExpr::Symbol("s"), DimExpr::Symbol("s")}};
  std::vector<MaskStep> steps = {{kind, const_cast<Value*>(g.FindValue("mask")), fill}};
  return ClassifyMask(g, steps, scores);
}

constexpr absl::string_view kCausalBool = R"(graph main(%x: f32[b,s,8]) {
    %c0: i64[] = Constant() {value=tensor<i64[]> [0]}
    %c1: i64[] = Constant() {value=tensor<i64[]> [1]}
    %a01: i64[2] = Constant() {value=tensor<i64[2]> [0, 1]}
    %a2: i64[1] = Constant() {value=tensor<i64[1]> [2]}
    %a3: i64[1] = Constant() {value=tensor<i64[1]> [3]}
    %shape: i64[3] = Shape(%x)
    %n: i64[] = Gather(%shape, %c1) {axis=0}
    %r: i64[s] = Range(%c0, %n, %c1)
    %r2: i64[1,1,s] = Unsqueeze(%r, %a01)
    %rows: i64[1,1,s,1] = Unsqueeze(%r2, %a3)
    %cols: i64[1,1,1,s] = Unsqueeze(%r2, %a2)
    %mask: bool[1,1,s,s] = LessOrEqual(%cols, %rows)
    %wrong: bool[1,1,s,s] = Less(%cols, %rows)
    return %mask, %wrong
  })";

TEST(ClassifyMaskTest, CausalWhereKeepsScores) {
  auto g = Parse(kCausalBool);
  auto c = Classify(*g, MaskStep::Kind::kKeepWhere, -1e38);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, MaskKind::kCausal);
  EXPECT_EQ(c->key_mask, nullptr);
  // The same condition as a drop condition drops exactly the allowed keys: no canonical mask.
  auto inverted = Classify(*g, MaskStep::Kind::kDropWhere, -1e38);
  EXPECT_TRUE(absl::IsFailedPrecondition(inverted.status())) << inverted.status();
}

TEST(ClassifyMaskTest, OneMinusMaskTimesMinIsPadding) {
  auto g = Parse(R"(graph main(%attention_mask: i64[b,s]) {
    %a12: i64[2] = Constant() {value=tensor<i64[2]> [1, 2]}
    %one: f32[] = Constant() {value=tensor<f32[]> [1.0]}
    %fmin: f32[] = Constant() {value=tensor<f32[]> [-3.40282347e+38]}
    %m: f32[b,s] = Cast(%attention_mask) {to="f32"}
    %m4: f32[b,1,1,s] = Unsqueeze(%m, %a12)
    %inv: f32[b,1,1,s] = Sub(%one, %m4)
    %mask: f32[b,1,1,s] = Mul(%inv, %fmin)
    %flipped: f32[b,1,1,s] = Mul(%m4, %fmin)
    return %mask, %flipped
  })");
  auto c = Classify(*g);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, MaskKind::kPadding);
  EXPECT_EQ(c->key_mask, g->FindValue("attention_mask"));
  // Dropping the keys the mask keeps is not padding.
  TensorType scores{DType::kF32,
                    {DimExpr::Symbol("b"), 2, DimExpr::Symbol("s"), DimExpr::Symbol("s")}};
  auto flipped = ClassifyMask(*g, {{MaskStep::Kind::kAdd, g->FindValue("flipped")}}, scores);
  EXPECT_TRUE(absl::IsFailedPrecondition(flipped.status())) << flipped.status();
}

TEST(ClassifyMaskTest, FloatBiasIsNotAMask) {
  auto g = Parse(R"(graph main(%bias: f32[1,2,s,s]) {
    %mask: f32[1,2,s,s] = Identity(%bias)
    return %mask
  })");
  auto c = Classify(*g);
  EXPECT_TRUE(absl::IsNotFound(c.status())) << c.status();
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("other than 0"));
}

TEST(ClassifyMaskTest, ZerosAreNoMask) {
  auto g = Parse(R"(graph main(%x: f32[b,s,8]) {
    %shape: i64[4] = Constant() {value=tensor<i64[4]> [1, 1, 1, 1]}
    %z: f32[] = Constant() {value=tensor<f32[]> [0.0]}
    %mask: f32[1,1,1,1] = Expand(%z, %shape)
    return %mask
  })");
  auto c = Classify(*g);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, MaskKind::kNone);
}

}  // namespace
}  // namespace kiln
