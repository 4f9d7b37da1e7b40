// Shape inference tests for Mod and Size: types, attribute checks, and the symbolic values
// they propagate (worked out by hand; Python's % and C's fmod for the constant cases).
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "ir/infer/infer_test_util.h"

namespace kiln {
namespace {

using testing::S;

class ModSizeInferTest : public testing::InferTest {
 protected:
  Value* Mod(Value* a, Value* b, int64_t fmod) {
    Attributes attrs;
    attrs.Set("fmod", fmod);
    return Op(OpKind::kMod, {a, b}, std::move(attrs));
  }
};

TEST_F(ModSizeInferTest, ModBroadcastsLikeTheOtherBinaryOps) {
  Value* x = In("x", DType::kF32, {S("batch"), S("seq"), 64});
  Value* d = In("d", DType::kF32, {64});
  Value* i = In("i", DType::kI32, {S("batch"), 1});
  Value* j = In("j", DType::kI32, {1, S("seq")});
  Value* f = Mod(x, d, 1);
  Value* k = Op(OpKind::kMod, {i, j});  // fmod defaults to 0.
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(f->type().ToString(), "f32[batch,seq,64]");
  EXPECT_EQ(k->type().ToString(), "i32[batch,seq]");
}

TEST_F(ModSizeInferTest, FloatModNeedsFmodOne) {
  Op(OpKind::kMod, {In("a", DType::kF16, {3}), In("b", DType::kF16, {3})});
  std::string err = Infer();
  EXPECT_NE(err.find("fmod must be 1 for float inputs"), std::string::npos) << err;
}

TEST_F(ModSizeInferTest, RejectsFmodOtherThanZeroOrOne) {
  Mod(In("a", DType::kI64, {2}), In("b", DType::kI64, {2}), 2);
  EXPECT_NE(Infer().find("fmod must be 0 or 1, got 2"), std::string::npos);
}

TEST_F(ModSizeInferTest, RejectsBoolInputs) {
  Op(OpKind::kMod, {In("p", DType::kBool, {2}), In("q", DType::kBool, {2})});
  EXPECT_NE(Infer().find("expected a numeric dtype"), std::string::npos);
}

TEST_F(ModSizeInferTest, RejectsMixedDTypes) {
  Op(OpKind::kMod, {In("r", DType::kI64, {2}), In("s", DType::kI32, {2})});
  EXPECT_NE(Infer(), "");
}

TEST_F(ModSizeInferTest, RejectsShapesThatDoNotBroadcast) {
  Op(OpKind::kMod, {In("u", DType::kI64, {3}), In("v", DType::kI64, {4})});
  EXPECT_NE(Infer(), "");
}

TEST_F(ModSizeInferTest, ConstantModFollowsTheDivisorOrTheDividendSign) {
  Value* a = SymIn("a", {7, -7, 7, -7, 0, 5});
  Value* b = SymIn("b", {3, 3, -3, -3, 4, -1});
  Value* py = Mod(a, b, 0);
  Value* c = Mod(a, b, 1);
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(py), "[1,2,-2,-1,0,0]");  // Python: 7%3, -7%3, 7%-3, -7%-3, 0%4, 5%-1.
  EXPECT_EQ(Sym(c), "[1,-1,1,-1,0,0]");   // C fmod: the sign of the dividend.
}

TEST_F(ModSizeInferTest, ExtremeConstantsDoNotTrap) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  Value* m = Mod(SymIn("a", {kMin, kMin}), SymIn("b", {-1, 3}), 0);
  Value* m32 = Mod(SymIn("c", {kMin32}, DType::kI32), SymIn("d", {-1}, DType::kI32), 1);
  ASSERT_EQ(Infer(), "");
  // INT64_MIN = -3 * 3074457345618258602 - 2, so floor mod 3 is 1.
  EXPECT_EQ(Sym(m), "[0,1]");
  EXPECT_EQ(Sym(m32), "[0]");
}

TEST_F(ModSizeInferTest, SymbolicModOfANonNegativeDividend) {
  // The `seq % 2` of attention function bodies stays symbolic.
  Value* shape = Op(OpKind::kShape, {In("x", DType::kF32, {S("batch"), S("seq")})});
  Value* two = SymIn("two", {2});
  Value* py = Mod(shape, two, 0);
  Value* c = Mod(shape, two, 1);
  Value* exact = Mod(SymIn("e", {S("seq") * 4 + 8, S("seq"), S("seq")}), SymIn("f", {4, 1, -1}), 1);
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(py), "[mod(batch,2),mod(seq,2)]");
  EXPECT_EQ(Sym(c), "[mod(batch,2),mod(seq,2)]");
  EXPECT_EQ(Sym(exact), "[0,0,0]");
}

TEST_F(ModSizeInferTest, SymbolicModThatIsNotProvablyFloorModHasNoValue) {
  // seq - 1 may be -1: C fmod gives -1, floor mod 1. Python's % is floor mod for any dividend.
  Value* c = Mod(SymIn("a", {S("seq") - 1}), SymIn("b", {2}), 1);
  Value* py = Mod(SymIn("c", {S("seq") - 1}), SymIn("d", {2}), 0);
  Value* neg_div = Mod(SymIn("e", {S("seq")}), SymIn("f", {-2}), 0);
  Value* sym_div = Mod(SymIn("g", {7}), SymIn("h", {S("seq")}), 0);
  Value* by_zero = Mod(SymIn("i", {S("seq")}), SymIn("j", {0}), 0);
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(c), "none");
  EXPECT_EQ(Sym(py), "[mod(seq-1,2)]");
  EXPECT_EQ(Sym(neg_div), "none");
  EXPECT_EQ(Sym(sym_div), "none");
  EXPECT_EQ(Sym(by_zero), "none");  // The kernel reports the error at run time.
}

TEST_F(ModSizeInferTest, U64ValuesAboveInt64MaxAreNotTakenAtFaceValue) {
  // 2^64 - 1 is held as -1; (2^64 - 1) % 10 is 5, not Python's -1 % 10 = 9.
  Value* big = Mod(SymIn("a", {-1}, DType::kU64), SymIn("b", {10}, DType::kU64), 0);
  Value* small = Mod(SymIn("c", {17}, DType::kU64), SymIn("d", {10}, DType::kU64), 0);
  Value* u8 = Mod(SymIn("e", {255}, DType::kU8), SymIn("f", {10}, DType::kU8), 0);
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(Sym(big), "none");
  EXPECT_EQ(Sym(small), "[7]");
  EXPECT_EQ(Sym(u8), "[5]");
}

TEST_F(ModSizeInferTest, SizeIsASymbolicScalar) {
  Value* x = In("x", DType::kF16, {S("batch"), S("seq"), 64});
  Value* n = Op(OpKind::kSize, {x});
  Value* scalar = Op(OpKind::kSize, {In("s", DType::kBool, {})});
  Value* empty = Op(OpKind::kSize, {In("e", DType::kI8, {S("batch"), 0})});
  // Size / 64 is batch*seq again: shape arithmetic stays exact.
  Value* rows = Op(OpKind::kDiv, {n, SymIn("d", {64})});
  ASSERT_EQ(Infer(), "");
  EXPECT_EQ(n->type().ToString(), "i64[]");
  EXPECT_EQ(Sym(n), "[64*batch*seq]");
  EXPECT_EQ(Sym(scalar), "[1]");
  EXPECT_EQ(Sym(empty), "[0]");
  EXPECT_EQ(Sym(rows), "[batch*seq]");
}

}  // namespace
}  // namespace kiln
