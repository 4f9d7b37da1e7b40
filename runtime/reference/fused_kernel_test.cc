#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/shape_inference.h"
#include "runtime/reference/contraction_test_util.h"
#include "runtime/reference/executor.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

using ::testing::ElementsAre;
using testing::F32;
using ::testing::HasSubstr;
using testing::Values;

TensorType F32Type(std::vector<DimExpr> dims) { return TensorType{DType::kF32, std::move(dims)}; }

// body(x, y) = (relu(x + y), x * y).
std::unique_ptr<Graph> AddReluMulBody(const std::vector<DimExpr>& dims) {
  auto body = std::make_unique<Graph>("fused");
  Value* x = body->AddInput("x", F32Type(dims));
  Value* y = body->AddInput("y", F32Type(dims));
  Node* add = body->AddNode(OpKind::kAdd, {x, y}, 1, {}, "add");
  Node* relu = body->AddNode(OpKind::kRelu, {add->output(0)}, 1, {}, "relu");
  Node* mul = body->AddNode(OpKind::kMul, {x, y}, 1, {}, "mul");
  body->AddOutput(relu->output(0));
  body->AddOutput(mul->output(0));
  KILN_CHECK_OK(InferShapes(*body));
  return body;
}

TEST(RefFusedKernelTest, RunsItsBodyWithSeveralOutputs) {
  Graph g;
  std::vector<DimExpr> dims = {DimExpr(3)};
  Value* x = g.AddInput("x", F32Type(dims));
  Value* y = g.AddInput("y", F32Type(dims));
  Node* k = g.AddNode(OpKind::kFusedKernel, {x, y}, 2, {}, "kernel");
  k->set_body(AddReluMulBody(dims));
  g.AddOutput(k->output(0));
  g.AddOutput(k->output(1));
  ASSERT_TRUE(InferShapes(g).ok());
  auto out = Execute(g, {F32({1, -4, 2}, {3}), F32({2, 1, -0.5}, {3})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ElementsAre(3, 0, 1.5));
  EXPECT_THAT(Values((*out)[1]), ElementsAre(2, -4, -1));
}

// A body whose only input is [batch*seq, 2] cannot bind batch and seq by itself: the kernel
// runs it in the caller's bindings.
TEST(RefFusedKernelTest, BodyIsBoundInTheCallersSymbols) {
  const DimExpr batch = DimExpr::Symbol("batch"), seq = DimExpr::Symbol("seq");
  Graph g;
  Value* x = g.AddInput("x", F32Type({batch, seq, DimExpr(2)}));
  Value* shape = g.AddConstant(Tensor::FromVector<int64_t>({-1, 2}, {2}), "shape");
  Node* flat = g.AddNode(OpKind::kReshape, {x, shape}, 1, {}, "flat");
  auto body = std::make_unique<Graph>("fused");
  Value* in = body->AddInput("flat", F32Type({batch * seq, DimExpr(2)}));
  body->AddOutput(body->AddNode(OpKind::kNeg, {in}, 1, {}, "neg")->output(0));
  ASSERT_TRUE(InferShapes(*body).ok());
  const Graph* body_ptr = body.get();
  Node* k = g.AddNode(OpKind::kFusedKernel, {flat->output(0)}, 1, {}, "kernel");
  k->set_body(std::move(body));
  g.AddOutput(k->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(k->output(0)->type().ToString(), "f32[batch*seq,2]");
  auto out = Execute(g, {F32({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (std::vector<int64_t>{6, 2}));
  EXPECT_THAT(Values((*out)[0]), ElementsAre(-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12));
  // On its own the body cannot split batch*seq.
  const Tensor t = F32(std::vector<float>(12, 1), {6, 2});
  EXPECT_FALSE(Execute(*body_ptr, {t}).ok());
  SymbolBindings known = {{"batch", 2}, {"seq", 3}};
  EXPECT_TRUE(Execute(*body_ptr, {t}, &known).ok());
  // Caller bindings that contradict the inputs are an error, not a silent mismatch.
  SymbolBindings wrong = {{"batch", 2}, {"seq", 2}};
  EXPECT_THAT(Execute(*body_ptr, {t}, &wrong).status().message(), HasSubstr("must equal"));
}

TEST(RefFusedKernelTest, ErrorsNameTheKernel) {
  Graph g;
  Value* x = g.AddInput("x", F32Type({DimExpr(2)}));
  Node* no_body = g.AddNode(OpKind::kFusedKernel, {x}, 1, {}, "no_body");
  const Tensor t = F32({1, 2}, {2});
  EXPECT_THAT(RefFusedKernel(KernelContext{*no_body, {&t}}).status().message(),
              HasSubstr("'no_body' (FusedKernel): has no body"));
  Node* k = g.AddNode(OpKind::kFusedKernel, {x, x}, 2, {}, "kernel");
  k->set_body(AddReluMulBody({DimExpr(2)}));
  EXPECT_THAT(RefFusedKernel(KernelContext{*k, {&t, nullptr}}).status().message(),
              HasSubstr("input 1 is absent"));
  // A wrong-shaped input fails inside the body; the error says which kernel ran it.
  const Tensor three = F32({1, 2, 3}, {3});
  EXPECT_THAT(RefFusedKernel(KernelContext{*k, {&t, &three}}).status().message(),
              HasSubstr("'kernel' (FusedKernel): in its body:"));
}

TEST(FusedKernelInferTest, BodyInputsMustMatchTheNode) {
  Graph g;
  Value* x = g.AddInput("x", F32Type({DimExpr(3)}));
  Node* k = g.AddNode(OpKind::kFusedKernel, {x, x}, 2, {}, "kernel");
  k->set_body(AddReluMulBody({DimExpr(4)}));
  EXPECT_THAT(InferShapes(g).message(), HasSubstr("body input 0 has type f32[4]"));
}

// As any op's inference, a kernel unifies its inputs' dims with its body's: re-inferring a
// graph whose unifying op now sits in a body learns the equality at the kernel.
TEST(FusedKernelInferTest, UnifiesSymbolsWithItsBody) {
  Graph g;
  const DimExpr n = DimExpr::Symbol("n"), m = DimExpr::Symbol("m");
  Value* a = g.AddInput("a", F32Type({n}));
  Value* b = g.AddInput("b", F32Type({m}));
  auto body = std::make_unique<Graph>("fused");
  Value* in = body->AddInput("b", F32Type({n}));
  body->AddOutput(body->AddNode(OpKind::kNeg, {in}, 1, {}, "neg")->output(0));
  ASSERT_TRUE(InferShapes(*body).ok());
  Node* k = g.AddNode(OpKind::kFusedKernel, {b}, 1, {}, "kernel");
  k->set_body(std::move(body));
  Node* add = g.AddNode(OpKind::kAdd, {a, k->output(0)}, 1, {}, "add");
  g.AddOutput(add->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(b->type().ToString(), "f32[n]");
  EXPECT_EQ(add->output(0)->type().ToString(), "f32[n]");
}

}  // namespace
}  // namespace kiln::reference
