// Tests of fold-transpose, fuse-gemm-epilogue and fuse-elementwise beyond the goldens: a
// randomized check that grouping never forms a cycle or changes a result, idempotence, and
// the notes of refused matches.
#include <random>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "passes/fusion_planner.h"
#include "passes/pass_manager.h"
#include "passes/passes.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

TensorType F32(std::vector<DimExpr> dims) { return TensorType{DType::kF32, std::move(dims)}; }

int Count(const Graph& g, OpKind op) {
  int n = 0;
  for (const Node* node : g.nodes()) n += node->op() == op;
  return n;
}

Tensor Random(std::vector<int64_t> shape, std::mt19937& rng) {
  Tensor t = *Tensor::Zeros(DType::kF32, std::move(shape));
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// A random DAG over [b,4] tensors mixing elementwise ops, reductions (to [b,1], which
// broadcast back), softmax, an injective Unsqueeze/Squeeze pair and opaque matmuls, so that
// many candidate merges would close a cycle through a matmul.
std::unique_ptr<Graph> RandomGraph(std::mt19937& rng) {
  auto g = std::make_unique<Graph>();
  const DimExpr b = DimExpr::Symbol("b");
  std::vector<Value*> pool = {g->AddInput("x", F32({b, DimExpr(4)})),
                              g->AddInput("y", F32({b, DimExpr(4)}))};
  Value* w = g->AddInput("w", F32({DimExpr(4), DimExpr(4)}));
  Value* axes = g->AddConstant(Tensor::FromVector<int64_t>({-1}, {1}), "axes");
  Value* zero = g->AddConstant(Tensor::FromVector<int64_t>({0}, {1}), "zero");
  auto pick = [&]() { return pool[rng() % pool.size()]; };
  auto wide = [&]() {  // A [b,4] value.
    while (true) {
      Value* v = pick();
      if (v->type().dims[1] == DimExpr(4)) return v;
    }
  };
  const int n = 6 + static_cast<int>(rng() % 20);
  for (int i = 0; i < n; ++i) {
    Node* node = nullptr;
    switch (rng() % 7) {
      case 0: node = g->AddNode(rng() % 2 ? OpKind::kTanh : OpKind::kNeg, {pick()}, 1); break;
      case 1:
      case 2: {
        const OpKind ops[] = {OpKind::kAdd, OpKind::kMul, OpKind::kSub};
        node = g->AddNode(ops[rng() % 3], {wide(), pick()}, 1);
        break;
      }
      case 3: node = g->AddNode(OpKind::kMatMul, {wide(), w}, 1); break;
      case 4: node = g->AddNode(OpKind::kReduceSum, {wide(), axes}, 1); break;
      case 5: node = g->AddNode(OpKind::kSoftmax, {wide()}, 1); break;
      default: {
        Node* u = g->AddNode(OpKind::kUnsqueeze, {wide(), zero}, 1);
        KILN_CHECK_OK(InferShapes(*g));
        node = g->AddNode(OpKind::kSqueeze, {u->output(0), zero}, 1);
        break;
      }
    }
    KILN_CHECK_OK(InferShapes(*g));
    pool.push_back(node->output(0));
  }
  for (const Node* node : g->nodes()) {
    if (node->op() != OpKind::kConstant && node->output(0)->uses().empty()) {
      g->AddOutput(node->output(0));
    }
  }
  return g;
}

TEST(FuseElementwiseTest, RandomGraphsFuseWithoutCyclesOrNumericChanges) {
  std::mt19937 rng(1234);
  int cycle_refusals = 0, reduction_refusals = 0;
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE(trial);
    std::unique_ptr<Graph> g = RandomGraph(rng);
    std::unique_ptr<Graph> before = g->Clone();
    PassContext ctx;
    auto changed = CreateFuseElementwise()->Run(*g, ctx);
    ASSERT_TRUE(changed.ok()) << changed.status();
    absl::Status verified = VerifyGraph(*g);
    ASSERT_TRUE(verified.ok()) << verified;
    for (const Node* n : g->nodes()) {
      FusionKind kind = n->info().fusion;
      EXPECT_FALSE(kind == FusionKind::kElementwise || kind == FusionKind::kBroadcast ||
                   kind == FusionKind::kReduction)
          << n->Describe() << " left outside a kernel";
      if (n->body()) {
        int reductions = 0;
        for (const Node* m : n->body()->nodes()) reductions += RoleOf(*m) == FusionRole::kReduction;
        EXPECT_LE(reductions, 1) << n->Describe();
      }
    }
    auto reparsed = ParseGraph(PrintGraph(*g));
    ASSERT_TRUE(reparsed.ok()) << reparsed.status();
    EXPECT_EQ(PrintGraph(**reparsed), PrintGraph(*g));
    std::vector<Tensor> inputs = {Random({3, 4}, rng), Random({3, 4}, rng), Random({4, 4}, rng)};
    auto want = reference::Execute(*before, inputs);
    ASSERT_TRUE(want.ok()) << want.status();
    auto got = reference::Execute(*g, inputs);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      EXPECT_TRUE(CompareTensors((*got)[i], (*want)[i], 1e-6).ok) << "output " << i;
    }
    for (const std::string& note : ctx.notes) {
      cycle_refusals += absl::StrContains(note, "would form a cycle");
      reduction_refusals += absl::StrContains(note, "at most one reduction");
    }
    auto again = CreateFuseElementwise()->Run(*g, ctx);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again) << "a second run changed the graph";
  }
  // The generator must reach the interesting refusals for the test to mean something.
  EXPECT_GT(cycle_refusals, 20);
  EXPECT_GT(reduction_refusals, 20);
}

