#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "ir/infer/infer_test_util.h"

namespace kiln {
namespace {

using testing::Attr;
using testing::S;

class ElementwiseInferTest : public testing::InferTest {
 protected:
  Value* ScalarSym(const char* name, DimExpr value, DType t = DType::kI64) {
    Value* v = In(name, t, {});
    v->set_sym_value(std::vector<DimExpr>{std::move(value)});
    return v;
  }
};

TEST_F(ElementwiseInferTest, BroadcastsSymbolicShapes) {
  Value* x = In("x", DType::kF32, {S("batch"), S("seq"), 64});
  Value* bias = In("bias", DType::kF32, {64});
  Value* row = In("row", DType::kF32, {S("batch"), 1, 1});
  Value* col = In("col", DType::kF32, {1, S("seq"), 1});
  Value* a = Op(OpKind::kAdd, {x, bias});
  Value* m = Op(OpKind::kMul, {row, col});
  Value* mx = Op(OpKind::kMax, {row, col, bias});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(a->type().ToString(), "f32[batch,seq,64]");
  EXPECT_EQ(m->type().ToString(), "f32[batch,seq,1]");
  EXPECT_EQ(mx->type().ToString(), "f32[batch,seq,64]");
}

TEST_F(ElementwiseInferTest, BroadcastUnifiesSymbolsWithConstants) {
  Value* x = In("x", DType::kF32, {S("n"), 8});
  Value* y = In("y", DType::kF32, {4, S("m")});
  Value* z = Op(OpKind::kSub, {x, y});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(z->type().ToString(), "f32[4,8]");
  EXPECT_EQ(x->type().ToString(), "f32[4,8]");  // n = 4 everywhere.
}

TEST_F(ElementwiseInferTest, SubOfShapeValuesStaysSymbolic) {
  Value* shape = SymIn("shape", {S("batch"), S("seq")});
  Value* one = ScalarSym("one", 1);
  Value* d = Op(OpKind::kSub, {shape, one});
  Value* twice = Op(OpKind::kMul, {shape, SymIn("two", {2})});
  Value* sum = Op(OpKind::kAdd, {d, shape});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(d->type().ToString(), "i64[2]");
  EXPECT_EQ(Sym(d), "[batch-1,seq-1]");
  EXPECT_EQ(Sym(twice), "[2*batch,2*seq]");
  EXPECT_EQ(Sym(sum), "[2*batch-1,2*seq-1]");
}

TEST_F(ElementwiseInferTest, EqualDecidesWhatSymbolsAllow) {
  Value* shape = SymIn("shape", {S("batch"), S("seq"), 0});
  Value* eq_neg = Op(OpKind::kEqual, {shape, ScalarSym("m1", -1)});
  Value* eq_self = Op(OpKind::kEqual, {shape, shape});
  Value* eq_zero = Op(OpKind::kEqual, {shape, ScalarSym("z", 0)});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(eq_neg->type().ToString(), "bool[3]");
  // A dim is never -1.
  EXPECT_EQ(Sym(eq_neg), "[0,0,0]");
  EXPECT_EQ(Sym(eq_self), "[1,1,1]");
  // `batch == 0` is not decidable, so no contents are recorded.
  EXPECT_FALSE(eq_zero->sym_value().has_value());
}

TEST_F(ElementwiseInferTest, OrderingComparisonsUseLowerBounds) {
  Value* shape = SymIn("shape", {S("seq"), S("seq") + 1});
  Value* seq = ScalarSym("seq", S("seq"));
  Value* lt = Op(OpKind::kLess, {shape, seq});
  Value* le = Op(OpKind::kLessOrEqual, {shape, seq});
  Value* gt = Op(OpKind::kGreater, {shape, seq});
  Value* ge = Op(OpKind::kGreaterOrEqual, {shape, ScalarSym("z", 0)});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(lt), "[0,0]");
  EXPECT_EQ(Sym(le), "[1,0]");
  EXPECT_EQ(Sym(gt), "[0,1]");
  EXPECT_EQ(Sym(ge), "[1,1]");
}

TEST_F(ElementwiseInferTest, WhereSelectsSymbolicValues) {
  // The usual exporter idiom: Where(Equal(shape, -1), other, shape) or Where(Equal(s, 0), ...).
  Value* shape = SymIn("shape", {S("batch"), 0, S("seq")});
  Value* is_zero = Op(OpKind::kEqual, {shape, SymIn("zeros", {0, 0, 0})});
  Value* fill = SymIn("fill", {S("batch"), S("heads"), 7});
  Value* w = Op(OpKind::kWhere, {is_zero, fill, shape});
  ASSERT_EQ(Infer(), "");
  // batch == 0 is undecided but both branches are `batch`; 0 == 0 picks `heads`; seq == 0 is
  // undecided with different branches, so the whole result is unknown.
  EXPECT_EQ(Sym(w), "none");
}

TEST_F(ElementwiseInferTest, WhereWithDecidedConditions) {
  Value* shape = SymIn("shape", {S("batch"), 0, S("seq")});
  Value* is_neg = Op(OpKind::kEqual, {shape, ScalarSym("m1", -1)});
  Value* is_zero = Op(OpKind::kEqual, {shape, ScalarSym("z", 0)});
  Value* ones = SymIn("ones", {1, 1, 1});
  Value* w1 = Op(OpKind::kWhere, {is_neg, ones, shape});
  Value* cond = SymIn("cond", {1, 0, 0}, DType::kBool);
  Value* w2 = Op(OpKind::kWhere, {cond, SymIn("alt", {S("heads"), 5, S("seq")}), shape});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(w1), "[batch,0,seq]");
  EXPECT_EQ(Sym(w2), "[heads,0,seq]");
  EXPECT_FALSE(is_zero->sym_value().has_value());
}

