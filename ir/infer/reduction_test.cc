// Shape inference of reductions, softmax, normalisations, CumSum and TopK.
#include <initializer_list>
#include <utility>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

DimExpr S(const char* name) { return DimExpr::Symbol(name); }

Attributes Attrs(std::initializer_list<std::pair<const char*, AttrValue>> items) {
  Attributes a;
  for (const auto& [name, value] : items) a.Set(name, value);
  return a;
}

class ReductionInferTest : public ::testing::Test {
 protected:
  Value* Input(const char* name, DType dtype, std::vector<DimExpr> dims) {
    return g_.AddInput(name, TensorType{dtype, std::move(dims)});
  }
  // An i64 constant. Its type is set here so these tests do not depend on Constant's own
  // inference, which belongs to another op family.
  Value* Ints(std::vector<int64_t> values, bool scalar = false) {
    std::vector<int64_t> shape;
    if (!scalar) shape.push_back(static_cast<int64_t>(values.size()));
    Value* v = g_.AddConstant(Tensor::FromVector<int64_t>(values, shape));
    std::vector<DimExpr> dims(shape.begin(), shape.end());
    v->set_type(TensorType{DType::kI64, dims});
    return v;
  }
  Node* Op(OpKind op, std::vector<Value*> inputs, Attributes attrs = {}, int outputs = 1) {
    return g_.AddNode(op, inputs, outputs, std::move(attrs), "n");
  }
  // InferShapes, skipping the Constant nodes typed by Ints().
  absl::Status Infer() {
    ShapeEnv env;
    for (Value* in : g_.inputs()) env.AddSymbolsOf(in->type());
    for (Node* n : g_.nodes()) {
      if (n->op() != OpKind::kConstant) RETURN_IF_ERROR(InferNode(*n, env));
    }
    env.ApplyTo(g_);
    return absl::OkStatus();
  }
  // Infers and returns the type of `n`'s output i as text, or the error message.
  std::string TypeOf(Node* n, int i = 0) {
    absl::Status s = Infer();
    if (!s.ok()) return std::string(s.message());
    return n->output(i)->type().ToString();
  }
  // Infers and expects failure with `code`, returning the message.
  std::string ErrorOf(absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    absl::Status s = Infer();
    EXPECT_EQ(s.code(), code) << s;
    return std::string(s.message());
  }

  Graph g_;
};

TEST_F(ReductionInferTest, ReduceWithConstantAxesKeepsSymbols) {
  Value* x = Input("x", DType::kF32, {S("batch"), S("seq"), 64});
  Node* keep = Op(OpKind::kReduceSum, {x, Ints({-1})});
  Node* drop = Op(OpKind::kReduceMean, {x, Ints({0, 2})}, Attrs({{"keepdims", int64_t{0}}}));
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(keep->output(0)->type().ToString(), "f32[batch,seq,1]");
  EXPECT_EQ(drop->output(0)->type().ToString(), "f32[seq]");
}

TEST_F(ReductionInferTest, ReduceWithoutAxesReducesAllOrNothing) {
  Value* x = Input("x", DType::kI64, {S("n"), 3});
  Node* all_keep = Op(OpKind::kReduceMax, {x});
  Node* all_drop = Op(OpKind::kReduceMin, {x}, Attrs({{"keepdims", int64_t{0}}}));
  Node* noop = Op(OpKind::kReduceSum, {x}, Attrs({{"noop_with_empty_axes", int64_t{1}}}));
  Node* noop_empty = Op(OpKind::kReduceSum, {x, Ints({})},
                        Attrs({{"noop_with_empty_axes", int64_t{1}}, {"keepdims", int64_t{0}}}));
  Node* empty_all = Op(OpKind::kReduceSum, {x, Ints({})}, Attrs({{"keepdims", int64_t{0}}}));
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(all_keep->output(0)->type().ToString(), "i64[1,1]");
  EXPECT_EQ(all_drop->output(0)->type().ToString(), "i64[]");
  EXPECT_EQ(noop->output(0)->type().ToString(), "i64[n,3]");
  EXPECT_EQ(noop_empty->output(0)->type().ToString(), "i64[n,3]");
  EXPECT_EQ(empty_all->output(0)->type().ToString(), "i64[]");
}

