// Tests of the mixed-precision pass on small hand-built graphs.
#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "passes/passes.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

TensorType F32(std::vector<DimExpr> dims) { return TensorType{DType::kF32, std::move(dims)}; }

Attributes Attr(absl::string_view name, AttrValue v) {
  Attributes a;
  a.Set(name, std::move(v));
  return a;
}

int Count(const Graph& g, OpKind op) {
  int n = 0;
  for (const Node* node : g.nodes()) n += node->op() == op;
  return n;
}

absl::StatusOr<bool> Convert(Graph& g, DType precision) {
  PassContext ctx;
  ctx.precision = precision;
  auto changed = CreateMixedPrecision()->Run(g, ctx);
  if (changed.ok()) {
    if (absl::Status s = VerifyGraph(g); !s.ok()) return s;
  }
  return changed;
}

// Runs `before` and `after` on `inputs`; returns the worst relative L2 error over outputs.
double WorstError(const Graph& before, const Graph& after, const std::vector<Tensor>& inputs) {
  auto want = reference::Execute(before, inputs);
  auto got = reference::Execute(after, inputs);
  EXPECT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(got.ok()) << got.status();
  if (!want.ok() || !got.ok()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < want->size(); ++i) {
    EXPECT_EQ((*got)[i].dtype(), (*want)[i].dtype()) << "output " << i << " changed dtype";
    worst = std::max(worst, CompareTensors((*got)[i], (*want)[i], 1).error);
  }
  return worst;
}

Tensor Iota(std::vector<int64_t> shape, float scale, float offset) {
  Tensor t = *Tensor::Zeros(DType::kF32, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.data<float>()[i] = std::sin(0.7f * i) * scale + offset;
  }
  return t;
}

// x[n,8] @ W[8,4] + b, softmax; the interface stays f32, the compute and weights go 16-bit.
TEST(MixedPrecisionTest, ConvertsComputeAndWeightsButNotTheInterface) {
  for (DType t : {DType::kF16, DType::kBF16}) {
    Graph g;
    Value* x = g.AddInput("x", F32({DimExpr::Symbol("n"), 8}));
    Value* w = g.AddConstant(Iota({8, 4}, 0.5f, 0), "w");
    Value* b = g.AddConstant(Iota({4}, 0.1f, 0), "b");
    Node* mm = g.AddNode(OpKind::kMatMul, {x, w}, 1);
    Node* add = g.AddNode(OpKind::kAdd, {mm->output(0), b}, 1);
    Node* sm = g.AddNode(OpKind::kSoftmax, {add->output(0)}, 1, {}, "probs");
    g.AddOutput(sm->output(0));
    ASSERT_TRUE(InferShapes(g).ok());
    std::unique_ptr<Graph> before = g.Clone();
    auto changed = Convert(g, t);
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_TRUE(*changed);
    EXPECT_EQ(g.inputs()[0]->type().dtype, DType::kF32);
    EXPECT_EQ(g.outputs()[0]->type().dtype, DType::kF32);
    EXPECT_EQ(g.outputs()[0]->name(), "probs");
    EXPECT_EQ(mm->output(0)->type().dtype, t);
    EXPECT_EQ(sm->output(0)->type().dtype, t);
    EXPECT_EQ(mm->input(1)->producer()->op(), OpKind::kConstant);
    EXPECT_EQ(mm->input(1)->type().dtype, t);
    EXPECT_EQ(Count(g, OpKind::kCast), 2);  // After the input, before the output.
    EXPECT_EQ(Count(g, OpKind::kConstant), 2) << "the f32 originals are gone";
    double err = WorstError(*before, g, {Iota({3, 8}, 2, 0)});
    EXPECT_LT(err, 1e-2);
    EXPECT_GT(err, 0) << "the computation did not change precision";
  }
}

