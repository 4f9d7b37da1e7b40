#include "ir/dot_export.h"

#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parser.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<Graph> Parse(const std::string& text) {
  ParseOptions trust;  // Constant's inference lives on another branch.
  trust.infer_shapes = false;
  auto g = ParseGraph(text, trust);
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? std::move(*g) : std::make_unique<Graph>();
}

// Braces balance and every statement line ends the way DOT requires.
void ExpectWellFormed(const std::string& dot) {
  int depth = 0;
  for (absl::string_view line : absl::StrSplit(dot, '\n', absl::SkipEmpty())) {
    char last = line.back();
    EXPECT_TRUE(last == ';' || last == '{' || last == '}') << line;
    if (last == '{') ++depth;
    if (last == '}') --depth;
    EXPECT_GE(depth, 0) << line;
  }
  EXPECT_EQ(depth, 0);
}

TEST(DotExportTest, DrawsOpsInputsOutputsAndLabelledEdges) {
  auto g = Parse(
      "graph main(%x: f32[batch,seq], %y: f32[seq]) {\n"
      "  %s: f32[] = Constant() {value=tensor<f32[]> [0.5]}\n"
      "  %a: f32[batch,seq] = Add(%x, %y) @add_0\n"
      "  %m: f32[batch,seq] = Mul(%a, %s)\n"
      "  return %m\n"
      "}\n");
  std::string dot = ExportDot(*g);
  ExpectWellFormed(dot);
  EXPECT_THAT(dot, HasSubstr("digraph \"main\" {\n"));
  // Inputs n0, n1; the constant n2 (compact, with its value); ops n3, n4; the output n5.
  EXPECT_THAT(dot, HasSubstr("n0 [shape=invhouse, style=filled, fillcolor=\"#dbeafe\", "
                             "label=\"%x\\nf32[batch,seq]\"];"));
  EXPECT_THAT(dot, HasSubstr("n2 [shape=box, style=\"rounded,filled\", fillcolor=\"#dddddd\", "
                             "fontsize=8, height=0.2, label=\"%s\\nf32[]\\n[0.5]\"];"));
  EXPECT_THAT(dot, HasSubstr("n3 [shape=box, style=\"rounded,filled\", fillcolor=\"#e3f2d9\", "
                             "label=\"Add\\nadd_0\\nf32[batch,seq]\"];"));
  EXPECT_THAT(dot, HasSubstr("n0 -> n3 [label=\"%x\\nf32[batch,seq]\"];"));
  EXPECT_THAT(dot, HasSubstr("n1 -> n3 [label=\"%y\\nf32[seq]\"];"));
  EXPECT_THAT(dot, HasSubstr("n3 -> n4 [label=\"%a\\nf32[batch,seq]\"];"));
  EXPECT_THAT(dot, HasSubstr("n2 -> n4 [label=\"%s\\nf32[]\"];"));
  EXPECT_THAT(dot, HasSubstr("n5 [shape=house, style=filled, fillcolor=\"#dbeafe\", "
                             "label=\"output 0\\n%m\"];"));
  EXPECT_THAT(dot, HasSubstr("n4 -> n5 [label=\"%m\\nf32[batch,seq]\"];"));
}

TEST(DotExportTest, LargeConstantsShowOnlyTheirType) {
  auto g = Parse(
      "graph main() {\n"
      "  %w: i64[5] = Constant() {value=tensor<i64[5]> [1, 2, 3, 4, 5]}\n"
      "  return %w\n"
      "}\n");
  std::string dot = ExportDot(*g);
  EXPECT_THAT(dot, HasSubstr("label=\"%w\\ni64[5]\"];"));
  EXPECT_THAT(dot, Not(HasSubstr("[1, 2")));
}

TEST(DotExportTest, EscapesNamesAndOmitsAbsentInputs) {
  auto g = Parse(
      "graph \"g\\\"1\"(%\"a\\\"b\\\\c\": f32[4]) {\n"
      "  %c: f32[4] = Clip(%\"a\\\"b\\\\c\", none, none) @\"new\\nline\"\n"
      "  return %c\n"
      "}\n");
  std::string dot = ExportDot(*g);
  ExpectWellFormed(dot);
  EXPECT_THAT(dot, HasSubstr("digraph \"g\\\"1\" {"));
  // The label shows the IR spelling %"a\"b\\c", escaped once more for DOT.
  EXPECT_THAT(dot, HasSubstr("label=\"%\\\"a\\\\\\\"b\\\\\\\\c\\\"\\nf32[4]\"];"));
  // Node names that are not printable ASCII are C-escaped, as in the text form.
  EXPECT_THAT(dot, HasSubstr("label=\"Clip\\nnew\\\\nline\\nf32[4]\"];"));
  EXPECT_EQ(dot.find(" -> n1 ["), dot.rfind(" -> n1 ["));  // One edge into Clip, not three.
}