TEST_F(ElementwiseInferTest, IntegerDivisionTruncatesSymbolically) {
  Value* num = SymIn("num", {S("seq") * 2, -7, 7, S("seq") + 3});
  Value* den = SymIn("den", {2, 2, -2, 2});
  Value* q = Op(OpKind::kDiv, {num, den});
  Value* by_zero = Op(OpKind::kDiv, {SymIn("a", {S("seq")}), SymIn("b", {0})});
  ASSERT_EQ(Infer(), "");
  // Truncation, not floor: -7/2 = -3; a non-negative symbolic dividend uses floor division.
  EXPECT_EQ(Sym(q), "[seq,-3,-3,div(seq+3,2)]");
  EXPECT_EQ(Sym(by_zero), "none");
}

TEST_F(ElementwiseInferTest, NegativeSymbolicDividendHasNoSymbolicQuotient) {
  Value* q = Op(OpKind::kDiv, {SymIn("n", {DimExpr(0) - S("seq")}), SymIn("d", {2})});
  Value* minus_one = Op(OpKind::kDiv, {SymIn("m", {S("seq") - 1}), SymIn("d3", {3})});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(q), "none");  // floor(-seq/2) != trunc(-seq/2) for odd seq.
  EXPECT_EQ(Sym(minus_one), "none");  // seq - 1 may be -1: trunc gives 0, floor -1.
}

TEST_F(ElementwiseInferTest, ExactSymbolicDivision) {
  Value* n = SymIn("n", {S("seq") * 2 - 2, S("seq") - 1, DimExpr(0) - S("seq") * 4});
  Value* q = Op(OpKind::kDiv, {n, SymIn("d", {2, 1, -4})});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(q), "[seq-1,seq-1,seq]");
}

TEST_F(ElementwiseInferTest, ConstantResultsWrapToTheDType) {
  Value* big = SymIn("big", {std::numeric_limits<int32_t>::max()}, DType::kI32);
  Value* sum = Op(OpKind::kAdd, {big, SymIn("one", {1}, DType::kI32)});
  Value* neg = Op(OpKind::kNeg, {SymIn("min", {std::numeric_limits<int64_t>::min()})});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(sum), "[-2147483648]");
  EXPECT_FALSE(neg->sym_value().has_value());  // -INT64_MIN overflows DimExpr: dropped.
}

TEST_F(ElementwiseInferTest, MaxMinAndUnaryValues) {
  Value* shape = SymIn("shape", {S("seq"), 3, -4});
  Value* mx = Op(OpKind::kMax, {shape, SymIn("lo", {1, 5, 0})});
  Value* mx0 = Op(OpKind::kMax, {shape, SymIn("zero", {0, 0, 0})});
  Value* mn = Op(OpKind::kMin, {shape, ScalarSym("hi", 3)});
  Value* abs = Op(OpKind::kAbs, {shape});
  Value* relu = Op(OpKind::kRelu, {shape});
  Value* neg = Op(OpKind::kNeg, {shape});
  Value* id = Op(OpKind::kIdentity, {shape});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(mx), "[max(1,seq),5,0]");
  EXPECT_EQ(Sym(mx0), "[seq,3,0]");  // A dim is never below 0.
  EXPECT_EQ(Sym(mn), "[min(3,seq),3,-4]");
  EXPECT_EQ(Sym(abs), "[seq,3,4]");
  EXPECT_EQ(Sym(relu), "[seq,3,0]");
  EXPECT_EQ(Sym(neg), "[-seq,-3,4]");
  EXPECT_EQ(Sym(id), Sym(shape));
}

TEST_F(ElementwiseInferTest, ClipOfValues) {
  Value* shape = SymIn("shape", {S("seq"), 700, -3});
  Value* c = Op(OpKind::kClip, {shape, ScalarSym("lo", 0), ScalarSym("hi", 512)});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(c), "[min(512,seq),512,0]");
}

TEST_F(ElementwiseInferTest, CastValues) {
  Value* v = SymIn("v", {S("seq"), 300, 0, -1});
  Value* i8 = Op(OpKind::kCast, {v}, Attr("to", std::string("i8")));
  Value* u16 = Op(OpKind::kCast, {v}, Attr("to", std::string("u16")));
  Value* f = Op(OpKind::kCast, {v}, Attr("to", std::string("f32")));
  Value* b = Op(OpKind::kCast, {SymIn("w", {S("seq") + 1, 0, 5})}, Attr("to", std::string("bool")));
  Value* unknown_b = Op(OpKind::kCast, {v}, Attr("to", std::string("bool")));
  Value* not_b = Op(OpKind::kNot, {b});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(i8->type().ToString(), "i8[4]");
  EXPECT_EQ(Sym(i8), "[seq,44,0,-1]");
  EXPECT_EQ(Sym(u16), "[seq,300,0,65535]");
  EXPECT_FALSE(f->sym_value().has_value());
  EXPECT_EQ(Sym(b), "[1,0,1]");
  EXPECT_FALSE(unknown_b->sym_value().has_value());  // seq may be 0.
  EXPECT_EQ(Sym(not_b), "[0,1,0]");
}

TEST_F(ElementwiseInferTest, AndOrShortCircuitOnConstants) {
  Value* known = SymIn("k", {0, 1, 1}, DType::kBool);
  Value* unknown = In("u", DType::kBool, {3});
  unknown->set_sym_value(std::vector<DimExpr>{S("p"), S("q"), 1});
  Value* a = Op(OpKind::kAnd, {known, unknown});
  Value* o = Op(OpKind::kOr, {known, SymIn("k2", {0, 0, 1}, DType::kBool)});
  ASSERT_EQ(Infer(), "");
  EXPECT_FALSE(a->sym_value().has_value());  // 1 And q is unknown.
  EXPECT_EQ(Sym(o), "[0,1,1]");
}

TEST_F(ElementwiseInferTest, OutputDTypes) {
  Value* f = In("f", DType::kF16, {2, S("n")});
  Value* i = In("i", DType::kI64, {S("n")});
  Value* p = Op(OpKind::kPow, {f, i});
  Value* e = Op(OpKind::kEqual, {i, i});
  Value* nan = Op(OpKind::kIsNaN, {f});
  Value* c = Op(OpKind::kCast, {f}, Attr("to", std::string("bf16")));
  Value* w = Op(OpKind::kWhere, {e, i, i});
  Value* sm = Op(OpKind::kSoftmax, {f});  // Shares InferUnary: same type out as in.
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(p->type().ToString(), "f16[2,n]");
  EXPECT_EQ(e->type().ToString(), "bool[n]");
  EXPECT_EQ(nan->type().ToString(), "bool[2,n]");
  EXPECT_EQ(c->type().ToString(), "bf16[2,n]");
  EXPECT_EQ(w->type().ToString(), "i64[n]");
  EXPECT_EQ(sm->type().ToString(), "f16[2,n]");
}