TEST(FuseElementwiseTest, ShapeArithmeticStaysOutside) {
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n"), DimExpr(4)}));
  Node* shape = g.AddNode(OpKind::kShape, {x}, 1);
  Value* two = g.AddConstant(Tensor::FromVector<int64_t>({2}, {1}));
  Node* doubled = g.AddNode(OpKind::kMul, {shape->output(0), two}, 1);
  Node* relu = g.AddNode(OpKind::kRelu, {x}, 1);
  g.AddOutput(doubled->output(0));
  g.AddOutput(relu->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_TRUE(IsHostShapeWork(*doubled));
  PassContext ctx;
  ASSERT_TRUE(CreateFuseElementwise()->Run(g, ctx).ok());
  EXPECT_EQ(Count(g, OpKind::kMul), 1);
  EXPECT_EQ(Count(g, OpKind::kRelu), 0);
  EXPECT_EQ(Count(g, OpKind::kFusedKernel), 1);
}

TEST(GemmPassesTest, RefusalsAreNotedOnceAndSecondRunsChangeNothing) {
  Graph g;
  const DimExpr n = DimExpr::Symbol("n");
  Value* v = g.AddInput("v", F32({DimExpr(4)}));
  Value* m = g.AddInput("m", F32({n, DimExpr(4)}));
  Value* x = g.AddInput("x", F32({n, DimExpr(4)}));
  Value* w = g.AddInput("w", F32({DimExpr(3), DimExpr(4)}));
  Value* bias = g.AddInput("bias", F32({DimExpr(3)}));
  // A vector operand keeps the matmul a MatMul even with a foldable transpose.
  Node* t = g.AddNode(OpKind::kTranspose, {m}, 1, {}, "t");
  Node* vm = g.AddNode(OpKind::kMatMul, {v, t->output(0)}, 1, {}, "vm");
  // x @ w^T + bias, then Relu: one FusedMatMul.
  Node* wt = g.AddNode(OpKind::kTranspose, {w}, 1, {}, "wt");
  Node* mm = g.AddNode(OpKind::kMatMul, {x, wt->output(0)}, 1, {}, "mm");
  Node* add = g.AddNode(OpKind::kAdd, {mm->output(0), bias}, 1, {}, "add");
  Node* relu = g.AddNode(OpKind::kRelu, {add->output(0)}, 1, {}, "relu");
  g.AddOutput(vm->output(0));
  g.AddOutput(relu->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto pm = BuildPipeline("fold-transpose,fuse-gemm-epilogue");
  ASSERT_TRUE(pm.ok());
  PassContext ctx;
  ASSERT_TRUE(pm->Run(g, ctx).ok());
  EXPECT_EQ(Count(g, OpKind::kMatMul), 1);
  ASSERT_EQ(Count(g, OpKind::kFusedMatMul), 1);
  const Node* fused = g.outputs()[1]->producer();
  EXPECT_EQ(fused->op(), OpKind::kFusedMatMul);
  EXPECT_EQ(fused->input(0), x);
  EXPECT_EQ(fused->input(1), w);
  EXPECT_EQ(fused->input(2), bias);
  EXPECT_EQ(fused->attr_int("trans_b"), 1);
  EXPECT_EQ(fused->attr_string("activation"), "relu");
  EXPECT_EQ(g.outputs()[1]->name(), "relu");
  int rank1_notes = 0;
  for (const std::string& note : ctx.notes) {
    rank1_notes += absl::StrContains(note, "fold-transpose: vm: a rank-1 operand");
  }
  EXPECT_EQ(rank1_notes, 1);
  for (const char* pass : {"fold-transpose", "fuse-gemm-epilogue"}) {
    auto again = CreatePass(pass);
    ASSERT_TRUE(again.ok());
    auto changed = (*again)->Run(g, ctx);
    ASSERT_TRUE(changed.ok());
    EXPECT_FALSE(*changed) << pass;
  }
}

}  // namespace
}  // namespace kiln
