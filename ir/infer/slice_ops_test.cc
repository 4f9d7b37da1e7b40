// Inference tests for Slice (clamping, symbolic bounds, negative steps), Split, Concat,
// Squeeze/Unsqueeze and the Gather family.
#include <limits>

#include "gtest/gtest.h"
#include "ir/infer/infer_test_util.h"

namespace kiln {
namespace {

using testing::Int;
using testing::Ints;
using testing::Op;
using testing::S;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Attributes Axis(int64_t a, absl::string_view name = "axis") {
  Attributes attrs;
  attrs.Set(name, a);
  return attrs;
}

std::string SymString(const Value* v) {
  if (!v->sym_value()) return "none";
  return DimsToString(*v->sym_value());
}

std::string AllConstraints(const Graph& g) {
  std::string s;
  for (const DimConstraint& c : g.constraints()) s += c.ToString() + "; ";
  return s;
}

// position_ids[:, :seq] of a [1,512] table: `seq`, with seq <= 512 checked at run time.
TEST(SliceOpsInferTest, SymbolicEndOnStaticDimAssumesInRange) {
  Graph g;
  Value* ids = g.AddInput("ids", {DType::kI64, {S("batch"), S("seq")}});
  Value* table = g.AddConstant(*Tensor::Zeros(DType::kI64, {1, 512}));
  Value* seq = Op(g, OpKind::kShape, {ids}, [] {
    Attributes a;
    a.Set("start", int64_t{1});
    a.Set("end", int64_t{2});
    return a;
  }());
  Value* y = Op(g, OpKind::kSlice, {table, Ints(g, {0}), seq, Ints(g, {1})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(y->type().ToString(), "i64[1,seq]");
  EXPECT_EQ(AllConstraints(g), "seq <= 512; ");
}

TEST(SliceOpsInferTest, StaticBoundsClamp) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {10, 8, 6}});
  Value* a = Op(g, OpKind::kSlice, {x, Ints(g, {-3, 2}), Ints(g, {kMax, 100}), Ints(g, {0, -2})});
  Value* b = Op(g, OpKind::kSlice, {x, Ints(g, {20}), Ints(g, {30}), Ints(g, {0})});
  Value* c = Op(g, OpKind::kSlice, {x, Ints(g, {-100}), Ints(g, {3})});
  Value* d = Op(g, OpKind::kSlice, {x, Ints(g, {5}), Ints(g, {2})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(a->type().ToString(), "f32[3,6,6]");
  EXPECT_EQ(b->type().ToString(), "f32[0,8,6]");
  EXPECT_EQ(c->type().ToString(), "f32[3,8,6]");
  EXPECT_EQ(d->type().ToString(), "f32[0,8,6]");
}

TEST(SliceOpsInferTest, NegativeAndLargeSteps) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {10, S("n")}});
  // x[::-2] on 10: 9,7,5,3,1.
  Value* a = Op(g, OpKind::kSlice,
                {x, Ints(g, {kMax}), Ints(g, {kMin}), Ints(g, {0}), Ints(g, {-2})});
  // x[8:1:-3]: 8,5,2.
  Value* b = Op(g, OpKind::kSlice, {x, Ints(g, {8}), Ints(g, {1}), Ints(g, {0}), Ints(g, {-3})});
  // Reversing a symbolic dim keeps its size.
  Value* c = Op(g, OpKind::kSlice,
                {x, Ints(g, {-1}), Ints(g, {kMin}), Ints(g, {1}), Ints(g, {-1})});
  // x[:, 1::3] on n: ceil((n-1)/3), assuming n >= 1.
  Value* d = Op(g, OpKind::kSlice, {x, Ints(g, {1}), Ints(g, {kMax}), Ints(g, {1}), Ints(g, {3})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(a->type().ToString(), "f32[5,n]");
  EXPECT_EQ(b->type().ToString(), "f32[3,n]");
  EXPECT_EQ(c->type().ToString(), "f32[10,n]");
  EXPECT_EQ(d->type().dims[1], DimExpr::FloorDiv(S("n") + 1, DimExpr(3)));
  EXPECT_EQ(AllConstraints(g), "1 <= n; ");
}

TEST(SliceOpsInferTest, SliceOfShapeKeepsSymbols) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("b"), 4, S("s"), 16}});
  Value* shape = Op(g, OpKind::kShape, {x});
  Value* last = Op(g, OpKind::kSlice, {shape, Ints(g, {-1}), Ints(g, {kMax})});
  Value* mid = Op(g, OpKind::kSlice, {shape, Ints(g, {-2}), Ints(g, {-1})});
  Value* head = Op(g, OpKind::kSlice, {shape, Ints(g, {kMin}), Ints(g, {-2})});
  Value* rev = Op(g, OpKind::kSlice,
                  {shape, Ints(g, {-1}), Ints(g, {kMin}), Ints(g, {0}), Ints(g, {-2})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(SymString(last), "[16]");
  EXPECT_EQ(SymString(mid), "[s]");
  EXPECT_EQ(SymString(head), "[b,4]");
  EXPECT_EQ(SymString(rev), "[16,4]");
}

TEST(SliceOpsInferTest, DataDependentStartsGiveFreshSymbolsOnSlicedAxesOnly) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("b"), 8}});
  Value* starts = g.AddInput("starts", {DType::kI64, {1}});
  Value* y = Op(g, OpKind::kSlice, {x, starts, Ints(g, {5}), Ints(g, {1})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(y->type().dims[0], S("b"));
  EXPECT_TRUE(y->type().dims[1].is_symbol());
  EXPECT_TRUE(g.constraints().empty()) << AllConstraints(g);
}

TEST(SliceOpsInferTest, SliceErrors) {
  auto run = [](std::vector<Value*> (*make)(Graph&, Value*)) {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {4, 4}});
    Op(g, OpKind::kSlice, make(g, x));
    return InferShapes(g).code();
  };
  EXPECT_EQ(run([](Graph& g, Value* x) {
              return std::vector<Value*>{x, Ints(g, {0}), Ints(g, {1, 2})};
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run([](Graph& g, Value* x) {
              return std::vector<Value*>{x, Ints(g, {0}), Ints(g, {2}), Ints(g, {0}),
                                         Ints(g, {0})};
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run([](Graph& g, Value* x) {
              return std::vector<Value*>{x, Ints(g, {0, 0}), Ints(g, {2, 2}), Ints(g, {1, -1})};
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run([](Graph& g, Value* x) {
              return std::vector<Value*>{x, Ints(g, {0}), Ints(g, {2}), Ints(g, {2})};
            }),
            absl::StatusCode::kInvalidArgument);
}

TEST(SliceOpsInferTest, SplitForms) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {7, S("b"), 2 * S("s")}});
  Node* uneven = g.AddNode(OpKind::kSplit, {x}, 3, [] {
    Attributes a;
    a.Set("num_outputs", int64_t{3});
    return a;
  }());
  Node* sized = g.AddNode(OpKind::kSplit, {x, Ints(g, {2, 5})}, 2);
  Node* halves = g.AddNode(OpKind::kSplit, {x}, 2, [] {
    Attributes a;
    a.Set("num_outputs", int64_t{2});
    a.Set("axis", int64_t{-1});
    return a;
  }());
  Value* shape = Op(g, OpKind::kShape, {x});
  Node* parts = g.AddNode(OpKind::kSplit, {shape, Ints(g, {1, 2})}, 2);
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(uneven->output(0)->type().ToString(), "f32[3,b,2*s]");
  EXPECT_EQ(uneven->output(1)->type().ToString(), "f32[3,b,2*s]");
  EXPECT_EQ(uneven->output(2)->type().ToString(), "f32[1,b,2*s]");
  EXPECT_EQ(sized->output(1)->type().ToString(), "f32[5,b,2*s]");
  EXPECT_EQ(halves->output(0)->type().ToString(), "f32[7,b,s]");
  EXPECT_EQ(halves->output(1)->type().ToString(), "f32[7,b,s]");
  EXPECT_EQ(SymString(parts->output(0)), "[7]");
  EXPECT_EQ(SymString(parts->output(1)), "[b,2*s]");
}

TEST(SliceOpsInferTest, SplitErrors) {
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {5}});
    g.AddNode(OpKind::kSplit, {x, Ints(g, {2, 2})}, 2);
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {5}});
    g.AddNode(OpKind::kSplit, {x}, 2);  // Neither split nor num_outputs.
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {2}});
    Attributes a;
    a.Set("num_outputs", int64_t{4});
    g.AddNode(OpKind::kSplit, {x}, 4, a);  // Chunks of 1: the last would be -1.
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(SliceOpsInferTest, ConcatAddsAxisAndUnifiesOthers) {
  Graph g;
  Value* past = g.AddInput("past", {DType::kF32, {S("b"), 4, S("p"), 16}});
  Value* cur = g.AddInput("cur", {DType::kF32, {S("b2"), 4, S("s"), 16}});
  Value* y = Op(g, OpKind::kConcat, {past, cur}, Axis(-2));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(y->type().ToString(), "f32[b,4,p+s,16]");
  EXPECT_EQ(cur->type().ToString(), "f32[b,4,s,16]");
}