// Each case builds one node over fresh inputs and expects inference to fail with `message`.
struct ErrorCase {
  const char* label;
  OpKind op;
  std::vector<TensorType> inputs;
  Attributes attrs;
  const char* message;
};

TEST(ElementwiseInferErrors, RejectsBadInputs) {
  const TensorType f32{DType::kF32, {2, 3}}, f16{DType::kF16, {2, 3}}, i64{DType::kI64, {3}},
      i8{DType::kI8, {3}}, u8{DType::kU8, {3}}, b{DType::kBool, {3}},
      f32_4{DType::kF32, {4}}, scalar{DType::kF32, {}}, vec2{DType::kF32, {2}};
  Attributes gelu_bad, cast_bad;
  gelu_bad.Set("approximate", std::string("fast"));
  cast_bad.Set("to", std::string("f8"));
  std::vector<ErrorCase> cases = {
      {"mixed dtypes", OpKind::kAdd, {f32, f16}, {}, "input 1 has dtype f16 but input 0 has f32"},
      {"bool arithmetic", OpKind::kMul, {b, b}, {}, "expected a numeric dtype"},
      {"no broadcast", OpKind::kAdd, {f32, f32_4}, {}, "cannot broadcast dimension 3 with 4"},
      {"unsigned Neg", OpKind::kNeg, {u8}, {}, "expected a float or signed integer dtype"},
      {"unsigned Relu", OpKind::kRelu, {u8}, {}, "expected a float or signed integer dtype"},
      {"integer Exp", OpKind::kExp, {i64}, {}, "expected a float dtype"},
      {"integer Erf", OpKind::kErf, {i8}, {}, "expected a float dtype"},
      {"float Not", OpKind::kNot, {f32}, {}, "expected bool"},
      {"bool Abs", OpKind::kAbs, {b}, {}, "expected a numeric dtype"},
      {"integer IsNaN", OpKind::kIsNaN, {i64}, {}, "expected a float dtype"},
      {"i8 Pow base", OpKind::kPow, {i8, i8}, {}, "input 0 has dtype i8, expected one of"},
      {"bool exponent", OpKind::kPow, {f32, b}, {}, "input 1 has dtype bool"},
      {"float And", OpKind::kAnd, {f32, f32}, {}, "expected bool"},
      {"bool Less", OpKind::kLess, {b, b}, {}, "expected a numeric dtype"},
      {"Equal mixed", OpKind::kEqual, {i64, i8}, {}, "input 1 has dtype i8 but input 0 has i64"},
      {"Where cond", OpKind::kWhere, {i64, i64, i64}, {}, "input 0 has dtype i64"},
      {"Where branches", OpKind::kWhere, {b, i64, i8}, {}, "input 2 has dtype i8"},
      {"Clip bound rank", OpKind::kClip, {f32, vec2}, {}, "min must be a scalar, got shape [2]"},
      {"Clip bound dtype", OpKind::kClip, {f32, scalar, TensorType{DType::kF64, {}}}, {},
       "input 2 has dtype f64"},
      {"Gelu mode", OpKind::kGelu, {f32}, gelu_bad, "approximate must be 'none' or 'tanh'"},
      {"Cast target", OpKind::kCast, {f32}, cast_bad, "unknown target dtype 'f8'"},
  };
  for (const ErrorCase& c : cases) {
    Graph g;
    std::vector<Value*> ins;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      ins.push_back(g.AddInput(absl::StrCat("x", i), c.inputs[i]));
    }
    g.AddNode(c.op, ins, 1, c.attrs, "node");
    absl::Status s = InferShapes(g);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.label << ": " << s;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.label << ": " << s;
    EXPECT_NE(s.message().find("node"), std::string::npos) << c.label << ": " << s;
  }
}

TEST(ElementwiseInferErrors, VariadicMaxRejectsMissingInput) {
  Graph g;
  Value* x = g.AddInput("x", TensorType{DType::kF32, {3}});
  g.AddNode(OpKind::kMax, {x, nullptr, x}, 1, {}, "m");
  absl::Status s = InferShapes(g);
  EXPECT_NE(s.message().find("input 1 is missing"), std::string::npos) << s;
}

}  // namespace
}  // namespace kiln
