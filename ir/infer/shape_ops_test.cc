// Inference tests for shape computations: Shape/Gather/Unsqueeze/Concat/Reshape chains as
// PyTorch exports them, Reshape's 0 and -1, Range, ConstantOfShape, Expand and Tile.
#include <limits>

#include "gtest/gtest.h"
#include "ir/infer/infer_test_util.h"

namespace kiln {
namespace {

using testing::Attr;
using testing::Int;
using testing::Ints;
using testing::Op;
using testing::S;

std::string SymString(const Value* v) {
  if (!v->sym_value()) return "none";
  return DimsToString(*v->sym_value());
}

bool HasConstraint(const Graph& g, const std::string& text) {
  for (const DimConstraint& c : g.constraints()) {
    if (c.ToString() == text) return true;
  }
  return false;
}

std::string AllConstraints(const Graph& g) {
  std::string s;
  for (const DimConstraint& c : g.constraints()) s += c.ToString() + "; ";
  return s;
}

// x.view(x.shape[0], x.shape[1], 4, 16), as torch.onnx exports it.
TEST(ShapeOpsInferTest, ShapeGatherUnsqueezeConcatReshapeChainIsSymbolic) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("batch"), S("seq"), 64}});
  Value* shape = Op(g, OpKind::kShape, {x});
  Value* b = Op(g, OpKind::kGather, {shape, Int(g, 0)}, Attr("axis", int64_t{0}));
  Value* s = Op(g, OpKind::kGather, {shape, Int(g, -2)}, Attr("axis", int64_t{0}));
  Value* ub = Op(g, OpKind::kUnsqueeze, {b, Ints(g, {0})});
  Value* us = Op(g, OpKind::kUnsqueeze, {s, Ints(g, {0})});
  Value* cat = Op(g, OpKind::kConcat, {ub, us, Ints(g, {4}), Ints(g, {16})},
                  Attr("axis", int64_t{0}));
  Value* y = Op(g, OpKind::kReshape, {x, cat});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(SymString(shape), "[batch,seq,64]");
  EXPECT_EQ(b->type().ToString(), "i64[]");
  EXPECT_EQ(SymString(s), "[seq]");
  EXPECT_EQ(SymString(us), "[seq]");
  EXPECT_EQ(cat->type().ToString(), "i64[4]");
  EXPECT_EQ(SymString(cat), "[batch,seq,4,16]");
  EXPECT_EQ(y->type().ToString(), "f32[batch,seq,4,16]");
  EXPECT_TRUE(g.constraints().empty()) << AllConstraints(g);
}

TEST(ShapeOpsInferTest, ShapeStartEndClamp) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("a"), S("b"), 3}});
  Attributes a;
  a.Set("start", int64_t{-2});
  a.Set("end", int64_t{100});
  Value* tail = Op(g, OpKind::kShape, {x}, std::move(a));
  Attributes e;
  e.Set("start", int64_t{2});
  e.Set("end", int64_t{1});
  Value* empty = Op(g, OpKind::kShape, {x}, std::move(e));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(SymString(tail), "[b,3]");
  EXPECT_EQ(empty->type().ToString(), "i64[0]");
}

TEST(ShapeOpsInferTest, ReshapeZeroCopiesAndMinusOneDividesSymbolically) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("batch"), 4, S("seq"), 16}});
  Value* y = Op(g, OpKind::kReshape, {x, Ints(g, {0, 0, -1})});
  // [-1, seq, 16] with seq taken from Shape: the -1 is 4*batch.
  Value* seq = Op(g, OpKind::kShape, {x}, [] {
    Attributes a;
    a.Set("start", int64_t{2});
    a.Set("end", int64_t{3});
    return a;
  }());
  Value* target = Op(g, OpKind::kConcat, {Ints(g, {-1}), seq, Ints(g, {16})},
                     Attr("axis", int64_t{0}));
  Value* z = Op(g, OpKind::kReshape, {x, target});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(y->type().ToString(), "f32[batch,4,16*seq]");
  EXPECT_EQ(z->type().ToString(), "f32[4*batch,seq,16]");
  EXPECT_TRUE(g.constraints().empty()) << AllConstraints(g);
}