TEST_F(ReductionInferTest, RuntimeAxesGiveDataDependentDims) {
  Value* x = Input("x", DType::kF32, {S("b"), 1, 8});
  Value* axes = Input("axes", DType::kI64, {1});
  Node* keep = Op(OpKind::kReduceSum, {x, axes});
  Node* drop = Op(OpKind::kReduceSum, {x, axes}, Attrs({{"keepdims", int64_t{0}}}));
  ASSERT_TRUE(Infer().ok());
  const auto& k = keep->output(0)->type().dims;
  ASSERT_EQ(k.size(), 3u);
  EXPECT_TRUE(k[0].is_symbol());
  EXPECT_EQ(k[1], DimExpr(1));  // A dim of 1 stays 1 whether reduced or not.
  EXPECT_TRUE(k[2].is_symbol());
  EXPECT_NE(k[0], k[2]);
  const auto& d = drop->output(0)->type().dims;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[0].is_symbol() && d[1].is_symbol());
}

TEST_F(ReductionInferTest, RuntimeAxesOfUnknownCountNeedKeepdims) {
  Value* x = Input("x", DType::kF32, {4, 5});
  Value* axes = Input("axes", DType::kI64, {S("k")});
  Node* keep = Op(OpKind::kReduceSum, {x, axes});
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(keep->output(0)->type().rank(), 2);
  Op(OpKind::kReduceSum, {x, axes}, Attrs({{"keepdims", int64_t{0}}}));
  EXPECT_NE(ErrorOf(absl::StatusCode::kUnimplemented).find("keepdims=0"), std::string::npos);
}

TEST_F(ReductionInferTest, ReduceRejectsBadAxes) {
  Value* x = Input("x", DType::kF32, {2, 3, 4});
  Op(OpKind::kReduceSum, {x, Ints({3})});
  EXPECT_NE(ErrorOf().find("axis 3 is out of range for rank 3"), std::string::npos);
}

TEST_F(ReductionInferTest, ReduceRejectsDuplicateAxes) {
  Value* x = Input("x", DType::kF32, {2, 3, 4});
  Op(OpKind::kReduceMean, {x, Ints({1, -2})});
  EXPECT_NE(ErrorOf().find("given twice"), std::string::npos);
}

TEST_F(ReductionInferTest, ReduceRejectsNonI64Axes) {
  Value* x = Input("x", DType::kF32, {2, 3});
  Value* axes = Input("axes", DType::kF32, {1});
  Op(OpKind::kReduceSum, {x, axes});
  EXPECT_NE(ErrorOf().find("expected one of i64"), std::string::npos);
}

TEST_F(ReductionInferTest, BoolSumIsAnErrorButBoolMaxIsNot) {
  Value* b = Input("b", DType::kBool, {2, 3});
  Node* max = Op(OpKind::kReduceMax, {b, Ints({1})});
  EXPECT_EQ(TypeOf(max), "bool[2,1]");
  Op(OpKind::kReduceSum, {b, Ints({1})});
  EXPECT_NE(ErrorOf().find("bool"), std::string::npos);
}

TEST_F(ReductionInferTest, ReducePropagatesSymbolicContents) {
  Value* shape = Input("shape", DType::kI64, {3});
  shape->set_sym_value(std::vector<DimExpr>{S("batch"), S("seq"), 2});
  Node* sum = Op(OpKind::kReduceSum, {shape}, Attrs({{"keepdims", int64_t{0}}}));
  Node* max = Op(OpKind::kReduceMax, {shape, Ints({0})});
  ASSERT_TRUE(Infer().ok());
  ASSERT_TRUE(sum->output(0)->sym_value().has_value());
  EXPECT_EQ((*sum->output(0)->sym_value())[0], S("batch") + S("seq") + 2);
  ASSERT_TRUE(max->output(0)->sym_value().has_value());
  DimExpr want = DimExpr::Max(DimExpr::Max(S("batch"), S("seq")), DimExpr(2));
  EXPECT_EQ((*max->output(0)->sym_value())[0], want);
}

TEST_F(ReductionInferTest, ArgMaxShapes) {
  Value* x = Input("x", DType::kF16, {S("b"), 5, 7});
  Node* drop = Op(OpKind::kArgMax, {x}, Attrs({{"axis", int64_t{-2}}, {"keepdims", int64_t{0}}}));
  Node* keep = Op(OpKind::kArgMax, {x}, Attrs({{"axis", int64_t{2}}}));
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(drop->output(0)->type().ToString(), "i64[b,7]");
  EXPECT_EQ(keep->output(0)->type().ToString(), "i64[b,5,1]");
}

TEST_F(ReductionInferTest, ArgMaxErrors) {
  Value* x = Input("x", DType::kF32, {2, 0});
  Op(OpKind::kArgMax, {x}, Attrs({{"axis", int64_t{2}}}));
  EXPECT_NE(ErrorOf().find("out of range"), std::string::npos);
}

