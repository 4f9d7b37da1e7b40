#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/infer/einsum_equation.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

DimExpr S(const char* n) { return DimExpr::Symbol(n); }

absl::StatusOr<TensorType> InferEinsum(const std::string& equation,
                                       std::vector<TensorType> inputs) {
  Graph g;
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.push_back(g.AddInput(absl::StrCat("in", i), inputs[i]));
  }
  Attributes attrs;
  attrs.Set("equation", equation);
  Node* n = g.AddNode(OpKind::kEinsum, ins, 1, std::move(attrs), "e");
  g.AddOutput(n->output(0));
  RETURN_IF_ERROR(InferShapes(g));
  return n->output(0)->type();
}

constexpr int kI = 26 + ('i' - 'a'), kJ = 26 + ('j' - 'a'), kK = 26 + ('k' - 'a');

TEST(EinsumEquationTest, ParsesExplicitAndImplicitOutputs) {
  auto eq = ParseEinsumEquation("ij, jk -> ik", 2);
  ASSERT_TRUE(eq.ok()) << eq.status();
  EXPECT_EQ(eq->inputs[0], (std::vector<int>{kI, kJ}));
  EXPECT_EQ(eq->output, (std::vector<int>{kI, kK}));
  // Implicit: labels used once, in ASCII order ('B' < 'a'), ellipsis first.
  auto imp = ParseEinsumEquation("...aB,B", 2);
  ASSERT_TRUE(imp.ok()) << imp.status();
  EXPECT_EQ(imp->output, (std::vector<int>{EinsumEquation::kEllipsis, 26}));
}

TEST(EinsumEquationTest, RejectsMalformedAndDiagonal) {
  EXPECT_EQ(ParseEinsumEquation("ij,jk->ik", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEinsumEquation("i1->i", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEinsumEquation("ij->iq", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEinsumEquation("ij->ii", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEinsumEquation("ii->i", 1).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(EinsumEquationTest, ResolvesEllipsisRightAligned) {
  auto eq = ParseEinsumEquation("...ij,...jk->...ik", 2);
  ASSERT_TRUE(eq.ok());
  auto layout = ResolveEinsum(*eq, {4, 3});
  ASSERT_TRUE(layout.ok()) << layout.status();
  // Operand 0 covers two ellipsis dims (52, 53), operand 1 only the last (53).
  EXPECT_EQ(layout->inputs[0], (std::vector<int>{52, 53, kI, kJ}));
  EXPECT_EQ(layout->inputs[1], (std::vector<int>{53, kJ, kK}));
  EXPECT_EQ(layout->output, (std::vector<int>{52, 53, kI, kK}));
  EXPECT_FALSE(ResolveEinsum(*eq, {1, 3}).ok());  // Rank below the labels.
}

TEST(EinsumInferTest, AttentionScores) {
  auto t = InferEinsum("bhid,bhjd->bhij", {{DType::kF32, {S("b"), 12, S("q"), 64}},
                                           {DType::kF32, {S("b"), 12, S("kv"), 64}}});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f32[b,12,q,kv]");
}

TEST(EinsumInferTest, EllipsisBroadcastAndImplicitOutput) {
  auto t = InferEinsum("...ij,...jk", {{DType::kF16, {5, 1, 2, 3}}, {DType::kF16, {4, 3, 7}}});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f16[5,4,2,7]");
  auto sum = InferEinsum("ij->i", {{DType::kI32, {S("n"), 4}}});
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(sum->ToString(), "i32[n]");
  auto scalar = InferEinsum("i,i", {{DType::kF64, {5}}, {DType::kF64, {5}}});
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->ToString(), "f64[]");
}

TEST(EinsumInferTest, Errors) {
  auto mismatch = InferEinsum("ij,jk->ik", {{DType::kF32, {2, 3}}, {DType::kF32, {4, 5}}});
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  auto diagonal = InferEinsum("...ii->...i", {{DType::kF32, {3, 5, 5}}});
  EXPECT_EQ(diagonal.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(diagonal.status().message().find("...ii->...i"), std::string::npos);
  auto rank = InferEinsum("ij->j", {{DType::kF32, {2, 3, 4}}});
  EXPECT_EQ(rank.status().code(), absl::StatusCode::kInvalidArgument);
  auto dropped = InferEinsum("...ij->ij", {{DType::kF32, {2, 3, 4}}});
  EXPECT_EQ(dropped.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln
