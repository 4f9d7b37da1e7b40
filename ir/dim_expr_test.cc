#include "ir/dim_expr.h"

#include "gtest/gtest.h"

namespace kiln {
namespace {

DimExpr S(const char* n) { return DimExpr::Symbol(n); }

TEST(DimExprTest, CanonicalFormMakesEqualPolynomialsEqual) {
  EXPECT_EQ(S("a") * S("b"), S("b") * S("a"));
  EXPECT_EQ(S("seq") + S("past"), S("past") + S("seq"));
  EXPECT_EQ((S("a") + 1) * (S("a") - 1), S("a") * S("a") - 1);
  EXPECT_EQ(S("a") - S("a"), DimExpr(0));
  EXPECT_NE(S("a"), S("b"));
}

TEST(DimExprTest, PrintsReadably) {
  EXPECT_EQ((S("batch") * S("seq")).ToString(), "batch*seq");
  EXPECT_EQ((S("seq") + S("past")).ToString(), "past+seq");
  EXPECT_EQ((S("seq") - 1).ToString(), "seq-1");
  EXPECT_EQ((DimExpr(64) * S("seq") + 3).ToString(), "64*seq+3");
  EXPECT_EQ((DimExpr(0) - S("x")).ToString(), "-x");
  EXPECT_EQ(DimExpr(-7).ToString(), "-7");
}

TEST(DimExprTest, ParseRoundTrips) {
  for (const char* text : {"batch*seq", "past+seq", "seq-1", "64*seq+3", "-x", "min(512,seq)",
                           "div(n,2)", "mod(n+1,3)", "c*max(a,b)", "7"}) {
    auto e = DimExpr::Parse(text);
    ASSERT_TRUE(e.ok()) << text << ": " << e.status();
    EXPECT_EQ(e->ToString(), text);
    EXPECT_EQ(*DimExpr::Parse(e->ToString()), *e);
  }
  EXPECT_EQ(*DimExpr::Parse("seq * batch + 2 * (seq - seq)"), S("batch") * S("seq"));
  EXPECT_EQ(DimExpr::Parse("min(seq, 512)")->ToString(), "min(512,seq)");
}

TEST(DimExprTest, ParseRejectsGarbage) {
  for (const char* text : {"", "a+", "(a", "min(a)", "3 3", "a/b", "99999999999999999999"}) {
    EXPECT_FALSE(DimExpr::Parse(text).ok()) << text;
  }
}

TEST(DimExprTest, FloorDivSimplifiesExactQuotients) {
  DimExpr bs64 = S("batch") * S("seq") * 64;
  EXPECT_EQ(DimExpr::FloorDiv(bs64, DimExpr(64)), S("batch") * S("seq"));
  EXPECT_EQ(DimExpr::FloorDiv(bs64, S("batch") * 64), S("seq"));
  EXPECT_EQ(DimExpr::FloorDiv(DimExpr(7), DimExpr(2)), DimExpr(3));
  EXPECT_EQ(DimExpr::FloorDiv(DimExpr(-7), DimExpr(2)), DimExpr(-4));
  EXPECT_EQ(DimExpr::FloorDiv(S("n"), DimExpr(2)).ToString(), "div(n,2)");
  EXPECT_EQ(DimExpr::CeilDiv(S("n") * 4, DimExpr(2)), S("n") * 2);
  EXPECT_FALSE(DimExpr::FloorDiv(S("n"), DimExpr(0)).is_valid());
}

TEST(DimExprTest, MinMaxDecideConstantDifferences) {
  EXPECT_EQ(DimExpr::Min(S("s") + 1, S("s")), S("s"));
  EXPECT_EQ(DimExpr::Max(S("s") + 1, S("s")), S("s") + 1);
  EXPECT_EQ(DimExpr::Min(S("a"), S("b")), DimExpr::Min(S("b"), S("a")));
}

TEST(DimExprTest, OverflowPoisonsInsteadOfWrapping) {
  DimExpr big(INT64_MAX);
  EXPECT_FALSE((big + 1).is_valid());
  EXPECT_FALSE((big * 2).is_valid());
  EXPECT_FALSE((big * S("x") * 2).is_valid());
  EXPECT_FALSE(((big * 2) - 5).is_valid());
}

TEST(DimExprTest, EvaluateAndSubstitute) {
  DimExpr e = S("batch") * S("seq") + DimExpr::FloorDiv(S("seq"), DimExpr(2));
  absl::flat_hash_map<std::string, int64_t> env = {{"batch", 3}, {"seq", 5}};
  EXPECT_EQ(*e.Evaluate(env), 17);
  EXPECT_FALSE(e.Evaluate({{"batch", 3}}).ok());
  DimExpr huge = S("a") * S("a");
  EXPECT_FALSE(huge.Evaluate({{"a", int64_t{1} << 40}}).ok());
  DimExpr sub = e.Substitute([](absl::string_view s) -> std::optional<DimExpr> {
    if (s == "seq") return DimExpr(4);
    return std::nullopt;
  });
  EXPECT_EQ(sub, S("batch") * 4 + 2);
}

TEST(DimExprTest, LowerBoundAssumesNonNegativeSymbols) {
  EXPECT_EQ((S("a") + 3).LowerBound(), 3);
  EXPECT_EQ((S("a") * S("b")).LowerBound(), 0);
  EXPECT_FALSE((S("a") - S("b")).LowerBound().has_value());
  // div(seq-5,2) can be negative (seq = 0 gives -3): no bound may be claimed.
  EXPECT_FALSE(DimExpr::FloorDiv(S("seq") - 5, DimExpr(2)).LowerBound().has_value());
  EXPECT_EQ(DimExpr::FloorDiv(S("seq") + 5, DimExpr(2)).LowerBound(), 0);
  EXPECT_EQ(DimExpr::Mod(S("seq") - 5, DimExpr(3)).LowerBound(), 0);
  EXPECT_FALSE(DimExpr::Min(S("a") - 1, S("b")).LowerBound().has_value());
}

}  // namespace
}  // namespace kiln