TEST(ShapeOpsInferTest, ReshapeInexactMinusOneRecordsDivisibility) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("n")}});
  Value* y = Op(g, OpKind::kReshape, {x, Ints(g, {-1, 3})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(y->type().ToString(), "f32[div(n,3),3]");
  EXPECT_TRUE(HasConstraint(g, "n == 3*div(n,3)")) << AllConstraints(g);
}

TEST(ShapeOpsInferTest, ReshapeUnifiesCountsAfterCancelling) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("b"), S("s"), 64}});
  Value* m = g.AddInput("m", {DType::kI64, {S("b2"), S("s")}});
  Value* shape = Op(g, OpKind::kShape, {m});
  Value* target = Op(g, OpKind::kConcat, {shape, Ints(g, {4, 16})}, Attr("axis", int64_t{0}));
  Value* y = Op(g, OpKind::kReshape, {x, target});
  ASSERT_TRUE(InferShapes(g).ok());
  // 64*b*s == 64*b2*s forces b2 = b (the older symbol is kept).
  EXPECT_EQ(y->type().ToString(), "f32[b,s,4,16]");
  EXPECT_EQ(m->type().ToString(), "i64[b,s]");
}

TEST(ShapeOpsInferTest, ReshapeAllowZeroKeepsZero) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {0, 3}});
  Value* y = Op(g, OpKind::kReshape, {x, Ints(g, {3, 0})}, Attr("allowzero", int64_t{1}));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(y->type().ToString(), "f32[3,0]");
}

TEST(ShapeOpsInferTest, ReshapeErrors) {
  for (std::vector<int64_t> bad : std::vector<std::vector<int64_t>>{
           {-1, -1}, {5, 5}, {-2, 6}, {7, -1}}) {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {2, 6}});
    Op(g, OpKind::kReshape, {x, Ints(g, bad)});
    absl::Status s = InferShapes(g);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad[0] << "," << bad[1];
  }
}

TEST(ShapeOpsInferTest, DataDependentShapeGivesFreshSymbols) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {2, 6}});
  Value* shape = g.AddInput("shape", {DType::kI64, {3}});
  Value* y = Op(g, OpKind::kReshape, {x, shape});
  ASSERT_TRUE(InferShapes(g).ok());
  ASSERT_EQ(y->type().rank(), 3);
  for (const DimExpr& d : y->type().dims) {
    EXPECT_TRUE(d.is_symbol());
    EXPECT_EQ(d.symbol_name()[0], '_');
  }
  EXPECT_TRUE(g.constraints().empty()) << AllConstraints(g);
}

TEST(ShapeOpsInferTest, RangeOverSymbolicLimit) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("batch"), S("seq")}});
  Value* past = g.AddInput("past", {DType::kF32, {S("p")}});
  Value* seq = Op(g, OpKind::kGather, {Op(g, OpKind::kShape, {x}), Int(g, 1)});
  Value* p = Op(g, OpKind::kGather, {Op(g, OpKind::kShape, {past}), Int(g, 0)});
  Value* r1 = Op(g, OpKind::kRange, {Int(g, 0), seq, Int(g, 1)});
  Value* end = Op(g, OpKind::kAdd, {p, seq});
  Value* r2 = Op(g, OpKind::kRange, {p, end, Int(g, 1)});
  Value* r3 = Op(g, OpKind::kRange, {Int(g, 1), seq, Int(g, 2)});
  Value* r4 = Op(g, OpKind::kRange, {Int(g, 3), Int(g, -4), Int(g, -3)});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(r1->type().ToString(), "i64[seq]");
  EXPECT_EQ(r2->type().ToString(), "i64[seq]");
  // ceil((seq-1)/2), assuming seq >= 1.
  EXPECT_EQ(r3->type().ToString(), "i64[div(seq,2)]");
  EXPECT_TRUE(HasConstraint(g, "1 <= seq")) << AllConstraints(g);
  EXPECT_EQ(r4->type().ToString(), "i64[3]");
  EXPECT_EQ(SymString(r4), "[3,0,-3]");
}

