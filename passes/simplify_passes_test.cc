// Tests of the generic simplification passes on small hand-built graphs.
#include "gtest/gtest.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "passes/passes.h"

namespace kiln {
namespace {

TensorType F32(std::vector<DimExpr> dims) { return TensorType{DType::kF32, std::move(dims)}; }

int Count(const Graph& g, OpKind op) {
  int n = 0;
  for (const Node* node : g.nodes()) n += node->op() == op;
  return n;
}

TEST(DeadCodeEliminationTest, RemovesChainsNobodyUses) {
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n")}));
  Node* used = g.AddNode(OpKind::kRelu, {x}, 1);
  Node* dead1 = g.AddNode(OpKind::kNeg, {x}, 1);
  g.AddNode(OpKind::kAbs, {dead1->output(0)}, 1);
  g.AddOutput(used->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  PassContext ctx;
  auto changed = CreateDeadCodeElimination()->Run(g, ctx);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(g.num_nodes(), 1u);
  EXPECT_EQ(Count(g, OpKind::kRelu), 1);
  EXPECT_FALSE(*CreateDeadCodeElimination()->Run(g, ctx));
}

TEST(CommonSubexpressionEliminationTest, MergesIdenticalNodesOnly) {
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n")}));
  Value* y = g.AddInput("y", F32({DimExpr::Symbol("n")}));
  Node* a1 = g.AddNode(OpKind::kAdd, {x, y}, 1);
  Node* a2 = g.AddNode(OpKind::kAdd, {x, y}, 1);
  Node* swapped = g.AddNode(OpKind::kAdd, {y, x}, 1);  // Not merged: inputs differ in order.
  Node* m = g.AddNode(OpKind::kMul, {a1->output(0), a2->output(0)}, 1);
  Node* out = g.AddNode(OpKind::kMul, {m->output(0), swapped->output(0)}, 1);
  g.AddOutput(out->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  PassContext ctx;
  ASSERT_TRUE(*CreateCommonSubexpressionElimination()->Run(g, ctx));
  EXPECT_EQ(Count(g, OpKind::kAdd), 2);
  EXPECT_EQ(m->input(0), m->input(1));
  EXPECT_TRUE(VerifyGraph(g).ok());
}

TEST(SimplifyNoOpsTest, RemovesIdentityAndSameTypeCastButKeepsGraphOutputs) {
  Graph g;
  Value* x = g.AddInput("x", F32({2, DimExpr::Symbol("n")}));
  Node* id = g.AddNode(OpKind::kIdentity, {x}, 1);
  Attributes to_f32;
  to_f32.Set("to", std::string("f32"));
  Node* cast = g.AddNode(OpKind::kCast, {id->output(0)}, 1, to_f32);
  Node* relu = g.AddNode(OpKind::kRelu, {cast->output(0)}, 1);
  Node* last = g.AddNode(OpKind::kIdentity, {relu->output(0)}, 1);
  g.AddOutput(last->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  PassContext ctx;
  ASSERT_TRUE(*CreateSimplifyNoOps()->Run(g, ctx));
  EXPECT_EQ(relu->input(0), x);
  EXPECT_EQ(Count(g, OpKind::kCast), 0);
  EXPECT_EQ(Count(g, OpKind::kIdentity), 1);  // The one producing the graph output stays.
}

TEST(PassManagerTest, VerifiesTimesAndPrintsAfterNamedPass) {
  Graph g;
  Value* x = g.AddInput("x", F32({4}));
  Node* id = g.AddNode(OpKind::kIdentity, {x}, 1);
  Node* relu = g.AddNode(OpKind::kRelu, {id->output(0)}, 1);
  g.AddOutput(relu->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto pm = BuildPipeline("simplify-noops,dce");
  ASSERT_TRUE(pm.ok()) << pm.status();
  std::vector<std::string> printed;
  pm->PrintAfter("dce", [&](absl::string_view pass, const Graph&) { printed.emplace_back(pass); });
  PassContext ctx;
  ASSERT_TRUE(pm->Run(g, ctx).ok());
  ASSERT_EQ(pm->records().size(), 2u);
  EXPECT_EQ(pm->records()[0].name, "simplify-noops");
  EXPECT_TRUE(pm->records()[0].changed);
  EXPECT_EQ(printed, std::vector<std::string>{"dce"});
  EXPECT_EQ(g.num_nodes(), 1u);
}

TEST(PassManagerTest, UnknownPassIsAnErrorListingKnownOnes) {
  auto pm = BuildPipeline("dce,no-such-pass");
  ASSERT_FALSE(pm.ok());
  EXPECT_NE(pm.status().message().find("no-such-pass"), absl::string_view::npos);
  EXPECT_NE(pm.status().message().find("cse"), absl::string_view::npos);
  EXPECT_FALSE(BuildPipeline(4).ok());
}

}  // namespace
}  // namespace kiln