// Two KV caches of lengths p and q, each extended by s, then combined: p+s == q+s is solved
// for the newer symbol, q := p, rather than kept as an opaque constraint.
TEST(SliceOpsInferTest, ConcatKvCachesUnifyLinearly) {
  Graph g;
  Value* k = g.AddInput("k", {DType::kF32, {S("b"), 4, S("p"), 16}});
  Value* v = g.AddInput("v", {DType::kF32, {S("b"), 4, S("q"), 16}});
  Value* cur = g.AddInput("cur", {DType::kF32, {S("b"), 4, S("s"), 16}});
  Value* k2 = Op(g, OpKind::kConcat, {k, cur}, Axis(2));
  Value* v2 = Op(g, OpKind::kConcat, {v, cur}, Axis(2));
  Value* sum = Op(g, OpKind::kAdd, {k2, v2});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(sum->type().ToString(), "f32[b,4,p+s,16]");
  EXPECT_EQ(v->type().ToString(), "f32[b,4,p,16]");
  EXPECT_TRUE(g.constraints().empty()) << AllConstraints(g);
}

TEST(SliceOpsInferTest, ConcatErrors) {
  {
    Graph g;
    Value* a = g.AddInput("a", {DType::kF32, {2, 3}});
    Value* b = g.AddInput("b", {DType::kF32, {2, 4}});
    Op(g, OpKind::kConcat, {a, b}, Axis(0));
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* a = g.AddInput("a", {DType::kF32, {2, 3}});
    Value* b = g.AddInput("b", {DType::kF32, {3}});
    Op(g, OpKind::kConcat, {a, b}, Axis(0));
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* a = g.AddInput("a", {DType::kF32, {2, 3}});
    Value* b = g.AddInput("b", {DType::kI64, {2, 3}});
    Op(g, OpKind::kConcat, {a, b}, Axis(0));
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(SliceOpsInferTest, SqueezeAndUnsqueezeForms) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {1, S("s"), 1, 4}});
  Value* all = Op(g, OpKind::kSqueeze, {x});
  Value* one = Op(g, OpKind::kSqueeze, {x, Ints(g, {-2})});
  Value* un = Op(g, OpKind::kUnsqueeze, {all, Ints(g, {-1, 0})});
  Value* scalar = Op(g, OpKind::kSqueeze, {Ints(g, {9})});
  Value* back = Op(g, OpKind::kUnsqueeze, {scalar, Ints(g, {0})});
  Value* axes = g.AddInput("axes", {DType::kI64, {2}});
  Value* dd = Op(g, OpKind::kUnsqueeze, {all, axes});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(all->type().ToString(), "f32[s,4]");
  EXPECT_EQ(one->type().ToString(), "f32[1,s,4]");
  EXPECT_EQ(un->type().ToString(), "f32[1,s,4,1]");
  EXPECT_EQ(scalar->type().ToString(), "i64[]");
  EXPECT_EQ(SymString(back), "[9]");
  EXPECT_EQ(dd->type().rank(), 4);
}