// arange(n) for a runtime n gets a fresh symbol; adding it to a [s] tensor unifies that
// symbol with s, and the verifier accepts the stored (unified) type.
TEST(ShapeOpsInferTest, DataDependentRangeUnifiedLaterStillVerifies) {
  Graph g;
  Value* n = g.AddInput("n", {DType::kI64, {}});
  Value* y = g.AddInput("y", {DType::kI64, {S("s")}});
  Value* r = Op(g, OpKind::kRange, {Int(g, 0), n, Int(g, 1)});
  Value* sum = Op(g, OpKind::kAdd, {r, y});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(r->type().ToString(), "i64[s]");
  EXPECT_EQ(sum->type().ToString(), "i64[s]");
  absl::Status v = VerifyGraph(g);
  EXPECT_TRUE(v.ok()) << v;
}

TEST(ShapeOpsInferTest, RangeOfConstantFloats) {
  Graph g;
  auto f = [&](float v) { return g.AddConstant(Tensor::Scalar<float>(v)); };
  Value* r = Op(g, OpKind::kRange, {f(1.0f), f(2.0f), f(0.3f)});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(r->type().ToString(), "f32[4]");  // 1, 1.3, 1.6, 1.9
}

TEST(ShapeOpsInferTest, RangeRejectsZeroDeltaAndNonScalars) {
  {
    Graph g;
    auto f = [&](float v) { return g.AddConstant(Tensor::Scalar<float>(v)); };
    Op(g, OpKind::kRange, {f(0.0f), f(1.0f), f(0.0f)});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Op(g, OpKind::kRange, {Ints(g, {0, 1}), Int(g, 4), Int(g, 1)});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ShapeOpsInferTest, ConstantOfShapeExpandTileUseSymbolicContents) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kI64, {S("batch"), S("seq")}});
  Value* shape = Op(g, OpKind::kShape, {x});
  Value* ones = Op(g, OpKind::kConstantOfShape, {shape},
                   Attr("value", Tensor::FromVector<int64_t>({1}, {1})));
  Value* row = g.AddInput("row", {DType::kF32, {1, S("seq")}});
  Value* expanded = Op(g, OpKind::kExpand, {row, shape});
  Value* tiled = Op(g, OpKind::kTile, {row, Op(g, OpKind::kShape, {x})});
  Value* small = Op(g, OpKind::kConstantOfShape, {Ints(g, {2})},
                    Attr("value", Tensor::FromVector<int64_t>({7}, {1})));
  Value* fdefault = Op(g, OpKind::kConstantOfShape, {Ints(g, {3})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(ones->type().ToString(), "i64[batch,seq]");
  EXPECT_EQ(expanded->type().ToString(), "f32[batch,seq]");
  EXPECT_EQ(tiled->type().dims[0], S("batch"));
  EXPECT_EQ(tiled->type().dims[1], S("seq") * S("seq"));
  EXPECT_EQ(SymString(small), "[7,7]");
  EXPECT_EQ(fdefault->type().ToString(), "f32[3]");
}

TEST(ShapeOpsInferTest, ExpandWithUnknownShapeKeepsNonUnitDims) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {3, 1}});
  Value* shape = g.AddInput("shape", {DType::kI64, {3}});
  Value* y = Op(g, OpKind::kExpand, {x, shape});
  ASSERT_TRUE(InferShapes(g).ok());
  ASSERT_EQ(y->type().rank(), 3);
  EXPECT_TRUE(y->type().dims[0].is_symbol());
  EXPECT_EQ(y->type().dims[1], DimExpr(3));
  EXPECT_TRUE(y->type().dims[2].is_symbol());
}