TEST(DotExportTest, BodiesBecomeClustersWiredToTheirInputsAndResults) {
  auto g = Parse(
      "graph main(%x: f32[n], %y: f32[n]) {\n"
      "  %f: f32[n] = Add(%x, %y) @fused_0 body\n"
      "    graph fused_0(%p: f32[n], %q: f32[n]) {\n"
      "      %e: f32[n] = Exp(%p)\n"
      "      %s: f32[n] = Mul(%e, %q)\n"
      "      return %s\n"
      "    }\n"
      "  %r: f32[n] = Relu(%f)\n"
      "  return %r\n"
      "}\n");
  std::string dot = ExportDot(*g);
  ExpectWellFormed(dot);
  // x=n0, y=n1; the cluster is n2 and holds p=n3, q=n4, Exp=n5, Mul=n6; Relu=n7.
  size_t begin = dot.find("  subgraph cluster_n2 {\n");
  size_t end = dot.find("\n  }\n", begin);
  ASSERT_NE(begin, std::string::npos) << dot;
  ASSERT_NE(end, std::string::npos);
  std::string cluster = dot.substr(begin, end - begin);
  EXPECT_THAT(cluster, HasSubstr("label=\"Add\\nfused_0\\nf32[n]\";"));
  EXPECT_THAT(cluster, HasSubstr("n5 [shape=box, style=\"rounded,filled\", fillcolor=\"#e3f2d9\", "
                                 "label=\"Exp\\ne\\nf32[n]\"];"));
  EXPECT_THAT(cluster, HasSubstr("n5 -> n6 [label=\"%e\\nf32[n]\"];"));
  // Outer values flow into the body's inputs; the body's result feeds the outer Relu.
  EXPECT_THAT(dot, HasSubstr("n0 -> n3 [label=\"%x\\nf32[n]\"];"));
  EXPECT_THAT(dot, HasSubstr("n1 -> n4 [label=\"%y\\nf32[n]\"];"));
  EXPECT_THAT(dot, HasSubstr("n6 -> n7 [label=\"%f\\nf32[n]\"];"));
}

TEST(DotExportTest, ArityBeyondTheBodyGetsAnAnchorBox) {
  auto g = Parse(
      "graph main(%x: f32[n], %y: f32[n]) {\n"
      "  %f: f32[n] = Add(%x, %y) @fused body\n"
      "    graph inner(%p: f32[n]) {\n"
      "      return %p\n"
      "    }\n"
      "  return %f\n"
      "}\n");
  std::string dot = ExportDot(*g);
  ExpectWellFormed(dot);
  // x=n0, y=n1, cluster n2 with p=n3 and the anchor n4; y (input 1) has no body input.
  EXPECT_THAT(dot, HasSubstr("    n4 [shape=box, style=dashed, label=\"Add\\nfused\"];"));
  EXPECT_THAT(dot, HasSubstr("n0 -> n3 [label=\"%x\\nf32[n]\"];"));
  EXPECT_THAT(dot, HasSubstr("n1 -> n4 [label=\"%y\\nf32[n]\"];"));
  // The body passes its input straight through, so the output comes from the body input.
  EXPECT_THAT(dot, HasSubstr("n3 -> n5 [label=\"%f\\nf32[n]\"];"));
}

TEST(DotExportTest, BrokenGraphsGetAPlaceholderInsteadOfACrash) {
  Graph g("broken");
  Value* x = g.AddInput("x", TensorType{DType::kF32, {4}});
  Node* a = g.AddNode(OpKind::kRelu, {x}, 1, {}, "a");
  Node* b = g.AddNode(OpKind::kExp, {a->output(0)}, 1, {}, "b");
  g.MoveBefore(b, a);  // b now uses a's result before a runs.
  g.AddOutput(b->output(0));
  std::string dot = ExportDot(g);
  ExpectWellFormed(dot);
  EXPECT_THAT(dot, HasSubstr("[shape=octagon, color=red, label=\"undefined\\n%a\"];"));
}

}  // namespace
}  // namespace kiln