TEST(SliceOpsInferTest, SqueezeOfSymbolicDimBindsItToOne) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("one"), 3}});
  Value* y = Op(g, OpKind::kSqueeze, {x, Ints(g, {0})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(y->type().ToString(), "f32[3]");
  EXPECT_EQ(x->type().ToString(), "f32[1,3]");
}

TEST(SliceOpsInferTest, SqueezeUnsqueezeErrors) {
  for (auto [op, axes] : std::vector<std::pair<OpKind, std::vector<int64_t>>>{
           {OpKind::kSqueeze, {1}}, {OpKind::kSqueeze, {0, 0}}, {OpKind::kSqueeze, {5}},
           {OpKind::kUnsqueeze, {1, 1}}, {OpKind::kUnsqueeze, {4}}}) {
    Graph g;
    Value* x = g.AddInput("x", {DType::kF32, {1, 3}});
    Op(g, op, {x, Ints(g, axes)});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument) << axes[0];
  }
}

TEST(SliceOpsInferTest, GatherShapesAndSymbols) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {S("b"), S("s"), 64}});
  Value* table = g.AddInput("table", {DType::kF32, {512, 64}});
  Value* ids = g.AddInput("ids", {DType::kI64, {S("b"), S("s")}});
  Value* emb = Op(g, OpKind::kGather, {table, ids});
  Value* shape = Op(g, OpKind::kShape, {x});
  Value* picked = Op(g, OpKind::kGather, {shape, Ints(g, {2, -3})});
  Value* mid = Op(g, OpKind::kGather, {x, Ints(g, {0, 1, 2})}, Axis(1));
  Value* last = Op(g, OpKind::kGather, {shape, Int(g, -1)});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(last->type().ToString(), "i64[]");
  EXPECT_EQ(SymString(last), "[64]");
  EXPECT_EQ(emb->type().ToString(), "f32[b,s,64]");
  EXPECT_EQ(SymString(picked), "[64,b]");
  EXPECT_EQ(mid->type().ToString(), "f32[b,3,64]");
}