TEST_F(ReductionInferTest, ArgMaxOverAnEmptyAxisIsAnError) {
  Value* x = Input("x", DType::kF32, {2, 0});
  Op(OpKind::kArgMax, {x}, Attrs({{"axis", int64_t{1}}}));
  EXPECT_NE(ErrorOf().find("size 0"), std::string::npos);
}

TEST_F(ReductionInferTest, SoftmaxChecksAxisAndDType) {
  Value* x = Input("x", DType::kBF16, {S("b"), 4});
  Node* ok = Op(OpKind::kLogSoftmax, {x}, Attrs({{"axis", int64_t{-2}}}));
  EXPECT_EQ(TypeOf(ok), "bf16[b,4]");
  Op(OpKind::kSoftmax, {x}, Attrs({{"axis", int64_t{2}}}));
  EXPECT_NE(ErrorOf().find("axis 2 is out of range"), std::string::npos);
}

TEST_F(ReductionInferTest, SoftmaxRejectsIntegersAndScalars) {
  Value* i = Input("i", DType::kI32, {4});
  Op(OpKind::kSoftmax, {i});
  EXPECT_NE(ErrorOf().find("float"), std::string::npos);
  Graph g2;
  Value* s = g2.AddInput("s", TensorType{DType::kF32, {}});
  g2.AddNode(OpKind::kSoftmax, {s}, 1, {}, "n");
  EXPECT_EQ(InferShapes(g2).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReductionInferTest, LayerNormOutputsAndStashType) {
  Value* x = Input("x", DType::kF16, {S("b"), S("s"), 64});
  Value* scale = Input("scale", DType::kF16, {64});
  Value* bias = Input("bias", DType::kF16, {1, 64});
  Node* ln = Op(OpKind::kLayerNormalization, {x, scale, bias}, {}, 3);
  Node* ln64 = Op(OpKind::kLayerNormalization, {x, scale},
                  Attrs({{"axis", int64_t{1}}, {"stash_type", int64_t{11}}}), 2);
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(ln->output(0)->type().ToString(), "f16[b,s,64]");
  EXPECT_EQ(ln->output(1)->type().ToString(), "f32[b,s,1]");
  EXPECT_EQ(ln->output(2)->type().ToString(), "f32[b,s,1]");
  EXPECT_EQ(ln64->output(1)->type().ToString(), "f64[b,1,1]");
}

TEST_F(ReductionInferTest, LayerNormUnifiesScaleSymbols) {
  Value* x = Input("x", DType::kF32, {S("b"), S("hidden")});
  Value* scale = Input("scale", DType::kF32, {S("h")});
  Node* ln = Op(OpKind::kLayerNormalization, {x, scale});
  Node* uses_scale = Op(OpKind::kSoftmax, {scale});
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(ln->output(0)->type().ToString(), "f32[b,hidden]");
  EXPECT_EQ(uses_scale->output(0)->type().ToString(), "f32[hidden]");
}

TEST_F(ReductionInferTest, LayerNormRejectsMismatchedScale) {
  Value* x = Input("x", DType::kF32, {2, 64});
  Value* scale = Input("scale", DType::kF32, {32});
  Op(OpKind::kLayerNormalization, {x, scale});
  EXPECT_NE(ErrorOf().find("does not broadcast"), std::string::npos);
}

TEST_F(ReductionInferTest, LayerNormRejectsBadDTypesRanksAndStash) {
  Value* x = Input("x", DType::kF32, {2, 8});
  Value* half = Input("half", DType::kF16, {8});
  Value* big = Input("big", DType::kF32, {1, 2, 8});
  Value* ok = Input("ok", DType::kF32, {8});
  Node* n = Op(OpKind::kLayerNormalization, {x, half});
  EXPECT_NE(ErrorOf().find("dtype"), std::string::npos);
  n->SetInput(1, big);
  EXPECT_NE(ErrorOf().find("rank 3"), std::string::npos);
  n->SetInput(1, ok);
  n->mutable_attrs().Set("stash_type", int64_t{7});
  EXPECT_NE(ErrorOf().find("stash_type 7"), std::string::npos);
}

TEST_F(ReductionInferTest, RMSNormShapesAndMixedDTypes) {
  Value* x = Input("x", DType::kBF16, {S("b"), 128});
  Value* scale = Input("scale", DType::kBF16, {128});
  Value* scale32 = Input("scale32", DType::kF32, {128});
  Node* n = Op(OpKind::kRMSNormalization, {x, scale});
  EXPECT_EQ(TypeOf(n), "bf16[b,128]");
  n->SetInput(1, scale32);
  EXPECT_NE(ErrorOf(absl::StatusCode::kUnimplemented).find("different dtypes"), std::string::npos);
}

TEST_F(ReductionInferTest, CumSumChecksAxis) {
  Value* x = Input("x", DType::kI32, {S("n"), 3});
  Node* ok = Op(OpKind::kCumSum, {x, Ints({-1}, /*scalar=*/true)});
  EXPECT_EQ(TypeOf(ok), "i32[n,3]");
  Op(OpKind::kCumSum, {x, Ints({2}, /*scalar=*/true)});
  EXPECT_NE(ErrorOf().find("axis 2 is out of range"), std::string::npos);
}

TEST_F(ReductionInferTest, CumSumRejectsBadInputs) {
  Value* b = Input("b", DType::kBool, {3});
  Value* x = Input("x", DType::kF32, {3});
  Value* fax = Input("fax", DType::kF32, {});
  Node* n = Op(OpKind::kCumSum, {b, Ints({0}, true)});
  EXPECT_NE(ErrorOf().find("bool"), std::string::npos);
  n->SetInput(0, x);
  n->SetInput(1, fax);
  EXPECT_NE(ErrorOf().find("expected one of i32, i64"), std::string::npos);
  n->SetInput(1, Ints({0, 0}));
  EXPECT_NE(ErrorOf().find("scalar"), std::string::npos);
}

TEST_F(ReductionInferTest, TopKWithConstantK) {
  Value* x = Input("x", DType::kF32, {S("b"), 10});
  Node* n = Op(OpKind::kTopK, {x, Ints({3})}, {}, 2);
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(n->output(0)->type().ToString(), "f32[b,3]");
  EXPECT_EQ(n->output(1)->type().ToString(), "i64[b,3]");
}

TEST_F(ReductionInferTest, TopKWithRuntimeKSharesOneSymbol) {
  Value* x = Input("x", DType::kF32, {4, 10});
  Value* k = Input("k", DType::kI64, {1});
  Node* n = Op(OpKind::kTopK, {x, k}, Attrs({{"axis", int64_t{0}}}), 2);
  ASSERT_TRUE(Infer().ok());
  const DimExpr& d = n->output(0)->type().dims[0];
  EXPECT_TRUE(d.is_symbol());
  EXPECT_EQ(n->output(1)->type().dims[0], d);
  EXPECT_EQ(n->output(0)->type().dims[1], DimExpr(10));
}

TEST_F(ReductionInferTest, TopKWithSymbolicKAssumesItFits) {
  Value* x = Input("x", DType::kF32, {S("b"), S("n")});
  Value* k = Input("k", DType::kI64, {1});
  k->set_sym_value(std::vector<DimExpr>{S("kk")});
  Node* n = Op(OpKind::kTopK, {x, k}, {}, 2);
  ASSERT_TRUE(Infer().ok());
  EXPECT_EQ(n->output(0)->type().ToString(), "f32[b,kk]");
  ASSERT_EQ(g_.constraints().size(), 1u);
  EXPECT_EQ(g_.constraints()[0].ToString(), "kk <= n");
}

TEST_F(ReductionInferTest, TopKRejectsBadK) {
  Value* x = Input("x", DType::kF32, {2, 10});
  Node* n = Op(OpKind::kTopK, {x, Ints({11})}, {}, 2);
  EXPECT_NE(ErrorOf().find("exceeds the axis size 10"), std::string::npos);
  n->SetInput(1, Ints({-1}));
  EXPECT_NE(ErrorOf().find("negative"), std::string::npos);
  n->SetInput(1, Ints({1, 2}));
  EXPECT_NE(ErrorOf().find("must equal"), std::string::npos);
  n->SetInput(1, Input("k32", DType::kI32, {1}));
  EXPECT_NE(ErrorOf().find("expected one of i64"), std::string::npos);
}

TEST_F(ReductionInferTest, TopKRejectsBoolAndBadAxis) {
  Value* b = Input("b", DType::kBool, {4});
  Value* x = Input("x", DType::kF32, {4});
  Node* n = Op(OpKind::kTopK, {b, Ints({1})}, {}, 2);
  EXPECT_NE(ErrorOf().find("bool"), std::string::npos);
  n->SetInput(0, x);
  n->mutable_attrs().Set("axis", int64_t{1});
  EXPECT_NE(ErrorOf().find("axis 1 is out of range"), std::string::npos);
}

}  // namespace
}  // namespace kiln