TEST(MixedPrecisionTest, IsIdempotent) {
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n"), 8}));
  Value* two = g.AddConstant(Tensor::FromVector<float>({2.0f}, {}), "two");
  Value* axes = g.AddConstant(Tensor::FromVector<int64_t>({-1}, {1}), "axes");
  Value* w = g.AddConstant(Iota({8, 8}, 0.5f, 0), "w");
  Node* sq = g.AddNode(OpKind::kPow, {x, two}, 1);
  Node* mean = g.AddNode(OpKind::kReduceMean, {sq->output(0), axes}, 1);
  Node* root = g.AddNode(OpKind::kSqrt, {mean->output(0)}, 1);
  Node* div = g.AddNode(OpKind::kDiv, {x, root->output(0)}, 1);
  Node* mm = g.AddNode(OpKind::kMatMul, {div->output(0), w}, 1, {}, "y");
  g.AddOutput(mm->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  ASSERT_TRUE(*Convert(g, DType::kF16));
  std::string once = PrintGraph(g);
  auto again = Convert(g, DType::kF16);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  EXPECT_EQ(PrintGraph(g), once);
}

TEST(MixedPrecisionTest, Fp32IsANoOp) {
  Graph g;
  Value* x = g.AddInput("x", F32({4}));
  g.AddOutput(g.AddNode(OpKind::kRelu, {x}, 1)->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto changed = Convert(g, DType::kF32);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(g.num_nodes(), 1u);
}

// An additive mask of finfo(float32).min is clamped to the 16-bit lowest finite value: a fully
// masked row then still gives finite (uniform) probabilities rather than NaN.
TEST(MixedPrecisionTest, ClampsFloat32MinMasks) {
  for (DType t : {DType::kF16, DType::kBF16}) {
    Graph g;
    Value* x = g.AddInput("scores", F32({2, 4}));
    Value* keep = g.AddInput("keep", TensorType{DType::kBool, {2, 4}});
    Value* lowest = g.AddConstant(
        Tensor::FromVector<float>({std::numeric_limits<float>::lowest()}, {}), "lowest");
    Node* masked = g.AddNode(OpKind::kWhere, {keep, x, lowest}, 1);
    Node* sm = g.AddNode(OpKind::kSoftmax, {masked->output(0)}, 1);
    g.AddOutput(sm->output(0));
    ASSERT_TRUE(InferShapes(g).ok());
    std::unique_ptr<Graph> before = g.Clone();
    ASSERT_TRUE(Convert(g, t).ok());
    const Tensor* c = masked->input(2)->producer()->attrs().FindAs<Tensor>("value");
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->dtype(), t);
    double want = t == DType::kF16 ? -65504.0 : -3.3895313892515355e38;
    EXPECT_EQ(c->GetAsDouble(0), want);
    Tensor keep_t = *Tensor::Zeros(DType::kBool, {2, 4});
    keep_t.data<bool>()[1] = keep_t.data<bool>()[2] = true;  // Row 1 fully masked.
    auto got = reference::Execute(g, {Iota({2, 4}, 1, 0), keep_t});
    ASSERT_TRUE(got.ok()) << got.status();
    for (int i = 4; i < 8; ++i) EXPECT_FLOAT_EQ((*got)[0].data<float>()[i], 0.25f);
    EXPECT_LT(WorstError(*before, g, {Iota({2, 4}, 1, 0), keep_t}), 1e-2);
  }
}

// sqrt(n) computed in float from a shape and cast back to an integer, and a float Range, stay
// f32 (their results must round as exported); the data path converts.
TEST(MixedPrecisionTest, KeepsShapeArithmeticAndFloatRangeInFloat32) {
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n")}));
  Node* shape = g.AddNode(OpKind::kShape, {x}, 1);
  Node* nf = g.AddNode(OpKind::kCast, {shape->output(0)}, 1, Attr("to", std::string("f32")));
  Node* root = g.AddNode(OpKind::kSqrt, {nf->output(0)}, 1);
  Node* back = g.AddNode(OpKind::kCast, {root->output(0)}, 1, Attr("to", std::string("i64")));
  Value* start = g.AddConstant(Tensor::FromVector<float>({0.1f}, {}), "start");
  Value* limit = g.AddConstant(Tensor::FromVector<float>({2.0f}, {}), "limit");
  Value* delta = g.AddConstant(Tensor::FromVector<float>({0.3f}, {}), "delta");
  Node* range = g.AddNode(OpKind::kRange, {start, limit, delta}, 1);
  Node* relu = g.AddNode(OpKind::kRelu, {x}, 1);
  g.AddOutput(back->output(0));
  g.AddOutput(range->output(0));
  g.AddOutput(relu->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  std::unique_ptr<Graph> before = g.Clone();
  ASSERT_TRUE(Convert(g, DType::kF16).ok());
  EXPECT_EQ(root->output(0)->type().dtype, DType::kF32);
  EXPECT_EQ(nf->output(0)->type().dtype, DType::kF32);
  EXPECT_EQ(range->output(0)->type().dtype, DType::kF32);
  EXPECT_EQ(range->input(1), limit) << "the Range reads its f32 constants";
  EXPECT_EQ(relu->output(0)->type().dtype, DType::kF16);
  auto want = reference::Execute(*before, {Iota({17}, 1, 0)});
  auto got = reference::Execute(g, {Iota({17}, 1, 0)});
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_TRUE(CompareTensors((*got)[0], (*want)[0], 0).ok);
  EXPECT_TRUE(CompareTensors((*got)[1], (*want)[1], 0).ok) << "the Range is bit-exact";
}

// A decomposed RMS norm: the square, its mean, + eps and sqrt stay f32, so |x| = 1000 (whose
// square overflows f16) still normalises correctly.
TEST(MixedPrecisionTest, KeepsVarianceStatisticsInFloat32) {
  Graph g;
  Value* x = g.AddInput("x", F32({2, 8}));
  Value* two = g.AddConstant(Tensor::FromVector<float>({2.0f}, {}), "two");
  Value* axes = g.AddConstant(Tensor::FromVector<int64_t>({-1}, {1}), "axes");
  Value* eps = g.AddConstant(Tensor::FromVector<float>({1e-6f}, {}), "eps");
  Node* sq = g.AddNode(OpKind::kPow, {x, two}, 1);
  Node* mean = g.AddNode(OpKind::kReduceMean, {sq->output(0), axes}, 1);
  Node* add = g.AddNode(OpKind::kAdd, {mean->output(0), eps}, 1);
  Node* root = g.AddNode(OpKind::kSqrt, {add->output(0)}, 1);
  Node* div = g.AddNode(OpKind::kDiv, {x, root->output(0)}, 1);
  g.AddOutput(div->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  std::unique_ptr<Graph> before = g.Clone();
  ASSERT_TRUE(Convert(g, DType::kF16).ok());
  for (const Node* n : {sq, mean, add, root}) {
    EXPECT_EQ(n->output(0)->type().dtype, DType::kF32) << n->Describe();
  }
  EXPECT_EQ(div->output(0)->type().dtype, DType::kF16);
  EXPECT_EQ(add->input(1), eps) << "eps stays an f32 constant (1e-6 is subnormal in f16)";
  EXPECT_LT(WorstError(*before, g, {Iota({2, 8}, 1000, 0)}), 1e-2);
}

// A FusedKernel computing in 16 bits gets its body converted: body inputs and outputs follow
// the node's.
TEST(MixedPrecisionTest, ConvertsFusedKernelBodies) {
  auto body = std::make_unique<Graph>("body");
  Value* a = body->AddInput("a", F32({DimExpr::Symbol("n")}));
  Value* k = body->AddConstant(Tensor::FromVector<float>({0.5f}, {}), "k");
  Node* m = body->AddNode(OpKind::kMul, {a, k}, 1);
  Node* r = body->AddNode(OpKind::kRelu, {m->output(0)}, 1);
  body->AddOutput(r->output(0));
  ASSERT_TRUE(InferShapes(*body).ok());
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n")}));
  Node* fk = g.AddNode(OpKind::kFusedKernel, {x}, 1, {}, "fk");
  fk->set_body(std::move(body));
  g.AddOutput(fk->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  auto changed = Convert(g, DType::kBF16);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(fk->input(0)->type().dtype, DType::kBF16);
  EXPECT_EQ(fk->output(0)->type().dtype, DType::kBF16);
  const Graph* b = fk->body();
  EXPECT_EQ(b->inputs()[0]->type().dtype, DType::kBF16);
  EXPECT_EQ(b->outputs()[0]->type().dtype, DType::kBF16);
  EXPECT_EQ(m->input(1)->type().dtype, DType::kBF16);
  EXPECT_EQ(g.outputs()[0]->type().dtype, DType::kF32);
}

// Rotary angles (integer positions times frequencies, then cos) stay f32: at position ~2000 an
// f16 angle is off by up to a radian.
TEST(MixedPrecisionTest, KeepsRotaryAnglesInFloat32) {
  Graph g;
  Value* x = g.AddInput("x", F32({DimExpr::Symbol("n"), 4}));
  Value* zero = g.AddConstant(Tensor::FromVector<int64_t>({0}, {}), "zero");
  Value* one = g.AddConstant(Tensor::FromVector<int64_t>({1}, {}), "one");
  Value* idx = g.AddConstant(Tensor::FromVector<int64_t>({0}, {}), "idx");
  Value* axes = g.AddConstant(Tensor::FromVector<int64_t>({1}, {1}), "axes");
  Value* freq = g.AddConstant(Tensor::FromVector<float>({1.0f, 0.1f, 0.01f, 0.001f}, {4}), "freq");
  Node* shape = g.AddNode(OpKind::kShape, {x}, 1);
  Node* n = g.AddNode(OpKind::kGather, {shape->output(0), idx}, 1);
  Node* pos = g.AddNode(OpKind::kRange, {zero, n->output(0), one}, 1);
  Node* posf = g.AddNode(OpKind::kCast, {pos->output(0)}, 1, Attr("to", std::string("f32")));
  Node* col = g.AddNode(OpKind::kUnsqueeze, {posf->output(0), axes}, 1);
  Node* angle = g.AddNode(OpKind::kMul, {col->output(0), freq}, 1);
  Node* cos = g.AddNode(OpKind::kCos, {angle->output(0)}, 1);
  Node* out = g.AddNode(OpKind::kMul, {x, cos->output(0)}, 1);
  g.AddOutput(out->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  std::unique_ptr<Graph> before = g.Clone();
  ASSERT_TRUE(Convert(g, DType::kF16).ok());
  for (const Node* k : {posf, angle, cos}) {
    EXPECT_EQ(k->output(0)->type().dtype, DType::kF32) << k->Describe();
  }
  EXPECT_EQ(angle->input(1), freq) << "the frequencies stay f32";
  EXPECT_EQ(out->output(0)->type().dtype, DType::kF16) << "the data path converts";
  EXPECT_LT(WorstError(*before, g, {Iota({2048, 4}, 1, 2)}), 1e-2);
}

}  // namespace
}  // namespace kiln
