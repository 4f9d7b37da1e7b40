// Round trips of fused kernels' bodies: a body input may carry symbolic contents (a shape
// computed outside the kernel), printed after its type so that the body re-infers the same
// types when parsed.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;

TEST(ParserBodyTest, BodyInputsKeepTheirSymbolicContents) {
  const std::string text =
      "graph main(%x: f32[seq,4]) {\n"
      "  %s: i64[2] = Shape(%x)\n"
      "  %i: i64[1] = Constant() {value=tensor<i64[1]> [0]}\n"
      "  %q: i64[1] = Gather(%s, %i)\n"
      "  %two: i64[2] = Constant() {value=tensor<i64[2]> [2, 2]}\n"
      "  %shape: i64[3] = Concat(%q, %two) {axis=0}\n"
      "  %r: f32[seq,2,2] = FusedKernel(%x, %shape) @k body\n"
      "    graph fused(%x: f32[seq,4], %shape: i64[3] = [seq, 2, 2]) {\n"
      "      %n: f32[seq,4] = Neg(%x)\n"
      "      %r: f32[seq,2,2] = Reshape(%n, %shape)\n"
      "      return %r\n"
      "    }\n"
      "  return %r\n"
      "}\n";
  auto g = ParseGraph(text);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintGraph(**g), text);
  const Graph* body = (*g)->NodeList().back()->body();
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(body->inputs()[1]->sym_value().has_value());
  EXPECT_EQ((*body->inputs()[1]->sym_value())[0].ToString(), "seq");
}

TEST(ParserBodyTest, WithoutItsContentsTheReshapeTypeIsUnknown) {
  const std::string text =
      "graph fused(%n: f32[batch,seq,4], %shape: i64[3]) {\n"
      "  %r: f32[batch,seq,2,2] = Reshape(%n, %shape)\n"
      "  return %r\n"
      "}\n";
  EXPECT_THAT(ParseGraph(text).status().message(), HasSubstr("shape inference gives"));
}

TEST(ParserBodyTest, RejectsContentsThatDoNotFitTheType) {
  EXPECT_THAT(ParseGraph("graph g(%s: i64[2] = [a, b, c]) {\n  return %s\n}\n").status().message(),
              HasSubstr("symbolic contents of 3 values do not fit i64[2]"));
  EXPECT_THAT(ParseGraph("graph g(%s: f32[1] = [a]) {\n  return %s\n}\n").status().message(),
              HasSubstr("do not fit f32[1]"));
  EXPECT_THAT(ParseGraph("graph g(%s: i64[n] = [a]) {\n  return %s\n}\n").status().message(),
              HasSubstr("do not fit i64[n]"));
  EXPECT_THAT(ParseGraph("graph g(%s: i64[1] = [a) {\n  return %s\n}\n").status().message(),
              HasSubstr("symbolic contents"));
}

}  // namespace
}  // namespace kiln
