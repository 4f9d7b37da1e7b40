#include "passes/memory_plan.h"

#include "gtest/gtest.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

TensorType F32(std::vector<DimExpr> dims) { return TensorType{DType::kF32, std::move(dims)}; }

const MemoryPlan::Entry* Find(const MemoryPlan& p, const Value* v) {
  for (const auto& e : p.entries) {
    if (e.value == v) return &e;
  }
  return nullptr;
}

TEST(MemoryPlanTest, ElementwiseChainRunsInPlace) {
  Graph g;
  DimExpr b = DimExpr::Symbol("batch"), s = DimExpr::Symbol("seq");
  Value* x = g.AddInput("x", F32({b, s, 64}));
  Node* a = g.AddNode(OpKind::kNeg, {x}, 1);            // Arena (x is the caller's).
  Node* c = g.AddNode(OpKind::kExp, {a->output(0)}, 1);  // Over a: a dies here.
  Node* d = g.AddNode(OpKind::kAdd, {c->output(0), x}, 1);  // Over c.
  Node* e = g.AddNode(OpKind::kRelu, {d->output(0)}, 1);   // Graph output: caller's.
  g.AddOutput(e->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto bounds = MakeSymbolBounds(g, 4, 128, {});
  ASSERT_TRUE(bounds.ok()) << bounds.status();
  auto plan = PlanMemory(g, *bounds);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->entries.size(), 3u);
  int64_t one = 4 * 128 * 64 * 4;
  EXPECT_EQ(plan->naive_bytes, 3 * one);
  EXPECT_EQ(plan->arena_bytes, one);
  EXPECT_EQ(plan->lower_bound_bytes, one);
  EXPECT_EQ(Find(*plan, c->output(0))->alias_of, a->output(0));
  EXPECT_EQ(Find(*plan, d->output(0))->alias_of, a->output(0));
}

TEST(MemoryPlanTest, LiveInputIsNotOverwritten) {
  Graph g;
  Value* x = g.AddInput("x", F32({8}));
  Node* a = g.AddNode(OpKind::kNeg, {x}, 1);
  Node* b = g.AddNode(OpKind::kExp, {a->output(0)}, 1);   // a is still used below.
  Node* c = g.AddNode(OpKind::kAdd, {a->output(0), b->output(0)}, 1);
  Node* out = g.AddNode(OpKind::kRelu, {c->output(0)}, 1);
  g.AddOutput(out->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto plan = PlanMemory(g, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Find(*plan, b->output(0))->alias_of, nullptr);
  EXPECT_NE(Find(*plan, b->output(0))->offset, Find(*plan, a->output(0))->offset);
  EXPECT_TRUE(CheckMemoryPlan(*plan).ok());
  EXPECT_GE(plan->arena_bytes, plan->lower_bound_bytes);
}

TEST(MemoryPlanTest, MissingBoundIsAnError) {
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n")}));
  Node* a = g.AddNode(OpKind::kNeg, {x}, 1);
  g.AddOutput(g.AddNode(OpKind::kExp, {a->output(0)}, 1)->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_FALSE(PlanMemory(g, {}).ok());
  auto bounds = MakeSymbolBounds(g, 2, 16, {{"n", 10}});
  ASSERT_TRUE(bounds.ok());
  EXPECT_EQ(bounds->at("n"), 10);
  auto plan = PlanMemory(g, *bounds);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->naive_bytes, 40);
}

}  // namespace
}  // namespace kiln
