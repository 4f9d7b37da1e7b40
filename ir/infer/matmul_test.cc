#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

DimExpr S(const char* n) { return DimExpr::Symbol(n); }

// Infers a one-node graph; returns the node's first output type or the error.
absl::StatusOr<TensorType> InferOne(OpKind op, std::vector<TensorType> inputs,
                                    Attributes attrs = {}) {
  Graph g;
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.push_back(g.AddInput(absl::StrCat("in", i), inputs[i]));
  }
  Node* n = g.AddNode(op, ins, 1, std::move(attrs), "node");
  g.AddOutput(n->output(0));
  RETURN_IF_ERROR(InferShapes(g));
  return n->output(0)->type();
}

TEST(MatMulInferTest, SymbolicBatchDims) {
  auto t = InferOne(OpKind::kMatMul,
                    {{DType::kF32, {S("batch"), S("seq"), 64}}, {DType::kF32, {64, 256}}});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f32[batch,seq,256]");
}

TEST(MatMulInferTest, BroadcastsBatchDims) {
  auto t =
      InferOne(OpKind::kMatMul, {{DType::kF16, {S("b"), 1, S("m"), 8}}, {DType::kF16, {12, 8, 4}}});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f16[b,12,m,4]");
}

TEST(MatMulInferTest, PromotesVectors) {
  auto vv = InferOne(OpKind::kMatMul, {{DType::kF32, {3}}, {DType::kF32, {3}}});
  ASSERT_TRUE(vv.ok()) << vv.status();
  EXPECT_EQ(vv->ToString(), "f32[]");
  auto vm = InferOne(OpKind::kMatMul, {{DType::kF32, {4}}, {DType::kF32, {2, 4, 5}}});
  ASSERT_TRUE(vm.ok()) << vm.status();
  EXPECT_EQ(vm->ToString(), "f32[2,5]");
  auto mv = InferOne(OpKind::kMatMul, {{DType::kI64, {S("n"), 2, 4, 3}}, {DType::kI64, {3}}});
  ASSERT_TRUE(mv.ok()) << mv.status();
  EXPECT_EQ(mv->ToString(), "i64[n,2,4]");
}

TEST(MatMulInferTest, UnifiesSymbolicInnerDims) {
  Graph g;
  Value* a = g.AddInput("a", {DType::kF32, {S("m"), S("k")}});
  Value* b = g.AddInput("b", {DType::kF32, {S("k2"), 8}});
  Node* n = g.AddNode(OpKind::kMatMul, {a, b}, 1);
  g.AddOutput(n->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(b->type().ToString(), "f32[k,8]");  // k2 was bound to the older symbol k.
  EXPECT_EQ(n->output(0)->type().ToString(), "f32[m,8]");
}

TEST(MatMulInferTest, RejectsMismatchedInnerDims) {
  auto t = InferOne(OpKind::kMatMul, {{DType::kF32, {2, 3}}, {DType::kF32, {4, 5}}});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("inner dimensions differ"), std::string::npos);
  EXPECT_NE(t.status().message().find("'node'"), std::string::npos);
}

TEST(MatMulInferTest, RejectsBadBatchBroadcastRankAndDType) {
  EXPECT_FALSE(
      InferOne(OpKind::kMatMul, {{DType::kF32, {2, 3, 4}}, {DType::kF32, {3, 4, 5}}}).ok());
  EXPECT_FALSE(InferOne(OpKind::kMatMul, {{DType::kF32, {}}, {DType::kF32, {3}}}).ok());
  EXPECT_FALSE(InferOne(OpKind::kMatMul, {{DType::kF32, {2, 3}}, {DType::kF16, {3, 4}}}).ok());
  EXPECT_FALSE(InferOne(OpKind::kMatMul, {{DType::kBool, {2, 3}}, {DType::kBool, {3, 4}}}).ok());
}

TEST(GemmInferTest, TransposesAndBroadcastsC) {
  Attributes attrs;
  attrs.Set("transA", int64_t{1});
  attrs.Set("transB", int64_t{1});
  auto t = InferOne(
      OpKind::kGemm,
      {{DType::kF32, {S("k"), S("m")}}, {DType::kF32, {16, S("k")}}, {DType::kF32, {16}}}, attrs);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), "f32[m,16]");
}

TEST(GemmInferTest, RejectsBadShapes) {
  // K mismatch.
  EXPECT_FALSE(InferOne(OpKind::kGemm, {{DType::kF32, {2, 3}}, {DType::kF32, {4, 5}}}).ok());
  // C does not broadcast to [2, 5].
  EXPECT_FALSE(
      InferOne(OpKind::kGemm, {{DType::kF32, {2, 3}}, {DType::kF32, {3, 5}}, {DType::kF32, {3, 5}}})
          .ok());
  // A must be 2-D.
  EXPECT_FALSE(InferOne(OpKind::kGemm, {{DType::kF32, {1, 2, 3}}, {DType::kF32, {3, 5}}}).ok());
}

}  // namespace
}  // namespace kiln