TEST(SliceOpsInferTest, GatherRejectsConstantIndexOutOfRange) {
  Graph g;
  Value* x = g.AddInput("x", {DType::kF32, {4, 2}});
  Op(g, OpKind::kGather, {x, Ints(g, {1, 4})});
  absl::Status s = InferShapes(g);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s;
}

TEST(SliceOpsInferTest, GatherElementsAndGatherND) {
  Graph g;
  Value* mask = g.AddInput("mask", {DType::kBool, {S("b"), S("s")}});
  Value* idx = g.AddInput("idx", {DType::kI64, {S("b"), 1, 1, S("s"), 2}});
  Value* nd = Op(g, OpKind::kGatherND, {mask, idx});
  Value* data = g.AddInput("data", {DType::kF32, {S("b"), 5, 6}});
  Value* bidx = g.AddInput("bidx", {DType::kI64, {S("b2"), 3, 1}});
  Value* batched = Op(g, OpKind::kGatherND, {data, bidx}, Axis(1, "batch_dims"));
  Value* ei = g.AddInput("ei", {DType::kI32, {S("b"), 2, 6}});
  Value* el = Op(g, OpKind::kGatherElements, {data, ei}, Axis(1));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(nd->type().ToString(), "bool[b,1,1,s]");
  EXPECT_EQ(batched->type().ToString(), "f32[b,3,6]");
  EXPECT_EQ(bidx->type().ToString(), "i64[b,3,1]");
  EXPECT_EQ(el->type().ToString(), "f32[b,2,6]");
}

TEST(SliceOpsInferTest, GatherNDErrors) {
  {
    Graph g;
    Value* d = g.AddInput("d", {DType::kF32, {2, 3}});
    Value* i = g.AddInput("i", {DType::kI64, {4, 3}});  // Tuples longer than the rank.
    Op(g, OpKind::kGatherND, {d, i});
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Graph g;
    Value* d = g.AddInput("d", {DType::kF32, {2, 3}});
    Value* i = g.AddInput("i", {DType::kI64, {2, 1}});
    Op(g, OpKind::kGatherND, {d, i}, Axis(2, "batch_dims"));
    EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace kiln