// expand(mask, [batch, 1, seq, n]) where n's contents are unknown (a data-dependent
// division): the known pieces of the Concat still give the dims.
TEST(ShapeOpsInferTest, ExpandAndReshapeUseKnownPiecesOfAConcat) {
  Graph g;
  Value* mask = g.AddInput("mask", {DType::kBool, {S("batch"), 1, S("seq"), S("seq")}});
  Value* n = g.AddInput("n", {DType::kI64, {1}});
  Value* shape = Op(g, OpKind::kShape, {mask});
  Value* b = Op(g, OpKind::kSlice, {shape, Ints(g, {0}), Ints(g, {1})});
  Value* s = Op(g, OpKind::kSlice, {shape, Ints(g, {2}), Ints(g, {3})});
  Value* target = Op(g, OpKind::kConcat, {b, Ints(g, {1}), s, n}, Attr("axis", int64_t{0}));
  Value* e = Op(g, OpKind::kExpand, {mask, target});
  Value* r = Op(g, OpKind::kReshape, {mask, target});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(SymString(target), "none");
  EXPECT_EQ(e->type().ToString(), "bool[batch,1,seq,seq]");
  ASSERT_EQ(r->type().rank(), 4);
  EXPECT_EQ(r->type().dims[0], S("batch"));
  EXPECT_EQ(r->type().dims[2], S("seq"));
  EXPECT_TRUE(r->type().dims[3].is_symbol());
  EXPECT_EQ(r->type().dims[3].symbol_name()[0], '_');
}

TEST(ShapeOpsInferTest, ConstantCarriesSmallIntegerContents) {
  Graph g;
  Value* c = g.AddConstant(Tensor::FromVector<int32_t>({5, -1}, {2}));
  Value* f = g.AddConstant(Tensor::FromVector<float>({1.5f}, {1}));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(c->type().ToString(), "i32[2]");
  EXPECT_EQ(SymString(c), "[5,-1]");
  EXPECT_EQ(SymString(f), "none");
}

TEST(ShapeOpsInferTest, TransposeFlattenAndPad) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("b"), S("s"), 4, 16}});
  Value* t = Op(g, OpKind::kTranspose, {x}, Attr("perm", std::vector<int64_t>{0, 2, 1, 3}));
  Value* rev = Op(g, OpKind::kTranspose, {x});
  Value* fl = Op(g, OpKind::kFlatten, {x}, Attr("axis", int64_t{-2}));
  Value* fl0 = Op(g, OpKind::kFlatten, {x}, Attr("axis", int64_t{0}));
  Value* pad = Op(g, OpKind::kPad, {x, Ints(g, {1, 2, 0, 0, 0, 0, 0, -3})});
  Value* pad_axes = g.AddNode(OpKind::kPad, {x, Ints(g, {1, 1}), nullptr, Ints(g, {-1})}, 1)
                        ->output(0);
  absl::Status st = InferShapes(g);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(t->type().ToString(), "f32[b,4,s,16]");
  EXPECT_EQ(rev->type().ToString(), "f32[16,4,s,b]");
  EXPECT_EQ(fl->type().ToString(), "f32[b*s,64]");
  EXPECT_EQ(fl0->type().ToString(), "f32[1,64*b*s]");
  EXPECT_EQ(pad->type().dims[0], S("b") + 1);
  EXPECT_EQ(pad->type().dims[1], S("s") + 2);
  EXPECT_EQ(pad->type().dims[3], DimExpr(13));
  EXPECT_EQ(pad_axes->type().dims[3], DimExpr(18));
}

TEST(ShapeOpsInferTest, TransposeKeepsSymbolicContents) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("a"), S("b")}});
  Value* shape = Op(g, OpKind::kShape, {x});
  Value* m = Op(g, OpKind::kReshape, {Op(g, OpKind::kConcat, {shape, shape},
                                         Attr("axis", int64_t{0})),
                                      Ints(g, {2, 2})});
  Value* t = Op(g, OpKind::kTranspose, {m});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(SymString(m), "[a,b,a,b]");
  EXPECT_EQ(SymString(t), "[a,a,b,b]");
}

TEST(ShapeOpsInferTest, LayoutErrors) {
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {2, 3}});
    Op(g, OpKind::kTranspose, {x}, Attr("perm", std::vector<int64_t>{0, 0}));
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {2, 3}});
    Op(g, OpKind::kExpand, {x, Ints(g, {4, 3})});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {2, 3}});
    Op(g, OpKind::kPad, {x, Ints(g, {0, 0, 0})});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {2, 3}});
    Op(g, OpKind::kPad, {x, Ints(g, {0, -4, 0, 0})});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {2, 3}});
    Op(g, OpKind::kTile, {x, Ints(g, {2})});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace kiln
